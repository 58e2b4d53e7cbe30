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
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/cli-runtime/pkg/printers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/describe"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

const (
	l0 = describe.LEVEL_0
	l1 = describe.LEVEL_1
)

func newDescribeCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var showEvents bool
	cmd := &cobra.Command{
		Use:   "describe (TYPE NAME... | TYPE/NAME...)",
		Short: "Show details of experimental objects",
		Long: `Show details of experimental DaemonSets, Deployments, ReplicaSets, Jobs,
CronJobs and HorizontalPodAutoscalers in kubectl's describe format: spec
summary, pod template, conditions, pod status counts, owned ReplicaSets or
active Jobs, HPA metrics, and events.`,
		Example: `  # Describe a Deployment
  kubectl experimental describe deployment web

  # Describe a CronJob and an HPA
  kubectl experimental describe cj/report xhpa/web`,
		ValidArgsFunction: completeResource(clients, allKinds...),
		RunE: func(cmd *cobra.Command, args []string) error {
			refs, err := parseDescribeArgs(args)
			if err != nil {
				return err
			}
			c, err := clients.Experimental()
			if err != nil {
				return err
			}
			kc, err := clients.Kube()
			if err != nil {
				return err
			}
			ns, err := clients.Namespace()
			if err != nil {
				return err
			}
			d := &describer{c: c, kc: kc, ns: ns, events: showEvents, now: time.Now()}
			for i, r := range refs {
				if i > 0 {
					fmt.Fprint(streams.Out, "\n\n")
				}
				s, err := d.Describe(ctxOf(cmd), r.kind, r.name)
				if err != nil {
					return err
				}
				fmt.Fprint(streams.Out, s)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&showEvents, "show-events", true, "If true, display events related to the described object.")
	return cmd
}

func parseDescribeArgs(args []string) ([]objectRef, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("a resource is required: TYPE NAME or TYPE/NAME")
	}
	var refs []objectRef
	if !strings.Contains(args[0], "/") {
		k, err := ParseKind(args[0])
		if err != nil {
			return nil, err
		}
		if len(args) < 2 {
			return nil, fmt.Errorf("a name is required: %s NAME", args[0])
		}
		for _, n := range args[1:] {
			refs = append(refs, objectRef{k, n})
		}
		return refs, nil
	}
	for _, a := range args {
		k, n, err := ParseTypeName(a)
		if err != nil {
			return nil, err
		}
		refs = append(refs, objectRef{k, n})
	}
	return refs, nil
}

// describer renders experimental objects like kubectl describe.
type describer struct {
	c      clientset.Interface
	kc     kubernetes.Interface
	ns     string
	events bool
	now    time.Time
}

// Describe returns the description of one object.
func (d *describer) Describe(ctx context.Context, k Kind, name string) (string, error) {
	x := d.c.ExperimentalV1alpha1()
	switch k {
	case KindDeployment:
		return describeObject(ctx, k, name, x.Deployments(d.ns).Get, d.deployment)
	case KindDaemonSet:
		return describeObject(ctx, k, name, x.DaemonSets(d.ns).Get, d.daemonSet)
	case KindReplicaSet:
		return describeObject(ctx, k, name, x.ReplicaSets(d.ns).Get, d.replicaSet)
	case KindJob:
		return describeObject(ctx, k, name, x.Jobs(d.ns).Get, d.job)
	case KindCronJob:
		return describeObject(ctx, k, name, x.CronJobs(d.ns).Get, d.cronJob)
	case KindHPA:
		return describeObject(ctx, k, name, x.HorizontalPodAutoscalers(d.ns).Get, d.hpa)
	default:
		return "", fmt.Errorf("describe is not supported for %s", k.Resource())
	}
}

// describeObject gets the object name of kind k with get and renders it.
func describeObject[T any](ctx context.Context, k Kind, name string,
	get func(context.Context, string, metav1.GetOptions) (T, error),
	render func(context.Context, T) (string, error)) (string, error) {
	o, err := get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return "", fmt.Errorf("getting %s: %w", k.Ref(name), err)
	}
	s, err := render(ctx, o)
	if err != nil {
		return "", fmt.Errorf("describing %s: %w", k.Ref(name), err)
	}
	return s, nil
}

