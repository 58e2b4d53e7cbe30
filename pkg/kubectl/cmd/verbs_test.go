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
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func twoContainers() []corev1.Container {
	return []corev1.Container{{Name: "app", Image: "app:1"}, {Name: "sidecar", Image: "side:1"}}
}

func cronJob(name string) *v1alpha1.CronJob {
	return &v1alpha1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: testNS, UID: types.UID(name + "-uid")},
		Spec: v1alpha1.CronJobSpec{
			Schedule:          "*/5 * * * *",
			ConcurrencyPolicy: v1alpha1.ForbidConcurrent,
			JobTemplate: v1alpha1.JobTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      map[string]string{"team": "data"},
					Annotations: map[string]string{"owner": "alice"},
				},
				Spec: v1alpha1.JobSpec{
					BackoffLimit: ptr.To[int32](2),
					Template: corev1.PodTemplateSpec{
						Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: twoContainers()},
					},
				},
			},
		},
	}
}

func TestSetImageOnEveryKind(t *testing.T) {
	d := deployment("web", 1)
	d.Spec.Template.Spec.Containers = twoContainers()
	ds := daemonSet("agent")
	ds.Spec.Template.Spec.Containers = twoContainers()
	ds.Spec.Template.Spec.InitContainers = []corev1.Container{{Name: "init", Image: "init:1"}}
	rs := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: testNS},
		Spec: v1alpha1.ReplicaSetSpec{Selector: selector("rs"), Template: podTemplate("rs", twoContainers()...)}}
	job := &v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Name: "once", Namespace: testNS},
		Spec: v1alpha1.JobSpec{Template: podTemplate("once", twoContainers()...)}}
	f := newFakes(d, ds, rs, job, cronJob("nightly"))
	x := f.x.ExperimentalV1alpha1()

	out := mustRun(t, f, "set", "image", "deployment/web", "app=app:2")
	if out != "deployment.experimental/web image updated\n" {
		t.Errorf("output: %q", out)
	}
	gd, _ := x.Deployments(testNS).Get(t.Context(), "web", metav1.GetOptions{})
	if c := gd.Spec.Template.Spec.Containers; c[0].Image != "app:2" || c[1].Image != "side:1" {
		t.Errorf("deployment containers: %+v", c)
	}

	mustRun(t, f, "set", "image", "xds/agent", "init=init:2", "sidecar=side:2")
	gds, _ := x.DaemonSets(testNS).Get(t.Context(), "agent", metav1.GetOptions{})
	if c := gds.Spec.Template.Spec; c.InitContainers[0].Image != "init:2" || c.Containers[1].Image != "side:2" || c.Containers[0].Image != "app:1" {
		t.Errorf("daemonset pod spec: %+v", c)
	}

	mustRun(t, f, "set", "image", "rs", "rs", "*=all:9")
	grs, _ := x.ReplicaSets(testNS).Get(t.Context(), "rs", metav1.GetOptions{})
	for _, c := range grs.Spec.Template.Spec.Containers {
		if c.Image != "all:9" {
			t.Errorf("replicaset container %s image %s, want all:9", c.Name, c.Image)
		}
	}

	mustRun(t, f, "set", "image", "xjob/once", "app=job:2")
	gj, _ := x.Jobs(testNS).Get(t.Context(), "once", metav1.GetOptions{})
	if gj.Spec.Template.Spec.Containers[0].Image != "job:2" {
		t.Errorf("job containers: %+v", gj.Spec.Template.Spec.Containers)
	}

	out = mustRun(t, f, "set", "image", "cj/nightly", "sidecar=side:3")
	if out != "cronjob.experimental/nightly image updated\n" {
		t.Errorf("cronjob output: %q", out)
	}
	gc, _ := x.CronJobs(testNS).Get(t.Context(), "nightly", metav1.GetOptions{})
	if gc.Spec.JobTemplate.Spec.Template.Spec.Containers[1].Image != "side:3" {
		t.Errorf("cronjob job template containers: %+v", gc.Spec.JobTemplate.Spec.Template.Spec.Containers)
	}
}

