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
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/fake"
)

const testNS = "team"

// fakeClients serves fake clientsets to the commands.
type fakeClients struct {
	x    *fake.Clientset
	kube *kubefake.Clientset
}

func (f *fakeClients) Experimental() (clientset.Interface, error) { return f.x, nil }
func (f *fakeClients) Kube() (kubernetes.Interface, error)        { return f.kube, nil }
func (f *fakeClients) Namespace() (string, error)                 { return testNS, nil }

// newFakes splits objects between the experimental and the core fakes.
func newFakes(objs ...runtime.Object) *fakeClients {
	var xs, ks []runtime.Object
	for _, o := range objs {
		switch o.(type) {
		case *v1alpha1.Deployment, *v1alpha1.DaemonSet, *v1alpha1.ReplicaSet, *v1alpha1.Job, *v1alpha1.CronJob, *v1alpha1.HorizontalPodAutoscaler:
			xs = append(xs, o)
		default:
			ks = append(ks, o)
		}
	}
	return &fakeClients{x: fake.NewSimpleClientset(xs...), kube: kubefake.NewSimpleClientset(ks...)}
}

// run executes the plugin with args and returns stdout, stderr and the error.
func run(t *testing.T, f *fakeClients, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCommandWithClients(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, f)
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func mustRun(t *testing.T, f *fakeClients, args ...string) string {
	t.Helper()
	out, errOut, err := run(t, f, args...)
	if err != nil {
		t.Fatalf("kubectl experimental %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func podTemplate(app string, containers ...corev1.Container) corev1.PodTemplateSpec {
	if len(containers) == 0 {
		containers = []corev1.Container{{Name: "app", Image: "nginx:1"}}
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: containers},
	}
}

func selector(app string) *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}
}

func deployment(name string, replicas int32) *v1alpha1.Deployment {
	return &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid"), Generation: 1},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: selector(name),
			Template: podTemplate(name),
			Strategy: v1alpha1.DeploymentStrategy{Type: v1alpha1.RollingUpdateDeploymentStrategyType},
		},
		Status: v1alpha1.DeploymentStatus{ObservedGeneration: 1},
	}
}

func daemonSet(name string) *v1alpha1.DaemonSet {
	return &v1alpha1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid"), Generation: 1},
		Spec: v1alpha1.DaemonSetSpec{
			Selector:       selector(name),
			Template:       podTemplate(name),
			UpdateStrategy: v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.RollingUpdateDaemonSetStrategyType},
		},
		Status: v1alpha1.DaemonSetStatus{ObservedGeneration: 1},
	}
}

// ownedRS is a ReplicaSet of d at a revision with an image.
func ownedRS(d *v1alpha1.Deployment, name string, revision, image string, replicas int32) *v1alpha1.ReplicaSet {
	tmpl := podTemplate(d.Name, corev1.Container{Name: "app", Image: image})
	tmpl.Labels[v1alpha1.DefaultDeploymentUniqueLabelKey] = name
	return &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Name: d.Name + "-" + name, Namespace: testNS, UID: types.UID(d.Name + "-" + name),
			Labels:          map[string]string{"app": d.Name},
			Annotations:     map[string]string{RevisionAnnotation: revision},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, v1alpha1.SchemeGroupVersion.WithKind("Deployment"))},
		},
		Spec:   v1alpha1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: selector(d.Name), Template: tmpl},
		Status: v1alpha1.ReplicaSetStatus{Replicas: replicas},
	}
}

func pod(name, app string, phase corev1.PodPhase, ready bool, owner metav1.Object, kind string) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, Labels: map[string]string{"app": app}},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "nginx:1"}}},
		Status:     corev1.PodStatus{Phase: phase},
	}
	if phase != corev1.PodPending {
		p.Spec.NodeName = "node-1"
	}
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}
	if owner != nil {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "experimental/v1alpha1", Kind: kind, Name: owner.GetName(), UID: owner.GetUID(), Controller: ptr.To(true)}}
	}
	return p
}

func TestParseKind(t *testing.T) {
	cases := map[string]Kind{
		"deployment": KindDeployment, "deployments": KindDeployment, "deploy": KindDeployment, "xdeploy": KindDeployment,
		"Deployment.experimental": KindDeployment, "deployments.v1alpha1.experimental": KindDeployment,
		"daemonset": KindDaemonSet, "daemonsets": KindDaemonSet, "ds": KindDaemonSet, "xds": KindDaemonSet,
		"replicaset": KindReplicaSet, "rs": KindReplicaSet, "xrs": KindReplicaSet,
		"job": KindJob, "xjob": KindJob,
		"cronjob": KindCronJob, "cj": KindCronJob, "xcj": KindCronJob,
		"horizontalpodautoscaler": KindHPA, "hpa": KindHPA, "xhpa": KindHPA,
	}
	for in, want := range cases {
		got, err := ParseKind(in)
		if err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"pod", "statefulset", "deployment.apps", ""} {
		if k, err := ParseKind(bad); err == nil {
			t.Errorf("ParseKind(%q) = %q, want an error", bad, k)
		}
	}
	k, name, err := ParseTypeName("xds/agent")
	if err != nil || k != KindDaemonSet || name != "agent" {
		t.Errorf("ParseTypeName(xds/agent) = %q, %q, %v", k, name, err)
	}
	for _, bad := range []string{"deploy", "deploy/", "/x", "pod/x"} {
		if _, _, err := ParseTypeName(bad); err == nil {
			t.Errorf("ParseTypeName(%q): want an error", bad)
		}
	}
	if _, err := parseKindOf("cj", "rollout status", KindDeployment, KindDaemonSet); err == nil || !strings.Contains(err.Error(), "supported types are deployment, daemonset") {
		t.Errorf("parseKindOf(cj) for rollout status: %v", err)
	}
}

func TestCompletionListsNames(t *testing.T) {
	f := newFakes(deployment("web", 1), deployment("api", 1), daemonSet("agent"),
		&v1alpha1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "elsewhere", Namespace: "other"}})
	out := mustRun(t, f, "__complete", "rollout", "status", "deployment", "")
	if !strings.Contains(out, "api\nweb\n") || strings.Contains(out, "elsewhere") || strings.Contains(out, "agent") {
		t.Errorf("completion of deployment names:\n%s", out)
	}
	out = mustRun(t, f, "__complete", "rollout", "status", "")
	if !strings.Contains(out, "deployment\ndaemonset\n") {
		t.Errorf("completion of resource types:\n%s", out)
	}
	out = mustRun(t, f, "__complete", "set", "image", "xds/")
	if !strings.Contains(out, "xds/agent\n") {
		t.Errorf("completion of TYPE/NAME:\n%s", out)
	}
	out = mustRun(t, f, "__complete", "logs", "")
	if !strings.Contains(out, "deployment/\n") {
		t.Errorf("completion of logs types:\n%s", out)
	}
	out = mustRun(t, f, "completion", "bash")
	if !strings.Contains(out, "kubectl-experimental") {
		t.Errorf("bash completion script does not name the plugin:\n%.200s", out)
	}
}