// tabbed renders f through a tab writer, as kubectl's describers do.
func tabbed(f func(w describe.PrefixWriter) error) (string, error) {
	var buf bytes.Buffer
	tw := printers.GetNewTabWriter(&buf)
	if err := f(describe.NewPrefixWriter(tw)); err != nil {
		return "", err
	}
	if err := tw.Flush(); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// writeMap writes a map as kubectl's multi-line "Labels:" block.
func writeMap(w describe.PrefixWriter, level int, title string, m map[string]string) {
	w.Write(level, "%s:\t", title)
	if len(m) == 0 {
		w.WriteLine("<none>")
		return
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i > 0 {
			w.Write(level, "\t")
		}
		w.Write(l0, "%s=%s\n", k, m[k])
	}
}

func writeMeta(w describe.PrefixWriter, m *metav1.ObjectMeta) {
	w.Write(l0, "Name:\t%s\n", m.Name)
	w.Write(l0, "Namespace:\t%s\n", m.Namespace)
	w.Write(l0, "CreationTimestamp:\t%s\n", m.CreationTimestamp.Time.Format(time.RFC1123Z))
	writeMap(w, l0, "Labels", m.Labels)
	writeMap(w, l0, "Annotations", m.Annotations)
}

func selectorString(s *metav1.LabelSelector) string {
	if s == nil {
		return "<unset>"
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return "<invalid>"
	}
	return sel.String()
}

func controlledBy(w describe.PrefixWriter, m *metav1.ObjectMeta) {
	if ref := metav1.GetControllerOf(m); ref != nil {
		w.Write(l0, "Controlled By:\t%s/%s\n", ref.Kind, ref.Name)
	}
}

// podCounts counts the pods matching the selector by phase; with owner set,
// only pods the owner controls.
func (d *describer) podCounts(ctx context.Context, s *metav1.LabelSelector, owner types.UID) (running, waiting, succeeded, failed int, err error) {
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("invalid selector: %w", err)
	}
	pods, err := d.kc.CoreV1().Pods(d.ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return 0, 0, 0, 0, fmt.Errorf("listing pods: %w", err)
	}
	for i := range pods.Items {
		p := &pods.Items[i]
		if owner != "" {
			if ref := metav1.GetControllerOf(p); ref == nil || ref.UID != owner {
				continue
			}
		}
		switch p.Status.Phase {
		case corev1.PodRunning:
			running++
		case corev1.PodPending:
			waiting++
		case corev1.PodSucceeded:
			succeeded++
		case corev1.PodFailed:
			failed++
		}
	}
	return running, waiting, succeeded, failed, nil
}

func (d *describer) writePodsStatus(ctx context.Context, w describe.PrefixWriter, s *metav1.LabelSelector, owner types.UID) error {
	r, wt, su, f, err := d.podCounts(ctx, s, owner)
	if err != nil {
		return err
	}
	w.Write(l0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", r, wt, su, f)
	return nil
}

// eventsFor lists the core events whose involvedObject is uid.
func (d *describer) eventsFor(ctx context.Context, uid types.UID) (*corev1.EventList, error) {
	list, err := d.kc.CoreV1().Events(d.ns).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.uid", string(uid)).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("listing events: %w", err)
	}
	out := &corev1.EventList{}
	for _, e := range list.Items {
		if e.InvolvedObject.UID == uid {
			out.Items = append(out.Items, e)
		}
	}
	return out, nil
}

func (d *describer) writeEvents(ctx context.Context, w describe.PrefixWriter, uid types.UID) error {
	if !d.events {
		return nil
	}
	ev, err := d.eventsFor(ctx, uid)
	if err != nil {
		return err
	}
	describe.DescribeEvents(ev, w)
	return nil
}

