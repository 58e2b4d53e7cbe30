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
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// treeKinds are the kinds tree draws (an HPA owns nothing).
var treeKinds = []Kind{KindDeployment, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob}

func newTreeCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var watch bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "tree (TYPE NAME | TYPE/NAME)",
		Short: "Show an object and everything it owns",
		Long: `Show an experimental workload and everything it owns, as a tree:

  Deployment -> ReplicaSets (revision, images, ready/desired) -> Pods
  DaemonSet  -> the nodes it runs on -> its Pod on each
  CronJob    -> Jobs (succeeded/completions) -> Pods
  ReplicaSet -> Pods;  Job -> Pods

Pods show their phase, ready containers, node, restarts and age. With
--watch the tree is drawn again in place every --interval until interrupted.`,
		Example: `  kubectl experimental tree deployment/web
  kubectl experimental tree xcj nightly --watch`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeResource(clients, treeKinds...),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, used, err := resourceArgs(args)
			if err != nil {
				return err
			}
			if used != len(args) {
				return fmt.Errorf("unexpected arguments after %s: %v", k.Ref(name), args[used:])
			}
			if _, err := parseKindOf(string(k), "tree", treeKinds...); err != nil {
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
			ctx := ctxOf(cmd)
			render := func() (string, error) {
				return renderTree(ctx, c, kc, ns, k, name, time.Now())
			}
			if !watch {
				out, err := render()
				if err != nil {
					return err
				}
				_, err = io.WriteString(streams.Out, out)
				return err
			}
			if interval <= 0 {
				return fmt.Errorf("--interval must be positive")
			}
			ticker := time.NewTicker(interval)
			defer ticker.Stop()
			return watchTree(ctx, streams.Out, ticker.C, render)
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "Draw the tree again in place every --interval until interrupted")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "How often --watch redraws")
	return cmd
}

// watchTree writes render's output, then on every tick moves the cursor back
// over it, clears to the end of the screen and writes the new output, until
// ctx ends. A failing render (the object was deleted, the API is down) is
// shown in place of the tree, and watching goes on.
func watchTree(ctx context.Context, out io.Writer, ticks <-chan time.Time, render func() (string, error)) error {
	lines := 0
	for {
		frame, err := render()
		if err != nil {
			frame = "error: " + err.Error() + "\n"
		}
		if lines > 0 {
			if _, err := fmt.Fprintf(out, "\x1b[%dA\x1b[J", lines); err != nil {
				return err
			}
		}
		if _, err := io.WriteString(out, frame); err != nil {
			return err
		}
		lines = strings.Count(frame, "\n")
		select {
		case <-ctx.Done():
			return nil
		case <-ticks:
		}
	}
}

// treeNode is one line of the tree.
type treeNode struct {
	name, ready, status, age, details string
	children                          []*treeNode
}

