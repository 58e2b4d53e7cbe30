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
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// treeNow is the fixed clock of the golden tests.
var treeNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func ago(d time.Duration) metav1.Time { return metav1.NewTime(treeNow.Add(-d)) }

// treePod is a pod of owner on node, created age ago, with its ready
// condition and container status.
func treePod(name string, owner metav1.Object, kind, node string, phase corev1.PodPhase, ready bool, restarts int32, age time.Duration) *corev1.Pod {
	p := pod(name, "x", phase, ready, owner, kind)
	p.UID = types.UID(name)
	p.Spec.NodeName = node
	p.CreationTimestamp = ago(age)
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Ready: ready, RestartCount: restarts}}
	return p
}

func treeFixtures() []runtime.Object {
	d := deployment("web", 3)
	d.CreationTimestamp = ago(72 * time.Hour)
	d.Generation, d.Status.ObservedGeneration = 2, 2
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas = 4, 2, 3
	d.Status.Conditions = []v1alpha1.DeploymentCondition{{Type: v1alpha1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated"}}
	rs2 := ownedRS(d, "7d9f", "2", "nginx:1.27", 3)
	rs2.CreationTimestamp = ago(90 * time.Second)
	rs2.Spec.Template.Spec.Containers = append(rs2.Spec.Template.Spec.Containers, corev1.Container{Name: "proxy", Image: "envoy:1.30"})
	rs2.Status.ReadyReplicas = 2
	rs1 := ownedRS(d, "5c4b", "1", "nginx:1.25", 1)
	rs1.CreationTimestamp = ago(72 * time.Hour)
	rs1.Status.ReadyReplicas = 1
	// A ReplicaSet of another Deployment is not shown.
	other := deployment("api", 1)
	otherRS := ownedRS(other, "1111", "1", "api:1", 1)

	crash := treePod("web-7d9f-ccccc", rs2, "ReplicaSet", "node-b", corev1.PodRunning, false, 4, 80*time.Second)
	crash.Status.ContainerStatuses[0].State.Waiting = &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}
	oldPod := treePod("web-5c4b-zzzzz", rs1, "ReplicaSet", "node-c", corev1.PodRunning, true, 0, 72*time.Hour)
	oldPod.DeletionTimestamp = ptr.To(ago(5 * time.Second))

	ds := daemonSet("agent")
	ds.CreationTimestamp = ago(36 * time.Hour)
	ds.Status = v1alpha1.DaemonSetStatus{ObservedGeneration: 1, DesiredNumberScheduled: 3, NumberReady: 2, UpdatedNumberScheduled: 3, NumberAvailable: 2, CurrentNumberScheduled: 3}

	cj := &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: testNS, UID: "nightly-uid", CreationTimestamp: ago(10 * 24 * time.Hour)},
		Spec:       v1alpha1.CronJobSpec{Schedule: "0 2 * * *", JobTemplate: v1alpha1.JobTemplateSpec{Spec: v1alpha1.JobSpec{Template: podTemplate("nightly")}}},
		Status: v1alpha1.CronJobStatus{
			Active:           []corev1.ObjectReference{{Name: "nightly-29100000"}},
			LastScheduleTime: ptr.To(ago(10 * time.Hour)),
		},
	}
	job := func(name string, age time.Duration, succeeded, failed, active int32, cond v1alpha1.JobConditionType) *v1alpha1.Job {
		j := &v1alpha1.Job{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name), CreationTimestamp: ago(age),
				OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cj, v1alpha1.SchemeGroupVersion.WithKind("CronJob"))}},
			Spec:   v1alpha1.JobSpec{Completions: ptr.To[int32](2), Template: podTemplate("nightly")},
			Status: v1alpha1.JobStatus{Succeeded: succeeded, Failed: failed, Active: active},
		}
		if cond != "" {
			j.Status.Conditions = []v1alpha1.JobCondition{{Type: cond, Status: corev1.ConditionTrue}}
		}
		return j
	}
	j1 := job("nightly-29098560", 34*time.Hour, 2, 1, 0, v1alpha1.JobComplete)
	j2 := job("nightly-29100000", 10*time.Hour, 1, 0, 1, "")

	return []runtime.Object{
		d, rs1, rs2, other, otherRS,
		treePod("web-7d9f-aaaaa", rs2, "ReplicaSet", "node-a", corev1.PodRunning, true, 0, 85*time.Second),
		treePod("web-7d9f-bbbbb", rs2, "ReplicaSet", "node-a", corev1.PodRunning, true, 1, 84*time.Second),
		crash, oldPod,
		treePod("api-1111-aaaaa", otherRS, "ReplicaSet", "node-a", corev1.PodRunning, true, 0, time.Hour),
		ds,
		treePod("agent-n2", ds, "DaemonSet", "node-b", corev1.PodRunning, true, 0, 36*time.Hour),
		treePod("agent-n1", ds, "DaemonSet", "node-a", corev1.PodRunning, true, 2, 36*time.Hour),
		treePod("agent-n3", ds, "DaemonSet", "node-c", corev1.PodPending, false, 0, 30*time.Second),
		cj, j1, j2,
		treePod("nightly-29098560-a", j1, "Job", "node-a", corev1.PodSucceeded, false, 0, 34*time.Hour),
		treePod("nightly-29098560-b", j1, "Job", "node-b", corev1.PodFailed, false, 0, 34*time.Hour),
		treePod("nightly-29098560-c", j1, "Job", "node-b", corev1.PodSucceeded, false, 0, 33*time.Hour),
		treePod("nightly-29100000-a", j2, "Job", "node-c", corev1.PodSucceeded, false, 0, 10*time.Hour),
		treePod("nightly-29100000-b", j2, "Job", "node-c", corev1.PodRunning, true, 0, 9*time.Hour),
	}
}

