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

package kubectlplugin

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// revisionRows returns the revision numbers of a `rollout history` table.
func revisionRows(out string) []string {
	var revs []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) > 0 && regexp.MustCompile(`^[0-9]+$`).MatchString(f[0]) {
			revs = append(revs, f[0])
		}
	}
	return revs
}

func TestPluginDiscoveredByKubectl(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	// `plugin list` exits non-zero when another kubectl-experimental further
	// down PATH is shadowed; what matters is which one kubectl runs: the first.
	out, errOut, _ := e.kubectl("plugin", "list")
	built := filepath.Join(e.c.BinDir, "kubectl-experimental")
	var first string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasSuffix(strings.TrimSpace(line), "/kubectl-experimental") {
			first = strings.TrimSpace(line)
			break
		}
	}
	if first != built {
		t.Fatalf("kubectl plugin list: first kubectl-experimental is %q, want %s\n%s%s", first, built, out, errOut)
	}
	help := e.plugin(t, "default", "--help")
	if !strings.Contains(help, "kubectl experimental [command]") {
		t.Errorf("help does not use the plugin's kubectl name:\n%s", help)
	}
}

func TestRolloutStatusCompletes(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-status-ok")
	e.newDeployment(t, ns, "web", 3, nil)
	out := e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	if !strings.HasSuffix(out, "deployment \"web\" successfully rolled out\n") {
		t.Errorf("rollout status output:\n%s", out)
	}
	d := e.getDeployment(t, ns, "web")
	if d.Status.AvailableReplicas != 3 || d.Status.UpdatedReplicas != 3 {
		t.Errorf("rollout status returned before the rollout finished: %+v", d.Status)
	}
}

func TestRolloutStatusFailsOnProgressDeadline(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-status-stuck")
	e.newDeployment(t, ns, "stuck", 2, func(d *v1alpha1.Deployment) {
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](10)
		d.Spec.Template.Annotations = map[string]string{framework.AnnotationNeverReady: "true"}
	})
	out, errOut, err := e.pluginErr(ns, "rollout", "status", "xdeploy/stuck", "--timeout=2m")
	if err == nil {
		t.Fatalf("rollout status of a stuck rollout exited 0:\n%s", out)
	}
	if !strings.Contains(errOut, `deployment "stuck" exceeded its progress deadline`) {
		t.Errorf("stderr does not give the reason:\n%s\nstdout:\n%s", errOut, out)
	}
	if !strings.Contains(out, `Waiting for deployment "stuck" rollout to finish`) {
		t.Errorf("no progress messages before the failure:\n%s", out)
	}
	// --watch=false reports the same failure at once.
	if _, errOut, err := e.pluginErr(ns, "rollout", "status", "deploy", "stuck", "--watch=false"); err == nil || !strings.Contains(errOut, "exceeded its progress deadline") {
		t.Errorf("--watch=false: %v\n%s", err, errOut)
	}
}

func TestDeploymentSetImageHistoryUndo(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-undo")
	e.newDeployment(t, ns, "web", 2, nil)
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")

	out := e.plugin(t, ns, "set", "image", "deployment/web", "main=registry.example/app:2.0")
	if out != "deployment.experimental/web image updated\n" {
		t.Errorf("set image output: %q", out)
	}
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")

	hist := e.plugin(t, ns, "rollout", "history", "deployment/web")
	if revs := revisionRows(hist); strings.Join(revs, ",") != "1,2" {
		t.Fatalf("history after set image has revisions %v, want 1,2:\n%s", revs, hist)
	}
	rev2 := e.plugin(t, ns, "rollout", "history", "deployment/web", "--revision=2")
	if !strings.Contains(rev2, "registry.example/app:2.0") || strings.Contains(rev2, "app:1.0") {
		t.Errorf("revision 2 template:\n%s", rev2)
	}

	out = e.plugin(t, ns, "rollout", "undo", "deployment/web")
	if out != "deployment.experimental/web rolled back\n" {
		t.Errorf("undo output: %q", out)
	}
	poll(t, "the rollback to restore the previous image", func(ctx context.Context) (bool, error) {
		d, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return d.Spec.Template.Spec.Containers[0].Image == "registry.example/app:1.0", nil
	})
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	hist = e.plugin(t, ns, "rollout", "history", "deployment/web")
	if revs := revisionRows(hist); strings.Join(revs, ",") != "2,3" {
		t.Errorf("history after undo has revisions %v, want 2,3 (revision 1 becomes 3):\n%s", revs, hist)
	}
	out = e.plugin(t, ns, "rollout", "undo", "deployment/web", "--to-revision=3")
	if !strings.Contains(out, "skipped rollback (current template already matches revision 3)") {
		t.Errorf("undo to the current revision: %q", out)
	}
}

