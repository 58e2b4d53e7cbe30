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

package apps

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

const (
	// dsPoolLabel groups the nodes a DaemonSet test adds; its DaemonSets
	// select their pool, so they never land on other tests' nodes.
	dsPoolLabel = "ds.e2e.experimental/pool"
	// dsPrivateTaint keeps other tests' pods off the nodes these tests add
	// (and delete); the DaemonSets of these tests tolerate it.
	dsPrivateTaint = "ds.e2e.experimental/private"
	// dsDedicatedTaint is tolerated only by DaemonSets that opt in.
	dsDedicatedTaint = "ds.e2e.experimental/dedicated"
	dsSettleTimeout  = 3 * time.Minute
)

// dsAddNodes adds n kwok nodes in pool, carrying the private taint and
// extraTaints, and deletes them at cleanup.
func (e *env) dsAddNodes(t *testing.T, n int, pool string, extraTaints ...corev1.Taint) []string {
	t.Helper()
	taints := append([]corev1.Taint{{Key: dsPrivateTaint, Value: pool, Effect: corev1.TaintEffectNoSchedule}}, extraTaints...)
	names, err := e.c.AddNodes(n, map[string]string{dsPoolLabel: pool}, taints)
	if err != nil {
		t.Fatalf("adding %d nodes to pool %s: %v", n, pool, err)
	}
	t.Cleanup(func() {
		for _, name := range names {
			_ = e.c.KubeClient().CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{})
		}
	})
	return names
}

// dsNew creates a DaemonSet selecting app=<name> on the nodes of pool,
// tolerating the private taint; mutate adjusts it before the create.
func (e *env) dsNew(t *testing.T, ns, name, pool string, mutate func(*v1alpha1.DaemonSet)) *v1alpha1.DaemonSet {
	t.Helper()
	template := podTemplate(name)
	template.Spec.NodeSelector = map[string]string{dsPoolLabel: pool}
	template.Spec.Tolerations = []corev1.Toleration{{Key: dsPrivateTaint, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}
	ds := &v1alpha1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: template,
		},
	}
	if mutate != nil {
		mutate(ds)
	}
	created, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Create(context.Background(), ds, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating DaemonSet %s/%s: %v", ns, name, err)
	}
	return created
}

// dsTargetNode returns the node a daemon pod is for: its nodeName once bound,
// else the node its metadata.name affinity selects.
func dsTargetNode(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	if a := p.Spec.Affinity; a != nil && a.NodeAffinity != nil && a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution != nil {
		for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
			for _, req := range term.MatchFields {
				if req.Key == "metadata.name" && len(req.Values) == 1 {
					return req.Values[0]
				}
			}
		}
	}
	return ""
}

// dsPinnedNode returns the node the pod's required node affinity pins it to
// (and "" when it is not pinned by exactly one metadata.name term).
func dsPinnedNode(p *corev1.Pod) string {
	a := p.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return ""
	}
	terms := a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms
	if len(terms) != 1 || len(terms[0].MatchFields) != 1 || len(terms[0].MatchExpressions) != 0 {
		return ""
	}
	req := terms[0].MatchFields[0]
	if req.Key != "metadata.name" || req.Operator != corev1.NodeSelectorOpIn || len(req.Values) != 1 {
		return ""
	}
	return req.Values[0]
}

