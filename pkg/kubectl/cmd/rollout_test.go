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
	"encoding/json"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/watch"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func TestDeploymentStatusMessages(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(d *v1alpha1.Deployment)
		want    string
		done    bool
		wantErr string
	}{
		{"spec not observed", func(d *v1alpha1.Deployment) { d.Generation = 2 },
			`Waiting for deployment spec update to be observed...`, false, ""},
		{"updating", func(d *v1alpha1.Deployment) { d.Status.UpdatedReplicas = 1; d.Status.Replicas = 3 },
			`Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...`, false, ""},
		{"old pending termination", func(d *v1alpha1.Deployment) { d.Status.UpdatedReplicas = 3; d.Status.Replicas = 5 },
			`Waiting for deployment "web" rollout to finish: 2 old replicas are pending termination...`, false, ""},
		{"not available", func(d *v1alpha1.Deployment) {
			d.Status.UpdatedReplicas, d.Status.Replicas, d.Status.AvailableReplicas = 3, 3, 1
		}, `Waiting for deployment "web" rollout to finish: 1 of 3 updated replicas are available...`, false, ""},
		{"done", func(d *v1alpha1.Deployment) {
			d.Status.UpdatedReplicas, d.Status.Replicas, d.Status.AvailableReplicas = 3, 3, 3
		}, `deployment "web" successfully rolled out`, true, ""},
		{"progress deadline exceeded", func(d *v1alpha1.Deployment) {
			d.Status.UpdatedReplicas, d.Status.Replicas = 3, 3
			d.Status.Conditions = []v1alpha1.DeploymentCondition{{Type: v1alpha1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: TimedOutReason}}
		}, "", false, `deployment "web" exceeded its progress deadline`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := deployment("web", 3)
			tc.mutate(d)
			msg, done, err := DeploymentStatus(d)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || done != tc.done || strings.TrimSpace(msg) != tc.want {
				t.Errorf("got (%q, %v, %v), want (%q, %v)", msg, done, err, tc.want, tc.done)
			}
		})
	}
}

func TestDaemonSetStatusMessages(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(ds *v1alpha1.DaemonSet)
		want    string
		done    bool
		wantErr string
	}{
		{"spec not observed", func(ds *v1alpha1.DaemonSet) { ds.Generation = 3 },
			`Waiting for daemon set spec update to be observed...`, false, ""},
		{"updating", func(ds *v1alpha1.DaemonSet) {
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled = 4, 1
		},
			`Waiting for daemon set "agent" rollout to finish: 1 out of 4 new pods have been updated...`, false, ""},
		{"not available", func(ds *v1alpha1.DaemonSet) {
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 4, 4, 2
		}, `Waiting for daemon set "agent" rollout to finish: 2 of 4 updated pods are available...`, false, ""},
		{"done", func(ds *v1alpha1.DaemonSet) {
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 4, 4, 4
		}, `daemon set "agent" successfully rolled out`, true, ""},
		{"partition holds 4 of 6", func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{Partition: ptr.To(intstr.FromInt32(4))}
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 6, 1, 6
		}, `Waiting for daemon set "agent" rollout to finish: 1 out of 2 new pods have been updated...`, false, ""},
		{"partition done", func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{Partition: ptr.To(intstr.FromString("50%"))}
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 5, 2, 5
		}, `daemon set "agent" successfully rolled out to 2 of 5 pods (the others keep their revision: partition, canaryNodeSelector or skipped not-ready nodes)`, true, ""},
		{"canary nodes done per the condition", func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{CanaryNodeSelector: &metav1.LabelSelector{}}
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 3, 1, 3
			ds.Status.Conditions = []v1alpha1.DaemonSetCondition{{Type: v1alpha1.DaemonSetProgressing, Status: corev1.ConditionTrue, Reason: v1alpha1.DaemonSetPartiallyRolledOutReason}}
		}, `daemon set "agent" successfully rolled out to 1 of 3 pods (the others keep their revision: partition, canaryNodeSelector or skipped not-ready nodes)`, true, ""},
		{"partition set, everything updated", func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{Partition: ptr.To(intstr.FromInt32(2))}
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 3, 3, 3
		}, `daemon set "agent" successfully rolled out`, true, ""},
		{"paused", func(ds *v1alpha1.DaemonSet) {
			ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{Paused: true}
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 3, 0, 3
			ds.Status.Conditions = []v1alpha1.DaemonSetCondition{{Type: v1alpha1.DaemonSetProgressing, Status: corev1.ConditionUnknown, Reason: v1alpha1.DaemonSetRolloutPausedReason}}
		}, `Waiting for daemon set "agent" rollout to finish: paused (rollingUpdate.paused), 0 out of 3 new pods have been updated...`, false, ""},
		{"blocked", func(ds *v1alpha1.DaemonSet) {
			ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 3, 0, 2
			ds.Status.Conditions = []v1alpha1.DaemonSetCondition{{Type: v1alpha1.DaemonSetProgressing, Status: corev1.ConditionFalse,
				Reason: v1alpha1.DaemonSetRolloutBlockedReason, Message: "node-1 (NotReady)"}}
		}, `Waiting for daemon set "agent" rollout to finish: blocked: node-1 (NotReady)...`, false, ""},
		{"OnDelete", func(ds *v1alpha1.DaemonSet) { ds.Spec.UpdateStrategy.Type = v1alpha1.OnDeleteDaemonSetStrategyType },
			"", false, "rollout status is only available for RollingUpdate strategy type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ds := daemonSet("agent")
			tc.mutate(ds)
			msg, done, err := DaemonSetStatus(ds)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || done != tc.done || strings.TrimSpace(msg) != tc.want {
				t.Errorf("got (%q, %v, %v), want (%q, %v)", msg, done, err, tc.want, tc.done)
			}
		})
	}
}