func TestPauseResumeRestart(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-pause")
	d := e.newDeployment(t, ns, "web", 2, nil)
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")

	if out := e.plugin(t, ns, "rollout", "pause", "deployment/web"); out != "deployment.experimental/web paused\n" {
		t.Errorf("pause output: %q", out)
	}
	if !e.getDeployment(t, ns, "web").Spec.Paused {
		t.Fatal("deployment not paused")
	}
	if out := e.plugin(t, ns, "rollout", "pause", "deployment/web"); out != "deployment.experimental/web already paused\n" {
		t.Errorf("second pause output: %q", out)
	}
	if _, errOut, err := e.pluginErr(ns, "rollout", "restart", "deployment/web"); err == nil || !strings.Contains(errOut, "can't restart paused deployment") {
		t.Errorf("restart while paused: %v\n%s", err, errOut)
	}
	// A template change of a paused Deployment is not rolled out: once the
	// controller has observed it, there is still only the first ReplicaSet.
	e.plugin(t, ns, "set", "image", "deployment/web", "main=registry.example/app:2.0")
	poll(t, "the controller to observe the paused template change", func(ctx context.Context) (bool, error) {
		cur, err := e.client.ExperimentalV1alpha1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return cur.Status.ObservedGeneration >= cur.Generation, nil
	})
	before, err := e.ownedReplicaSets(context.Background(), d)
	if err != nil || len(before) != 1 {
		t.Fatalf("replica sets of the paused deployment: %d, %v", len(before), err)
	}
	if out := e.plugin(t, ns, "rollout", "resume", "deployment/web"); out != "deployment.experimental/web resumed\n" {
		t.Errorf("resume output: %q", out)
	}
	if e.getDeployment(t, ns, "web").Spec.Paused {
		t.Fatal("deployment still paused")
	}
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	resumed, err := e.ownedReplicaSets(context.Background(), d)
	if err != nil || len(resumed) != 2 {
		t.Fatalf("replica sets after resume: %d, %v (want the first and the resumed rollout's)", len(resumed), err)
	}

	before = resumed
	if out := e.plugin(t, ns, "rollout", "restart", "deployment/web"); out != "deployment.experimental/web restarted\n" {
		t.Errorf("restart output: %q", out)
	}
	poll(t, "a new ReplicaSet with the restartedAt annotation", func(ctx context.Context) (bool, error) {
		rss, err := e.ownedReplicaSets(ctx, d)
		if err != nil {
			return false, err
		}
		return len(rss) == len(before)+1 && hasRestartedRS(rss), nil
	})
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
}

func hasRestartedRS(rss []v1alpha1.ReplicaSet) bool {
	for _, rs := range rss {
		if rs.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] != "" {
			return true
		}
	}
	return false
}