// renderTree reads the object and what it owns and formats the tree, with
// ages relative to now.
func renderTree(ctx context.Context, c clientset.Interface, kc kubernetes.Interface, ns string, k Kind, name string, now time.Time) (string, error) {
	t := &treeBuilder{ctx: ctx, c: c, kc: kc, ns: ns, now: now}
	var root *treeNode
	var err error
	switch k {
	case KindDeployment:
		root, err = t.deployment(name)
	case KindReplicaSet:
		root, err = t.replicaSetTree(name)
	case KindDaemonSet:
		root, err = t.daemonSet(name)
	case KindJob:
		root, err = t.jobTree(name)
	case KindCronJob:
		root, err = t.cronJob(name)
	default:
		err = fmt.Errorf("tree is not supported for %s", k.Resource())
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tREADY\tSTATUS\tAGE\tDETAILS")
	writeNode(w, root, "", "")
	if err := w.Flush(); err != nil {
		return "", err
	}
	// Lines without details end in column padding.
	lines := strings.SplitAfter(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(strings.TrimSuffix(l, "\n"), " ") + strings.Repeat("\n", strings.Count(l, "\n"))
	}
	return strings.Join(lines, ""), nil
}

func writeNode(w io.Writer, n *treeNode, prefix, childPrefix string) {
	fmt.Fprintf(w, "%s%s\t%s\t%s\t%s\t%s\n", prefix, n.name, dash(n.ready), dash(n.status), n.age, n.details)
	for i, child := range n.children {
		if i == len(n.children)-1 {
			writeNode(w, child, childPrefix+"└─ ", childPrefix+"   ")
		} else {
			writeNode(w, child, childPrefix+"├─ ", childPrefix+"│  ")
		}
	}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

type treeBuilder struct {
	ctx context.Context
	c   clientset.Interface
	kc  kubernetes.Interface
	ns  string
	now time.Time

	pods map[types.UID][]*corev1.Pod // by controller UID, listed once
}

func (t *treeBuilder) age(ts metav1.Time) string {
	if ts.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(t.now.Sub(ts.Time))
}

// ownedBy reports whether obj's controller is the object with uid.
func ownedBy(refs []metav1.OwnerReference, uid types.UID) bool {
	for _, r := range refs {
		if r.Controller != nil && *r.Controller && r.UID == uid {
			return true
		}
	}
	return false
}

// podsOf returns the pods whose controller is uid, sorted by name.
func (t *treeBuilder) podsOf(uid types.UID) ([]*corev1.Pod, error) {
	if t.pods == nil {
		list, err := t.kc.CoreV1().Pods(t.ns).List(t.ctx, metav1.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing pods: %w", err)
		}
		t.pods = map[types.UID][]*corev1.Pod{}
		for i := range list.Items {
			p := &list.Items[i]
			if ref := metav1.GetControllerOf(p); ref != nil {
				t.pods[ref.UID] = append(t.pods[ref.UID], p)
			}
		}
		for _, ps := range t.pods {
			sort.Slice(ps, func(i, j int) bool { return ps[i].Name < ps[j].Name })
		}
	}
	return t.pods[uid], nil
}

func (t *treeBuilder) podNode(p *corev1.Pod, showNode bool) *treeNode {
	ready, restarts := 0, int32(0)
	for _, s := range p.Status.ContainerStatuses {
		if s.Ready {
			ready++
		}
		restarts += s.RestartCount
	}
	status := string(p.Status.Phase)
	for _, s := range p.Status.ContainerStatuses {
		if s.State.Waiting != nil && s.State.Waiting.Reason != "" {
			status = s.State.Waiting.Reason
		}
	}
	if p.DeletionTimestamp != nil {
		status = "Terminating"
	}
	if status == "" {
		status = "Pending"
	}
	var details []string
	if showNode {
		node := p.Spec.NodeName
		if node == "" {
			node = "<none>"
		}
		details = append(details, "node "+node)
	}
	details = append(details, "restarts "+strconv.Itoa(int(restarts)))
	return &treeNode{
		name:    "pod/" + p.Name,
		ready:   fmt.Sprintf("%d/%d", ready, len(p.Spec.Containers)),
		status:  status,
		age:     t.age(p.CreationTimestamp),
		details: strings.Join(details, ", "),
	}
}

func (t *treeBuilder) podNodes(uid types.UID, showNode bool) ([]*treeNode, error) {
	pods, err := t.podsOf(uid)
	if err != nil {
		return nil, err
	}
	var nodes []*treeNode
	for _, p := range pods {
		nodes = append(nodes, t.podNode(p, showNode))
	}
	return nodes, nil
}

func images(spec *corev1.PodSpec) string {
	var out []string
	for _, c := range spec.Containers {
		out = append(out, c.Image)
	}
	return strings.Join(out, ",")
}

func (t *treeBuilder) deployment(name string) (*treeNode, error) {
	d, err := t.c.ExperimentalV1alpha1().Deployments(t.ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	desired := int32(1)
	if d.Spec.Replicas != nil {
		desired = *d.Spec.Replicas
	}
	s := d.Status
	status := "Progressing"
	switch {
	case deploymentTimedOut(d):
		status = "ProgressDeadlineExceeded"
	case d.Spec.Paused:
		status = "Paused"
	case s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == desired && s.Replicas == desired && s.AvailableReplicas == desired:
		status = "Complete"
	}
	root := &treeNode{
		name:    KindDeployment.Ref(d.Name),
		ready:   fmt.Sprintf("%d/%d", s.AvailableReplicas, desired),
		status:  status,
		age:     t.age(d.CreationTimestamp),
		details: fmt.Sprintf("up-to-date %d, total %d", s.UpdatedReplicas, s.Replicas),
	}
	list, err := t.c.ExperimentalV1alpha1().ReplicaSets(t.ns).List(t.ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing replicasets: %w", err)
	}
	var rss []*v1alpha1.ReplicaSet
	for i := range list.Items {
		if ownedBy(list.Items[i].OwnerReferences, d.UID) {
			rss = append(rss, &list.Items[i])
		}
	}
	// Newest revision first.
	sort.Slice(rss, func(i, j int) bool {
		ri, rj := revisionOf(rss[i]), revisionOf(rss[j])
		if ri != rj {
			return ri > rj
		}
		return rss[i].Name < rss[j].Name
	})
	for _, rs := range rss {
		n, err := t.replicaSet(rs)
		if err != nil {
			return nil, err
		}
		root.children = append(root.children, n)
	}
	return root, nil
}

func deploymentTimedOut(d *v1alpha1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == v1alpha1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return true
		}
	}
	return false
}

func revisionOf(rs *v1alpha1.ReplicaSet) int64 {
	v, err := strconv.ParseInt(rs.Annotations[RevisionAnnotation], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

func (t *treeBuilder) replicaSet(rs *v1alpha1.ReplicaSet) (*treeNode, error) {
	desired := int32(1)
	if rs.Spec.Replicas != nil {
		desired = *rs.Spec.Replicas
	}
	status := ""
	if rev := rs.Annotations[RevisionAnnotation]; rev != "" {
		status = "revision " + rev
	}
	n := &treeNode{
		name:    KindReplicaSet.Ref(rs.Name),
		ready:   fmt.Sprintf("%d/%d", rs.Status.ReadyReplicas, desired),
		status:  status,
		age:     t.age(rs.CreationTimestamp),
		details: "images " + images(&rs.Spec.Template.Spec),
	}
	var err error
	n.children, err = t.podNodes(rs.UID, true)
	return n, err
}

func (t *treeBuilder) replicaSetTree(name string) (*treeNode, error) {
	rs, err := t.c.ExperimentalV1alpha1().ReplicaSets(t.ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return t.replicaSet(rs)
}

func (t *treeBuilder) daemonSet(name string) (*treeNode, error) {
	ds, err := t.c.ExperimentalV1alpha1().DaemonSets(t.ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	s := ds.Status
	status := "Progressing"
	if s.ObservedGeneration >= ds.Generation && s.UpdatedNumberScheduled == s.DesiredNumberScheduled && s.NumberAvailable == s.DesiredNumberScheduled {
		status = "Complete"
	}
	root := &treeNode{
		name:    KindDaemonSet.Ref(ds.Name),
		ready:   fmt.Sprintf("%d/%d", s.NumberReady, s.DesiredNumberScheduled),
		status:  status,
		age:     t.age(ds.CreationTimestamp),
		details: fmt.Sprintf("up-to-date %d, available %d, images %s", s.UpdatedNumberScheduled, s.NumberAvailable, images(&ds.Spec.Template.Spec)),
	}
	pods, err := t.podsOf(ds.UID)
	if err != nil {
		return nil, err
	}
	byNode := map[string][]*corev1.Pod{}
	var nodes []string
	for _, p := range pods {
		node := p.Spec.NodeName
		if node == "" {
			node = "<none>"
		}
		if _, ok := byNode[node]; !ok {
			nodes = append(nodes, node)
		}
		byNode[node] = append(byNode[node], p)
	}
	sort.Strings(nodes)
	for _, node := range nodes {
		ready := 0
		n := &treeNode{name: "node/" + node}
		for _, p := range byNode[node] {
			pn := t.podNode(p, false)
			if podReady(p) {
				ready++
			}
			n.children = append(n.children, pn)
		}
		n.ready = fmt.Sprintf("%d/%d", ready, len(byNode[node]))
		if len(byNode[node]) > 1 {
			n.details = "more than one pod on the node"
		}
		root.children = append(root.children, n)
	}
	return root, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (t *treeBuilder) job(j *v1alpha1.Job) (*treeNode, error) {
	status := "Running"
	for _, c := range j.Status.Conditions {
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case v1alpha1.JobComplete:
			status = "Complete"
		case v1alpha1.JobFailed:
			status = "Failed"
		case v1alpha1.JobSuspended:
			status = "Suspended"
		}
	}
	completions := "-"
	if j.Spec.Completions != nil {
		completions = strconv.Itoa(int(*j.Spec.Completions))
	}
	n := &treeNode{
		name:    KindJob.Ref(j.Name),
		ready:   fmt.Sprintf("%d/%s", j.Status.Succeeded, completions),
		status:  status,
		age:     t.age(j.CreationTimestamp),
		details: fmt.Sprintf("active %d, failed %d", j.Status.Active, j.Status.Failed),
	}
	var err error
	n.children, err = t.podNodes(j.UID, true)
	return n, err
}

func (t *treeBuilder) jobTree(name string) (*treeNode, error) {
	j, err := t.c.ExperimentalV1alpha1().Jobs(t.ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return t.job(j)
}

func (t *treeBuilder) cronJob(name string) (*treeNode, error) {
	cj, err := t.c.ExperimentalV1alpha1().CronJobs(t.ns).Get(t.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	status := "Scheduled"
	switch {
	case cj.Spec.Suspend != nil && *cj.Spec.Suspend:
		status = "Suspended"
	case len(cj.Status.Active) > 0:
		status = "Active"
	}
	details := fmt.Sprintf("schedule %q", cj.Spec.Schedule)
	if cj.Status.LastScheduleTime != nil {
		details += ", last schedule " + t.age(*cj.Status.LastScheduleTime) + " ago"
	}
	root := &treeNode{
		name:    KindCronJob.Ref(cj.Name),
		ready:   fmt.Sprintf("%d active", len(cj.Status.Active)),
		status:  status,
		age:     t.age(cj.CreationTimestamp),
		details: details,
	}
	list, err := t.c.ExperimentalV1alpha1().Jobs(t.ns).List(t.ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing jobs: %w", err)
	}
	var jobs []*v1alpha1.Job
	for i := range list.Items {
		if ownedBy(list.Items[i].OwnerReferences, cj.UID) {
			jobs = append(jobs, &list.Items[i])
		}
	}
	// Oldest first, as they ran.
	sort.Slice(jobs, func(i, j int) bool {
		if !jobs[i].CreationTimestamp.Equal(&jobs[j].CreationTimestamp) {
			return jobs[i].CreationTimestamp.Before(&jobs[j].CreationTimestamp)
		}
		return jobs[i].Name < jobs[j].Name
	})
	for _, j := range jobs {
		n, err := t.job(j)
		if err != nil {
			return nil, err
		}
		root.children = append(root.children, n)
	}
	return root, nil
}
