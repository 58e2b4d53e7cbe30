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

package podautoscaler

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	scalefake "k8s.io/client-go/scale/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	metricsapi "k8s.io/metrics/pkg/apis/metrics/v1beta1"
	metricsfake "k8s.io/metrics/pkg/client/clientset/versioned/fake"
	customfake "k8s.io/metrics/pkg/client/custom_metrics/fake"
	externalfake "k8s.io/metrics/pkg/client/external_metrics/fake"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllertest"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const testNamespace = "ns"

// podOpt adjusts a test pod.
type podOpt func(*corev1.Pod)

// newPod returns a running pod labelled app=web that became ready ten
// minutes ago, with one container "app" requesting cpuRequest.
func newPod(name, cpuRequest string, opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNamespace, Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name: "app",
		}}},
		Status: corev1.PodStatus{
			Phase:     corev1.PodRunning,
			StartTime: &metav1.Time{Time: now.Add(-10 * time.Minute)},
			Conditions: []corev1.PodCondition{{
				Type: corev1.PodReady, Status: corev1.ConditionTrue,
				LastTransitionTime: metav1.Time{Time: now.Add(-10 * time.Minute)},
			}},
		},
	}
	if cpuRequest != "" {
		p.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuRequest)}
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withSidecar(cpuRequest string) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{
			Name:      "sidecar",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpuRequest)}},
		})
	}
}

func withPhase(phase corev1.PodPhase) podOpt {
	return func(p *corev1.Pod) { p.Status.Phase = phase }
}

// startedRecently makes the pod start and turn ready (or not) within the CPU
// initialization period.
func startedRecently(ready corev1.ConditionStatus, since time.Duration) podOpt {
	return func(p *corev1.Pod) {
		p.Status.StartTime = &metav1.Time{Time: now.Add(-since)}
		p.Status.Conditions[0].Status = ready
		p.Status.Conditions[0].LastTransitionTime = metav1.Time{Time: now.Add(-since)}
	}
}

func deleted(p *corev1.Pod) {
	p.DeletionTimestamp = &metav1.Time{Time: now}
}

// podMetrics is one pod's sample: usage per container name, in CPU
// quantities.
type podMetrics struct {
	pod   string
	usage map[string]string
	// age is how long before now the sample was taken.
	age time.Duration
}

func cpu(pod, usage string) podMetrics {
	return podMetrics{pod: pod, usage: map[string]string{"app": usage}}
}

func (m podMetrics) object() *metricsapi.PodMetrics {
	pm := &metricsapi.PodMetrics{
		ObjectMeta: metav1.ObjectMeta{Name: m.pod, Namespace: testNamespace, Labels: map[string]string{"app": "web"}},
		Timestamp:  metav1.Time{Time: now.Add(-m.age)},
		Window:     metav1.Duration{Duration: 30 * time.Second},
	}
	// Stable container order for readable failures.
	for _, name := range []string{"app", "sidecar"} {
		if u, ok := m.usage[name]; ok {
			pm.Containers = append(pm.Containers, metricsapi.ContainerMetrics{
				Name: name, Usage: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(u)},
			})
		}
	}
	return pm
}

// metricsFakes are the k8s.io/metrics fake clientsets behind a REST metrics
// client.
type metricsFakes struct {
	resource *metricsfake.Clientset
	custom   *customfake.FakeCustomMetricsClient
	external *externalfake.FakeExternalMetricsClient
	client   MetricsClient
}

func newMetricsFakes(samples ...podMetrics) *metricsFakes {
	m := &metricsFakes{
		resource: metricsfake.NewSimpleClientset(),
		custom:   &customfake.FakeCustomMetricsClient{},
		external: &externalfake.FakeExternalMetricsClient{},
	}
	m.client = NewRESTMetricsClient(m.resource.MetricsV1beta1(), m.custom, m.external)
	m.setUsage(samples...)
	return m
}

// failResourceMetrics makes the resource metrics API fail. (The fake
// clientset names PodMetrics resource "pods", as the API does.)
func (m *metricsFakes) failResourceMetrics(err error) {
	m.resource.PrependReactor("list", "pods", func(clienttesting.Action) (bool, runtime.Object, error) {
		return true, nil, err
	})
}