func TestSetImageErrors(t *testing.T) {
	d := deployment("web", 1)
	d.Spec.Template.Spec.Containers = twoContainers()
	f := newFakes(d)
	_, _, err := run(t, f, "set", "image", "deployment/web", "db=postgres:17")
	if err == nil || !strings.Contains(err.Error(), `unable to find container named "db"`) || !strings.Contains(err.Error(), "app, sidecar") {
		t.Errorf("unknown container: %v", err)
	}
	gd, _ := f.x.ExperimentalV1alpha1().Deployments(testNS).Get(t.Context(), "web", metav1.GetOptions{})
	if gd.Spec.Template.Spec.Containers[0].Image != "app:1" {
		t.Errorf("a failed set image changed the deployment: %+v", gd.Spec.Template.Spec.Containers)
	}
	for _, args := range [][]string{
		{"set", "image", "deployment/web"},
		{"set", "image", "app=x:1"},
		{"set", "image", "hpa/web", "app=x:1"},
		{"set", "image", "deployment/web", "app="},
		{"set", "image", "deployment/missing", "app=x:1"},
	} {
		if _, _, err := run(t, f, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func TestCreateJobFromCronJob(t *testing.T) {
	f := newFakes(cronJob("nightly"))
	out := mustRun(t, f, "create", "job", "nightly-manual", "--from=cronjob/nightly")
	if out != "job.experimental/nightly-manual created\n" {
		t.Errorf("output: %q", out)
	}
	job, err := f.x.ExperimentalV1alpha1().Jobs(testNS).Get(t.Context(), "nightly-manual", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if job.Annotations[InstantiateAnnotation] != "manual" || job.Annotations["owner"] != "alice" {
		t.Errorf("annotations: %v", job.Annotations)
	}
	if job.Labels["team"] != "data" {
		t.Errorf("labels: %v", job.Labels)
	}
	refs := job.OwnerReferences
	if len(refs) != 1 || refs[0].Kind != "CronJob" || refs[0].Name != "nightly" || refs[0].UID != "nightly-uid" ||
		refs[0].APIVersion != "experimental/v1alpha1" || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("owner references: %+v", refs)
	}
	if job.Spec.BackoffLimit == nil || *job.Spec.BackoffLimit != 2 || len(job.Spec.Template.Spec.Containers) != 2 ||
		job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("job spec is not the cronjob's job template: %+v", job.Spec)
	}
	for _, args := range [][]string{
		{"create", "job", "x"},
		{"create", "job", "x", "--from=deployment/web"},
		{"create", "job", "x", "--from=cronjob/missing"},
		{"create", "job", "nightly-manual", "--from=cj/nightly"},
	} {
		if _, _, err := run(t, f, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func event(uid types.UID, reason, msg string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: reason + string(uid), Namespace: testNS},
		InvolvedObject: corev1.ObjectReference{UID: uid},
		Type:           corev1.EventTypeNormal, Reason: reason, Message: msg,
		Source: corev1.EventSource{Component: "workloads-controller-manager"},
	}
}

func TestDescribeDeployment(t *testing.T) {
	objs := deploymentWithHistory()
	d := objs[0].(*v1alpha1.Deployment)
	d.Status = v1alpha1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2,
		Conditions: []v1alpha1.DeploymentCondition{{Type: v1alpha1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"}}}
	rs1 := objs[1].(*v1alpha1.ReplicaSet)
	rs1.Spec.Replicas = ptr.To[int32](1)
	objs = append(objs,
		pod("web-1", "web", corev1.PodRunning, true, nil, ""),
		pod("web-2", "web", corev1.PodPending, false, nil, ""),
		event(d.UID, "ScalingReplicaSet", "Scaled up replica set web-bbb to 2"),
		event("someone-else", "Noise", "not about web"))
	f := newFakes(objs...)
	out := mustRun(t, f, "describe", "deployment", "web")
	for _, want := range []string{
		"Name:", "web", "Namespace:", testNS, "Selector:", "app=web",
		"Replicas:", "2 desired | 2 updated | 2 total | 2 available | 0 unavailable",
		"StrategyType:", "RollingUpdate",
		"Pods Status:", "1 Running / 1 Waiting / 0 Succeeded / 0 Failed",
		"Pod Template:", "nginx:2",
		"Conditions:", "Available", "MinimumReplicasAvailable",
		"OldReplicaSets:", "web-aaa (0/1 replicas created)",
		"NewReplicaSet:", "web-bbb (2/2 replicas created)",
		"Events:", "ScalingReplicaSet", "Scaled up replica set web-bbb to 2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe deployment lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "not about web") || strings.Contains(out, "web-ccc") {
		t.Errorf("describe shows another object's events or replica sets:\n%s", out)
	}
}

func TestDescribeOtherKinds(t *testing.T) {
	ds := daemonSet("agent")
	ds.Spec.UpdateStrategy.RollingUpdate = &v1alpha1.RollingUpdateDaemonSet{
		MaxUnavailable:     ptr.To(intstr.FromInt32(1)),
		Partition:          ptr.To(intstr.FromString("50%")),
		Paused:             true,
		CanaryNodeSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"canary": "true"}},
		UnreadyNodePolicy:  v1alpha1.SkipUnreadyNodePolicy,
	}
	ds.Status = v1alpha1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, UpdatedNumberScheduled: 2, NumberAvailable: 1, ObservedGeneration: 1,
		Conditions: []v1alpha1.DaemonSetCondition{{Type: v1alpha1.DaemonSetProgressing, Status: corev1.ConditionUnknown, Reason: v1alpha1.DaemonSetRolloutPausedReason,
			Message: "rollingUpdate.paused is set: 1 of 2 selected pods wait for the update"}}}
	rs := &v1alpha1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", Namespace: testNS, UID: "rs-uid"},
		Spec:   v1alpha1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: selector("rs"), Template: podTemplate("rs")},
		Status: v1alpha1.ReplicaSetStatus{Replicas: 2}}
	job := &v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Name: "once", Namespace: testNS, UID: "once-uid"},
		Spec: v1alpha1.JobSpec{Completions: ptr.To[int32](3), Parallelism: ptr.To[int32](1), BackoffLimit: ptr.To[int32](6),
			Selector: selector("once"), Template: podTemplate("once")},
		Status: v1alpha1.JobStatus{Active: 1, Succeeded: 2, Ready: ptr.To[int32](1),
			Conditions: []v1alpha1.JobCondition{{Type: v1alpha1.JobSuspended, Status: corev1.ConditionFalse, Reason: "JobResumed", Message: "Job resumed"}}}}
	cj := cronJob("nightly")
	cj.Status.Active = []corev1.ObjectReference{{Name: "nightly-123"}}
	hpa := &v1alpha1.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: testNS, UID: "hpa-uid"},
		Spec: v1alpha1.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: v1alpha1.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "experimental/v1alpha1"},
			MinReplicas:    ptr.To[int32](1), MaxReplicas: 5,
			Metrics: []v1alpha1.MetricSpec{{Type: v1alpha1.ResourceMetricSourceType, Resource: &v1alpha1.ResourceMetricSource{
				Name: corev1.ResourceCPU, Target: v1alpha1.MetricTarget{Type: v1alpha1.UtilizationMetricType, AverageUtilization: ptr.To[int32](50)}}}},
		},
		Status: v1alpha1.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3,
			CurrentMetrics: []v1alpha1.MetricStatus{{Type: v1alpha1.ResourceMetricSourceType, Resource: &v1alpha1.ResourceMetricStatus{
				Name: corev1.ResourceCPU, Current: v1alpha1.MetricValueStatus{AverageUtilization: ptr.To[int32](80), AverageValue: resource.NewMilliQuantity(400, resource.DecimalSI)}}}},
			Conditions: []v1alpha1.HorizontalPodAutoscalerCondition{{Type: v1alpha1.AbleToScale, Status: corev1.ConditionTrue, Reason: "SucceededRescale", Message: "the HPA controller was able to update the target scale to 3"}}}}
	f := newFakes(ds, rs, job, cj, hpa,
		pod("agent-1", "agent", corev1.PodRunning, true, ds, "DaemonSet"),
		pod("agent-2", "agent", corev1.PodFailed, false, ds, "DaemonSet"),
		pod("agent-orphan", "agent", corev1.PodRunning, true, nil, ""),
		pod("rs-1", "rs", corev1.PodRunning, true, rs, "ReplicaSet"),
		pod("once-1", "once", corev1.PodSucceeded, false, job, "Job"),
		pod("once-2", "once", corev1.PodSucceeded, false, job, "Job"),
		pod("once-3", "once", corev1.PodRunning, true, job, "Job"),
		event("hpa-uid", "SuccessfulRescale", "New size: 3; reason: cpu resource utilization above target"),
		event("nightly-uid", "SuccessfulCreate", "Created job nightly-123"))

	cases := map[string][]string{
		"ds/agent": {"Selector:", "app=agent", "RollingUpdateStrategy:", "1 max unavailable, <unset> max surge", "Partition:", "50%",
			"Paused:", "Canary Node Selector:", "canary=true", "Unready Node Policy:", "Skip",
			"Conditions:", "Progressing", "RolloutPaused", "1 of 2 selected pods wait for the update",
			"Desired Number of Nodes Scheduled: 3", "Number of Nodes Scheduled with Up-to-date Pods: 2",
			"Number of Nodes Scheduled with Available Pods: 1", "Pods Status:", "1 Running / 0 Waiting / 0 Succeeded / 1 Failed", "Pod Template:", "Events:"},
		"xrs/rs": {"Replicas:", "2 current / 2 desired", "1 Running / 0 Waiting / 0 Succeeded / 0 Failed", "Pod Template:"},
		"xjob/once": {"Completions:", "3", "Parallelism:", "Backoff Limit:", "6", "Pods Statuses:", "1 Active (1 Ready) / 2 Succeeded / 0 Failed",
			"1 Running / 0 Waiting / 2 Succeeded / 0 Failed", "Conditions:", "Suspended", "JobResumed", "Pod Template:"},
		"cj/nightly": {"Schedule:", "*/5 * * * *", "Concurrency Policy:", "Forbid", "Suspend:", "False", "Pod Template:", "app:1",
			"Active Jobs:", "nightly-123", "SuccessfulCreate"},
		"hpa/web": {"Reference:", "Deployment/web", "Metrics:", "( current / target )",
			"resource cpu on pods  (as a percentage of request):", "80% (400m) / 50%", "Min replicas:", "Max replicas:", "5",
			"Deployment pods:", "2 current / 3 desired", "Conditions:", "AbleToScale", "SucceededRescale", "Events:", "New size: 3"},
	}
	for ref, wants := range cases {
		out := mustRun(t, f, "describe", ref)
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("describe %s lacks %q:\n%s", ref, w, out)
			}
		}
	}
	if out := mustRun(t, f, "describe", "ds/agent"); strings.Contains(out, "2 Running") {
		t.Errorf("describe ds counts a pod it does not control:\n%s", out)
	}
	if _, _, err := run(t, f, "describe", "xds", "missing"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("describe of a missing object: %v", err)
	}
}