func writeConditions(w describe.PrefixWriter, rows [][]string, withMessage bool) {
	if len(rows) == 0 {
		return
	}
	if withMessage {
		w.Write(l0, "Conditions:\n  Type\tStatus\tReason\tMessage\n")
		w.Write(l1, "----\t------\t------\t-------\n")
	} else {
		w.Write(l0, "Conditions:\n  Type\tStatus\tReason\n")
		w.Write(l1, "----\t------\t------\n")
	}
	for _, r := range rows {
		if withMessage {
			w.Write(l1, "%s\t%s\t%s\t%s\n", r[0], r[1], r[2], r[3])
		} else {
			w.Write(l1, "%s\t%s\t%s\n", r[0], r[1], r[2])
		}
	}
}

func int32Or(p *int32, unset string) string {
	if p == nil {
		return unset
	}
	return fmt.Sprint(*p)
}

func (d *describer) deployment(ctx context.Context, o *v1alpha1.Deployment) (string, error) {
	rsList, err := d.c.ExperimentalV1alpha1().ReplicaSets(d.ns).List(ctx, metav1.ListOptions{LabelSelector: selectorString(o.Spec.Selector)})
	if err != nil {
		return "", fmt.Errorf("listing replica sets: %w", err)
	}
	var owned []*v1alpha1.ReplicaSet
	for i := range rsList.Items {
		if metav1.IsControlledBy(&rsList.Items[i], o) {
			owned = append(owned, &rsList.Items[i])
		}
	}
	sort.Slice(owned, func(i, j int) bool {
		if owned[i].CreationTimestamp.Equal(&owned[j].CreationTimestamp) {
			return owned[i].Name < owned[j].Name
		}
		return owned[i].CreationTimestamp.Before(&owned[j].CreationTimestamp)
	})
	var newRS *v1alpha1.ReplicaSet
	var oldRSs []*v1alpha1.ReplicaSet
	for _, rs := range owned {
		if newRS == nil && templatesEqual(&rs.Spec.Template, &o.Spec.Template) {
			newRS = rs
			continue
		}
		if rs.Spec.Replicas != nil && *rs.Spec.Replicas != 0 {
			oldRSs = append(oldRSs, rs)
		}
	}
	return tabbed(func(w describe.PrefixWriter) error {
		writeMeta(w, &o.ObjectMeta)
		w.Write(l0, "Selector:\t%s\n", selectorString(o.Spec.Selector))
		w.Write(l0, "Replicas:\t%s desired | %d updated | %d total | %d available | %d unavailable\n",
			int32Or(o.Spec.Replicas, "1"), o.Status.UpdatedReplicas, o.Status.Replicas, o.Status.AvailableReplicas, o.Status.UnavailableReplicas)
		w.Write(l0, "StrategyType:\t%s\n", o.Spec.Strategy.Type)
		w.Write(l0, "MinReadySeconds:\t%d\n", o.Spec.MinReadySeconds)
		if ru := o.Spec.Strategy.RollingUpdate; ru != nil {
			w.Write(l0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", intOrStringOr(ru.MaxUnavailable), intOrStringOr(ru.MaxSurge))
		}
		if o.Spec.Paused {
			w.Write(l0, "Paused:\ttrue\n")
		}
		writeCanary(w, o)
		if rb := o.Spec.RollbackOnFailure; rb != nil {
			budget := "none"
			if rb.MaxRestarts != nil {
				budget = fmt.Sprintf("%d restarts during a canary step", *rb.MaxRestarts)
			}
			w.Write(l0, "RollbackOnFailure:\tenabled (restart budget: %s)\n", budget)
			if st := o.Status.RollbackOnFailure; st != nil {
				if st.StablePodTemplateHash != "" {
					w.Write(l1, "Stable template hash:\t%s\n", st.StablePodTemplateHash)
				}
				if st.FailedPodTemplateHash != "" {
					w.Write(l1, "Rolled back:\trevision %d (template hash %s)\n", st.FailedRevision, st.FailedPodTemplateHash)
				}
			}
		}
		if err := d.writePodsStatus(ctx, w, o.Spec.Selector, ""); err != nil {
			return err
		}
		describe.DescribePodTemplate(&o.Spec.Template, w)
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason})
		}
		writeConditions(w, rows, false)
		for _, c := range o.Status.Conditions {
			if c.Type == v1alpha1.DeploymentRolledBackOnFailure && c.Message != "" {
				w.Write(l0, "RolledBackOnFailure:\t%s\n", c.Message)
			}
		}
		var olds []string
		for _, rs := range oldRSs {
			olds = append(olds, rsSummary(rs))
		}
		if len(olds) == 0 {
			w.Write(l0, "OldReplicaSets:\t<none>\n")
		} else {
			w.Write(l0, "OldReplicaSets:\t%s\n", strings.Join(olds, ", "))
		}
		if newRS == nil {
			w.Write(l0, "NewReplicaSet:\t<none>\n")
		} else {
			w.Write(l0, "NewReplicaSet:\t%s\n", rsSummary(newRS))
		}
		return d.writeEvents(ctx, w, o.UID)
	})
}