func TestDaemonSetRolloutStatusAndUndo(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-ds")
	e.newDaemonSet(t, ns, "agent")
	out := e.plugin(t, ns, "rollout", "status", "ds/agent", "--timeout=2m")
	if !strings.HasSuffix(out, "daemon set \"agent\" successfully rolled out\n") {
		t.Errorf("rollout status output:\n%s", out)
	}
	e.plugin(t, ns, "set", "image", "daemonset/agent", "main=registry.example/agent:2.0")
	out = e.plugin(t, ns, "rollout", "status", "xds", "agent", "--timeout=2m")
	if !strings.HasSuffix(out, "daemon set \"agent\" successfully rolled out\n") {
		t.Errorf("rollout status after set image:\n%s", out)
	}
	hist := e.plugin(t, ns, "rollout", "history", "ds/agent")
	if revs := revisionRows(hist); strings.Join(revs, ",") != "1,2" {
		t.Fatalf("history has revisions %v, want 1,2:\n%s", revs, hist)
	}
	if rev1 := e.plugin(t, ns, "rollout", "history", "ds/agent", "--revision=1"); !strings.Contains(rev1, "registry.example/agent:1.0") {
		t.Errorf("revision 1 template:\n%s", rev1)
	}
	if out := e.plugin(t, ns, "rollout", "undo", "ds/agent"); out != "daemonset.experimental/agent rolled back\n" {
		t.Errorf("undo output: %q", out)
	}
	ds, err := e.client.ExperimentalV1alpha1().DaemonSets(ns).Get(context.Background(), "agent", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img := ds.Spec.Template.Spec.Containers[0].Image; img != "registry.example/agent:1.0" {
		t.Errorf("image after undo = %s", img)
	}
	e.plugin(t, ns, "rollout", "status", "ds/agent", "--timeout=2m")
	poll(t, "every agent pod to run the restored image", func(ctx context.Context) (bool, error) {
		pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=agent"})
		if err != nil {
			return false, err
		}
		n := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp != nil {
				continue
			}
			if p.Spec.Containers[0].Image != "registry.example/agent:1.0" {
				return false, nil
			}
			n++
		}
		return n == nodes, nil
	})
}

func TestCreateJobFromCronJob(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-cronjob")
	cj := &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
		Spec: v1alpha1.CronJobSpec{
			Schedule: "0 3 * * *",
			Suspend:  ptr.To(true),
			JobTemplate: v1alpha1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "data"}, Annotations: map[string]string{"owner": "alice"}},
				Spec: v1alpha1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "registry.example/report:1.0"}},
				}}},
			},
		},
	}
	created, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Create(context.Background(), cj, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("creating the CronJob: %v", err)
	}
	out := e.plugin(t, ns, "create", "job", "nightly-manual", "--from=cronjob/nightly")
	if out != "job.experimental/nightly-manual created\n" {
		t.Errorf("create job output: %q", out)
	}
	job, err := e.client.ExperimentalV1alpha1().Jobs(ns).Get(context.Background(), "nightly-manual", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("the Job was not created: %v", err)
	}
	if job.Annotations["cronjob.kubernetes.io/instantiate"] != "manual" || job.Annotations["owner"] != "alice" || job.Labels["team"] != "data" {
		t.Errorf("job metadata: labels %v annotations %v", job.Labels, job.Annotations)
	}
	ref := metav1.GetControllerOf(job)
	if ref == nil || ref.UID != created.UID || ref.Kind != "CronJob" || ref.APIVersion != "experimental/v1alpha1" {
		t.Errorf("job controller reference: %+v", ref)
	}
	if job.Spec.Template.Spec.Containers[0].Image != "registry.example/report:1.0" {
		t.Errorf("job template: %+v", job.Spec.Template.Spec)
	}
	// The CronJob's job template follows `set image`.
	e.plugin(t, ns, "set", "image", "cj/nightly", "*=registry.example/report:2.0")
	got, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(context.Background(), "nightly", metav1.GetOptions{})
	if err != nil || got.Spec.JobTemplate.Spec.Template.Spec.Containers[0].Image != "registry.example/report:2.0" {
		t.Errorf("cronjob after set image: %v %+v", err, got.Spec.JobTemplate.Spec.Template.Spec.Containers)
	}
}

