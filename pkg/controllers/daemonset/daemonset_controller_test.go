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

package daemonset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllertest"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const ns = "default"

// fixture is a controller whose informers are never started: the tests feed
// the indexers, either directly or with observe(), which copies what the
// fake clientsets hold into the caches and calls the event handlers as the
// informers would.
type fixture struct {
	t            testing.TB
	ctx          context.Context
	logger       klog.Logger
	kube         *kubefake.Clientset
	client       *fake.Clientset
	clock        *clocktesting.FakeClock
	recorder     *record.FakeRecorder
	c            *Controller
	dsStore      cache.Indexer
	podStore     cache.Indexer
	nodeStore    cache.Indexer
	historyStore cache.Indexer
	requeued     map[string]time.Duration
}

func newFixture(t testing.TB, dss []*v1alpha1.DaemonSet, nodes []*corev1.Node, pods []*corev1.Pod) *fixture {
	t.Helper()
	logger, ctx := ktesting.NewTestContext(t)
	var kubeObjs, objs []runtime.Object
	for _, n := range nodes {
		kubeObjs = append(kubeObjs, n)
	}
	for _, p := range pods {
		kubeObjs = append(kubeObjs, p)
	}
	for _, ds := range dss {
		objs = append(objs, ds)
	}
	f := &fixture{
		t:        t,
		ctx:      ctx,
		logger:   logger,
		kube:     kubefake.NewClientset(kubeObjs...),
		client:   fake.NewSimpleClientset(objs...),
		clock:    clocktesting.NewFakeClock(now),
		recorder: record.NewFakeRecorder(1000),
		requeued: map[string]time.Duration{},
	}
	// The fake clientset implements neither generateName nor UIDs and
	// creation timestamps.
	controllertest.OnCreate(f.kube, "pods", controllertest.Fill{GenerateName: true, UID: true, CreationTimestamp: f.clock})
	controllertest.OnCreate(f.kube, "controllerrevisions", controllertest.Fill{UID: true})
	kubeInformers := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	ourInformers := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().DaemonSets(),
		kubeInformers.Apps().V1().ControllerRevisions(), kubeInformers.Core().V1().Pods(), kubeInformers.Core().V1().Nodes(),
		f.kube, f.client, f.recorder, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	f.c = c
	f.dsStore = ourInformers.Experimental().V1alpha1().DaemonSets().Informer().GetIndexer()
	f.podStore = kubeInformers.Core().V1().Pods().Informer().GetIndexer()
	f.nodeStore = kubeInformers.Core().V1().Nodes().Informer().GetIndexer()
	f.historyStore = kubeInformers.Apps().V1().ControllerRevisions().Informer().GetIndexer()
	for _, ds := range dss {
		f.must(f.dsStore.Add(ds))
	}
	for _, n := range nodes {
		f.must(f.nodeStore.Add(n))
	}
	for _, p := range pods {
		f.must(f.podStore.Add(p))
	}
	return f
}

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// sync runs one sync of ds after clearing the recorded actions.
func (f *fixture) sync(ds *v1alpha1.DaemonSet) error {
	f.kube.ClearActions()
	f.client.ClearActions()
	return f.c.sync(f.ctx, key(ds))
}

func (f *fixture) mustSync(ds *v1alpha1.DaemonSet) {
	f.t.Helper()
	if err := f.sync(ds); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

// observe copies the objects of the fake clientsets into the caches and
// calls the pod event handlers for pods that appeared or disappeared, as the
// informers would after the controller's writes.
func (f *fixture) observe() {
	f.t.Helper()
	pods, err := f.kube.Tracker().List(corev1.SchemeGroupVersion.WithResource("pods"), corev1.SchemeGroupVersion.WithKind("Pod"), "")
	f.must(err)
	live := map[string]bool{}
	for i := range pods.(*corev1.PodList).Items {
		p := pods.(*corev1.PodList).Items[i].DeepCopy()
		k := controllerutil.PodKey(p)
		live[k] = true
		old, exists, _ := f.podStore.GetByKey(k)
		f.must(f.podStore.Update(p))
		if !exists {
			f.c.addPod(f.logger, p)
		} else {
			f.c.updatePod(f.logger, old, p)
		}
	}
	for _, obj := range f.podStore.List() {
		p := obj.(*corev1.Pod)
		if !live[controllerutil.PodKey(p)] {
			f.must(f.podStore.Delete(p))
			f.c.deletePod(f.logger, p)
		}
	}
	revs, err := f.kube.AppsV1().ControllerRevisions("").List(f.ctx, metav1.ListOptions{})
	f.must(err)
	f.must(f.historyStore.Replace(toAny(revs.Items), ""))
	dss, err := f.client.ExperimentalV1alpha1().DaemonSets("").List(f.ctx, metav1.ListOptions{})
	f.must(err)
	f.must(f.dsStore.Replace(toAny(dss.Items), ""))
	f.kube.ClearActions()
	f.client.ClearActions()
}

func toAny[T any](items []T) []any {
	out := make([]any, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}

// scheduleAll binds every unbound pod to the node its affinity names and,
// when ready, makes it Running and Ready as of now (the scheduler and the
// kubelet).
func (f *fixture) scheduleAll(ready bool) {
	f.t.Helper()
	list, err := f.kube.CoreV1().Pods(ns).List(f.ctx, metav1.ListOptions{})
	f.must(err)
	for i := range list.Items {
		p := &list.Items[i]
		if p.Spec.NodeName != "" {
			continue
		}
		node, err := targetNodeName(p)
		f.must(err)
		p.Spec.NodeName = node
		if ready {
			setReady(p, f.clock.Now())
		}
		p.ResourceVersion = fmt.Sprint(f.clock.Now().UnixNano()) + p.Name
		_, err = f.kube.CoreV1().Pods(ns).Update(f.ctx, p, metav1.UpdateOptions{})
		f.must(err)
	}
	f.observe()
}

func (f *fixture) ds(name string) *v1alpha1.DaemonSet {
	f.t.Helper()
	obj, ok, err := f.dsStore.GetByKey(ns + "/" + name)
	f.must(err)
	if !ok {
		f.t.Fatalf("DaemonSet %s not in the cache", name)
	}
	return obj.(*v1alpha1.DaemonSet)
}

// updateTemplate changes the image of ds (in the client and the cache) and
// raises its generation, as the API server would.
func (f *fixture) updateTemplate(ds *v1alpha1.DaemonSet, image string) *v1alpha1.DaemonSet {
	f.t.Helper()
	ds = f.ds(ds.Name).DeepCopy()
	ds.Spec.Template.Spec.Containers[0].Image = image
	ds.Generation++
	_, err := f.client.ExperimentalV1alpha1().DaemonSets(ns).Update(f.ctx, ds, metav1.UpdateOptions{})
	f.must(err)
	f.observe()
	return f.ds(ds.Name)
}

func (f *fixture) actions(verb, resource string) []clienttesting.Action {
	return controllertest.Actions(verb, resource, f.kube.Actions(), f.client.Actions())
}

func (f *fixture) createdPods() []*corev1.Pod {
	return controllertest.Created[*corev1.Pod]("pods", f.kube.Actions(), f.client.Actions())
}

func (f *fixture) deletedPods() []string {
	return controllertest.DeletedNames("pods", f.kube.Actions(), f.client.Actions())
}

func (f *fixture) statusUpdates() []*v1alpha1.DaemonSet {
	return controllertest.StatusUpdates[*v1alpha1.DaemonSet](f.client.Actions())
}

// podsByNode returns the pods in the tracker per target node.
func (f *fixture) podsByNode() map[string][]*corev1.Pod {
	f.t.Helper()
	list, err := f.kube.CoreV1().Pods(ns).List(f.ctx, metav1.ListOptions{})
	f.must(err)
	out := map[string][]*corev1.Pod{}
	for i := range list.Items {
		p := &list.Items[i]
		node, err := targetNodeName(p)
		f.must(err)
		out[node] = append(out[node], p)
	}
	return out
}

func countEvents(r *record.FakeRecorder, reason string) int {
	n := 0
	for {
		select {
		case e := <-r.Events:
			if strings.Contains(e, " "+reason+" ") {
				n++
			}
		default:
			return n
		}
	}
}

func key(ds *v1alpha1.DaemonSet) string { return ds.Namespace + "/" + ds.Name }

var selectorLabels = map[string]string{"app": "agent"}

func newDS(name string) *v1alpha1.DaemonSet {
	ds := &v1alpha1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID(name + "-uid"), Generation: 1},
		Spec: v1alpha1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "agent"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "agent:1"}}},
			},
			UpdateStrategy:       rollingUpdate(1, 0),
			RevisionHistoryLimit: ptr.To[int32](10),
		},
	}
	return ds
}

