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

// Package batch drives the batch controllers of workloads-controller-manager
// end to end: experimental Jobs (and CronJobs) on kwok nodes through
// kube-apiserver, with the generated clientset. Pods of Jobs finish as the
// test asks through the framework's kwok annotations
// (framework.AnnotationSucceedAfter, AnnotationFailAfter, AnnotationExitCode).
//
// Every test of the package shares one cluster (started on first use by
// sharedEnv) and works in its own namespace (env.namespace).
package batch

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	jobcontroller "github.com/kube-experimental/workloads-apiserver/pkg/controllers/job"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	pollInterval = 250 * time.Millisecond
	pollTimeout  = 2 * time.Minute
)

// clusterOptions are the options of the shared cluster: kwok nodes,
// workloads-apiserver and workloads-controller-manager with every
// controller (the framework gives it a free secure port).
func clusterOptions(nodes int, extraArgs ...string) framework.Options {
	return framework.Options{
		Nodes:                          nodes,
		WorkloadsAPIServer:             true,
		WorkloadsAPIServerArgs:         []string{"--runtime-config=experimental/v1alpha1=true"},
		WorkloadsControllerManager:     true,
		WorkloadsControllerManagerArgs: append([]string{"--v=2"}, extraArgs...),
		// clusterrole-aggregation folds artifacts/deploy/rbac-aggregate.yaml
		// into view, edit and admin for the RBAC tests.
		Controllers: append(slices.Clone(framework.DefaultControllers), "clusterrole-aggregation"),
	}
}

// env is a running cluster with clients.
type env struct {
	c      *framework.Cluster
	client clientset.Interface
}

// cluster is shared by the tests of the package.
var cluster = framework.NewShared(clusterOptions(3))

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

// sharedEnv returns the cluster shared by the tests of the package,
// starting it on first use.
func sharedEnv(t *testing.T) *env {
	t.Helper()
	c := cluster.Get(t)
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, client: client}
}

// namespace creates a namespace named after prefix with a random suffix for
// the test, and deletes it afterwards.
func (e *env) namespace(t *testing.T, prefix string) string {
	t.Helper()
	name := fmt.Sprintf("%s-%s", prefix, rand.String(5))
	e.c.CreateNamespace(t, name)
	return name
}

// poll waits up to pollTimeout for cond.
func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	pollFor(t, what, pollTimeout, cond)
}

// pollFor waits up to timeout for cond, checking every pollInterval.
func pollFor(t *testing.T, what string, timeout time.Duration, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), pollInterval, timeout, true, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// jobPodTemplate is a pod template whose pods kwok finishes as the
// annotations say (see framework.AnnotationSucceedAfter and friends).
func jobPodTemplate(annotations map[string]string) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Annotations: annotations},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "registry.example/batch:1.0"}},
		},
	}
}

// succeedAfter returns the annotations of pods that succeed d after they
// start running.
func succeedAfter(d string) map[string]string {
	return map[string]string{framework.AnnotationSucceedAfter: d}
}

// failAfter returns the annotations of pods that fail with exitCode d after
// they start running.
func failAfter(d string, exitCode int) map[string]string {
	return map[string]string{framework.AnnotationFailAfter: d, framework.AnnotationExitCode: fmt.Sprint(exitCode)}
}

// createJob creates job in ns.
func (e *env) createJob(t *testing.T, ns string, job *v1alpha1.Job) *v1alpha1.Job {
	t.Helper()
	job.Namespace = ns
	created, err := e.client.ExperimentalV1alpha1().Jobs(ns).Create(context.Background(), job, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating Job %s/%s: %v", ns, job.Name, err)
	}
	return created
}

// getJob reads a Job.
func (e *env) getJob(ctx context.Context, ns, name string) (*v1alpha1.Job, error) {
	return e.client.ExperimentalV1alpha1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
}