// setUsage replaces the samples served by the resource metrics API; like
// metrics-server it filters them by the label selector of the request.
func (m *metricsFakes) setUsage(samples ...podMetrics) {
	m.resource.PrependReactor("list", "pods", func(a clienttesting.Action) (bool, runtime.Object, error) {
		selector := a.(clienttesting.ListAction).GetListRestrictions().Labels
		list := &metricsapi.PodMetricsList{}
		for _, s := range samples {
			if o := s.object(); selector.Matches(labels.Set(o.Labels)) {
				list.Items = append(list.Items, *o)
			}
		}
		return true, list, nil
	})
}

// scaleTarget is a fake /scale subresource.
type scaleTarget struct {
	mu       sync.Mutex
	gr       schema.GroupResource
	name     string
	replicas int32
	// surge is how many pods status.replicas counts beyond spec.replicas
	// (a rolling update in progress).
	surge    int32
	selector string
	getErr   error
	updErr   error
	updates  []int32
}

// fixture is a controller whose informers are never started: tests feed
// their indexers directly.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	scales   *scalefake.FakeScaleClient
	metrics  *metricsFakes
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	hpaStore cache.Indexer
	podStore cache.Indexer
	target   *scaleTarget
	requeued map[string]time.Duration
}

// testMapper knows experimental and apps/v1 Deployments and experimental
// ReplicaSets.
func testMapper() meta.RESTMapper {
	m := meta.NewDefaultRESTMapper([]schema.GroupVersion{v1alpha1.SchemeGroupVersion, {Group: "apps", Version: "v1"}})
	m.Add(v1alpha1.SchemeGroupVersion.WithKind("Deployment"), meta.RESTScopeNamespace)
	m.Add(v1alpha1.SchemeGroupVersion.WithKind("ReplicaSet"), meta.RESTScopeNamespace)
	m.Add(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"}, meta.RESTScopeNamespace)
	return m
}

func newFixture(t *testing.T, hpa *v1alpha1.HorizontalPodAutoscaler, target *scaleTarget, pods []*corev1.Pod, metrics *metricsFakes) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	f := &fixture{
		t:        t,
		ctx:      ctx,
		client:   fake.NewSimpleClientset(hpa),
		scales:   &scalefake.FakeScaleClient{},
		metrics:  metrics,
		clock:    clocktesting.NewFakeClock(now),
		recorder: record.NewFakeRecorder(100),
		target:   target,
		requeued: map[string]time.Duration{},
	}
	f.scales.AddReactor("get", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		g := a.(clienttesting.GetAction)
		target.mu.Lock()
		defer target.mu.Unlock()
		if target.getErr != nil {
			return true, nil, target.getErr
		}
		if g.GetResource().GroupResource() != target.gr || g.GetName() != target.name || g.GetNamespace() != testNamespace {
			return true, nil, fmt.Errorf("%s %q not found", g.GetResource().GroupResource(), g.GetName())
		}
		return true, target.scale(), nil
	})
	f.scales.AddReactor("update", "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
		u := a.(clienttesting.UpdateAction)
		target.mu.Lock()
		defer target.mu.Unlock()
		if target.updErr != nil {
			return true, nil, target.updErr
		}
		if u.GetResource().GroupResource() != target.gr || u.GetSubresource() != "scale" {
			return true, nil, fmt.Errorf("unexpected update of %s/%s", u.GetResource(), u.GetSubresource())
		}
		s := u.GetObject().(*autoscalingv1.Scale)
		target.replicas = s.Spec.Replicas
		target.updates = append(target.updates, s.Spec.Replicas)
		return true, target.scale(), nil
	})

	kube := kubefake.NewClientset()
	kubeInformers := kubeinformers.NewSharedInformerFactory(kube, 0)
	ourInformers := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().HorizontalPodAutoscalers(), kubeInformers.Core().V1().Pods(),
		f.client, f.scales, testMapper(), metrics.client, f.recorder, f.clock, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	c.hpaSynced = func() bool { return true }
	c.podSynced = func() bool { return true }
	c.enqueueAfter = func(key string, d time.Duration) { f.requeued[key] = d }
	f.c = c
	f.hpaStore = ourInformers.Experimental().V1alpha1().HorizontalPodAutoscalers().Informer().GetIndexer()
	f.podStore = kubeInformers.Core().V1().Pods().Informer().GetIndexer()
	if err := f.hpaStore.Add(hpa); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if err := f.podStore.Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (s *scaleTarget) scale() *autoscalingv1.Scale {
	return &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: s.name, Namespace: testNamespace},
		Spec:       autoscalingv1.ScaleSpec{Replicas: s.replicas},
		Status:     autoscalingv1.ScaleStatus{Replicas: s.replicas + s.surge, Selector: s.selector},
	}
}