func rollingUpdate(maxUnavailable, maxSurge int) v1alpha1.DaemonSetUpdateStrategy {
	return v1alpha1.DaemonSetUpdateStrategy{
		Type: v1alpha1.RollingUpdateDaemonSetStrategyType,
		RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{
			MaxUnavailable: ptr.To(intstr.FromInt32(int32(maxUnavailable))),
			MaxSurge:       ptr.To(intstr.FromInt32(int32(maxSurge))),
		},
	}
}

type nodeOpt func(*corev1.Node)

func withNodeLabels(l map[string]string) nodeOpt {
	return func(n *corev1.Node) {
		for k, v := range l {
			n.Labels[k] = v
		}
	}
}
func withTaint(key string, effect corev1.TaintEffect) nodeOpt {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: "x", Effect: effect})
	}
}

func readyNode(status corev1.ConditionStatus) nodeOpt {
	return func(n *corev1.Node) {
		n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status, LastHeartbeatTime: metav1.NewTime(now)}}
	}
}

func newNode(name string, opts ...nodeOpt) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	for _, o := range opts {
		o(n)
	}
	return n
}

type podOpt func(*corev1.Pod)

func bound(node string) podOpt { return func(p *corev1.Pod) { p.Spec.NodeName = node } }
func readyAt(t time.Time) podOpt {
	return func(p *corev1.Pod) { setReady(p, t) }
}
func createdAt(t time.Time) podOpt {
	return func(p *corev1.Pod) { p.CreationTimestamp = metav1.NewTime(t) }
}
func inPhase(ph corev1.PodPhase) podOpt { return func(p *corev1.Pod) { p.Status.Phase = ph } }
func withHash(h string) podOpt {
	return func(p *corev1.Pod) { p.Labels[revisionHashLabel] = h }
}

func setReady(p *corev1.Pod, t time.Time) {
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t)}}
}

// newPod returns a pod of ds for node (pinned by affinity, not bound).
func newPod(name string, ds *v1alpha1.DaemonSet, node string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: types.UID(name + "-uid"),
			Labels:            map[string]string{"app": "agent"},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences:   []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
			ResourceVersion:   "1",
		},
		Spec:   corev1.PodSpec{Affinity: nodeNameAffinity(nil, node), Containers: ds.Spec.Template.Spec.Containers},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func currentHash(ds *v1alpha1.DaemonSet) string {
	return computeHash(&ds.Spec.Template, ds.Status.CollisionCount)
}