func TestRolloutStatusNoWatch(t *testing.T) {
	d := deployment("web", 3)
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas = 3, 3, 1
	f := newFakes(d)
	out := mustRun(t, f, "rollout", "status", "deploy/web", "--watch=false")
	if out != "Waiting for deployment \"web\" rollout to finish: 1 of 3 updated replicas are available...\n" {
		t.Errorf("output: %q", out)
	}
	if _, _, err := run(t, f, "rollout", "status", "deploy/missing", "--watch=false"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("missing deployment: %v", err)
	}
	if _, _, err := run(t, f, "rollout", "status", "cj/x"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("cronjob: %v", err)
	}
}

// watchDeployments makes the fake serve deployment watches from fw.
func watchDeployments(f *fakeClients, resource string) *watch.FakeWatcher {
	fw := watch.NewFake()
	f.x.PrependWatchReactor(resource, func(clienttesting.Action) (bool, watch.Interface, error) {
		return true, fw, nil
	})
	return fw
}

func TestRolloutStatusWatchesUntilDone(t *testing.T) {
	d := deployment("web", 2)
	d.Status.Replicas, d.Status.UpdatedReplicas = 2, 1
	f := newFakes(d)
	fw := watchDeployments(f, "deployments")
	go func() {
		u := d.DeepCopy()
		u.Status.UpdatedReplicas, u.Status.AvailableReplicas = 2, 1
		fw.Modify(u)
		u = u.DeepCopy()
		u.Status.AvailableReplicas = 2
		fw.Modify(u)
	}()
	out := mustRun(t, f, "rollout", "status", "deployment", "web")
	want := "Waiting for deployment \"web\" rollout to finish: 1 out of 2 new replicas have been updated...\n" +
		"Waiting for deployment \"web\" rollout to finish: 1 of 2 updated replicas are available...\n" +
		"deployment \"web\" successfully rolled out\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
}

func TestRolloutStatusFailsOnProgressDeadline(t *testing.T) {
	d := deployment("web", 2)
	d.Status.Replicas, d.Status.UpdatedReplicas = 2, 2
	f := newFakes(d)
	fw := watchDeployments(f, "deployments")
	go func() {
		u := d.DeepCopy()
		u.Status.Conditions = []v1alpha1.DeploymentCondition{{
			Type: v1alpha1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: TimedOutReason,
			Message: `ReplicaSet "web-1" has timed out progressing.`,
		}}
		fw.Modify(u)
	}()
	out, _, err := run(t, f, "rollout", "status", "xdeploy/web")
	if err == nil || err.Error() != `deployment "web" exceeded its progress deadline` {
		t.Fatalf("error = %v, want the progress deadline error", err)
	}
	if !strings.Contains(out, "0 of 2 updated replicas are available") {
		t.Errorf("output before the failure: %q", out)
	}
}