// jobCondition returns the condition of type ct with status True, if any.
func jobCondition(job *v1alpha1.Job, ct v1alpha1.JobConditionType) *v1alpha1.JobCondition {
	for i := range job.Status.Conditions {
		if c := &job.Status.Conditions[i]; c.Type == ct && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// waitJobCondition waits until the Job has the condition ct True and
// returns it.
func (e *env) waitJobCondition(t *testing.T, ns, name string, ct v1alpha1.JobConditionType, timeout time.Duration) *v1alpha1.Job {
	t.Helper()
	var job *v1alpha1.Job
	var last string
	pollFor(t, fmt.Sprintf("Job %s/%s to be %s", ns, name, ct), timeout, func(ctx context.Context) (bool, error) {
		var err error
		if job, err = e.getJob(ctx, ns, name); err != nil {
			return false, err
		}
		last = fmt.Sprintf("%+v", job.Status)
		return jobCondition(job, ct) != nil, nil
	})
	t.Logf("Job %s/%s is %s: %s", ns, name, ct, last)
	return job
}

// ownedPods lists the pods controlled by the object with uid.
func (e *env) ownedPods(ctx context.Context, ns string, uid types.UID) ([]corev1.Pod, error) {
	list, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.UID == uid {
			out = append(out, p)
		}
	}
	return out, nil
}

// expectNoTrackingFinalizers waits until no pod of ns carries the Job
// tracking finalizer.
func (e *env) expectNoTrackingFinalizers(t *testing.T, ns string) {
	t.Helper()
	var left []string
	pollFor(t, "no pod in "+ns+" to carry the tracking finalizer", 30*time.Second, func(ctx context.Context) (bool, error) {
		list, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		left = nil
		for _, p := range list.Items {
			if slices.Contains(p.Finalizers, jobcontroller.TrackingFinalizer) {
				left = append(left, p.Name)
			}
		}
		return len(left) == 0, nil
	})
}

// eventReasons returns the reasons of the events about the object named
// name in ns.
func (e *env) eventReasons(ctx context.Context, ns, name string) ([]string, error) {
	list, err := e.c.KubeClient().CoreV1().Events(ns).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("involvedObject.name", name).String(),
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, ev := range list.Items {
		out = append(out, ev.Reason)
	}
	return out, nil
}

// waitEvent waits for an event with reason about the object name.
func (e *env) waitEvent(t *testing.T, ns, name, reason string) {
	t.Helper()
	var seen []string
	pollFor(t, fmt.Sprintf("event %s on %s/%s", reason, ns, name), 30*time.Second, func(ctx context.Context) (bool, error) {
		var err error
		seen, err = e.eventReasons(ctx, ns, name)
		return slices.Contains(seen, reason), err
	})
}

// podWatch follows the pods of a namespace through an informer.
type podWatch struct {
	mu    sync.Mutex
	store cache.Store
}

// watchPods starts a pod informer on ns; onChange (may be nil) runs after
// each event with every pod of the namespace. The informer stops at cleanup.
func (e *env) watchPods(t *testing.T, ns string, onChange func(pods []*corev1.Pod)) *podWatch {
	t.Helper()
	factory := informers.NewSharedInformerFactoryWithOptions(e.c.KubeClient(), 0, informers.WithNamespace(ns))
	inf := factory.Core().V1().Pods().Informer()
	w := &podWatch{store: inf.GetStore()}
	notify := func() {
		if onChange == nil {
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		var pods []*corev1.Pod
		for _, obj := range w.store.List() {
			pods = append(pods, obj.(*corev1.Pod))
		}
		onChange(pods)
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { notify() },
		UpdateFunc: func(_, _ any) { notify() },
		DeleteFunc: func(any) { notify() },
	}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop); factory.Shutdown() })
	factory.Start(stop)
	if !cache.WaitForCacheSync(stop, inf.HasSynced) {
		t.Fatal("pod informer did not sync")
	}
	return w
}

// isActive reports whether a pod is neither terminal nor being deleted.
func isActive(p *corev1.Pod) bool {
	return p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed && p.DeletionTimestamp == nil
}

// podNames returns the names of pods, sorted, for messages.
func podNames(pods []corev1.Pod) string {
	var names []string
	for _, p := range pods {
		names = append(names, fmt.Sprintf("%s(%s)", p.Name, p.Status.Phase))
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}