func TestNodeShouldRun(t *testing.T) {
	logger, _ := ktesting.NewTestContext(t)
	tolerate := func(key string, effect corev1.TaintEffect) func(*v1alpha1.DaemonSet) {
		return func(ds *v1alpha1.DaemonSet) {
			ds.Spec.Template.Spec.Tolerations = append(ds.Spec.Template.Spec.Tolerations,
				corev1.Toleration{Key: key, Operator: corev1.TolerationOpEqual, Value: "x", Effect: effect})
		}
	}
	nodeSelector := func(ds *v1alpha1.DaemonSet) { ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"} }
	affinity := func(ds *v1alpha1.DaemonSet) {
		ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a", "b"}}},
			}}},
		}}
	}
	hostNetwork := func(ds *v1alpha1.DaemonSet) { ds.Spec.Template.Spec.HostNetwork = true }
	cases := []struct {
		name                    string
		ds                      []func(*v1alpha1.DaemonSet)
		node                    *corev1.Node
		shouldRun, shouldRemain bool
	}{
		{"plain node", nil, newNode("n"), true, true},
		{"nodeSelector matches", []func(*v1alpha1.DaemonSet){nodeSelector}, newNode("n", withNodeLabels(map[string]string{"role": "edge"})), true, true},
		{"nodeSelector does not match", []func(*v1alpha1.DaemonSet){nodeSelector}, newNode("n", withNodeLabels(map[string]string{"role": "core"})), false, false},
		{"required affinity matches", []func(*v1alpha1.DaemonSet){affinity}, newNode("n", withNodeLabels(map[string]string{"zone": "b"})), true, true},
		{"required affinity does not match", []func(*v1alpha1.DaemonSet){affinity}, newNode("n", withNodeLabels(map[string]string{"zone": "c"})), false, false},
		{"untolerated NoSchedule: no new pod, existing stays", nil, newNode("n", withTaint("dedicated", corev1.TaintEffectNoSchedule)), false, true},
		{"tolerated NoSchedule", []func(*v1alpha1.DaemonSet){tolerate("dedicated", corev1.TaintEffectNoSchedule)}, newNode("n", withTaint("dedicated", corev1.TaintEffectNoSchedule)), true, true},
		{"untolerated NoExecute", nil, newNode("n", withTaint("dedicated", corev1.TaintEffectNoExecute)), false, false},
		{"tolerated NoExecute", []func(*v1alpha1.DaemonSet){tolerate("dedicated", corev1.TaintEffectNoExecute)}, newNode("n", withTaint("dedicated", corev1.TaintEffectNoExecute)), true, true},
		{"PreferNoSchedule is ignored", nil, newNode("n", withTaint("dedicated", corev1.TaintEffectPreferNoSchedule)), true, true},
		{"automatic: not-ready NoExecute", nil, newNode("n", withTaint(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)), true, true},
		{"automatic: unreachable NoExecute", nil, newNode("n", withTaint(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)), true, true},
		{"automatic: disk-pressure", nil, newNode("n", withTaint(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)), true, true},
		{"automatic: memory-pressure", nil, newNode("n", withTaint(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)), true, true},
		{"automatic: pid-pressure", nil, newNode("n", withTaint(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)), true, true},
		{"automatic: unschedulable (cordoned)", nil, newNode("n", withTaint(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
			func(n *corev1.Node) { n.Spec.Unschedulable = true }), true, true},
		{"not-ready NoSchedule is not tolerated automatically", nil, newNode("n", withTaint(corev1.TaintNodeNotReady, corev1.TaintEffectNoSchedule)), false, true},
		{"network-unavailable without hostNetwork", nil, newNode("n", withTaint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), false, true},
		{"network-unavailable with hostNetwork", []func(*v1alpha1.DaemonSet){hostNetwork}, newNode("n", withTaint(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), true, true},
		{"template nodeName elsewhere", []func(*v1alpha1.DaemonSet){func(ds *v1alpha1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "other" }}, newNode("n"), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := newDS("agent")
			for _, m := range tc.ds {
				m(ds)
			}
			run, remain := newPlacement(ds).nodeShouldRun(logger, tc.node)
			if run != tc.shouldRun || remain != tc.shouldRemain {
				t.Errorf("nodeShouldRun = (%v, %v), want (%v, %v)", run, remain, tc.shouldRun, tc.shouldRemain)
			}
		})
	}
}

func TestDaemonPodTolerations(t *testing.T) {
	ds := newDS("agent")
	// A template toleration for the same taint with a time limit is replaced
	// by the unlimited default; others are kept.
	ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{
		{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](30)},
		{Key: "dedicated", Operator: corev1.TolerationOpExists},
	}
	got := daemonPodTolerations(ds)
	if len(got) != 7 {
		t.Fatalf("got %d tolerations, want 7 (6 defaults, 1 own): %+v", len(got), got)
	}
	if got[0].Key != corev1.TaintNodeNotReady || got[0].TolerationSeconds != nil {
		t.Errorf("not-ready toleration = %+v, want the unlimited default in its place", got[0])
	}
	if got[1].Key != "dedicated" {
		t.Errorf("own toleration lost: %+v", got)
	}
	if len(ds.Spec.Template.Spec.Tolerations) != 2 || ds.Spec.Template.Spec.Tolerations[0].TolerationSeconds == nil {
		t.Errorf("the DaemonSet's template was modified: %+v", ds.Spec.Template.Spec.Tolerations)
	}
	ds.Spec.Template.Spec.HostNetwork = true
	if got := daemonPodTolerations(ds); got[len(got)-1].Key != corev1.TaintNodeNetworkUnavailable {
		t.Errorf("hostNetwork daemon lacks the network-unavailable toleration: %+v", got)
	}
}

func TestCreatesOnePodPerEligibleNode(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"}
	ds.Spec.Template.Spec.Affinity = &corev1.Affinity{
		NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpExists}},
			}}},
			PreferredDuringSchedulingIgnoredDuringExecution: []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: corev1.NodeSelectorTerm{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "fast", Operator: corev1.NodeSelectorOpExists}},
			}}},
		},
	}
	edge := map[string]string{"role": "edge", "zone": "a"}
	nodes := []*corev1.Node{
		newNode("n1", withNodeLabels(edge)),
		newNode("n2", withNodeLabels(edge)),
		newNode("n3", withNodeLabels(map[string]string{"role": "core", "zone": "a"})),
		newNode("n4", withNodeLabels(edge), withTaint("dedicated", corev1.TaintEffectNoSchedule)),
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, nil)
	f.mustSync(ds)

	created := f.createdPods()
	if len(created) != 2 {
		t.Fatalf("created %d pods, want 2 (n1, n2)", len(created))
	}
	hash := currentHash(ds)
	targets := map[string]bool{}
	for _, p := range created {
		node, err := targetNodeName(p)
		if err != nil {
			t.Fatal(err)
		}
		targets[node] = true
		if p.Spec.NodeName != "" {
			t.Errorf("pod for %s has nodeName %q; the scheduler binds it", node, p.Spec.NodeName)
		}
		terms := p.Spec.Affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
		if len(terms) != 1 || len(terms[0].MatchExpressions) != 0 || len(terms[0].MatchFields) != 1 ||
			terms[0].MatchFields[0].Key != "metadata.name" || terms[0].MatchFields[0].Operator != corev1.NodeSelectorOpIn {
			t.Errorf("required node affinity = %+v, want exactly metadata.name In [%s]", terms, node)
		}
		if len(p.Spec.Affinity.NodeAffinity.PreferredDuringSchedulingIgnoredDuringExecution) != 1 {
			t.Errorf("preferred node affinity of the template was dropped")
		}
		if p.Spec.NodeSelector["role"] != "edge" {
			t.Errorf("nodeSelector of the template was dropped: %v", p.Spec.NodeSelector)
		}
		if p.Labels[revisionHashLabel] != hash || p.Labels["app"] != "agent" {
			t.Errorf("labels = %v, want app=agent and %s=%s", p.Labels, revisionHashLabel, hash)
		}
		if len(p.Spec.Tolerations) != 6 {
			t.Errorf("pod has %d tolerations, want the 6 defaults", len(p.Spec.Tolerations))
		}
		ref := metav1.GetControllerOf(p)
		if ref == nil || ref.UID != ds.UID || ref.Kind != "DaemonSet" || ref.APIVersion != "experimental/v1alpha1" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
			t.Errorf("owner reference = %+v", ref)
		}
	}
	if !targets["n1"] || !targets["n2"] {
		t.Errorf("pods target %v, want n1 and n2", targets)
	}
	if n := countEvents(f.recorder, controllerutil.EventSuccessfulCreate); n != 2 {
		t.Errorf("%d SuccessfulCreate events, want 2", n)
	}
	st := f.statusUpdates()
	if len(st) != 1 || st[0].Status.DesiredNumberScheduled != 2 || st[0].Status.CurrentNumberScheduled != 0 || st[0].Status.NumberUnavailable != 2 {
		t.Errorf("status updates = %+v, want one with desired 2, current 0 (pods not yet observed), unavailable 2", st)
	}
}