func TestRolloutStatusTimeout(t *testing.T) {
	ds := daemonSet("agent")
	ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled = 3, 1
	f := newFakes(ds)
	watchDeployments(f, "daemonsets") // never sends an event
	start := time.Now()
	out, _, err := run(t, f, "rollout", "status", "ds/agent", "--timeout=200ms")
	if err == nil || !strings.Contains(err.Error(), "timed out waiting for the rollout of daemonset.experimental/agent") {
		t.Fatalf("error = %v, want a timeout", err)
	}
	if time.Since(start) > 30*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
	if !strings.Contains(out, `Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...`) {
		t.Errorf("output: %q", out)
	}
}

func TestRolloutStatusDaemonSetDone(t *testing.T) {
	ds := daemonSet("agent")
	ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled, ds.Status.NumberAvailable = 2, 2, 2
	f := newFakes(ds)
	out := mustRun(t, f, "rollout", "status", "daemonsets", "agent")
	if out != "daemon set \"agent\" successfully rolled out\n" {
		t.Errorf("output: %q", out)
	}
}

// deploymentWithHistory: revisions 1 (nginx:1), 2 (nginx:2, current), and a
// ReplicaSet with revision 9 that belongs to another owner.
func deploymentWithHistory() []runtime.Object {
	d := deployment("web", 2)
	d.Annotations = map[string]string{RevisionAnnotation: "2"}
	d.Spec.Template.Spec.Containers[0].Image = "nginx:2"
	rs1 := ownedRS(d, "aaa", "1", "nginx:1", 0)
	rs1.Annotations[ChangeCauseAnnotation] = "first release"
	rs1.CreationTimestamp = metav1.NewTime(time.Unix(100, 0))
	rs2 := ownedRS(d, "bbb", "2", "nginx:2", 2)
	rs2.CreationTimestamp = metav1.NewTime(time.Unix(200, 0))
	foreign := ownedRS(deployment("web-other", 1), "ccc", "9", "evil:1", 1)
	foreign.Labels = map[string]string{"app": "web"}
	return []runtime.Object{d, rs1, rs2, foreign}
}

func TestRolloutHistoryDeployment(t *testing.T) {
	f := newFakes(deploymentWithHistory()...)
	out := mustRun(t, f, "rollout", "history", "deployment/web")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || lines[0] != "deployment.experimental/web" ||
		!strings.HasPrefix(lines[1], "REVISION") || !strings.Contains(lines[1], "CHANGE-CAUSE") ||
		strings.Join(strings.Fields(lines[2]), " ") != "1 first release" ||
		strings.Join(strings.Fields(lines[3]), " ") != "2 <none>" {
		t.Errorf("history:\n%s", out)
	}
	out = mustRun(t, f, "rollout", "history", "deployment/web", "--revision=1")
	if !strings.HasPrefix(out, "deployment.experimental/web with revision #1\nPod Template:") ||
		!strings.Contains(out, "nginx:1") || strings.Contains(out, "nginx:2") || strings.Contains(out, "pod-template-hash") {
		t.Errorf("revision 1:\n%s", out)
	}
	if _, _, err := run(t, f, "rollout", "history", "deployment/web", "--revision=9"); err == nil ||
		!strings.Contains(err.Error(), "unable to find the specified revision 9") {
		t.Errorf("revision of another owner: %v", err)
	}
}

// dsRevision is a ControllerRevision of ds holding image, as the DaemonSet
// controller writes them.
func dsRevision(t *testing.T, ds *v1alpha1.DaemonSet, rev int64, image string) *appsv1.ControllerRevision {
	t.Helper()
	tmpl := map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": ds.Name}},
		"spec":     map[string]any{"containers": []any{map[string]any{"name": "app", "image": image}}},
		"$patch":   "replace",
	}
	raw, err := json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
	if err != nil {
		t.Fatal(err)
	}
	return &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name: ds.Name + "-" + image[len(image)-1:], Namespace: testNS, Labels: map[string]string{"app": ds.Name},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, v1alpha1.SchemeGroupVersion.WithKind("DaemonSet"))},
		},
		Data:     runtime.RawExtension{Raw: raw},
		Revision: rev,
	}
}

func TestRolloutHistoryDaemonSet(t *testing.T) {
	ds := daemonSet("agent")
	ds.Spec.Template.Spec.Containers[0].Image = "agent:2"
	f := newFakes(ds, dsRevision(t, ds, 1, "agent:1"), dsRevision(t, ds, 2, "agent:2"))
	out := mustRun(t, f, "rollout", "history", "xds", "agent")
	if !strings.HasPrefix(out, "daemonset.experimental/agent\nREVISION") || !strings.Contains(out, "\n1 ") || !strings.Contains(out, "\n2 ") {
		t.Errorf("history:\n%s", out)
	}
	out = mustRun(t, f, "rollout", "history", "ds/agent", "--revision=1")
	if !strings.Contains(out, "daemonset.experimental/agent with revision #1") || !strings.Contains(out, "agent:1") {
		t.Errorf("revision 1:\n%s", out)
	}
}