func TestDescribeEachKind(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-describe")
	ctx := context.Background()
	x := e.client.ExperimentalV1alpha1()
	e.newDeployment(t, ns, "web", 2, nil)
	e.newDaemonSet(t, ns, "agent")
	if _, err := x.ReplicaSets(ns).Create(ctx, &v1alpha1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "plain", Namespace: ns},
		Spec:       v1alpha1.ReplicaSetSpec{Replicas: ptr.To[int32](1), Selector: selector("plain"), Template: podTemplate("plain", "registry.example/plain:1.0")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	jobTmpl := podTemplate("", "registry.example/batch:1.0")
	jobTmpl.Labels = nil
	jobTmpl.Spec.RestartPolicy = corev1.RestartPolicyNever
	if _, err := x.Jobs(ns).Create(ctx, &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "once", Namespace: ns},
		Spec:       v1alpha1.JobSpec{Completions: ptr.To[int32](1), Suspend: ptr.To(true), Template: jobTmpl},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.CronJobs(ns).Create(ctx, &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
		Spec: v1alpha1.CronJobSpec{Schedule: "0 3 * * *", Suspend: ptr.To(true),
			JobTemplate: v1alpha1.JobTemplateSpec{Spec: v1alpha1.JobSpec{Template: jobTmpl}}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := x.HorizontalPodAutoscalers(ns).Create(ctx, &v1alpha1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{APIVersion: "experimental/v1alpha1", Kind: "Deployment", Name: "web"},
			MinReplicas:    ptr.To[int32](1), MaxReplicas: 4,
			Metrics: []v1alpha1.MetricSpec{{Type: v1alpha1.ResourceMetricSourceType, Resource: &v1alpha1.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: v1alpha1.MetricTarget{Type: v1alpha1.UtilizationMetricType, AverageUtilization: ptr.To[int32](60)}}}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	e.plugin(t, ns, "rollout", "status", "ds/agent", "--timeout=2m")

	// The Deployment controller's ScalingReplicaSet event is listed once
	// it has been recorded.
	var deployOut string
	poll(t, "describe deployment to show the controller's events", func(ctx context.Context) (bool, error) {
		out, _, err := e.pluginErr(ns, "describe", "deployment", "web")
		deployOut = out
		return err == nil && strings.Contains(out, "ScalingReplicaSet"), nil
	})
	cases := map[string][]string{
		"deployment/web": {"Name:", "web", "Selector:", "app=web", "2 desired | 2 updated | 2 total | 2 available | 0 unavailable",
			"StrategyType:", "Pods Status:", "2 Running / 0 Waiting / 0 Succeeded / 0 Failed", "Pod Template:", "registry.example/app:1.0",
			"Conditions:", "Available", "Progressing", "NewReplicaSet:", "web-", "(2/2 replicas created)", "Events:"},
		"ds/agent": {"Desired Number of Nodes Scheduled: 3", "Number of Nodes Scheduled with Available Pods: 3",
			"3 Running / 0 Waiting / 0 Succeeded / 0 Failed", "Pod Template:", "registry.example/agent:1.0"},
		"xrs/plain":  {"Replicas:", "desired", "Pod Template:", "registry.example/plain:1.0"},
		"xjob/once":  {"Completions:", "Suspend:", "true", "Pods Statuses:", "Pod Template:", "registry.example/batch:1.0"},
		"cj/nightly": {"Schedule:", "0 3 * * *", "Suspend:", "True", "Active Jobs:", "Pod Template:"},
		"hpa/web": {"Reference:", "Deployment/web", "resource cpu on pods  (as a percentage of request):", "/ 60%",
			"Min replicas:", "1", "Max replicas:", "4", "Deployment pods:"},
	}
	for ref, wants := range cases {
		out := deployOut
		if ref != "deployment/web" {
			out = e.plugin(t, ns, "describe", ref)
		}
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("describe %s lacks %q:\n%s", ref, w, out)
			}
		}
	}
}

func TestLogsPicksAPodOfTheDeployment(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-logs")
	e.newDeployment(t, ns, "web", 2, nil)
	e.newDeployment(t, ns, "other", 1, nil)
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")

	out := e.plugin(t, ns, "logs", "deployment/web", "--print-pod")
	name := strings.TrimPrefix(strings.TrimSpace(out), "pod/")
	pod, err := e.c.KubeClient().CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("--print-pod printed %q, which is not a pod: %v", out, err)
	}
	if pod.Labels["app"] != "web" || pod.Status.Phase != corev1.PodRunning {
		t.Errorf("picked pod %s with labels %v in phase %s, want a running pod of web", name, pod.Labels, pod.Status.Phase)
	}
	// kwok pods have no real logs ("no logs found for container"): the
	// plugin must have asked for the logs of the pod it picked, and say so.
	_, errOut, err := e.pluginErr(ns, "logs", "deployment/web", "--tail=1")
	t.Logf("logs of pod/%s: err=%v stderr=%q", name, err, errOut)
	if !strings.Contains(errOut, "Found 2 pods, using pod/"+name) {
		t.Errorf("logs used another pod than --print-pod (%s): %q", name, errOut)
	}
	if err != nil && !strings.Contains(errOut, "getting the logs of container main of pod/"+name) {
		t.Errorf("logs error does not name the chosen pod %s: %v\n%s", name, err, errOut)
	}
}

func TestCompletionOfResourceNames(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-complete")
	e.newDeployment(t, ns, "alpha", 1, nil)
	e.newDeployment(t, ns, "beta", 1, nil)
	out := e.plugin(t, ns, "__complete", "rollout", "status", "deployment", "")
	if !strings.Contains(out, "alpha\nbeta\n") {
		t.Errorf("plugin completion of deployment names:\n%s", out)
	}
	// kubectl's own completion of `kubectl experimental ...` goes through
	// the kubectl_complete-experimental helper on PATH.
	out, errOut, err := e.kubectl("__complete", "experimental", "-n", ns, "set", "image", "deploy/")
	if err != nil || !strings.Contains(out, "deploy/alpha\ndeploy/beta\n") {
		t.Errorf("kubectl completion through the helper: %v\n%s\n%s", err, out, errOut)
	}
	script := e.plugin(t, ns, "completion", "zsh")
	if !strings.Contains(script, "kubectl-experimental") {
		t.Errorf("zsh completion script:\n%.300s", script)
	}
}

func TestDaemonSetPartitionPauseResume(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-ds-partition")
	e.newDaemonSet(t, ns, "agent")
	e.plugin(t, ns, "rollout", "status", "ds/agent", "--timeout=2m")
	if out, errOut, err := e.kubectl("-n", ns, "patch", "xds", "agent", "--type=merge", "-p", `{"spec":{"updateStrategy":{"rollingUpdate":{"partition":1}}}}`); err != nil {
		t.Fatalf("%v\n%s%s", err, out, errOut)
	}

	if out := e.plugin(t, ns, "rollout", "pause", "ds/agent"); out != "daemonset.experimental/agent paused\n" {
		t.Errorf("pause output: %q", out)
	}
	e.plugin(t, ns, "set", "image", "ds/agent", "main=registry.example/agent:2.0")
	poll(t, "rollout status to report the paused rollout", func(ctx context.Context) (bool, error) {
		out, _, err := e.pluginErr(ns, "rollout", "status", "ds/agent", "--watch=false")
		return err == nil && strings.Contains(out, "paused (rollingUpdate.paused), 0 out of 2 new pods have been updated"), nil
	})
	desc := e.plugin(t, ns, "describe", "ds/agent")
	for _, want := range []string{"Partition:", "1 (pods on the first nodes by name keep their revision)", "Paused:", "RolloutPaused"} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe lacks %q:\n%s", want, desc)
		}
	}

	if out := e.plugin(t, ns, "rollout", "resume", "ds/agent"); out != "daemonset.experimental/agent resumed\n" {
		t.Errorf("resume output: %q", out)
	}
	// Done once the 2 pods outside the partition are updated.
	out := e.plugin(t, ns, "rollout", "status", "ds/agent", "--timeout=2m")
	if !strings.Contains(out, `daemon set "agent" successfully rolled out to 2 of 3 pods`) {
		t.Errorf("rollout status: %q", out)
	}
}