func TestNoDuplicateCreatesWithExpectations(t *testing.T) {
	ds := newDS("agent")
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1"), newNode("n2")}, nil)
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 2 {
		t.Fatalf("created %d pods, want 2", n)
	}
	// The watch events of the creations are late: a sync now must not
	// create again, nor claim to have processed the generation.
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d more pods before the first ones were observed", n)
	}
	if adds, _, _ := f.c.expectations.Pending(key(ds)); adds != 2 {
		t.Errorf("pending creations = %d, want 2", adds)
	}
	// One event arrives: still waiting for the other.
	list, err := f.kube.CoreV1().Pods(ns).List(f.ctx, metav1.ListOptions{})
	f.must(err)
	first := list.Items[0].DeepCopy()
	f.must(f.podStore.Add(first))
	f.c.addPod(f.logger, first)
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d pods with one creation still unobserved", n)
	}
	f.observe()
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods although every node has one", n)
	}
	if got := f.podsByNode(); len(got["n1"]) != 1 || len(got["n2"]) != 1 {
		t.Errorf("pods per node = %v, want one each", got)
	}
}

func TestFailedCreateLowersExpectations(t *testing.T) {
	ds := newDS("agent")
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1"), newNode("n2"), newNode("n3")}, nil)
	f.kube.PrependReactor("create", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(corev1.Resource("pods"), "", fmt.Errorf("exceeded quota"))
	})
	if err := f.sync(ds); err == nil || !strings.Contains(err.Error(), "exceeded quota") {
		t.Fatalf("sync error = %v, want the quota error", err)
	}
	// Slow start: the first create failed, the other two were not tried.
	if n := len(f.actions("create", "pods")); n != 1 {
		t.Errorf("%d create calls, want 1 (slow start)", n)
	}
	if !f.c.expectations.SatisfiedExpectations(f.logger, key(ds)) {
		t.Error("expectations still wait for creations that failed or never happened")
	}
	if n := countEvents(f.recorder, controllerutil.EventFailedCreate); n != 1 {
		t.Errorf("%d FailedCreate events, want 1", n)
	}
}

func TestDeletesPodsFromIneligibleNodesAndDuplicates(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"}
	hash := currentHash(ds)
	edge := withNodeLabels(map[string]string{"role": "edge"})
	nodes := []*corev1.Node{
		newNode("relabelled"), // no longer matches the selector
		newNode("dup", edge),
		newNode("tainted", edge, withTaint("evict", corev1.TaintEffectNoExecute)),
		newNode("cordon-like", edge, withTaint("soft", corev1.TaintEffectNoSchedule)),
	}
	pods := []*corev1.Pod{
		newPod("on-relabelled", ds, "relabelled", bound("relabelled"), readyAt(now), withHash(hash)),
		newPod("dup-old", ds, "dup", bound("dup"), readyAt(now), withHash(hash), createdAt(now.Add(-2*time.Hour))),
		newPod("dup-new", ds, "dup", bound("dup"), readyAt(now), withHash(hash), createdAt(now.Add(-time.Hour))),
		newPod("dup-unbound", ds, "dup", withHash(hash), createdAt(now.Add(-3*time.Hour))),
		newPod("on-tainted", ds, "tainted", bound("tainted"), readyAt(now), withHash(hash)),
		newPod("on-soft", ds, "cordon-like", bound("cordon-like"), readyAt(now), withHash(hash)),
		newPod("for-gone-node", ds, "gone", withHash(hash)),
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	f.mustSync(ds)
	want := []string{"dup-new", "dup-unbound", "for-gone-node", "on-relabelled", "on-tainted"}
	if got := f.deletedPods(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("deleted %v, want %v (the oldest bound pod stays on dup; a NoSchedule taint keeps the running pod)", got, want)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods, want none", n)
	}
	if _, dels, _ := f.c.expectations.Pending(key(ds)); len(dels) != len(want) {
		t.Errorf("pending deletions %v, want %d", dels, len(want))
	}
	if n := countEvents(f.recorder, controllerutil.EventSuccessfulDelete); n != len(want) {
		t.Errorf("%d SuccessfulDelete events, want %d", n, len(want))
	}
	st := f.statusUpdates()
	if len(st) != 1 {
		t.Fatalf("%d status updates, want 1", len(st))
	}
	// dup is the only desired node (the others have untolerated taints or
	// no label); relabelled, tainted and cordon-like run pods they should not.
	if s := st[0].Status; s.DesiredNumberScheduled != 1 || s.CurrentNumberScheduled != 1 || s.NumberMisscheduled != 3 {
		t.Errorf("status = %+v, want desired 1, current 1, misscheduled 3", s)
	}
}

func TestRollingUpdateMaxUnavailable(t *testing.T) {
	ds := newDS("agent")
	oldHash := currentHash(ds)
	var nodes []*corev1.Node
	var pods []*corev1.Pod
	for i := range 4 {
		name := fmt.Sprintf("n%d", i)
		nodes = append(nodes, newNode(name))
		pods = append(pods, newPod("old-"+name, ds, name, bound(name), readyAt(now.Add(-time.Hour)), withHash(oldHash)))
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	f.mustSync(ds)
	f.observe()
	if n := len(f.deletedPods()) + len(f.createdPods()); n != 0 {
		t.Fatalf("%d writes on an up-to-date DaemonSet", n)
	}
	ds = f.updateTemplate(ds, "agent:2")
	newHash := currentHash(ds)
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("rolling update did not finish in 20 syncs")
		}
		f.mustSync(ds)
		if d := len(f.deletedPods()); d > 1 {
			t.Fatalf("round %d deleted %d pods at once, maxUnavailable is 1", round, d)
		}
		f.observe()
		// Unavailable nodes: no available pod.
		unavailable, updated := 0, 0
		for _, node := range nodes {
			ok := false
			for _, p := range f.podsByNode()[node.Name] {
				if controllerutil.IsPodAvailable(p, 0, f.clock.Now()) {
					ok = true
				}
				if p.Labels[revisionHashLabel] == newHash {
					updated++
				}
			}
			if !ok {
				unavailable++
			}
		}
		if unavailable > 1 {
			t.Fatalf("round %d: %d nodes without an available pod, maxUnavailable is 1", round, unavailable)
		}
		f.clock.Step(time.Second)
		f.scheduleAll(true)
		if updated == len(nodes) && unavailable == 0 {
			break
		}
	}
	f.mustSync(ds)
	for node, pods := range f.podsByNode() {
		if len(pods) != 1 || pods[0].Labels[revisionHashLabel] != newHash || pods[0].Spec.Containers[0].Image != "agent:2" {
			t.Errorf("node %s has %d pods, first with hash %s; want one updated pod", node, len(pods), pods[0].Labels[revisionHashLabel])
		}
	}
	s := f.ds("agent").Status
	if s.UpdatedNumberScheduled != 4 || s.NumberAvailable != 4 || s.ObservedGeneration != 2 {
		t.Errorf("final status = %+v, want 4 updated and available at generation 2", s)
	}
}