// writeCanary writes the canary steps of a Deployment and where its
// rollout stands.
func writeCanary(w describe.PrefixWriter, o *v1alpha1.Deployment) {
	canary := o.Spec.Strategy.Canary
	if canary == nil {
		return
	}
	var steps []string
	for _, s := range canary.Steps {
		switch {
		case s.Replicas != nil:
			steps = append(steps, s.Replicas.String())
		case s.Pause != nil && s.Pause.Duration != nil:
			steps = append(steps, "pause "+s.Pause.Duration.Duration.String())
		case s.Pause != nil:
			steps = append(steps, "pause")
		}
	}
	w.Write(l0, "CanarySteps:\t%s\n", strings.Join(steps, " -> "))
	st := o.Status.Canary
	if st == nil {
		w.Write(l1, "Current step:\t<none>\n")
		return
	}
	if int(st.CurrentStepIndex) >= len(canary.Steps) {
		w.Write(l1, "Current step:\t%d/%d (steps done)\n", st.CurrentStepIndex, len(canary.Steps))
		return
	}
	w.Write(l1, "Current step:\t%d/%d (%s)\n", st.CurrentStepIndex, len(canary.Steps), steps[st.CurrentStepIndex])
	if st.PauseStartTime != nil {
		w.Write(l1, "Paused since:\t%s\n", st.PauseStartTime.UTC().Format(time.RFC3339))
		if st.PauseEndTime != nil {
			w.Write(l1, "Pause ends:\t%s\n", st.PauseEndTime.UTC().Format(time.RFC3339))
		} else {
			w.Write(l1, "Pause ends:\twhen promoted (kubectl experimental rollout promote)\n")
		}
	}
}

func rsSummary(rs *v1alpha1.ReplicaSet) string {
	return fmt.Sprintf("%s (%d/%s replicas created)", rs.Name, rs.Status.Replicas, int32Or(rs.Spec.Replicas, "1"))
}

func intOrStringOr(v *intstr.IntOrString) string {
	if v == nil {
		return "<unset>"
	}
	return v.String()
}