// dsWaitSettled waits until DaemonSet ns/name has exactly one pod on each
// of nodes and none elsewhere, each pinned to its node by affinity, bound
// there by the scheduler, Running and Ready with image, and until its status
// reports that for the current generation. It returns the pods by node.
func (e *env) dsWaitSettled(t *testing.T, ns, name string, nodes []string, image string) map[string]corev1.Pod {
	t.Helper()
	want := slices.Sorted(slices.Values(nodes))
	var byNode map[string]corev1.Pod
	var last string
	pollFor(t, fmt.Sprintf("DaemonSet %s/%s to run %s on %v", ns, name, image, want), dsSettleTimeout, func(ctx context.Context) (bool, error) {
		ds, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pods, err := e.ownedPods(ctx, ns, ds.UID)
		if err != nil {
			return false, err
		}
		byNode = map[string]corev1.Pod{}
		good := 0
		var problems []string
		for i := range pods {
			p := &pods[i]
			node := dsTargetNode(p)
			if _, dup := byNode[node]; dup {
				problems = append(problems, "two pods on "+node)
			}
			byNode[node] = *p
			switch {
			case p.DeletionTimestamp != nil:
				problems = append(problems, p.Name+" terminating")
			case dsPinnedNode(p) != node || p.Spec.NodeName != node:
				problems = append(problems, fmt.Sprintf("%s pinned to %q, bound to %q", p.Name, dsPinnedNode(p), p.Spec.NodeName))
			case p.Status.Phase != corev1.PodRunning || !podReady(p):
				problems = append(problems, p.Name+" not running and ready")
			case p.Spec.Containers[0].Image != image:
				problems = append(problems, p.Name+" runs "+p.Spec.Containers[0].Image)
			default:
				good++
			}
		}
		got := slices.Sorted(maps.Keys(byNode))
		s := ds.Status
		n := int32(len(want))
		last = fmt.Sprintf("pods on %v, problems %v, status %+v, generation %d", got, problems, s, ds.Generation)
		return slices.Equal(got, want) && good == len(want) && len(problems) == 0 &&
			s.DesiredNumberScheduled == n && s.CurrentNumberScheduled == n && s.NumberReady == n &&
			s.NumberAvailable == n && s.UpdatedNumberScheduled == n && s.NumberMisscheduled == 0 &&
			s.NumberUnavailable == 0 && s.ObservedGeneration == ds.Generation, nil
	})
	t.Logf("DaemonSet %s/%s settled: %s", ns, name, last)
	return byNode
}

func (e *env) dsPatchImage(t *testing.T, ns, name, image string) {
	t.Helper()
	patch := fmt.Sprintf(`{"spec":{"template":{"spec":{"containers":[{"name":"main","image":%q}]}}}}`, image)
	e.kubectl(t, "-n", ns, "patch", "xds", name, "--type=strategic", "-p", patch)
}

func TestDaemonSetPlacement(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-placement")
	const pool = "placement"
	plain := e.dsAddNodes(t, 2, pool)
	dedicated := e.dsAddNodes(t, 1, pool, corev1.Taint{Key: dsDedicatedTaint, Value: "yes", Effect: corev1.TaintEffectNoSchedule})

	e.dsNew(t, ns, "agent", pool, nil)
	e.dsNew(t, ns, "tolerant", pool, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.Template.Spec.Tolerations = append(ds.Spec.Template.Spec.Tolerations,
			corev1.Toleration{Key: dsDedicatedTaint, Operator: corev1.TolerationOpEqual, Value: "yes", Effect: corev1.TaintEffectNoSchedule})
	})
	const image = "registry.example/app:1.0"
	// The nodeSelector keeps both off the cluster's other nodes; only the
	// tolerant one runs on the dedicated node.
	e.dsWaitSettled(t, ns, "agent", plain, image)
	e.dsWaitSettled(t, ns, "tolerant", append(slices.Clone(plain), dedicated...), image)

	// A new node in the pool gets a pod.
	added := e.dsAddNodes(t, 1, pool)
	e.dsWaitSettled(t, ns, "agent", append(slices.Clone(plain), added...), image)

	// A node relabelled out of the selector loses its pods.
	e.kubectl(t, "label", "node", plain[1], dsPoolLabel+"=elsewhere", "--overwrite")
	e.dsWaitSettled(t, ns, "agent", []string{plain[0], added[0]}, image)
	e.dsWaitSettled(t, ns, "tolerant", []string{plain[0], dedicated[0], added[0]}, image)

	// A deleted node's pods go with it.
	e.kubectl(t, "delete", "node", added[0])
	e.dsWaitSettled(t, ns, "agent", []string{plain[0]}, image)
	e.dsWaitSettled(t, ns, "tolerant", []string{plain[0], dedicated[0]}, image)

	events := e.kubectl(t, "-n", ns, "get", "events", "--field-selector=involvedObject.kind=DaemonSet,involvedObject.name=agent",
		"-o", "custom-columns=REASON:.reason", "--no-headers")
	for _, want := range []string{"SuccessfulCreate", "SuccessfulDelete"} {
		if !strings.Contains(events, want) {
			t.Errorf("no %s event on the DaemonSet; events: %s", want, events)
		}
	}
}