func TestRollingUpdateMaxSurge(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy = rollingUpdate(0, 1)
	oldHash := currentHash(ds)
	var nodes []*corev1.Node
	var pods []*corev1.Pod
	for i := range 3 {
		name := fmt.Sprintf("n%d", i)
		nodes = append(nodes, newNode(name))
		pods = append(pods, newPod("old-"+name, ds, name, bound(name), readyAt(now.Add(-time.Hour)), withHash(oldHash)))
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	ds = f.updateTemplate(ds, "agent:2")
	newHash := currentHash(ds)
	sawSurge := false
	for round := 0; ; round++ {
		if round > 20 {
			t.Fatal("surge update did not finish in 20 syncs")
		}
		f.mustSync(ds)
		f.observe()
		extra, updated := 0, 0
		for _, node := range nodes {
			ps := f.podsByNode()[node.Name]
			available := false
			for _, p := range ps {
				if controllerutil.IsPodAvailable(p, 0, f.clock.Now()) {
					available = true
				}
				if p.Labels[revisionHashLabel] == newHash {
					updated++
				}
			}
			if !available {
				t.Fatalf("round %d: node %s has no available pod; maxUnavailable is 0", round, node.Name)
			}
			extra += max(len(ps)-1, 0)
		}
		if extra > 1 {
			t.Fatalf("round %d: %d surge pods, maxSurge is 1", round, extra)
		}
		if extra == 1 {
			sawSurge = true
		}
		if updated == len(nodes) && extra == 0 {
			break
		}
		f.clock.Step(time.Second)
		f.scheduleAll(true)
	}
	if !sawSurge {
		t.Error("the update never ran a new pod next to an old one")
	}
	for node, pods := range f.podsByNode() {
		if len(pods) != 1 || pods[0].Labels[revisionHashLabel] != newHash {
			t.Errorf("node %s: %d pods, want one updated pod", node, len(pods))
		}
	}
}

func TestOnDeleteWaitsForPodDeletion(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	oldHash := currentHash(ds)
	nodes := []*corev1.Node{newNode("n1"), newNode("n2")}
	pods := []*corev1.Pod{
		newPod("old-n1", ds, "n1", bound("n1"), readyAt(now.Add(-time.Hour)), withHash(oldHash)),
		newPod("old-n2", ds, "n2", bound("n2"), readyAt(now.Add(-time.Hour)), withHash(oldHash)),
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	ds = f.updateTemplate(ds, "agent:2")
	for range 3 {
		f.mustSync(ds)
		if d, c := f.deletedPods(), f.createdPods(); len(d)+len(c) != 0 {
			t.Fatalf("OnDelete replaced pods on its own: deleted %v, created %d", d, len(c))
		}
		f.observe()
	}
	if s := f.ds("agent").Status; s.UpdatedNumberScheduled != 0 || s.CurrentNumberScheduled != 2 {
		t.Errorf("status = %+v, want 2 current, 0 updated", s)
	}
	// The user deletes one pod: only that node gets an updated pod.
	f.must(f.kube.CoreV1().Pods(ns).Delete(f.ctx, "old-n1", metav1.DeleteOptions{}))
	f.observe()
	f.mustSync(ds)
	created := f.createdPods()
	if len(created) != 1 {
		t.Fatalf("created %d pods, want 1", len(created))
	}
	if node, _ := targetNodeName(created[0]); node != "n1" || created[0].Labels[revisionHashLabel] != currentHash(ds) ||
		created[0].Spec.Containers[0].Image != "agent:2" {
		t.Errorf("created pod for %s with hash %s image %s, want n1 with the new template", node, created[0].Labels[revisionHashLabel], created[0].Spec.Containers[0].Image)
	}
	if d := f.deletedPods(); len(d) != 0 {
		t.Errorf("deleted %v, want nothing", d)
	}
}

func TestControllerRevisions(t *testing.T) {
	ds := newDS("agent")
	ds.Annotations = map[string]string{"note": "kept"}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, nil)
	f.mustSync(ds)
	h1 := currentHash(ds)
	revs := f.actions("create", "controllerrevisions")
	if len(revs) != 1 {
		t.Fatalf("%d ControllerRevisions created, want 1", len(revs))
	}
	rev := revs[0].(clienttesting.CreateAction).GetObject().(*appsv1.ControllerRevision)
	wantData := `{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"agent"}},"spec":{"containers":[{"image":"agent:1","name":"c","resources":{}}]}}}}`
	if rev.Name != "agent-"+h1 || rev.Labels[revisionHashLabel] != h1 || rev.Labels["app"] != "agent" || rev.Revision != 1 ||
		rev.Annotations["note"] != "kept" || !metav1.IsControlledBy(rev, ds) {
		t.Errorf("revision = %+v", rev.ObjectMeta)
	}
	if string(rev.Data.Raw) != wantData {
		t.Errorf("revision data:\n got %s\nwant %s", rev.Data.Raw, wantData)
	}
	created := f.createdPods()
	if len(created) != 1 || created[0].Labels[revisionHashLabel] != h1 {
		t.Fatalf("pod labelled %v, want hash %s", created[0].Labels, h1)
	}
	f.observe()
	f.scheduleAll(true)

	// A template change makes revision 2.
	ds = f.updateTemplate(ds, "agent:2")
	h2 := currentHash(ds)
	if h2 == h1 {
		t.Fatal("hash did not change with the template")
	}
	f.mustSync(ds)
	revs = f.actions("create", "controllerrevisions")
	if len(revs) != 1 || revs[0].(clienttesting.CreateAction).GetObject().(*appsv1.ControllerRevision).Revision != 2 {
		t.Fatalf("created %v, want revision 2", revs)
	}
	f.observe()

	// Back to the first template: revision agent-h1 becomes revision 3
	// instead of a new revision being created.
	ds = f.updateTemplate(ds, "agent:1")
	f.mustSync(ds)
	if n := len(f.actions("create", "controllerrevisions")); n != 0 {
		t.Errorf("created %d revisions for a template that has one", n)
	}
	updates := f.actions("update", "controllerrevisions")
	if len(updates) != 1 {
		t.Fatalf("%d revision updates, want 1", len(updates))
	}
	if u := updates[0].(clienttesting.UpdateAction).GetObject().(*appsv1.ControllerRevision); u.Name != "agent-"+h1 || u.Revision != 3 {
		t.Errorf("updated %s to revision %d, want agent-%s to 3", u.Name, u.Revision, h1)
	}
}

func TestRevisionHistoryCleanup(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.RevisionHistoryLimit = ptr.To[int32](2)
	ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	oldRev := func(hash string, revision int64) *appsv1.ControllerRevision {
		return &appsv1.ControllerRevision{
			ObjectMeta: metav1.ObjectMeta{
				Name: "agent-" + hash, Namespace: ns, UID: types.UID(hash),
				Labels:          map[string]string{"app": "agent", revisionHashLabel: hash},
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
			},
			Data:     runtime.RawExtension{Raw: []byte(`{"spec":{"template":{"$patch":"replace"}}}`)},
			Revision: revision,
		}
	}
	revs := []*appsv1.ControllerRevision{oldRev("r1", 1), oldRev("r2", 2), oldRev("r3", 3), oldRev("r4", 4)}
	// r1 still runs on n1: it must survive although it is the oldest.
	pods := []*corev1.Pod{newPod("p1", ds, "n1", bound("n1"), readyAt(now), withHash("r1"))}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, pods)
	for _, r := range revs {
		f.must(f.kube.Tracker().Add(r))
		f.must(f.historyStore.Add(r))
	}
	f.mustSync(ds)
	var deleted []string
	for _, a := range f.actions("delete", "controllerrevisions") {
		deleted = append(deleted, a.(clienttesting.DeleteAction).GetName())
	}
	sort.Strings(deleted)
	if want := "agent-r2,agent-r3"; strings.Join(deleted, ",") != want {
		t.Errorf("deleted revisions %v, want %s (keep the 2 newest old revisions plus the one a pod runs)", deleted, want)
	}
	created := f.actions("create", "controllerrevisions")
	if len(created) != 1 || created[0].(clienttesting.CreateAction).GetObject().(*appsv1.ControllerRevision).Revision != 5 {
		t.Errorf("want the current revision created as revision 5, got %v", created)
	}
}