func TestRolloutUndoDeployment(t *testing.T) {
	f := newFakes(deploymentWithHistory()...)
	var got []int64
	f.x.PrependReactor("create", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		if a.GetSubresource() != "rollback" {
			return false, nil, nil
		}
		rb := a.(clienttesting.CreateAction).GetObject().(*v1alpha1.DeploymentRollback)
		if rb.Name != "web" {
			t.Errorf("rollback name %q", rb.Name)
		}
		got = append(got, rb.RollbackTo.Revision)
		return true, &metav1.Status{Status: metav1.StatusSuccess}, nil
	})
	out := mustRun(t, f, "rollout", "undo", "deployment/web")
	if out != "deployment.experimental/web rolled back\n" {
		t.Errorf("undo output: %q", out)
	}
	out = mustRun(t, f, "rollout", "undo", "deployment/web", "--to-revision=2")
	if out != "deployment.experimental/web skipped rollback (current template already matches revision 2)\n" {
		t.Errorf("undo to the current revision: %q", out)
	}
	if _, _, err := run(t, f, "rollout", "undo", "deployment/web", "--to-revision=9"); err == nil ||
		!strings.Contains(err.Error(), "unable to find specified revision 9 in history") {
		t.Errorf("undo to an unknown revision: %v", err)
	}
	if len(got) != 1 || got[0] != 1 {
		t.Errorf("rollback requests: %v, want [1]", got)
	}

	paused := deployment("held", 1)
	paused.Spec.Paused = true
	f = newFakes(paused)
	if _, _, err := run(t, f, "rollout", "undo", "deploy/held"); err == nil || !strings.Contains(err.Error(), "paused deployment") {
		t.Errorf("undo of a paused deployment: %v", err)
	}
	f = newFakes(deployment("new", 1))
	if _, _, err := run(t, f, "rollout", "undo", "deploy/new"); err == nil || !strings.Contains(err.Error(), `no rollout history found for deployment "new"`) {
		t.Errorf("undo without history: %v", err)
	}
}

func TestRolloutUndoDaemonSet(t *testing.T) {
	ds := daemonSet("agent")
	ds.Spec.Template.Spec.Containers[0].Image = "agent:3"
	ds.Spec.Template.Annotations = map[string]string{"note": "third"}
	f := newFakes(ds, dsRevision(t, ds, 1, "agent:1"), dsRevision(t, ds, 2, "agent:2"), dsRevision(t, ds, 3, "agent:3"))
	out := mustRun(t, f, "rollout", "undo", "ds/agent")
	if out != "daemonset.experimental/agent rolled back\n" {
		t.Errorf("undo output: %q", out)
	}
	got, err := f.x.ExperimentalV1alpha1().DaemonSets(testNS).Get(t.Context(), "agent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "agent:2" {
		t.Errorf("image after undo = %q, want agent:2", img)
	}
	if _, ok := got.Spec.Template.Annotations["note"]; ok {
		t.Errorf("the revision's template must replace the current one, annotations: %v", got.Spec.Template.Annotations)
	}
	mustRun(t, f, "rollout", "undo", "ds/agent", "--to-revision=1")
	got, _ = f.x.ExperimentalV1alpha1().DaemonSets(testNS).Get(t.Context(), "agent", metav1.GetOptions{})
	if img := got.Spec.Template.Spec.Containers[0].Image; img != "agent:1" {
		t.Errorf("image after undo --to-revision=1 = %q", img)
	}
	out = mustRun(t, f, "rollout", "undo", "ds/agent", "--to-revision=1")
	if !strings.Contains(out, "skipped rollback (current template already matches revision 1)") {
		t.Errorf("second undo to revision 1: %q", out)
	}
}