func (d *describer) daemonSet(ctx context.Context, o *v1alpha1.DaemonSet) (string, error) {
	return tabbed(func(w describe.PrefixWriter) error {
		w.Write(l0, "Name:\t%s\n", o.Name)
		w.Write(l0, "Namespace:\t%s\n", o.Namespace)
		w.Write(l0, "Selector:\t%s\n", selectorString(o.Spec.Selector))
		ns := "<none>"
		if len(o.Spec.Template.Spec.NodeSelector) > 0 {
			var parts []string
			for k, v := range o.Spec.Template.Spec.NodeSelector {
				parts = append(parts, k+"="+v)
			}
			sort.Strings(parts)
			ns = strings.Join(parts, ",")
		}
		w.Write(l0, "Node-Selector:\t%s\n", ns)
		writeMap(w, l0, "Labels", o.Labels)
		writeMap(w, l0, "Annotations", o.Annotations)
		w.Write(l0, "Update Strategy:\t%s\n", o.Spec.UpdateStrategy.Type)
		writeDaemonSetRollingUpdate(w, o)
		w.Write(l0, "Desired Number of Nodes Scheduled: %d\n", o.Status.DesiredNumberScheduled)
		w.Write(l0, "Current Number of Nodes Scheduled: %d\n", o.Status.CurrentNumberScheduled)
		w.Write(l0, "Number of Nodes Scheduled with Up-to-date Pods: %d\n", o.Status.UpdatedNumberScheduled)
		w.Write(l0, "Number of Nodes Scheduled with Available Pods: %d\n", o.Status.NumberAvailable)
		w.Write(l0, "Number of Nodes Misscheduled: %d\n", o.Status.NumberMisscheduled)
		if err := d.writePodsStatus(ctx, w, o.Spec.Selector, o.UID); err != nil {
			return err
		}
		describe.DescribePodTemplate(&o.Spec.Template, w)
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, c.Message})
		}
		writeConditions(w, rows, true)
		return d.writeEvents(ctx, w, o.UID)
	})
}

// writeDaemonSetRollingUpdate writes the rolling update parameters of a
// RollingUpdate DaemonSet; the progressive delivery fields only when set.
func writeDaemonSetRollingUpdate(w describe.PrefixWriter, o *v1alpha1.DaemonSet) {
	r := o.Spec.UpdateStrategy.RollingUpdate
	if o.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType || r == nil {
		return
	}
	w.Write(l0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n", intOrStringOr(r.MaxUnavailable), intOrStringOr(r.MaxSurge))
	if r.Partition != nil {
		w.Write(l1, "Partition:\t%s (pods on the first nodes by name keep their revision)\n", r.Partition.String())
	}
	if r.Paused {
		w.Write(l1, "Paused:\ttrue (no pod is replaced)\n")
	}
	if r.CanaryNodeSelector != nil {
		sel := selectorString(r.CanaryNodeSelector)
		if sel == "" {
			sel = "<every node>"
		}
		w.Write(l1, "Canary Node Selector:\t%s\n", sel)
	}
	if r.UnreadyNodePolicy != "" {
		w.Write(l1, "Unready Node Policy:\t%s\n", r.UnreadyNodePolicy)
	}
}

func (d *describer) replicaSet(ctx context.Context, o *v1alpha1.ReplicaSet) (string, error) {
	return tabbed(func(w describe.PrefixWriter) error {
		w.Write(l0, "Name:\t%s\n", o.Name)
		w.Write(l0, "Namespace:\t%s\n", o.Namespace)
		w.Write(l0, "Selector:\t%s\n", selectorString(o.Spec.Selector))
		writeMap(w, l0, "Labels", o.Labels)
		writeMap(w, l0, "Annotations", o.Annotations)
		controlledBy(w, &o.ObjectMeta)
		w.Write(l0, "Replicas:\t%d current / %s desired\n", o.Status.Replicas, int32Or(o.Spec.Replicas, "1"))
		if err := d.writePodsStatus(ctx, w, o.Spec.Selector, o.UID); err != nil {
			return err
		}
		describe.DescribePodTemplate(&o.Spec.Template, w)
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason})
		}
		writeConditions(w, rows, false)
		return d.writeEvents(ctx, w, o.UID)
	})
}