// TestTreeGolden renders each kind's tree with a fixed clock and compares it
// with testdata/tree/<case>.golden (go test -run TestTreeGolden -update
// rewrites them).
func TestTreeGolden(t *testing.T) {
	f := newFakes(treeFixtures()...)
	for _, tc := range []struct {
		golden string
		kind   Kind
		name   string
	}{
		{"deployment", KindDeployment, "web"},
		{"replicaset", KindReplicaSet, "web-7d9f"},
		{"daemonset", KindDaemonSet, "agent"},
		{"cronjob", KindCronJob, "nightly"},
		{"job", KindJob, "nightly-29100000"},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			got, err := renderTree(context.Background(), f.x, f.kube, testNS, tc.kind, tc.name, treeNow)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "tree", tc.golden+".golden")
			if *updateGolden {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("tree %s/%s differs from %s:\n--- got\n%s--- want\n%s", tc.kind.Resource(), tc.name, path, got, want)
			}
		})
	}
}

func TestTreeCommand(t *testing.T) {
	f := newFakes(treeFixtures()...)
	out := mustRun(t, f, "tree", "xdeploy/web")
	for _, want := range []string{"deployment.experimental/web", "replicaset.experimental/web-7d9f", "pod/web-5c4b-zzzzz"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "api-1111") {
		t.Errorf("tree shows another Deployment's objects:\n%s", out)
	}
	if out2 := mustRun(t, f, "tree", "xcj", "nightly"); !strings.HasPrefix(strings.Split(out2, "\n")[1], "cronjob.experimental/nightly") {
		t.Errorf("TYPE NAME form: %s", out2)
	}
	if out := mustRun(t, f, "__complete", "tree", "deployment", ""); !strings.Contains(out, "api\nweb\n") {
		t.Errorf("completion of deployment names:\n%s", out)
	}
	if out := mustRun(t, f, "__complete", "tree", ""); !strings.Contains(out, "cronjob\n") || strings.Contains(out, "horizontalpodautoscaler") {
		t.Errorf("completion of tree's resource types:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tree", "xhpa/web"}, "tree is not supported for horizontalpodautoscaler: supported types are deployment, daemonset, replicaset, job, cronjob"},
		{[]string{"tree", "xdeploy/missing"}, "not found"},
		{[]string{"tree", "widgets/x"}, "unknown resource type"},
		{[]string{"tree", "xdeploy/web", "extra"}, "unexpected arguments"},
		{[]string{"tree", "xdeploy/web", "--watch", "--interval=0s"}, "--interval must be positive"},
	} {
		_, _, err := run(t, f, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestWatchTreeRedrawsInPlace: every frame after the first is preceded by
// the escape sequence that moves the cursor up over the previous frame's
// lines and clears the rest of the screen; a failing render is shown and
// watching goes on.
func TestWatchTreeRedrawsInPlace(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	frames := []string{"a\nb\n", "", "c\nd\ne\n"}
	calls := 0
	render := func() (string, error) {
		calls++
		if calls == len(frames) {
			cancel()
		}
		if frames[calls-1] == "" {
			return "", errors.New("deployments.experimental \"web\" not found")
		}
		return frames[calls-1], nil
	}
	// Exactly one tick per redraw, so the loop cannot run past the
	// cancellation.
	ticks := make(chan time.Time, len(frames)-1)
	for range len(frames) - 1 {
		ticks <- treeNow
	}
	var out bytes.Buffer
	if err := watchTree(ctx, &out, ticks, render); err != nil {
		t.Fatal(err)
	}
	want := "a\nb\n" +
		"\x1b[2A\x1b[J" + "error: deployments.experimental \"web\" not found\n" +
		"\x1b[1A\x1b[J" + "c\nd\ne\n"
	if out.String() != want {
		t.Errorf("watch output %q, want %q", out.String(), want)
	}
	if calls != len(frames) {
		t.Errorf("rendered %d times, want %d", calls, len(frames))
	}
}