func TestRolloutPauseResume(t *testing.T) {
	f := newFakes(deployment("web", 1))
	get := func() *v1alpha1.Deployment {
		d, err := f.x.ExperimentalV1alpha1().Deployments(testNS).Get(t.Context(), "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if out := mustRun(t, f, "rollout", "pause", "deployment/web"); out != "deployment.experimental/web paused\n" {
		t.Errorf("pause: %q", out)
	}
	if !get().Spec.Paused {
		t.Error("deployment not paused")
	}
	if out := mustRun(t, f, "rollout", "pause", "deployment/web"); out != "deployment.experimental/web already paused\n" {
		t.Errorf("second pause: %q", out)
	}
	if _, _, err := run(t, f, "rollout", "restart", "deployment/web"); err == nil || !strings.Contains(err.Error(), "can't restart paused deployment") {
		t.Errorf("restart while paused: %v", err)
	}
	if out := mustRun(t, f, "rollout", "resume", "deployment/web"); out != "deployment.experimental/web resumed\n" {
		t.Errorf("resume: %q", out)
	}
	if get().Spec.Paused {
		t.Error("deployment still paused")
	}
	out := mustRun(t, f, "rollout", "resume", "deployment/web", "-o", "jsonpath={.apiVersion} {.kind} {.metadata.name}")
	if out != "experimental/v1alpha1 Deployment web" {
		t.Errorf("resume -o jsonpath: %q", out)
	}
	if _, _, err := run(t, f, "rollout", "pause", "xrs/web"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("pause of a replica set: %v", err)
	}
}

func TestRolloutPauseResumeDaemonSet(t *testing.T) {
	onDelete := daemonSet("legacy")
	onDelete.Spec.UpdateStrategy = v1alpha1.DaemonSetUpdateStrategy{Type: v1alpha1.OnDeleteDaemonSetStrategyType}
	f := newFakes(daemonSet("agent"), onDelete)
	paused := func() bool {
		ds, err := f.x.ExperimentalV1alpha1().DaemonSets(testNS).Get(t.Context(), "agent", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return ds.Spec.UpdateStrategy.RollingUpdate != nil && ds.Spec.UpdateStrategy.RollingUpdate.Paused
	}
	if out := mustRun(t, f, "rollout", "pause", "ds/agent"); out != "daemonset.experimental/agent paused\n" {
		t.Errorf("pause: %q", out)
	}
	if !paused() {
		t.Error("daemon set not paused")
	}
	if out := mustRun(t, f, "rollout", "pause", "daemonset", "agent"); out != "daemonset.experimental/agent already paused\n" {
		t.Errorf("second pause: %q", out)
	}
	if out := mustRun(t, f, "rollout", "resume", "xds/agent"); out != "daemonset.experimental/agent resumed\n" {
		t.Errorf("resume: %q", out)
	}
	if paused() {
		t.Error("daemon set still paused")
	}
	if _, _, err := run(t, f, "rollout", "pause", "ds/legacy"); err == nil || !strings.Contains(err.Error(), "RollingUpdate update strategy") {
		t.Errorf("pause of an OnDelete daemon set: %v", err)
	}
}

func TestRolloutRestart(t *testing.T) {
	f := newFakes(deployment("web", 1), daemonSet("agent"))
	before := time.Now().Add(-time.Second)
	if out := mustRun(t, f, "rollout", "restart", "deployment/web"); out != "deployment.experimental/web restarted\n" {
		t.Errorf("restart: %q", out)
	}
	d, _ := f.x.ExperimentalV1alpha1().Deployments(testNS).Get(t.Context(), "web", metav1.GetOptions{})
	stamp, err := time.Parse(time.RFC3339, d.Spec.Template.Annotations[RestartedAtAnnotation])
	if err != nil || stamp.Before(before.Truncate(time.Second)) {
		t.Errorf("restartedAt = %q (%v)", d.Spec.Template.Annotations[RestartedAtAnnotation], err)
	}
	mustRun(t, f, "rollout", "restart", "ds", "agent")
	ds, _ := f.x.ExperimentalV1alpha1().DaemonSets(testNS).Get(t.Context(), "agent", metav1.GetOptions{})
	if ds.Spec.Template.Annotations[RestartedAtAnnotation] == "" {
		t.Errorf("daemonset template annotations: %v", ds.Spec.Template.Annotations)
	}
	if _, err := restart(t.Context(), f.x, testNS, KindDaemonSet, "agent", stampTime(t, ds.Spec.Template.Annotations[RestartedAtAnnotation])); err == nil ||
		!strings.Contains(err.Error(), "already been triggered within the past second") {
		t.Errorf("restart twice in the same second: %v", err)
	}
}

func stampTime(t *testing.T, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