func TestLogsPicksPodLikeKubectl(t *testing.T) {
	d := deployment("web", 3)
	now := metav1.NewTime(time.Now())
	ready := pod("web-ready", "web", corev1.PodRunning, true, nil, "")
	ready.Status.Conditions[0].LastTransitionTime = now
	f := newFakes(d,
		pod("web-pending", "web", corev1.PodPending, false, nil, ""),
		pod("web-notready", "web", corev1.PodRunning, false, nil, ""),
		ready,
		pod("other-ready", "other", corev1.PodRunning, true, nil, ""))
	out := mustRun(t, f, "logs", "deploy/web", "--print-pod")
	if out != "pod/web-ready\n" {
		t.Errorf("--print-pod: %q, want pod/web-ready", out)
	}
	p, n, err := PodForObject(t.Context(), f.x, f.kube, testNS, KindDeployment, "web")
	if err != nil || p.Name != "web-ready" || n != 3 {
		t.Errorf("PodForObject = %v, %d, %v", p, n, err)
	}
	out, errOut, err := run(t, f, "logs", "deployment/web", "--tail=5")
	if err != nil {
		t.Fatal(err)
	}
	if out != "fake logs" || !strings.Contains(errOut, "Found 3 pods, using pod/web-ready") {
		t.Errorf("logs output %q, stderr %q", out, errOut)
	}
	var sawLogs bool
	for _, a := range f.kube.Actions() {
		if a.GetResource().Resource == "pods" && a.GetSubresource() == "log" {
			sawLogs = true
		}
	}
	if !sawLogs {
		t.Error("no pods/log request was made")
	}
	if _, _, err := run(t, f, "logs", "deployment/web", "-c", "db"); err == nil || !strings.Contains(err.Error(), "container db is not valid for pod web-ready") {
		t.Errorf("unknown container: %v", err)
	}
	f = newFakes(deployment("empty", 1))
	if _, _, err := run(t, f, "logs", "deployment/empty"); err == nil || !strings.Contains(err.Error(), "no pods of deployment.experimental/empty found") {
		t.Errorf("no pods: %v", err)
	}
	if _, _, err := run(t, f, "logs", "cj/x"); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("logs of a cronjob: %v", err)
	}
}

func TestLogContainerDefault(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: corev1.PodSpec{Containers: twoContainers()}}
	var errOut strings.Builder
	if c, err := logContainer(p, "", &errOut); err != nil || c != "app" || !strings.Contains(errOut.String(), `Defaulted container "app" out of: app, sidecar`) {
		t.Errorf("default container = %q, %v, %q", c, err, errOut.String())
	}
	p.Annotations = map[string]string{DefaultContainerAnnotation: "sidecar"}
	if c, err := logContainer(p, "", &errOut); err != nil || c != "sidecar" {
		t.Errorf("annotated default container = %q, %v", c, err)
	}
	if c, err := logContainer(p, "app", &errOut); err != nil || c != "app" {
		t.Errorf("-c app = %q, %v", c, err)
	}
}