func TestRevisionHashCollision(t *testing.T) {
	ds := newDS("agent")
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, nil)
	// Another template already holds the name of ds's revision.
	f.must(f.kube.Tracker().Add(&appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{Name: "agent-" + currentHash(ds), Namespace: ns, Labels: map[string]string{"other": "x"}},
		Data:       runtime.RawExtension{Raw: []byte(`{"spec":{"template":{"$patch":"replace","spec":{}}}}`)},
		Revision:   1,
	}))
	err := f.sync(ds)
	if err == nil || !strings.Contains(err.Error(), "collision") {
		t.Fatalf("sync error = %v, want a hash collision", err)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods without a revision", n)
	}
	stored, err := f.client.ExperimentalV1alpha1().DaemonSets(ns).Get(f.ctx, "agent", metav1.GetOptions{})
	f.must(err)
	if ptr.Deref(stored.Status.CollisionCount, 0) != 1 {
		t.Fatalf("collisionCount = %v, want 1", stored.Status.CollisionCount)
	}
	// With the raised count the hash, and so the name, differ.
	f.observe()
	ds = f.ds("agent")
	f.mustSync(ds)
	revs := f.actions("create", "controllerrevisions")
	if len(revs) != 1 {
		t.Fatalf("%d revisions created after the collision, want 1", len(revs))
	}
	name := revs[0].(clienttesting.CreateAction).GetObject().(*appsv1.ControllerRevision).Name
	if name == "agent-"+computeHash(&ds.Spec.Template, nil) || name != "agent-"+currentHash(ds) {
		t.Errorf("revision %s, want the name from the hash with collisionCount 1", name)
	}
	if n := len(f.createdPods()); n != 1 {
		t.Errorf("created %d pods, want 1", n)
	}
}

func TestFailedPodBackoff(t *testing.T) {
	ds := newDS("agent")
	// The backoff is per observed generation; start with it observed.
	ds.Status.ObservedGeneration = 1
	hash := currentHash(ds)
	failed := func(name string) *corev1.Pod {
		return newPod(name, ds, "n1", bound("n1"), withHash(hash), inPhase(corev1.PodFailed))
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, []*corev1.Pod{failed("f1")})
	f.mustSync(ds)
	if got := f.deletedPods(); len(got) != 1 || got[0] != "f1" {
		t.Fatalf("deleted %v, want the failed pod f1", got)
	}
	if n := countEvents(f.recorder, EventFailedDaemonPod); n != 1 {
		t.Errorf("%d FailedDaemonPod events, want 1", n)
	}
	f.observe()
	// The replacement is created on the next sync.
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("created %d replacement pods, want 1", n)
	}
	f.observe()
	// It fails right away: deleting it again waits for the backoff.
	f.must(f.kube.CoreV1().Pods(ns).Delete(f.ctx, f.podsByNode()["n1"][0].Name, metav1.DeleteOptions{}))
	f.must(f.kube.Tracker().Add(failed("f2")))
	f.observe()
	f.mustSync(ds)
	if got := f.deletedPods(); len(got) != 0 {
		t.Fatalf("deleted %v within the backoff", got)
	}
	if d := f.requeued[key(ds)]; d != time.Second {
		t.Errorf("requeued after %v, want the 1s backoff", d)
	}
	f.clock.Step(1500 * time.Millisecond)
	f.mustSync(ds)
	if got := f.deletedPods(); len(got) != 1 || got[0] != "f2" {
		t.Fatalf("deleted %v after the backoff, want f2", got)
	}
	f.observe()
	// The backoff doubles.
	f.must(f.kube.Tracker().Add(failed("f3")))
	f.observe()
	delete(f.requeued, key(ds))
	f.clock.Step(1500 * time.Millisecond)
	f.mustSync(ds)
	if got := f.deletedPods(); len(got) != 0 {
		t.Fatalf("deleted %v within the doubled backoff", got)
	}
	if d := f.requeued[key(ds)]; d != 2*time.Second {
		t.Errorf("requeued after %v, want 2s", d)
	}
	// No replacement while a failed pod still holds the node.
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods next to a failed pod", n)
	}
}