func (d *describer) job(ctx context.Context, o *v1alpha1.Job) (string, error) {
	return tabbed(func(w describe.PrefixWriter) error {
		w.Write(l0, "Name:\t%s\n", o.Name)
		w.Write(l0, "Namespace:\t%s\n", o.Namespace)
		w.Write(l0, "Selector:\t%s\n", selectorString(o.Spec.Selector))
		writeMap(w, l0, "Labels", o.Labels)
		writeMap(w, l0, "Annotations", o.Annotations)
		controlledBy(w, &o.ObjectMeta)
		w.Write(l0, "Parallelism:\t%s\n", int32Or(o.Spec.Parallelism, "<unset>"))
		w.Write(l0, "Completions:\t%s\n", int32Or(o.Spec.Completions, "<unset>"))
		if o.Spec.CompletionMode != nil {
			w.Write(l0, "Completion Mode:\t%s\n", *o.Spec.CompletionMode)
		}
		if o.Spec.Suspend != nil {
			w.Write(l0, "Suspend:\t%v\n", *o.Spec.Suspend)
		}
		w.Write(l0, "Backoff Limit:\t%s\n", int32Or(o.Spec.BackoffLimit, "<unset>"))
		if o.Status.StartTime != nil {
			w.Write(l0, "Start Time:\t%s\n", o.Status.StartTime.Time.Format(time.RFC1123Z))
		}
		if o.Status.CompletionTime != nil {
			w.Write(l0, "Completed At:\t%s\n", o.Status.CompletionTime.Time.Format(time.RFC1123Z))
			if o.Status.StartTime != nil {
				w.Write(l0, "Duration:\t%s\n", o.Status.CompletionTime.Sub(o.Status.StartTime.Time).Round(time.Second))
			}
		}
		if o.Spec.ActiveDeadlineSeconds != nil {
			w.Write(l0, "Active Deadline Seconds:\t%ds\n", *o.Spec.ActiveDeadlineSeconds)
		}
		ready := int32(0)
		if o.Status.Ready != nil {
			ready = *o.Status.Ready
		}
		w.Write(l0, "Pods Statuses:\t%d Active (%d Ready) / %d Succeeded / %d Failed\n", o.Status.Active, ready, o.Status.Succeeded, o.Status.Failed)
		if o.Spec.Selector != nil {
			if err := d.writePodsStatus(ctx, w, o.Spec.Selector, o.UID); err != nil {
				return err
			}
		}
		describe.DescribePodTemplate(&o.Spec.Template, w)
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, c.Message})
		}
		writeConditions(w, rows, true)
		return d.writeEvents(ctx, w, o.UID)
	})
}

func (d *describer) cronJob(ctx context.Context, o *v1alpha1.CronJob) (string, error) {
	return tabbed(func(w describe.PrefixWriter) error {
		w.Write(l0, "Name:\t%s\n", o.Name)
		w.Write(l0, "Namespace:\t%s\n", o.Namespace)
		writeMap(w, l0, "Labels", o.Labels)
		writeMap(w, l0, "Annotations", o.Annotations)
		w.Write(l0, "Schedule:\t%s\n", o.Spec.Schedule)
		if o.Spec.TimeZone != nil {
			w.Write(l0, "Time Zone:\t%s\n", *o.Spec.TimeZone)
		}
		w.Write(l0, "Concurrency Policy:\t%s\n", o.Spec.ConcurrencyPolicy)
		suspend := "False"
		if o.Spec.Suspend != nil && *o.Spec.Suspend {
			suspend = "True"
		}
		w.Write(l0, "Suspend:\t%s\n", suspend)
		w.Write(l0, "Successful Job History Limit:\t%s\n", int32Or(o.Spec.SuccessfulJobsHistoryLimit, "<unset>"))
		w.Write(l0, "Failed Job History Limit:\t%s\n", int32Or(o.Spec.FailedJobsHistoryLimit, "<unset>"))
		if o.Spec.StartingDeadlineSeconds != nil {
			w.Write(l0, "Starting Deadline Seconds:\t%ds\n", *o.Spec.StartingDeadlineSeconds)
		} else {
			w.Write(l0, "Starting Deadline Seconds:\t<unset>\n")
		}
		if o.Spec.MissedSchedulePolicy != nil {
			w.Write(l0, "Missed Schedule Policy:\t%s\n", *o.Spec.MissedSchedulePolicy)
		}
		if o.Spec.JitterSeconds != nil {
			w.Write(l0, "Jitter Seconds:\t%d\n", *o.Spec.JitterSeconds)
		}
		js := o.Spec.JobTemplate.Spec
		w.Write(l0, "Selector:\t%s\n", selectorString(js.Selector))
		w.Write(l0, "Parallelism:\t%s\n", int32Or(js.Parallelism, "<unset>"))
		w.Write(l0, "Completions:\t%s\n", int32Or(js.Completions, "<unset>"))
		describe.DescribePodTemplate(&js.Template, w)
		if o.Status.LastScheduleTime != nil {
			w.Write(l0, "Last Schedule Time:\t%s\n", o.Status.LastScheduleTime.Time.Format(time.RFC1123Z))
		} else {
			w.Write(l0, "Last Schedule Time:\t<unset>\n")
		}
		if o.Spec.JitterSeconds != nil {
			if o.Status.NextScheduleTime != nil {
				w.Write(l0, "Next Schedule Time:\t%s (jitter included)\n", o.Status.NextScheduleTime.Time.Format(time.RFC1123Z))
			} else {
				w.Write(l0, "Next Schedule Time:\t<unset>\n")
			}
		}
		if len(o.Status.Active) == 0 {
			w.Write(l0, "Active Jobs:\t<none>\n")
		} else {
			var names []string
			for _, r := range o.Status.Active {
				names = append(names, r.Name)
			}
			w.Write(l0, "Active Jobs:\t%s\n", strings.Join(names, ", "))
		}
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{c.Type, string(c.Status), c.Reason, c.Message})
		}
		writeConditions(w, rows, true)
		return d.writeEvents(ctx, w, o.UID)
	})
}

