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

package deployment

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllertest"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
	informers "github.com/kube-experimental/workloads-apiserver/pkg/generated/informers/externalversions"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// fixture is a controller whose informers are never started: tests feed
// the indexers directly, or copy the fake clientset's state into them with
// refresh. The fake clientset is the "API server" the controller writes to.
type fixture struct {
	t        *testing.T
	ctx      context.Context
	client   *fake.Clientset
	clock    *clocktesting.FakeClock
	recorder *record.FakeRecorder
	c        *Controller
	dStore   cache.Indexer
	rsStore  cache.Indexer
	podStore cache.Indexer
	// requeuedAfter records enqueueAfter calls, rateLimited the
	// enqueueRateLimited ones.
	requeuedAfter map[string]time.Duration
	rateLimited   map[string]int
}

func newFixture(t *testing.T, ds []*v1alpha1.Deployment, rss []*v1alpha1.ReplicaSet, pods []*corev1.Pod) *fixture {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	var objs []runtime.Object
	for _, d := range ds {
		objs = append(objs, d)
	}
	for _, rs := range rss {
		objs = append(objs, rs)
	}
	f := &fixture{
		t:             t,
		ctx:           ctx,
		client:        fake.NewSimpleClientset(objs...),
		clock:         clocktesting.NewFakeClock(t0),
		recorder:      record.NewFakeRecorder(1000),
		requeuedAfter: map[string]time.Duration{},
		rateLimited:   map[string]int{},
	}
	// The fake clientset sets neither UIDs nor creation timestamps.
	controllertest.OnCreate(f.client, "replicasets", controllertest.Fill{UID: true, CreationTimestamp: f.clock})
	kubeInformers := kubeinformers.NewSharedInformerFactory(kubefake.NewClientset(), 0)
	ourInformers := informers.NewSharedInformerFactory(f.client, 0)
	c, err := NewController(ctx, ourInformers.Experimental().V1alpha1().Deployments(), ourInformers.Experimental().V1alpha1().ReplicaSets(),
		kubeInformers.Core().V1().Pods(), f.client, f.recorder, f.clock)
	if err != nil {
		t.Fatal(err)
	}
	c.dSynced = func() bool { return true }
	c.rsSynced = func() bool { return true }
	c.podSynced = func() bool { return true }
	c.enqueueAfter = func(key string, d time.Duration) { f.requeuedAfter[key] = d }
	c.enqueueRateLimited = func(key string) { f.rateLimited[key]++ }
	f.c = c
	f.dStore = ourInformers.Experimental().V1alpha1().Deployments().Informer().GetIndexer()
	f.rsStore = ourInformers.Experimental().V1alpha1().ReplicaSets().Informer().GetIndexer()
	f.podStore = kubeInformers.Core().V1().Pods().Informer().GetIndexer()
	for _, d := range ds {
		f.add(f.dStore, d)
	}
	for _, rs := range rss {
		f.add(f.rsStore, rs)
	}
	for _, p := range pods {
		f.add(f.podStore, p)
	}
	return f
}

func (f *fixture) add(store cache.Indexer, obj any) {
	f.t.Helper()
	if err := store.Add(obj); err != nil {
		f.t.Fatal(err)
	}
}

// refresh makes the informer caches show what the fake API server has, as
// if every watch event had been delivered.
func (f *fixture) refresh() {
	f.t.Helper()
	ds, err := f.client.ExperimentalV1alpha1().Deployments("").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var dObjs []any
	for i := range ds.Items {
		dObjs = append(dObjs, &ds.Items[i])
	}
	if err := f.dStore.Replace(dObjs, ""); err != nil {
		f.t.Fatal(err)
	}
	rss, err := f.client.ExperimentalV1alpha1().ReplicaSets("").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	var rsObjs []any
	for i := range rss.Items {
		rsObjs = append(rsObjs, &rss.Items[i])
	}
	if err := f.rsStore.Replace(rsObjs, ""); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) sync(d *v1alpha1.Deployment) error {
	f.client.ClearActions()
	return f.c.sync(f.ctx, keyOf(d))
}

func (f *fixture) mustSync(d *v1alpha1.Deployment) {
	f.t.Helper()
	if err := f.sync(d); err != nil {
		f.t.Fatalf("sync: %v", err)
	}
}

func (f *fixture) actions(verb, resource string) []clienttesting.Action {
	return controllertest.Actions(verb, resource, f.client.Actions())
}

func (f *fixture) createdReplicaSets() []*v1alpha1.ReplicaSet {
	return controllertest.Created[*v1alpha1.ReplicaSet]("replicasets", f.client.Actions())
}