// dsSampler watches the pods of a namespace and records, at every event,
// how many of the given nodes have no ready, non-terminating pod, and how
// many non-terminating pods exist beyond one per node.
type dsSampler struct {
	mu              sync.Mutex
	nodes           []string
	maxUnavailable  int
	maxExtra        int
	samples         int
	sawUnavailable  bool
	sawExtra        bool
	createdPodUIDs  map[types.UID]bool
	informerStopped func()
}

func (e *env) dsSample(t *testing.T, ns string, nodes []string) *dsSampler {
	t.Helper()
	s := &dsSampler{nodes: nodes, createdPodUIDs: map[types.UID]bool{}}
	factory := informers.NewSharedInformerFactoryWithOptions(e.c.KubeClient(), 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().Pods().Informer()
	sample := func(any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		ready := map[string]bool{}
		perNode := map[string]int{}
		for _, obj := range inf.GetStore().List() {
			p := obj.(*corev1.Pod)
			s.createdPodUIDs[p.UID] = true
			node := dsTargetNode(p)
			if p.DeletionTimestamp != nil {
				continue // terminating: neither serving nor surging
			}
			perNode[node]++
			if podReady(p) {
				ready[node] = true
			}
		}
		unavailable, extra := 0, 0
		for _, n := range s.nodes {
			if !ready[n] {
				unavailable++
			}
			extra += max(perNode[n]-1, 0)
		}
		s.samples++
		s.maxUnavailable = max(s.maxUnavailable, unavailable)
		s.maxExtra = max(s.maxExtra, extra)
		s.sawUnavailable = s.sawUnavailable || unavailable > 0
		s.sawExtra = s.sawExtra || extra > 0
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    sample,
		UpdateFunc: func(_, cur any) { sample(cur) },
		DeleteFunc: sample,
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	s.informerStopped = func() { close(stop); factory.Shutdown() }
	t.Cleanup(func() {
		if s.informerStopped != nil {
			s.informerStopped()
		}
	})
	factory.Start(stop)
	factory.WaitForCacheSync(stop)
	return s
}

func (s *dsSampler) stop() (maxUnavailable, maxExtra, samples int, distinctPods int) {
	s.informerStopped()
	s.informerStopped = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxUnavailable, s.maxExtra, s.samples, len(s.createdPodUIDs)
}

func TestDaemonSetRollingUpdate(t *testing.T) {
	e := sharedEnv(t)
	cases := []struct {
		name                     string
		maxUnavailable, maxSurge int
	}{
		{name: "max-unavailable", maxUnavailable: 1},
		{name: "max-surge", maxSurge: 1},
	}
	const pool = "rolling"
	nodes := e.dsAddNodes(t, 4, pool)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns := e.namespace(t, "ds-rolling-"+tc.name)
			e.dsNew(t, ns, "agent", pool, func(ds *v1alpha1.DaemonSet) {
				ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{
					Type: v1alpha1.RollingUpdateDaemonSetStrategyType,
					RollingUpdate: &v1alpha1.RollingUpdateDaemonSet{
						MaxUnavailable: ptr.To(intstr.FromInt32(int32(tc.maxUnavailable))),
						MaxSurge:       ptr.To(intstr.FromInt32(int32(tc.maxSurge))),
					},
				}
			})
			before := e.dsWaitSettled(t, ns, "agent", nodes, "registry.example/app:1.0")
			sampler := e.dsSample(t, ns, nodes)
			e.dsPatchImage(t, ns, "agent", "registry.example/app:2.0")
			after := e.dsWaitSettled(t, ns, "agent", nodes, "registry.example/app:2.0")
			maxUnavailable, maxExtra, samples, distinct := sampler.stop()
			t.Logf("%d samples: at most %d nodes unavailable, %d surge pods; %d distinct pods", samples, maxUnavailable, maxExtra, distinct)

			for node, p := range after {
				if before[node].UID == p.UID {
					t.Errorf("pod %s on %s was not replaced", p.Name, node)
				}
			}
			if distinct != 2*len(nodes) {
				t.Errorf("%d distinct pods during the update of %d nodes, want %d (one replacement each)", distinct, len(nodes), 2*len(nodes))
			}
			if maxUnavailable > tc.maxUnavailable {
				t.Errorf("%d nodes were without a ready pod at once, maxUnavailable is %d", maxUnavailable, tc.maxUnavailable)
			}
			if maxExtra > tc.maxSurge {
				t.Errorf("%d surge pods at once, maxSurge is %d", maxExtra, tc.maxSurge)
			}
			// The bounds were reached, so the samples saw the update move.
			if tc.maxUnavailable > 0 && maxUnavailable == 0 {
				t.Errorf("no sample saw an unavailable node: the watch missed the update")
			}
			if tc.maxSurge > 0 && maxExtra == 0 {
				t.Errorf("no sample saw a surge pod: the watch missed the update")
			}
		})
	}
}