func (d *describer) hpa(ctx context.Context, o *v1alpha1.HorizontalPodAutoscaler) (string, error) {
	return tabbed(func(w describe.PrefixWriter) error {
		writeMeta(w, &o.ObjectMeta)
		ref := o.Spec.ScaleTargetRef
		w.Write(l0, "Reference:\t%s/%s\n", ref.Kind, ref.Name)
		w.Write(l0, "Metrics:\t( current / target )\n")
		for i, m := range o.Spec.Metrics {
			var current *v1alpha1.MetricStatus
			for j := range o.Status.CurrentMetrics {
				if sameMetric(&m, &o.Status.CurrentMetrics[j]) {
					current = &o.Status.CurrentMetrics[j]
					break
				}
			}
			if current == nil && i < len(o.Status.CurrentMetrics) && o.Status.CurrentMetrics[i].Type == m.Type {
				current = &o.Status.CurrentMetrics[i]
			}
			label, cur, target := describeMetric(&m, current)
			w.Write(l1, "%s:\t%s / %s\n", label, cur, target)
		}
		w.Write(l0, "Min replicas:\t%s\n", int32Or(o.Spec.MinReplicas, "<unset>"))
		w.Write(l0, "Max replicas:\t%d\n", o.Spec.MaxReplicas)
		w.Write(l0, "%s pods:\t%d current / %d desired\n", ref.Kind, o.Status.CurrentReplicas, o.Status.DesiredReplicas)
		var rows [][]string
		for _, c := range o.Status.Conditions {
			rows = append(rows, []string{string(c.Type), string(c.Status), c.Reason, c.Message})
		}
		writeConditions(w, rows, true)
		return d.writeEvents(ctx, w, o.UID)
	})
}

// sameMetric reports whether a status entry is for a spec metric.
func sameMetric(m *v1alpha1.MetricSpec, s *v1alpha1.MetricStatus) bool {
	if m.Type != s.Type {
		return false
	}
	switch m.Type {
	case v1alpha1.ResourceMetricSourceType:
		return m.Resource != nil && s.Resource != nil && m.Resource.Name == s.Resource.Name
	case v1alpha1.ContainerResourceMetricSourceType:
		return m.ContainerResource != nil && s.ContainerResource != nil &&
			m.ContainerResource.Name == s.ContainerResource.Name && m.ContainerResource.Container == s.ContainerResource.Container
	case v1alpha1.PodsMetricSourceType:
		return m.Pods != nil && s.Pods != nil && m.Pods.Metric.Name == s.Pods.Metric.Name
	case v1alpha1.ObjectMetricSourceType:
		return m.Object != nil && s.Object != nil && m.Object.Metric.Name == s.Object.Metric.Name
	case v1alpha1.ExternalMetricSourceType:
		return m.External != nil && s.External != nil && m.External.Metric.Name == s.External.Metric.Name
	}
	return false
}