// getDeployment returns the Deployment as stored.
func (f *fixture) getDeployment(d *v1alpha1.Deployment) *v1alpha1.Deployment {
	f.t.Helper()
	got, err := f.client.ExperimentalV1alpha1().Deployments(d.Namespace).Get(f.ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	return got
}

// replicaSets returns the stored ReplicaSets by name.
func (f *fixture) replicaSets() map[string]*v1alpha1.ReplicaSet {
	f.t.Helper()
	list, err := f.client.ExperimentalV1alpha1().ReplicaSets("").List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	out := map[string]*v1alpha1.ReplicaSet{}
	for i := range list.Items {
		out[list.Items[i].Name] = &list.Items[i]
	}
	return out
}

// setRSStatus writes the status of a stored ReplicaSet, as the ReplicaSet
// controller would.
func (f *fixture) setRSStatus(rs *v1alpha1.ReplicaSet, replicas, available int32) {
	f.t.Helper()
	rs = rs.DeepCopy()
	rs.Status.Replicas = replicas
	rs.Status.ReadyReplicas = available
	rs.Status.AvailableReplicas = available
	rs.Status.TerminatingReplicas = ptr.To[int32](0)
	rs.Status.ObservedGeneration = rs.Generation
	if _, err := f.client.ExperimentalV1alpha1().ReplicaSets(rs.Namespace).UpdateStatus(f.ctx, rs, metav1.UpdateOptions{}); err != nil {
		f.t.Fatal(err)
	}
}

// events drains the recorder and returns the events.
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

func hasEvent(events []string, reason string) bool {
	for _, e := range events {
		if strings.Contains(e, " "+reason+" ") {
			return true
		}
	}
	return false
}

var selectorLabels = map[string]string{"app": "web"}

func podTemplate(image string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
	}
}

func newDeployment(name string, replicas int32, surge, unavailable intstr.IntOrString) *v1alpha1.Deployment {
	return &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(name + "-uid"), Generation: 1,
			CreationTimestamp: metav1.NewTime(t0.Add(-time.Hour))},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: selectorLabels},
			Template: podTemplate("nginx:1"),
			Strategy: v1alpha1.DeploymentStrategy{
				Type:          v1alpha1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &v1alpha1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable},
			},
			RevisionHistoryLimit:    ptr.To[int32](10),
			ProgressDeadlineSeconds: ptr.To[int32](600),
		},
	}
}

func recreate(d *v1alpha1.Deployment) *v1alpha1.Deployment {
	d.Spec.Strategy = v1alpha1.DeploymentStrategy{Type: v1alpha1.RecreateDeploymentStrategyType}
	return d
}

// newReplicaSetFor returns a ReplicaSet of d with the given image, revision
// and size, created age ago, with all its pods available.
func newReplicaSetFor(d *v1alpha1.Deployment, image string, revision int, replicas int32, age time.Duration) *v1alpha1.ReplicaSet {
	template := podTemplate(image)
	hash := computeHash(&template, nil)
	template.Labels = withLabel(template.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey, hash)
	maxReplicas := deploymentReplicas(d) + maxSurge(d)
	return &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: replicaSetName(d.Name, hash), Namespace: d.Namespace, UID: types.UID(d.Name + "-" + hash + "-uid"),
			Labels:            template.Labels,
			CreationTimestamp: metav1.NewTime(t0.Add(-age)),
			Generation:        1,
			Annotations: map[string]string{
				RevisionAnnotation:        fmt.Sprint(revision),
				DesiredReplicasAnnotation: fmt.Sprint(deploymentReplicas(d)),
				MaxReplicasAnnotation:     fmt.Sprint(maxReplicas),
			},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, controllerKind)},
		},
		Spec: v1alpha1.ReplicaSetSpec{
			Replicas: ptr.To(replicas),
			Selector: selectorWithLabel(d.Spec.Selector, v1alpha1.DefaultDeploymentUniqueLabelKey, hash),
			Template: template,
		},
		Status: v1alpha1.ReplicaSetStatus{Replicas: replicas, ReadyReplicas: replicas, AvailableReplicas: replicas,
			ObservedGeneration: 1, TerminatingReplicas: ptr.To[int32](0)},
	}
}

func newPod(name string, rs *v1alpha1.ReplicaSet, phase corev1.PodPhase) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: rs.Namespace, UID: types.UID(name + "-uid"),
			Labels:          rs.Spec.Template.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, replicaSetKind)},
		},
		Status: corev1.PodStatus{Phase: phase},
	}
}