func TestDaemonSetOnDeleteAndCascadingDelete(t *testing.T) {
	e := sharedEnv(t)
	ns := e.namespace(t, "ds-ondelete")
	const pool = "ondelete"
	nodes := e.dsAddNodes(t, 2, pool)
	sort.Strings(nodes)
	ds := e.dsNew(t, ns, "agent", pool, func(ds *v1alpha1.DaemonSet) {
		ds.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	})
	before := e.dsWaitSettled(t, ns, "agent", nodes, "registry.example/app:1.0")
	oldHash := before[nodes[0]].Labels[appsv1.ControllerRevisionHashLabelKey]

	e.dsPatchImage(t, ns, "agent", "registry.example/app:2.0")
	// The controller has seen the new template (a new revision, the
	// generation observed) and reports no pod updated: it replaced nothing.
	var newHash string
	poll(t, "the new revision to be observed", func(ctx context.Context) (bool, error) {
		cur, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		revs, err := e.c.KubeClient().AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		newHash = ""
		for _, r := range revs.Items {
			if h := r.Labels[appsv1.ControllerRevisionHashLabelKey]; h != oldHash && r.Revision == 2 && r.Name == "agent-"+h {
				newHash = h
			}
		}
		return newHash != "" && cur.Status.ObservedGeneration == cur.Generation && cur.Generation == 2 &&
			cur.Status.UpdatedNumberScheduled == 0 && cur.Status.CurrentNumberScheduled == 2, nil
	})
	for _, node := range nodes {
		pods, err := e.ownedPods(context.Background(), ns, ds.UID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pods) != 2 {
			t.Fatalf("%d pods after the template change, want the 2 old ones", len(pods))
		}
		for _, p := range pods {
			if dsTargetNode(&p) == node && (p.UID != before[node].UID || p.DeletionTimestamp != nil) {
				t.Errorf("OnDelete replaced the pod on %s without it being deleted", node)
			}
		}
	}

	// Deleting one pod replaces that one only, with the new template.
	e.kubectl(t, "-n", ns, "delete", "pod", before[nodes[0]].Name, "--wait=false")
	var last string
	poll(t, "the deleted pod to be replaced with the new template", func(ctx context.Context) (bool, error) {
		pods, err := e.ownedPods(ctx, ns, ds.UID)
		if err != nil {
			return false, err
		}
		replaced, kept := false, false
		var seen []string
		for i := range pods {
			p := &pods[i]
			seen = append(seen, fmt.Sprintf("%s@%s(%s)", p.Name, dsTargetNode(p), p.Spec.Containers[0].Image))
			switch {
			case p.UID == before[nodes[1]].UID:
				kept = true
			case dsTargetNode(p) == nodes[0] && p.DeletionTimestamp == nil && podReady(p):
				replaced = p.Spec.Containers[0].Image == "registry.example/app:2.0" && p.Labels[appsv1.ControllerRevisionHashLabelKey] == newHash
			}
		}
		last = strings.Join(seen, " ")
		return replaced && kept && len(pods) == 2, nil
	})
	t.Logf("after deleting one pod: %s", last)

	// kubectl delete cascades to the pods and the revisions.
	e.kubectl(t, "-n", ns, "delete", "xds", "agent")
	poll(t, "the DaemonSet, its pods and its revisions to be gone", func(ctx context.Context) (bool, error) {
		if _, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(ctx, "agent", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			return false, nil
		}
		pods, err := e.ownedPods(ctx, ns, ds.UID)
		if err != nil || len(pods) > 0 {
			return false, err
		}
		revs, err := e.c.KubeClient().AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{})
		return err == nil && len(revs.Items) == 0, err
	})
}
