/*
Copyright The workloads-apiserver Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/kubectl/pkg/describe"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

const (
	// RevisionAnnotation is the rollout revision of a Deployment's ReplicaSet.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// ChangeCauseAnnotation records why a revision was made.
	ChangeCauseAnnotation = "kubernetes.io/change-cause"
)

// revisionEntry is one revision of a Deployment or DaemonSet.
type revisionEntry struct {
	Revision    int64
	ChangeCause string
	Template    corev1.PodTemplateSpec
	// history is the ControllerRevision of a DaemonSet revision.
	history *appsv1.ControllerRevision
}

// deploymentHistory lists the revisions of a Deployment from the ReplicaSets
// it controls, oldest first.
func deploymentHistory(ctx context.Context, c clientset.Interface, d *v1alpha1.Deployment) ([]revisionEntry, error) {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("invalid selector of deployment %q: %w", d.Name, err)
	}
	rsList, err := c.ExperimentalV1alpha1().ReplicaSets(d.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the replica sets of deployment %q: %w", d.Name, err)
	}
	var out []revisionEntry
	for i := range rsList.Items {
		rs := &rsList.Items[i]
		if !metav1.IsControlledBy(rs, d) {
			continue
		}
		v, err := strconv.ParseInt(rs.Annotations[RevisionAnnotation], 10, 64)
		if err != nil {
			continue
		}
		tmpl := *rs.Spec.Template.DeepCopy()
		delete(tmpl.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
		out = append(out, revisionEntry{Revision: v, ChangeCause: rs.Annotations[ChangeCauseAnnotation], Template: tmpl})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// daemonSetHistory lists the revisions of a DaemonSet from the
// ControllerRevisions it controls, oldest first, each with the template the
// revision's patch gives.
func daemonSetHistory(ctx context.Context, kc kubernetes.Interface, ds *v1alpha1.DaemonSet) ([]revisionEntry, error) {
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return nil, fmt.Errorf("invalid selector of daemon set %q: %w", ds.Name, err)
	}
	list, err := kc.AppsV1().ControllerRevisions(ds.Namespace).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, fmt.Errorf("listing the controller revisions of daemon set %q: %w", ds.Name, err)
	}
	var out []revisionEntry
	for i := range list.Items {
		h := &list.Items[i]
		if !metav1.IsControlledBy(h, ds) {
			continue
		}
		applied, err := applyDaemonSetRevision(ds, h)
		if err != nil {
			return nil, err
		}
		out = append(out, revisionEntry{Revision: h.Revision, ChangeCause: h.Annotations[ChangeCauseAnnotation], Template: applied.Spec.Template, history: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// applyDaemonSetRevision returns ds with the revision's patch applied.
func applyDaemonSetRevision(ds *v1alpha1.DaemonSet, h *appsv1.ControllerRevision) (*v1alpha1.DaemonSet, error) {
	orig, err := json.Marshal(ds)
	if err != nil {
		return nil, fmt.Errorf("encoding daemon set %q: %w", ds.Name, err)
	}
	patched, err := strategicpatch.StrategicMergePatch(orig, h.Data.Raw, &v1alpha1.DaemonSet{})
	if err != nil {
		return nil, fmt.Errorf("applying controller revision %q: %w", h.Name, err)
	}
	out := &v1alpha1.DaemonSet{}
	if err := json.Unmarshal(patched, out); err != nil {
		return nil, fmt.Errorf("decoding controller revision %q: %w", h.Name, err)
	}
	return out, nil
}

func findRevision(entries []revisionEntry, v int64) *revisionEntry {
	for i := range entries {
		if entries[i].Revision == v {
			return &entries[i]
		}
	}
	return nil
}

func newRolloutHistoryCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var revision int64
	cmd := &cobra.Command{
		Use:   "history (TYPE NAME | TYPE/NAME) [--revision=N]",
		Short: "View rollout history",
		Long:  "View the revisions of an experimental Deployment or DaemonSet, or the pod template of one revision.",
		Example: `  # List the revisions of a Deployment
  kubectl experimental rollout history deployment/web

  # Show the pod template of revision 2
  kubectl experimental rollout history deployment/web --revision=2`,
		ValidArgsFunction: completeResource(clients, KindDeployment, KindDaemonSet),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, err := rolloutTarget(args, "rollout history")
			if err != nil {
				return err
			}
			entries, err := loadHistory(ctxOf(cmd), clients, k, name)
			if err != nil {
				return err
			}
			return printHistory(streams.Out, k, name, entries, revision)
		},
	}
	cmd.Flags().Int64Var(&revision, "revision", 0, "See the details, including podTemplate of the revision specified")
	return cmd
}

// rolloutTarget parses the single Deployment or DaemonSet of a rollout verb.
func rolloutTarget(args []string, verb string, allowed ...Kind) (Kind, string, error) {
	if len(allowed) == 0 {
		allowed = []Kind{KindDeployment, KindDaemonSet}
	}
	k, name, n, err := resourceArgs(args)
	if err != nil {
		return "", "", err
	}
	if n != len(args) {
		return "", "", fmt.Errorf("%s takes one resource, got %v", verb, args)
	}
	if _, err := parseKindOf(string(k), verb, allowed...); err != nil {
		return "", "", err
	}
	return k, name, nil
}

func ctxOf(cmd *cobra.Command) context.Context {
	if ctx := cmd.Context(); ctx != nil {
		return ctx
	}
	return context.Background()
}

func loadHistory(ctx context.Context, clients Clients, k Kind, name string) ([]revisionEntry, error) {
	c, err := clients.Experimental()
	if err != nil {
		return nil, err
	}
	ns, err := clients.Namespace()
	if err != nil {
		return nil, err
	}
	switch k {
	case KindDeployment:
		d, err := c.ExperimentalV1alpha1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("getting %s: %w", k.Ref(name), err)
		}
		return deploymentHistory(ctx, c, d)
	case KindDaemonSet:
		kc, err := clients.Kube()
		if err != nil {
			return nil, err
		}
		ds, err := c.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("getting %s: %w", k.Ref(name), err)
		}
		return daemonSetHistory(ctx, kc, ds)
	}
	return nil, fmt.Errorf("rollout history is not supported for %s", k.Resource())
}

// printHistory prints kubectl's history table, or one revision's template.
func printHistory(out io.Writer, k Kind, name string, entries []revisionEntry, revision int64) error {
	if revision > 0 {
		e := findRevision(entries, revision)
		if e == nil {
			return fmt.Errorf("unable to find the specified revision %d of %s", revision, k.Ref(name))
		}
		tw := printers.GetNewTabWriter(out)
		fmt.Fprintf(tw, "%s with revision #%d\n", k.Ref(name), revision)
		describe.DescribePodTemplate(&e.Template, describe.NewPrefixWriter(tw))
		return tw.Flush()
	}
	fmt.Fprintf(out, "%s\n", k.Ref(name))
	if len(entries) == 0 {
		fmt.Fprintln(out, "No rollout history found.")
		return nil
	}
	tw := printers.GetNewTabWriter(out)
	fmt.Fprintf(tw, "REVISION\tCHANGE-CAUSE\n")
	for _, e := range entries {
		cause := e.ChangeCause
		if cause == "" {
			cause = "<none>"
		}
		fmt.Fprintf(tw, "%d\t%s\n", e.Revision, cause)
	}
	fmt.Fprintln(tw)
	return tw.Flush()
}

func newRolloutUndoCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var toRevision int64
	cmd := &cobra.Command{
		Use:   "undo (TYPE NAME | TYPE/NAME) [--to-revision=N]",
		Short: "Undo a previous rollout",
		Long: `Roll back an experimental Deployment or DaemonSet to a previous revision.

Deployments are rolled back through their rollback subresource; DaemonSets by
applying the template stored in the revision's ControllerRevision.`,
		Example: `  # Roll back to the previous revision
  kubectl experimental rollout undo deployment/web

  # Roll back to revision 3
  kubectl experimental rollout undo ds/agent --to-revision=3`,
		ValidArgsFunction: completeResource(clients, KindDeployment, KindDaemonSet),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		k, name, err := rolloutTarget(args, "rollout undo")
		if err != nil {
			return err
		}
		ctx := ctxOf(cmd)
		c, err := clients.Experimental()
		if err != nil {
			return err
		}
		ns, err := clients.Namespace()
		if err != nil {
			return err
		}
		switch k {
		case KindDeployment:
			obj, result, err := undoDeployment(ctx, c, ns, name, toRevision)
			if err != nil {
				return err
			}
			return p.print(streams.Out, obj, result)
		default:
			kc, err := clients.Kube()
			if err != nil {
				return err
			}
			obj, result, err := undoDaemonSet(ctx, c, kc, ns, name, toRevision)
			if err != nil {
				return err
			}
			return p.print(streams.Out, obj, result)
		}
	}
	cmd.Flags().Int64Var(&toRevision, "to-revision", 0, "The revision to rollback to. Default to 0 (last revision).")
	return cmd
}

// previousRevision is the highest revision below the current one.
func previousRevision(entries []revisionEntry, current int64) *revisionEntry {
	var prev *revisionEntry
	for i := range entries {
		if entries[i].Revision < current && (prev == nil || entries[i].Revision > prev.Revision) {
			prev = &entries[i]
		}
	}
	return prev
}

func maxRevision(entries []revisionEntry) int64 {
	var m int64
	for _, e := range entries {
		if e.Revision > m {
			m = e.Revision
		}
	}
	return m
}

// templatesEqual compares pod templates ignoring the pod-template-hash label.
func templatesEqual(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

// undoDeployment asks the Deployment's rollback subresource for the
// revision (0: the previous one); the Deployment controller applies it.
func undoDeployment(ctx context.Context, c clientset.Interface, ns, name string, toRevision int64) (*v1alpha1.Deployment, string, error) {
	d, err := c.ExperimentalV1alpha1().Deployments(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, "", fmt.Errorf("getting %s: %w", KindDeployment.Ref(name), err)
	}
	if d.Spec.Paused {
		return nil, "", fmt.Errorf("you cannot rollback a paused deployment; resume it first with 'kubectl experimental rollout resume' and try again")
	}
	entries, err := deploymentHistory(ctx, c, d)
	if err != nil {
		return nil, "", err
	}
	var target *revisionEntry
	if toRevision == 0 {
		current := maxRevision(entries)
		if v, err := strconv.ParseInt(d.Annotations[RevisionAnnotation], 10, 64); err == nil {
			current = v
		}
		if target = previousRevision(entries, current); target == nil {
			return nil, "", fmt.Errorf("no rollout history found for deployment %q", name)
		}
	} else if target = findRevision(entries, toRevision); target == nil {
		return nil, "", fmt.Errorf("unable to find specified revision %d in history", toRevision)
	}
	if templatesEqual(&target.Template, &d.Spec.Template) {
		return d, fmt.Sprintf("skipped rollback (current template already matches revision %d)", target.Revision), nil
	}
	rb := &v1alpha1.DeploymentRollback{
		Name:       name,
		RollbackTo: v1alpha1.RollbackConfig{Revision: target.Revision},
	}
	if _, err := c.ExperimentalV1alpha1().Deployments(ns).Rollback(ctx, name, rb, metav1.CreateOptions{}); err != nil {
		return nil, "", fmt.Errorf("rolling back %s to revision %d: %w", KindDeployment.Ref(name), target.Revision, err)
	}
	return d, "rolled back", nil
}

// undoDaemonSet writes the template of a ControllerRevision back into the
// DaemonSet (0: the revision before the current one).
func undoDaemonSet(ctx context.Context, c clientset.Interface, kc kubernetes.Interface, ns, name string, toRevision int64) (*v1alpha1.DaemonSet, string, error) {
	dsClient := c.ExperimentalV1alpha1().DaemonSets(ns)
	var (
		result  string
		updated *v1alpha1.DaemonSet
	)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ds, err := dsClient.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("getting %s: %w", KindDaemonSet.Ref(name), err)
		}
		entries, err := daemonSetHistory(ctx, kc, ds)
		if err != nil {
			return err
		}
		var target *revisionEntry
		if toRevision == 0 {
			if target = previousRevision(entries, maxRevision(entries)); target == nil {
				return fmt.Errorf("no last revision to roll back to")
			}
		} else if target = findRevision(entries, toRevision); target == nil {
			return fmt.Errorf("unable to find specified revision %d in history", toRevision)
		}
		if templatesEqual(&target.Template, &ds.Spec.Template) {
			updated, result = ds, fmt.Sprintf("skipped rollback (current template already matches revision %d)", target.Revision)
			return nil
		}
		applied, err := applyDaemonSetRevision(ds, target.history)
		if err != nil {
			return err
		}
		ds.Spec.Template = applied.Spec.Template
		updated, err = dsClient.Update(ctx, ds, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		result = "rolled back"
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("rolling back %s: %w", KindDaemonSet.Ref(name), err)
	}
	return updated, result, nil
}