func targetString(t v1alpha1.MetricTarget) string {
	switch {
	case t.AverageUtilization != nil:
		return fmt.Sprintf("%d%%", *t.AverageUtilization)
	case t.AverageValue != nil:
		return t.AverageValue.String()
	case t.Value != nil:
		return t.Value.String()
	}
	return "<auto>"
}

func currentString(c *v1alpha1.MetricValueStatus, t v1alpha1.MetricTarget) string {
	if c == nil {
		return "<unknown>"
	}
	switch {
	case t.AverageUtilization != nil && c.AverageUtilization != nil:
		s := fmt.Sprintf("%d%%", *c.AverageUtilization)
		if c.AverageValue != nil {
			s += fmt.Sprintf(" (%s)", c.AverageValue.String())
		}
		return s
	case t.AverageValue != nil && c.AverageValue != nil:
		return c.AverageValue.String()
	case t.Value != nil && c.Value != nil:
		return c.Value.String()
	case c.AverageValue != nil:
		return c.AverageValue.String()
	}
	return "<unknown>"
}

// describeMetric returns kubectl's label, current and target of a metric.
func describeMetric(m *v1alpha1.MetricSpec, s *v1alpha1.MetricStatus) (string, string, string) {
	switch m.Type {
	case v1alpha1.ResourceMetricSourceType:
		if m.Resource == nil {
			break
		}
		var cur *v1alpha1.MetricValueStatus
		if s != nil && s.Resource != nil {
			cur = &s.Resource.Current
		}
		label := fmt.Sprintf("resource %s on pods", m.Resource.Name)
		if m.Resource.Target.AverageUtilization != nil {
			label += "  (as a percentage of request)"
		}
		return label, currentString(cur, m.Resource.Target), targetString(m.Resource.Target)
	case v1alpha1.ContainerResourceMetricSourceType:
		if m.ContainerResource == nil {
			break
		}
		var cur *v1alpha1.MetricValueStatus
		if s != nil && s.ContainerResource != nil {
			cur = &s.ContainerResource.Current
		}
		label := fmt.Sprintf("resource %s of container \"%s\" on pods", m.ContainerResource.Name, m.ContainerResource.Container)
		if m.ContainerResource.Target.AverageUtilization != nil {
			label += "  (as a percentage of request)"
		}
		return label, currentString(cur, m.ContainerResource.Target), targetString(m.ContainerResource.Target)
	case v1alpha1.PodsMetricSourceType:
		if m.Pods == nil {
			break
		}
		var cur *v1alpha1.MetricValueStatus
		if s != nil && s.Pods != nil {
			cur = &s.Pods.Current
		}
		return fmt.Sprintf("%q on pods", m.Pods.Metric.Name), currentString(cur, m.Pods.Target), targetString(m.Pods.Target)
	case v1alpha1.ObjectMetricSourceType:
		if m.Object == nil {
			break
		}
		var cur *v1alpha1.MetricValueStatus
		if s != nil && s.Object != nil {
			cur = &s.Object.Current
		}
		return fmt.Sprintf("%q on %s/%s", m.Object.Metric.Name, m.Object.DescribedObject.Kind, m.Object.DescribedObject.Name),
			currentString(cur, m.Object.Target), targetString(m.Object.Target)
	case v1alpha1.ExternalMetricSourceType:
		if m.External == nil {
			break
		}
		var cur *v1alpha1.MetricValueStatus
		if s != nil && s.External != nil {
			cur = &s.External.Current
		}
		return fmt.Sprintf("%q (external metric)", m.External.Metric.Name), currentString(cur, m.External.Target), targetString(m.External.Target)
	}
	return fmt.Sprintf("<unknown metric type %q>", m.Type), "<unknown>", "<unknown>"
}