func TestStatus(t *testing.T) {
	ds := newDS("agent")
	ds.Generation = 3
	ds.Spec.MinReadySeconds = 10
	// OnDelete: the old pod p2 stays, so the world settles.
	ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"}
	hash := currentHash(ds)
	edge := withNodeLabels(map[string]string{"role": "edge"})
	nodes := []*corev1.Node{newNode("n1", edge), newNode("n2", edge), newNode("n3", edge), newNode("n4"), newNode("n5", edge)}
	pods := []*corev1.Pod{
		// Updated and available.
		newPod("p1", ds, "n1", bound("n1"), readyAt(now.Add(-time.Minute)), withHash(hash)),
		// Old, ready for 4s of the 10s minReadySeconds.
		newPod("p2", ds, "n2", bound("n2"), readyAt(now.Add(-4*time.Second)), withHash("old")),
		// n3 has none yet; n4 is not selected but runs a pod.
		newPod("p4", ds, "n4", bound("n4"), readyAt(now.Add(-time.Hour)), withHash(hash)),
		// Updated, bound, not ready.
		newPod("p5", ds, "n5", bound("n5"), withHash(hash), inPhase(corev1.PodRunning)),
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	f.mustSync(ds)
	st := f.statusUpdates()
	if len(st) != 1 {
		t.Fatalf("%d status updates, want 1", len(st))
	}
	want := v1alpha1.DaemonSetStatus{
		DesiredNumberScheduled: 4, CurrentNumberScheduled: 3, NumberMisscheduled: 1, NumberReady: 2,
		UpdatedNumberScheduled: 2, NumberAvailable: 1, NumberUnavailable: 3, ObservedGeneration: 3,
	}
	if got := st[0].Status; !apiequality.Semantic.DeepEqual(got, want) {
		t.Errorf("status\n got %+v\nwant %+v", got, want)
	}
	// p2 becomes available 6s from now: the sync comes back then.
	if d := f.requeued[key(ds)]; d != 6*time.Second {
		t.Errorf("requeued after %v, want 6s", d)
	}
	// The manage part of this sync deleted p4 and created a pod for n3; once
	// those are observed, an unchanged world writes no status.
	f.observe()
	f.mustSync(ds)
	f.observe()
	f.mustSync(ds)
	if st := f.statusUpdates(); len(st) != 0 {
		t.Errorf("%d status updates without any change, want 0: %+v", len(st), st[0].Status)
	}
}

// Status writes that only change counts are at least statusCountsPeriod
// apart; the sync that puts one off comes back when the period is over, and
// a new observedGeneration is written at once.
func TestCountOnlyStatusWritesAreSpaced(t *testing.T) {
	ds := newDS("agent")
	ds.Generation = 1
	ds.Status.ObservedGeneration = 1
	ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	hash := currentHash(ds)
	nodes := []*corev1.Node{newNode("n1"), newNode("n2")}
	pods := []*corev1.Pod{
		newPod("p1", ds, "n1", bound("n1"), readyAt(now.Add(-time.Minute)), withHash(hash)),
		newPod("p2", ds, "n2", bound("n2"), withHash(hash), inPhase(corev1.PodRunning)),
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	written := func(wantReady int32) {
		t.Helper()
		st := f.statusUpdates()
		if len(st) != 1 {
			t.Fatalf("%d status updates, want 1", len(st))
		}
		if st[0].Status.NumberReady != wantReady {
			t.Errorf("numberReady %d, want %d", st[0].Status.NumberReady, wantReady)
		}
		f.must(f.dsStore.Update(st[0]))
	}

	f.mustSync(ds)
	written(1)

	// p2 turns ready right away: the count is not written yet.
	p2 := pods[1].DeepCopy()
	setReady(p2, now)
	f.must(f.podStore.Update(p2))
	f.clock.Step(100 * time.Millisecond)
	delete(f.requeued, key(ds))
	f.mustSync(ds)
	if st := f.statusUpdates(); len(st) != 0 {
		t.Fatalf("a count write %v after the previous one was not put off: %+v", 100*time.Millisecond, st[0].Status)
	}
	if d, ok := f.requeued[key(ds)]; !ok || d != statusCountsPeriod-100*time.Millisecond {
		t.Errorf("requeued after %v (requeued: %v), want %v", d, ok, statusCountsPeriod-100*time.Millisecond)
	}

	// The period is over: the count is written.
	f.clock.Step(statusCountsPeriod)
	f.mustSync(ds)
	written(2)

	// A new generation is written at once, however recent the last write.
	bumped := f.ds(ds.Name).DeepCopy()
	bumped.Generation = 2
	f.must(f.dsStore.Update(bumped))
	f.mustSync(bumped)
	if st := f.statusUpdates(); len(st) != 1 || st[0].Status.ObservedGeneration != 2 {
		t.Errorf("status updates after a new generation = %+v, want one with observedGeneration 2", st)
	}

	// Deleting the DaemonSet forgets its last write.
	f.c.deleteDaemonSet(f.logger, bumped)
	if d := f.c.countWrites.Wait(key(ds)); d != 0 {
		t.Errorf("a deleted DaemonSet still waits %v for its next count write", d)
	}
}

func TestStatusWhileExpectationsPendingKeepsObservedGeneration(t *testing.T) {
	ds := newDS("agent")
	ds.Generation = 2
	ds.Status.ObservedGeneration = 1
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, nil)
	f.c.expectations.ExpectCreations(f.logger, key(ds), 1)
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods while a creation is pending", n)
	}
	st := f.statusUpdates()
	if len(st) != 1 || st[0].Status.ObservedGeneration != 1 || st[0].Status.DesiredNumberScheduled != 1 {
		t.Errorf("status updates = %+v, want desired 1 with observedGeneration still 1", st)
	}
}

func TestSelectingAllIsRefused(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.Selector = &metav1.LabelSelector{}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, nil)
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods for an empty selector", n)
	}
	if n := countEvents(f.recorder, EventSelectingAll); n != 1 {
		t.Errorf("%d SelectingAll events, want 1", n)
	}
}

func TestAdoptsOrphanPods(t *testing.T) {
	ds := newDS("agent")
	orphan := newPod("orphan", ds, "n1", bound("n1"), readyAt(now))
	orphan.OwnerReferences = nil
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, []*corev1.Pod{orphan})
	f.mustSync(ds)
	if n := len(f.actions("patch", "pods")); n != 1 {
		t.Errorf("%d pod patches, want 1 adoption", n)
	}
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods although the orphan was adopted for n1", n)
	}
}