// experimentalDeployment is a scale target: an experimental Deployment
// named web with replicas replicas selecting app=web.
func experimentalDeployment(replicas int32) *scaleTarget {
	return &scaleTarget{gr: schema.GroupResource{Group: v1alpha1.GroupName, Resource: "deployments"}, name: "web", replicas: replicas, selector: "app=web"}
}

// newHPA returns an autoscaler of the experimental Deployment web on 50%
// CPU utilization, between 1 and 10 replicas.
func newHPA() *v1alpha1.HorizontalPodAutoscaler {
	return &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: testNamespace, Generation: 3, UID: "hpa-uid"},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](1),
			MaxReplicas:    10,
			Metrics:        []v1alpha1.MetricSpec{cpuUtilization(50)},
		},
	}
}

func cpuUtilization(percent int32) v1alpha1.MetricSpec {
	return v1alpha1.MetricSpec{Type: v1alpha1.ResourceMetricSourceType, Resource: &v1alpha1.ResourceMetricSource{
		Name: corev1.ResourceCPU, Target: v1alpha1.MetricTarget{Type: v1alpha1.UtilizationMetricType, AverageUtilization: ptr.To(percent)},
	}}
}

const hpaKey = testNamespace + "/web"

// sync runs one sync of the autoscaler, then refreshes the cached autoscaler
// from the fake clientset (as the informer would).
func (f *fixture) sync() error {
	f.t.Helper()
	f.client.ClearActions()
	err := f.c.sync(f.ctx, hpaKey)
	latest, getErr := f.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(testNamespace).Get(f.ctx, "web", metav1.GetOptions{})
	if getErr == nil {
		if err := f.hpaStore.Update(latest); err != nil {
			f.t.Fatal(err)
		}
	}
	return err
}

// status returns the autoscaler's stored status.
func (f *fixture) status() v1alpha1.HorizontalPodAutoscalerStatus {
	f.t.Helper()
	hpa, err := f.client.ExperimentalV1alpha1().HorizontalPodAutoscalers(testNamespace).Get(f.ctx, "web", metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return hpa.Status
}

// statusUpdates counts the status writes of the last sync.
func (f *fixture) statusUpdates() int {
	return len(controllertest.StatusUpdates[*v1alpha1.HorizontalPodAutoscaler](f.client.Actions()))
}

// events drains the recorded events.
func (f *fixture) events() []string {
	var out []string
	for {
		select {
		case e := <-f.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func hasEvent(events []string, prefix string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, prefix) {
			return true
		}
	}
	return false
}

// condition returns the condition of type t, failing when it is absent.
func condition(t *testing.T, status v1alpha1.HorizontalPodAutoscalerStatus, ct v1alpha1.HorizontalPodAutoscalerConditionType) v1alpha1.HorizontalPodAutoscalerCondition {
	t.Helper()
	for _, c := range status.Conditions {
		if c.Type == ct {
			return c
		}
	}
	t.Fatalf("no %s condition in %+v", ct, status.Conditions)
	return v1alpha1.HorizontalPodAutoscalerCondition{}
}

func expectCondition(t *testing.T, status v1alpha1.HorizontalPodAutoscalerStatus, ct v1alpha1.HorizontalPodAutoscalerConditionType, want corev1.ConditionStatus, reason string) {
	t.Helper()
	c := condition(t, status, ct)
	if c.Status != want || c.Reason != reason {
		t.Errorf("condition %s = %s/%s (%q), want %s/%s", ct, c.Status, c.Reason, c.Message, want, reason)
	}
}