func TestNodeEventsEnqueueAffectedDaemonSets(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"}
	other := newDS("other")
	other.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	other.Spec.Template.Labels = map[string]string{"app": "other"}
	other.Spec.Template.Spec.NodeSelector = map[string]string{"role": "gpu"}
	edge := newNode("n1", withNodeLabels(map[string]string{"role": "edge"}), readyNode(corev1.ConditionTrue))
	f := newFixture(t, []*v1alpha1.DaemonSet{ds, other}, nil, nil)
	drain := func() []string {
		var keys []string
		for f.c.queue.Len() > 0 {
			k, _ := f.c.queue.Get()
			f.c.queue.Done(k)
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys
	}
	syncNodeQueue := func() {
		for f.c.nodeQueue.Len() > 0 {
			name, _ := f.c.nodeQueue.Get()
			f.must(f.c.syncNode(f.ctx, name))
			f.c.nodeQueue.Done(name)
		}
	}

	// A new matching node wakes the DaemonSet that selects it only.
	f.must(f.nodeStore.Add(edge))
	f.c.addNode(f.logger, edge)
	syncNodeQueue()
	if got := drain(); strings.Join(got, ",") != "default/agent" {
		t.Errorf("after adding an edge node, queued %v, want [default/agent]", got)
	}
	// A heartbeat, which changes neither labels, taints nor readiness, is
	// ignored.
	hb := edge.DeepCopy()
	hb.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(now.Add(time.Minute))
	f.c.updateNode(f.logger, edge, hb)
	if n := f.c.nodeQueue.Len(); n != 0 {
		t.Errorf("a heartbeat node update queued %d nodes", n)
	}
	// A readiness change is evaluated (unreadyNodePolicy depends on it).
	notReady := edge.DeepCopy()
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	f.c.updateNode(f.logger, edge, notReady)
	if n := f.c.nodeQueue.Len(); n != 1 {
		t.Errorf("a readiness change queued %d nodes, want 1", n)
	}
	syncNodeQueue()
	drain()
	// Relabelled out of the selector while running a pod: the DaemonSet
	// must delete it.
	pod := newPod("p", ds, "n1", bound("n1"))
	f.must(f.podStore.Add(pod))
	relabelled := edge.DeepCopy()
	relabelled.Labels["role"] = "core"
	f.must(f.nodeStore.Update(relabelled))
	f.c.updateNode(f.logger, edge, relabelled)
	syncNodeQueue()
	if got := drain(); strings.Join(got, ",") != "default/agent" {
		t.Errorf("after relabelling, queued %v, want [default/agent]", got)
	}
	// A tainted node repels the DaemonSet that has a pod there.
	tainted := relabelled.DeepCopy()
	tainted.Labels["role"] = "edge"
	tainted.Spec.Taints = []corev1.Taint{{Key: "evict", Effect: corev1.TaintEffectNoExecute}}
	f.must(f.nodeStore.Update(tainted))
	f.c.updateNode(f.logger, relabelled, tainted)
	syncNodeQueue()
	if got := drain(); strings.Join(got, ",") != "default/agent" {
		t.Errorf("after tainting, queued %v, want [default/agent]", got)
	}
	// Deleting the node wakes the DaemonSets with pods on it.
	f.must(f.nodeStore.Delete(tainted))
	f.c.deleteNode(f.logger, cache.DeletedFinalStateUnknown{Key: "n1", Obj: tainted})
	if got := drain(); strings.Join(got, ",") != "default/agent" {
		t.Errorf("after deleting the node, queued %v, want [default/agent]", got)
	}
}

func TestFailedPlacementEvent(t *testing.T) {
	ds := newDS("agent")
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, []*corev1.Node{newNode("n1")}, nil)
	f.must(f.dsStore.Add(ds))
	pending := newPod("p", ds, "n1")
	unschedulable := pending.DeepCopy()
	unschedulable.ResourceVersion = "2"
	unschedulable.Status.Conditions = []corev1.PodCondition{{
		Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/1 nodes are available: 1 Insufficient cpu.",
	}}
	f.c.updatePod(f.logger, pending, unschedulable)
	again := unschedulable.DeepCopy()
	again.ResourceVersion = "3"
	f.c.updatePod(f.logger, unschedulable, again)
	if n := countEvents(f.recorder, EventFailedPlacement); n != 1 {
		t.Errorf("%d FailedPlacement events, want 1 (on the transition only)", n)
	}
}

// lateEventIndexer delivers a watch event right after the controller lists
// pods, as an informer may between a sync's list and its expectations check.
type lateEventIndexer struct {
	cache.Indexer
	deliver func()
}

func (l *lateEventIndexer) ByIndex(index, key string) ([]any, error) {
	objs, err := l.Indexer.ByIndex(index, key)
	if deliver := l.deliver; deliver != nil && err == nil {
		l.deliver = nil
		deliver()
	}
	return objs, err
}

// A pod created by the previous sync whose add event arrives while a sync
// lists pods must not be created again: that sync saw expectations pending
// before it listed, so it only reports status.
func TestNoDuplicateSurgePodWhenTheEventArrivesDuringTheList(t *testing.T) {
	ds := newDS("agent")
	ds.Spec.UpdateStrategy = rollingUpdate(0, 1)
	oldHash := currentHash(ds)
	nodes := []*corev1.Node{newNode("n0"), newNode("n1")}
	var pods []*corev1.Pod
	for _, n := range nodes {
		pods = append(pods, newPod("old-"+n.Name, ds, n.Name, bound(n.Name), readyAt(now.Add(-time.Hour)), withHash(oldHash)))
	}
	f := newFixture(t, []*v1alpha1.DaemonSet{ds}, nodes, pods)
	ds = f.updateTemplate(ds, "agent:2")
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 1 {
		t.Fatalf("created %d surge pods, want 1", n)
	}
	var surge *corev1.Pod
	list, err := f.kube.CoreV1().Pods(ns).List(f.ctx, metav1.ListOptions{})
	f.must(err)
	for i := range list.Items {
		if p := &list.Items[i]; p.Labels[revisionHashLabel] != oldHash {
			surge = p
		}
	}
	f.c.podIndexer = &lateEventIndexer{Indexer: f.podStore, deliver: func() {
		f.must(f.podStore.Add(surge))
		f.c.addPod(f.logger, surge)
	}}
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Fatalf("created %d more pods from a list that lacked the surge pod", n)
	}
	if st := f.statusUpdates(); len(st) > 0 && st[len(st)-1].Status.ObservedGeneration == ds.Generation {
		t.Errorf("status claims generation %d was processed from a stale list", ds.Generation)
	}
	// The next sync sees the surge pod and waits for it.
	f.mustSync(ds)
	if n := len(f.createdPods()); n != 0 {
		t.Errorf("created %d pods while the surge pod is not available yet", n)
	}
}
