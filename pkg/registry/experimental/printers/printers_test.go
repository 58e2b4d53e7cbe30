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

package printers

import (
	"context"
	"os"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

var testNow = time.Date(2026, time.March, 4, 5, 6, 7, 0, time.UTC)

func TestMain(m *testing.M) {
	now = func() time.Time { return testNow }
	os.Exit(m.Run())
}

func ago(d time.Duration) metav1.Time { return metav1.NewTime(testNow.Add(-d)) }

func agoPtr(d time.Duration) *metav1.Time {
	t := ago(d)
	return &t
}

func ptr[T any](v T) *T { return &v }

func podTemplate(containers ...corev1.Container) corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: containers}}
}

func container(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image}
}

func matchLabels(kv ...string) *metav1.LabelSelector {
	s := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.MatchLabels[kv[i]] = kv[i+1]
	}
	return s
}

// convert runs the convertor with default options and fails the test on error.
func convert(t *testing.T, c rest.TableConvertor, obj runtime.Object) *metav1.Table {
	t.Helper()
	table, err := c.ConvertToTable(context.Background(), obj, nil)
	if err != nil {
		t.Fatalf("ConvertToTable(%T) failed: %v", obj, err)
	}
	return table
}

// singleRowCells converts obj and returns the cells of its only row.
func singleRowCells(t *testing.T, c rest.TableConvertor, obj runtime.Object) []interface{} {
	t.Helper()
	table := convert(t, c, obj)
	if len(table.Rows) != 1 {
		t.Fatalf("expected 1 row, got %d", len(table.Rows))
	}
	row := table.Rows[0]
	if row.Object.Object != obj {
		t.Errorf("row object = %p, want the converted object %p", row.Object.Object, obj)
	}
	return row.Cells
}

func assertCells(t *testing.T, got, want []interface{}) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("cells mismatch\n got: %#v\nwant: %#v", got, want)
	}
}

type column struct {
	name     string
	typ      string
	priority int32
}

var wideColumns = []column{
	{"Containers", "string", 1},
	{"Images", "string", 1},
	{"Selector", "string", 1},
}

func TestColumnDefinitions(t *testing.T) {
	tests := []struct {
		kind      string
		convertor rest.TableConvertor
		obj       runtime.Object
		want      []column
	}{
		{
			kind:      "deployments",
			convertor: NewDeploymentTableConvertor(),
			obj:       &experimental.Deployment{},
			want: append([]column{
				{"Name", "string", 0},
				{"Ready", "string", 0},
				{"Up-to-date", "string", 0},
				{"Available", "string", 0},
				{"Age", "string", 0},
			}, append(wideColumns, column{"Step", "string", 1}, column{"Rollout", "string", 1})...),
		},
		{
			kind:      "replicasets",
			convertor: NewReplicaSetTableConvertor(),
			obj:       &experimental.ReplicaSet{},
			want: append([]column{
				{"Name", "string", 0},
				{"Desired", "integer", 0},
				{"Current", "integer", 0},
				{"Ready", "integer", 0},
				{"Age", "string", 0},
			}, wideColumns...),
		},
		{
			kind:      "daemonsets",
			convertor: NewDaemonSetTableConvertor(),
			obj:       &experimental.DaemonSet{},
			want: append([]column{
				{"Name", "string", 0},
				{"Desired", "integer", 0},
				{"Current", "integer", 0},
				{"Ready", "integer", 0},
				{"Up-to-date", "integer", 0},
				{"Available", "integer", 0},
				{"Node Selector", "string", 0},
				{"Age", "string", 0},
			}, wideColumns...),
		},
		{
			kind:      "jobs",
			convertor: NewJobTableConvertor(),
			obj:       &experimental.Job{},
			want: append([]column{
				{"Name", "string", 0},
				{"Status", "string", 0},
				{"Completions", "string", 0},
				{"Duration", "string", 0},
				{"Age", "string", 0},
			}, wideColumns...),
		},
		{
			kind:      "cronjobs",
			convertor: NewCronJobTableConvertor(),
			obj:       &experimental.CronJob{},
			want: append([]column{
				{"Name", "string", 0},
				{"Schedule", "string", 0},
				{"Timezone", "string", 0},
				{"Suspend", "boolean", 0},
				{"Active", "integer", 0},
				{"Last Schedule", "string", 0},
				{"Age", "string", 0},
			}, wideColumns...),
		},
		{
			kind:      "horizontalpodautoscalers",
			convertor: NewHorizontalPodAutoscalerTableConvertor(),
			obj:       &experimental.HorizontalPodAutoscaler{},
			want: []column{
				{"Name", "string", 0},
				{"Reference", "string", 0},
				{"Targets", "string", 0},
				{"MinPods", "string", 0},
				{"MaxPods", "string", 0},
				{"Replicas", "string", 0},
				{"Age", "string", 0},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			table := convert(t, tt.convertor, tt.obj)
			got := make([]column, 0, len(table.ColumnDefinitions))
			for i, def := range table.ColumnDefinitions {
				got = append(got, column{def.Name, def.Type, def.Priority})
				if def.Description == "" {
					t.Errorf("column %q has no description", def.Name)
				}
				wantFormat := ""
				if i == 0 {
					wantFormat = "name"
				}
				if def.Format != wantFormat {
					t.Errorf("column %q format = %q, want %q", def.Name, def.Format, wantFormat)
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("columns mismatch\n got: %v\nwant: %v", got, tt.want)
			}
			if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(tt.want) {
				t.Fatalf("expected one row with %d cells, got %#v", len(tt.want), table.Rows)
			}
		})
	}
}

func TestColumnDefinitionsAreNotShared(t *testing.T) {
	c := NewDeploymentTableConvertor()
	first := convert(t, c, &experimental.Deployment{})
	first.ColumnDefinitions[0].Name = "mutated"
	second := convert(t, c, &experimental.Deployment{})
	if second.ColumnDefinitions[0].Name != "Name" {
		t.Errorf("mutating one table's columns leaked into the next: %q", second.ColumnDefinitions[0].Name)
	}
}

func TestDeploymentCells(t *testing.T) {
	tests := []struct {
		name string
		obj  *experimental.Deployment
		want []interface{}
	}{
		{
			name: "partially ready rollout",
			obj: &experimental.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(3 * time.Hour)},
				Spec: experimental.DeploymentSpec{
					Replicas: ptr(int32(5)),
					Selector: matchLabels("app", "web"),
					Template: podTemplate(container("nginx", "nginx:1.27"), container("sidecar", "busybox:1.36")),
				},
				Status: experimental.DeploymentStatus{Replicas: 5, ReadyReplicas: 3, UpdatedReplicas: 4, AvailableReplicas: 3},
			},
			want: []interface{}{"web", "3/5", int64(4), int64(3), "3h", "nginx,sidecar", "nginx:1.27,busybox:1.36", "app=web", "<none>", "<none>"},
		},
		{
			name: "set-based selector",
			obj: &experimental.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "api", CreationTimestamp: ago(90 * time.Second)},
				Spec: experimental.DeploymentSpec{
					Replicas: ptr(int32(2)),
					Selector: &metav1.LabelSelector{
						MatchLabels: map[string]string{"app": "api"},
						MatchExpressions: []metav1.LabelSelectorRequirement{
							{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"backend", "edge"}},
						},
					},
					Template: podTemplate(container("api", "example.com/api:v2")),
				},
				Status: experimental.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2},
			},
			want: []interface{}{"api", "2/2", int64(2), int64(2), "90s", "api", "example.com/api:v2", "app=api,tier in (backend,edge)", "<none>", "<none>"},
		},
		{
			name: "unset replicas and selector, no creation time",
			obj:  &experimental.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "bare"}},
			want: []interface{}{"bare", "0/1", int64(0), int64(0), "<unknown>", "", "", "", "<none>", "<none>"},
		},
		{
			name: "scaled to zero",
			obj: &experimental.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "idle", CreationTimestamp: ago(400 * 24 * time.Hour)},
				Spec:       experimental.DeploymentSpec{Replicas: ptr(int32(0)), Selector: matchLabels("app", "idle")},
			},
			want: []interface{}{"idle", "0/0", int64(0), int64(0), "400d", "", "", "app=idle", "<none>", "<none>"},
		},
		{
			name: "invalid selector",
			obj: &experimental.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "broken", CreationTimestamp: ago(time.Minute)},
				Spec: experimental.DeploymentSpec{
					Replicas: ptr(int32(1)),
					Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "a", Operator: "Bogus"}}},
				},
			},
			want: []interface{}{"broken", "0/1", int64(0), int64(0), "60s", "", "", "<invalid>", "<none>", "<none>"},
		},
		{
			name: "paused at a canary step",
			obj: &experimental.Deployment{
				ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(time.Minute)},
				Spec: experimental.DeploymentSpec{
					Replicas: ptr(int32(10)),
					Selector: matchLabels("app", "web"),
					Strategy: experimental.DeploymentStrategy{
						Type: experimental.RollingUpdateDeploymentStrategyType,
						Canary: &experimental.CanaryStrategy{Steps: []experimental.CanaryStep{
							{Replicas: &intstr.IntOrString{Type: intstr.String, StrVal: "20%"}}, {Pause: &experimental.CanaryPause{}},
						}},
					},
				},
				Status: experimental.DeploymentStatus{
					ReadyReplicas: 10, UpdatedReplicas: 2, AvailableReplicas: 10,
					Canary: &experimental.CanaryStatus{CurrentStepIndex: 1},
					Conditions: []experimental.DeploymentCondition{
						{Type: experimental.DeploymentProgressing, Status: "Unknown", Reason: "CanaryStepPaused"},
					},
				},
			},
			want: []interface{}{"web", "10/10", int64(2), int64(10), "60s", "", "", "app=web", "1/2", "CanaryStepPaused"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewDeploymentTableConvertor(), tt.obj), tt.want)
		})
	}
}

func TestReplicaSetCells(t *testing.T) {
	tests := []struct {
		name string
		obj  *experimental.ReplicaSet
		want []interface{}
	}{
		{
			name: "owned by a deployment",
			obj: &experimental.ReplicaSet{
				ObjectMeta: metav1.ObjectMeta{Name: "web-7c5b9d", CreationTimestamp: ago(10 * 24 * time.Hour)},
				Spec: experimental.ReplicaSetSpec{
					Replicas: ptr(int32(3)),
					Selector: matchLabels("app", "web", "pod-template-hash", "7c5b9d"),
					Template: podTemplate(container("nginx", "nginx:1.27")),
				},
				Status: experimental.ReplicaSetStatus{Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 2},
			},
			want: []interface{}{"web-7c5b9d", int64(3), int64(3), int64(2), "10d", "nginx", "nginx:1.27", "app=web,pod-template-hash=7c5b9d"},
		},
		{
			name: "defaults and empty selector",
			obj:  &experimental.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: "rs", CreationTimestamp: ago(5 * time.Minute)}},
			want: []interface{}{"rs", int64(1), int64(0), int64(0), "5m", "", "", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewReplicaSetTableConvertor(), tt.obj), tt.want)
		})
	}
}

func TestDaemonSetCells(t *testing.T) {
	withNodeSelector := podTemplate(container("agent", "fluent-bit:3.1"), container("exporter", "node-exporter:1.8"))
	withNodeSelector.Spec.NodeSelector = map[string]string{"kubernetes.io/os": "linux"}
	tests := []struct {
		name string
		obj  *experimental.DaemonSet
		want []interface{}
	}{
		{
			name: "with node selector",
			obj: &experimental.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: "logging", CreationTimestamp: ago(26 * time.Hour)},
				Spec:       experimental.DaemonSetSpec{Selector: matchLabels("app", "logging"), Template: withNodeSelector},
				Status: experimental.DaemonSetStatus{
					DesiredNumberScheduled: 6, CurrentNumberScheduled: 5, NumberReady: 4,
					UpdatedNumberScheduled: 3, NumberAvailable: 2,
				},
			},
			want: []interface{}{"logging", int64(6), int64(5), int64(4), int64(3), int64(2), "kubernetes.io/os=linux", "26h",
				"agent,exporter", "fluent-bit:3.1,node-exporter:1.8", "app=logging"},
		},
		{
			name: "no node selector",
			obj: &experimental.DaemonSet{
				ObjectMeta: metav1.ObjectMeta{Name: "proxy", CreationTimestamp: ago(2 * time.Minute)},
				Spec:       experimental.DaemonSetSpec{Selector: matchLabels("k8s-app", "proxy"), Template: podTemplate(container("proxy", "proxy:1"))},
			},
			want: []interface{}{"proxy", int64(0), int64(0), int64(0), int64(0), int64(0), "<none>", "2m", "proxy", "proxy:1", "k8s-app=proxy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewDaemonSetTableConvertor(), tt.obj), tt.want)
		})
	}
}

func jobCondition(conditionType experimental.JobConditionType, status corev1.ConditionStatus) experimental.JobCondition {
	return experimental.JobCondition{Type: conditionType, Status: status}
}

func TestJobCells(t *testing.T) {
	indexed := experimental.IndexedCompletion
	deleting := ago(time.Second)
	template := podTemplate(container("pi", "perl:5.40"))
	selector := matchLabels("batch.kubernetes.io/controller-uid", "1234")

	tests := []struct {
		name string
		obj  *experimental.Job
		want []interface{}
	}{
		{
			name: "complete",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "pi", CreationTimestamp: ago(10 * time.Minute)},
				Spec:       experimental.JobSpec{Completions: ptr(int32(5)), Parallelism: ptr(int32(2)), Selector: selector, Template: template},
				Status: experimental.JobStatus{
					Conditions:     []experimental.JobCondition{jobCondition(experimental.JobSuccessCriteriaMet, corev1.ConditionTrue), jobCondition(experimental.JobComplete, corev1.ConditionTrue)},
					StartTime:      agoPtr(10 * time.Minute),
					CompletionTime: agoPtr(10*time.Minute - 150*time.Second),
					Succeeded:      5,
				},
			},
			want: []interface{}{"pi", "Complete", "5/5", "2m30s", "10m", "pi", "perl:5.40", "batch.kubernetes.io/controller-uid=1234"},
		},
		{
			name: "running indexed job",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "indexed", CreationTimestamp: ago(50 * time.Second)},
				Spec: experimental.JobSpec{
					Completions: ptr(int32(10)), Parallelism: ptr(int32(3)), CompletionMode: &indexed,
					Selector: selector, Template: template,
				},
				Status: experimental.JobStatus{StartTime: agoPtr(45 * time.Second), Active: 3, Succeeded: 4, CompletedIndexes: "0-3"},
			},
			want: []interface{}{"indexed", "Running", "4/10", "45s", "50s", "pi", "perl:5.40", "batch.kubernetes.io/controller-uid=1234"},
		},
		{
			name: "failed, duration keeps counting without completion time",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "failed", CreationTimestamp: ago(2 * time.Hour)},
				Spec:       experimental.JobSpec{Completions: ptr(int32(1)), Selector: selector, Template: template},
				Status: experimental.JobStatus{
					Conditions: []experimental.JobCondition{jobCondition(experimental.JobFailureTarget, corev1.ConditionTrue), jobCondition(experimental.JobFailed, corev1.ConditionTrue)},
					StartTime:  agoPtr(2 * time.Hour),
					Failed:     7,
				},
			},
			want: []interface{}{"failed", "Failed", "0/1", "120m", "120m", "pi", "perl:5.40", "batch.kubernetes.io/controller-uid=1234"},
		},
		{
			name: "only the first condition of a type counts",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "flip"},
				Spec:       experimental.JobSpec{Completions: ptr(int32(1))},
				Status: experimental.JobStatus{Conditions: []experimental.JobCondition{
					jobCondition(experimental.JobComplete, corev1.ConditionFalse),
					jobCondition(experimental.JobComplete, corev1.ConditionTrue),
				}},
			},
			want: []interface{}{"flip", "Running", "0/1", "", "<unknown>", "", "", "<none>"},
		},
		{
			name: "terminating wins over suspended",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "going", CreationTimestamp: ago(time.Hour), DeletionTimestamp: &deleting},
				Spec:       experimental.JobSpec{Completions: ptr(int32(3)), Suspend: ptr(true)},
				Status:     experimental.JobStatus{Conditions: []experimental.JobCondition{jobCondition(experimental.JobSuspended, corev1.ConditionTrue)}},
			},
			want: []interface{}{"going", "Terminating", "0/3", "", "60m", "", "", "<none>"},
		},
		{
			name: "complete wins over terminating",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "done", CreationTimestamp: ago(time.Hour), DeletionTimestamp: &deleting},
				Spec:       experimental.JobSpec{Completions: ptr(int32(1))},
				Status: experimental.JobStatus{
					Conditions: []experimental.JobCondition{jobCondition(experimental.JobComplete, corev1.ConditionTrue)},
					StartTime:  agoPtr(time.Hour), CompletionTime: agoPtr(59 * time.Minute), Succeeded: 1,
				},
			},
			want: []interface{}{"done", "Complete", "1/1", "60s", "60m", "", "", "<none>"},
		},
		{
			name: "suspended before start",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "paused", CreationTimestamp: ago(3 * time.Minute)},
				Spec:       experimental.JobSpec{Completions: ptr(int32(2)), Suspend: ptr(true)},
				Status: experimental.JobStatus{Conditions: []experimental.JobCondition{
					jobCondition(experimental.JobSuspended, corev1.ConditionTrue),
				}},
			},
			want: []interface{}{"paused", "Suspended", "0/2", "", "3m", "", "", "<none>"},
		},
		{
			name: "failure target",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "doomed"},
				Status: experimental.JobStatus{Conditions: []experimental.JobCondition{
					jobCondition(experimental.JobSuspended, corev1.ConditionFalse),
					jobCondition(experimental.JobFailureTarget, corev1.ConditionTrue),
				}},
			},
			want: []interface{}{"doomed", "FailureTarget", "0/1", "", "<unknown>", "", "", "<none>"},
		},
		{
			name: "success criteria met on an indexed job",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "leader"},
				Spec:       experimental.JobSpec{Completions: ptr(int32(4)), CompletionMode: &indexed},
				Status: experimental.JobStatus{
					Conditions: []experimental.JobCondition{jobCondition(experimental.JobSuccessCriteriaMet, corev1.ConditionTrue)},
					Succeeded:  1, CompletedIndexes: "0",
				},
			},
			want: []interface{}{"leader", "SuccessCriteriaMet", "1/4", "", "<unknown>", "", "", "<none>"},
		},
		{
			name: "work queue with parallelism",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "queue"},
				Spec:       experimental.JobSpec{Parallelism: ptr(int32(4))},
				Status:     experimental.JobStatus{Succeeded: 1},
			},
			want: []interface{}{"queue", "Running", "1/1 of 4", "", "<unknown>", "", "", "<none>"},
		},
		{
			name: "single pod without completions",
			obj: &experimental.Job{
				ObjectMeta: metav1.ObjectMeta{Name: "once"},
				Spec:       experimental.JobSpec{Parallelism: ptr(int32(1))},
			},
			want: []interface{}{"once", "Running", "0/1", "", "<unknown>", "", "", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewJobTableConvertor(), tt.obj), tt.want)
		})
	}
}

func TestCronJobCells(t *testing.T) {
	jobTemplate := experimental.JobTemplateSpec{Spec: experimental.JobSpec{
		Template: podTemplate(container("backup", "restic:0.17"), container("notify", "curl:8")),
	}}
	tests := []struct {
		name string
		obj  *experimental.CronJob
		want []interface{}
	}{
		{
			name: "suspended with active jobs",
			obj: &experimental.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "nightly", CreationTimestamp: ago(48 * time.Hour)},
				Spec: experimental.CronJobSpec{
					Schedule: "*/5 * * * *", TimeZone: ptr("Europe/Berlin"), Suspend: ptr(true), JobTemplate: jobTemplate,
				},
				Status: experimental.CronJobStatus{
					Active:           []corev1.ObjectReference{{Name: "nightly-1"}, {Name: "nightly-2"}},
					LastScheduleTime: agoPtr(5 * time.Minute),
				},
			},
			want: []interface{}{"nightly", "*/5 * * * *", "Europe/Berlin", "True", int64(2), "5m", "2d", "backup,notify", "restic:0.17,curl:8", "<none>"},
		},
		{
			name: "never scheduled, suspend unset",
			obj: &experimental.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "fresh", CreationTimestamp: ago(30 * time.Second)},
				Spec: experimental.CronJobSpec{
					Schedule: "@hourly",
					JobTemplate: experimental.JobTemplateSpec{Spec: experimental.JobSpec{
						Selector: matchLabels("job", "fresh"),
					}},
				},
			},
			want: []interface{}{"fresh", "@hourly", "<none>", "<unset>", int64(0), "<none>", "30s", "", "", "job=fresh"},
		},
		{
			name: "not suspended",
			obj: &experimental.CronJob{
				ObjectMeta: metav1.ObjectMeta{Name: "hourly", CreationTimestamp: ago(10 * time.Hour)},
				Spec:       experimental.CronJobSpec{Schedule: "0 * * * *", TimeZone: ptr("UTC"), Suspend: ptr(false), JobTemplate: jobTemplate},
				Status:     experimental.CronJobStatus{LastScheduleTime: agoPtr(66 * time.Minute)},
			},
			want: []interface{}{"hourly", "0 * * * *", "UTC", "False", int64(0), "66m", "10h", "backup,notify", "restic:0.17,curl:8", "<none>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewCronJobTableConvertor(), tt.obj), tt.want)
		})
	}
}

func utilizationMetric(name corev1.ResourceName, target int32) experimental.MetricSpec {
	return experimental.MetricSpec{
		Type: experimental.ResourceMetricSourceType,
		Resource: &experimental.ResourceMetricSource{
			Name:   name,
			Target: experimental.MetricTarget{Type: experimental.UtilizationMetricType, AverageUtilization: ptr(target)},
		},
	}
}

func utilizationStatus(name corev1.ResourceName, current int32) experimental.MetricStatus {
	return experimental.MetricStatus{
		Type: experimental.ResourceMetricSourceType,
		Resource: &experimental.ResourceMetricStatus{
			Name:    name,
			Current: experimental.MetricValueStatus{AverageUtilization: ptr(current)},
		},
	}
}

func quantity(s string) *resource.Quantity {
	q := resource.MustParse(s)
	return &q
}

func TestHorizontalPodAutoscalerCells(t *testing.T) {
	ref := experimental.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "experimental/v1alpha1"}
	tests := []struct {
		name string
		obj  *experimental.HorizontalPodAutoscaler
		want []interface{}
	}{
		{
			name: "cpu utilization with current value",
			obj: &experimental.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(7 * 24 * time.Hour)},
				Spec: experimental.HorizontalPodAutoscalerSpec{
					ScaleTargetRef: ref, MinReplicas: ptr(int32(2)), MaxReplicas: 10,
					Metrics: []experimental.MetricSpec{utilizationMetric(corev1.ResourceCPU, 80)},
				},
				Status: experimental.HorizontalPodAutoscalerStatus{
					CurrentReplicas: 4, DesiredReplicas: 4,
					CurrentMetrics: []experimental.MetricStatus{utilizationStatus(corev1.ResourceCPU, 45)},
				},
			},
			want: []interface{}{"web", "Deployment/web", "cpu: 45%/80%", "2", int64(10), int64(4), "7d"},
		},
		{
			name: "no current metrics yet",
			obj: &experimental.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(20 * time.Second)},
				Spec: experimental.HorizontalPodAutoscalerSpec{
					ScaleTargetRef: ref, MinReplicas: ptr(int32(1)), MaxReplicas: 3,
					Metrics: []experimental.MetricSpec{utilizationMetric(corev1.ResourceCPU, 80)},
				},
			},
			want: []interface{}{"web", "Deployment/web", "cpu: <unknown>/80%", "1", int64(3), int64(0), "20s"},
		},
		{
			name: "more than two metrics",
			obj: &experimental.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "busy", CreationTimestamp: ago(time.Hour)},
				Spec: experimental.HorizontalPodAutoscalerSpec{
					ScaleTargetRef: experimental.CrossVersionObjectReference{Kind: "ReplicaSet", Name: "busy-abc"},
					MaxReplicas:    20,
					Metrics: []experimental.MetricSpec{
						utilizationMetric(corev1.ResourceCPU, 80),
						utilizationMetric(corev1.ResourceMemory, 70),
						utilizationMetric(corev1.ResourceEphemeralStorage, 90),
						{Type: experimental.PodsMetricSourceType, Pods: &experimental.PodsMetricSource{
							Metric: experimental.MetricIdentifier{Name: "rps"},
							Target: experimental.MetricTarget{Type: experimental.AverageValueMetricType, AverageValue: quantity("100")},
						}},
					},
				},
				Status: experimental.HorizontalPodAutoscalerStatus{
					CurrentReplicas: 7,
					CurrentMetrics: []experimental.MetricStatus{
						utilizationStatus(corev1.ResourceCPU, 95),
						utilizationStatus(corev1.ResourceMemory, 60),
					},
				},
			},
			want: []interface{}{"busy", "ReplicaSet/busy-abc", "cpu: 95%/80%, memory: 60%/70% + 2 more...", "<unset>", int64(20), int64(7), "60m"},
		},
		{
			name: "no metrics",
			obj: &experimental.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: "empty"},
				Spec:       experimental.HorizontalPodAutoscalerSpec{ScaleTargetRef: ref, MaxReplicas: 5},
			},
			want: []interface{}{"empty", "Deployment/web", "<none>", "<unset>", int64(5), int64(0), "<unknown>"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertCells(t, singleRowCells(t, NewHorizontalPodAutoscalerTableConvertor(), tt.obj), tt.want)
		})
	}
}

func TestFormatHPAMetrics(t *testing.T) {
	valueTarget := func(v string) experimental.MetricTarget {
		return experimental.MetricTarget{Type: experimental.ValueMetricType, Value: quantity(v)}
	}
	averageTarget := func(v string) experimental.MetricTarget {
		return experimental.MetricTarget{Type: experimental.AverageValueMetricType, AverageValue: quantity(v)}
	}
	queue := experimental.MetricIdentifier{Name: "queue_length"}
	ingress := experimental.CrossVersionObjectReference{Kind: "Ingress", Name: "main"}

	tests := []struct {
		name     string
		specs    []experimental.MetricSpec
		statuses []experimental.MetricStatus
		want     string
	}{
		{
			name:  "none",
			specs: nil,
			want:  "<none>",
		},
		{
			name:     "resource average value",
			specs:    []experimental.MetricSpec{{Type: experimental.ResourceMetricSourceType, Resource: &experimental.ResourceMetricSource{Name: corev1.ResourceMemory, Target: averageTarget("500Mi")}}},
			statuses: []experimental.MetricStatus{{Type: experimental.ResourceMetricSourceType, Resource: &experimental.ResourceMetricStatus{Name: corev1.ResourceMemory, Current: experimental.MetricValueStatus{AverageValue: quantity("300Mi")}}}},
			want:     "memory: 300Mi/500Mi",
		},
		{
			name:  "resource average value without status",
			specs: []experimental.MetricSpec{{Type: experimental.ResourceMetricSourceType, Resource: &experimental.ResourceMetricSource{Name: corev1.ResourceMemory, Target: averageTarget("500Mi")}}},
			want:  "memory: <unknown>/500Mi",
		},
		{
			name:     "resource utilization without target",
			specs:    []experimental.MetricSpec{{Type: experimental.ResourceMetricSourceType, Resource: &experimental.ResourceMetricSource{Name: corev1.ResourceCPU, Target: experimental.MetricTarget{Type: experimental.UtilizationMetricType}}}},
			statuses: []experimental.MetricStatus{utilizationStatus(corev1.ResourceCPU, 12)},
			want:     "cpu: 12%/<auto>",
		},
		{
			name: "container resource utilization",
			specs: []experimental.MetricSpec{{Type: experimental.ContainerResourceMetricSourceType, ContainerResource: &experimental.ContainerResourceMetricSource{
				Name: corev1.ResourceCPU, Container: "app",
				Target: experimental.MetricTarget{Type: experimental.UtilizationMetricType, AverageUtilization: ptr(int32(60))},
			}}},
			statuses: []experimental.MetricStatus{{Type: experimental.ContainerResourceMetricSourceType, ContainerResource: &experimental.ContainerResourceMetricStatus{
				Name: corev1.ResourceCPU, Container: "app", Current: experimental.MetricValueStatus{AverageUtilization: ptr(int32(30))},
			}}},
			want: "cpu: 30%/60%",
		},
		{
			name: "container resource average value",
			specs: []experimental.MetricSpec{{Type: experimental.ContainerResourceMetricSourceType, ContainerResource: &experimental.ContainerResourceMetricSource{
				Name: corev1.ResourceMemory, Container: "app", Target: averageTarget("1Gi"),
			}}},
			want: "memory: <unknown>/1Gi",
		},
		{
			name:     "pods",
			specs:    []experimental.MetricSpec{{Type: experimental.PodsMetricSourceType, Pods: &experimental.PodsMetricSource{Metric: queue, Target: averageTarget("1k")}}},
			statuses: []experimental.MetricStatus{{Type: experimental.PodsMetricSourceType, Pods: &experimental.PodsMetricStatus{Metric: queue, Current: experimental.MetricValueStatus{AverageValue: quantity("1500m")}}}},
			want:     "1500m/1k",
		},
		{
			name: "object value and average value",
			specs: []experimental.MetricSpec{
				{Type: experimental.ObjectMetricSourceType, Object: &experimental.ObjectMetricSource{DescribedObject: ingress, Metric: queue, Target: valueTarget("20")}},
				{Type: experimental.ObjectMetricSourceType, Object: &experimental.ObjectMetricSource{DescribedObject: ingress, Metric: queue, Target: averageTarget("10")}},
			},
			statuses: []experimental.MetricStatus{
				{Type: experimental.ObjectMetricSourceType, Object: &experimental.ObjectMetricStatus{DescribedObject: ingress, Metric: queue, Current: experimental.MetricValueStatus{Value: quantity("15")}}},
				{Type: experimental.ObjectMetricSourceType, Object: &experimental.ObjectMetricStatus{DescribedObject: ingress, Metric: queue, Current: experimental.MetricValueStatus{AverageValue: quantity("5")}}},
			},
			want: "15/20, 5/10 (avg)",
		},
		{
			name: "external without status",
			specs: []experimental.MetricSpec{
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{Metric: queue, Target: averageTarget("30")}},
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{Metric: queue, Target: valueTarget("100")}},
			},
			want: "<unknown>/30 (avg), <unknown>/100",
		},
		{
			name: "external with status",
			specs: []experimental.MetricSpec{
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{Metric: queue, Target: valueTarget("100")}},
			},
			statuses: []experimental.MetricStatus{
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricStatus{Metric: queue, Current: experimental.MetricValueStatus{Value: quantity("42")}}},
			},
			want: "42/100",
		},
		{
			name: "statuses are matched by position",
			specs: []experimental.MetricSpec{
				utilizationMetric(corev1.ResourceCPU, 80),
				utilizationMetric(corev1.ResourceMemory, 70),
			},
			statuses: []experimental.MetricStatus{
				{Type: experimental.PodsMetricSourceType},
				utilizationStatus(corev1.ResourceMemory, 50),
			},
			want: "cpu: <unknown>/80%, memory: 50%/70%",
		},
		{
			name: "unknown or malformed metric types",
			specs: []experimental.MetricSpec{
				{Type: "Bogus"},
				{Type: experimental.ResourceMetricSourceType},
			},
			want: "<unknown type>, <unknown type>",
		},
		{
			name: "three metrics",
			specs: []experimental.MetricSpec{
				utilizationMetric(corev1.ResourceCPU, 80),
				utilizationMetric(corev1.ResourceMemory, 70),
				{Type: experimental.ExternalMetricSourceType, External: &experimental.ExternalMetricSource{Metric: queue, Target: valueTarget("5")}},
			},
			want: "cpu: <unknown>/80%, memory: <unknown>/70% + 1 more...",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formatHPAMetrics(tt.specs, tt.statuses); got != tt.want {
				t.Errorf("formatHPAMetrics() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestListConversion(t *testing.T) {
	listMeta := metav1.ListMeta{ResourceVersion: "42", Continue: "next-page", RemainingItemCount: ptr(int64(7))}
	deployments := &experimental.DeploymentList{ListMeta: listMeta, Items: []experimental.Deployment{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	replicaSets := &experimental.ReplicaSetList{ListMeta: listMeta, Items: []experimental.ReplicaSet{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	daemonSets := &experimental.DaemonSetList{ListMeta: listMeta, Items: []experimental.DaemonSet{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	jobs := &experimental.JobList{ListMeta: listMeta, Items: []experimental.Job{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	cronJobs := &experimental.CronJobList{ListMeta: listMeta, Items: []experimental.CronJob{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}
	hpas := &experimental.HorizontalPodAutoscalerList{ListMeta: listMeta, Items: []experimental.HorizontalPodAutoscaler{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}}, {ObjectMeta: metav1.ObjectMeta{Name: "b"}},
	}}

	tests := []struct {
		kind      string
		convertor rest.TableConvertor
		list      runtime.Object
		items     []runtime.Object
	}{
		{"deployments", NewDeploymentTableConvertor(), deployments, []runtime.Object{&deployments.Items[0], &deployments.Items[1]}},
		{"replicasets", NewReplicaSetTableConvertor(), replicaSets, []runtime.Object{&replicaSets.Items[0], &replicaSets.Items[1]}},
		{"daemonsets", NewDaemonSetTableConvertor(), daemonSets, []runtime.Object{&daemonSets.Items[0], &daemonSets.Items[1]}},
		{"jobs", NewJobTableConvertor(), jobs, []runtime.Object{&jobs.Items[0], &jobs.Items[1]}},
		{"cronjobs", NewCronJobTableConvertor(), cronJobs, []runtime.Object{&cronJobs.Items[0], &cronJobs.Items[1]}},
		{"horizontalpodautoscalers", NewHorizontalPodAutoscalerTableConvertor(), hpas, []runtime.Object{&hpas.Items[0], &hpas.Items[1]}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			table := convert(t, tt.convertor, tt.list)
			if table.ResourceVersion != "42" || table.Continue != "next-page" {
				t.Errorf("list meta = (%q, %q), want (\"42\", \"next-page\")", table.ResourceVersion, table.Continue)
			}
			if table.RemainingItemCount == nil || *table.RemainingItemCount != 7 {
				t.Errorf("remainingItemCount = %v, want 7", table.RemainingItemCount)
			}
			if len(table.ColumnDefinitions) == 0 {
				t.Errorf("expected column definitions")
			}
			if len(table.Rows) != len(tt.items) {
				t.Fatalf("got %d rows, want %d", len(table.Rows), len(tt.items))
			}
			for i, row := range table.Rows {
				if row.Object.Object != tt.items[i] {
					t.Errorf("row %d object = %p, want list item %p", i, row.Object.Object, tt.items[i])
				}
				if len(row.Cells) != len(table.ColumnDefinitions) {
					t.Errorf("row %d has %d cells for %d columns", i, len(row.Cells), len(table.ColumnDefinitions))
				}
				if name := tt.items[i].(metav1.Object).GetName(); row.Cells[0] != name {
					t.Errorf("row %d name = %v, want %q", i, row.Cells[0], name)
				}
			}
		})
	}
}

func TestEmptyList(t *testing.T) {
	table := convert(t, NewJobTableConvertor(), &experimental.JobList{ListMeta: metav1.ListMeta{ResourceVersion: "9"}})
	if table.Rows == nil || len(table.Rows) != 0 {
		t.Errorf("rows = %#v, want an empty, non-nil slice", table.Rows)
	}
	if table.ResourceVersion != "9" || table.Continue != "" || table.RemainingItemCount != nil {
		t.Errorf("unexpected list meta %#v", table.ListMeta)
	}
}

func TestSingleObjectResourceVersion(t *testing.T) {
	obj := &experimental.CronJob{ObjectMeta: metav1.ObjectMeta{Name: "cj", ResourceVersion: "17"}}
	table := convert(t, NewCronJobTableConvertor(), obj)
	if table.ResourceVersion != "17" || table.Continue != "" || table.RemainingItemCount != nil {
		t.Errorf("unexpected list meta %#v", table.ListMeta)
	}
}

func TestNoHeaders(t *testing.T) {
	c := NewDaemonSetTableConvertor()
	list := &experimental.DaemonSetList{Items: []experimental.DaemonSet{{ObjectMeta: metav1.ObjectMeta{Name: "ds"}}}}
	tests := []struct {
		name        string
		options     runtime.Object
		wantHeaders bool
	}{
		{"nil options", nil, true},
		{"nil typed options", (*metav1.TableOptions)(nil), true},
		{"headers requested", &metav1.TableOptions{}, true},
		{"no headers", &metav1.TableOptions{NoHeaders: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obj := range []runtime.Object{&list.Items[0], list} {
				table, err := c.ConvertToTable(context.Background(), obj, tt.options)
				if err != nil {
					t.Fatalf("ConvertToTable(%T) failed: %v", obj, err)
				}
				if got := len(table.ColumnDefinitions) > 0; got != tt.wantHeaders {
					t.Errorf("%T: has column definitions = %v, want %v", obj, got, tt.wantHeaders)
				}
				if len(table.Rows) != 1 || len(table.Rows[0].Cells) != len(daemonSetColumns) {
					t.Errorf("%T: expected one full row, got %#v", obj, table.Rows)
				}
			}
		})
	}
}

func TestConversionErrors(t *testing.T) {
	tests := []struct {
		name    string
		obj     runtime.Object
		options runtime.Object
	}{
		{name: "other kind", obj: &experimental.Job{}},
		{name: "list of another kind", obj: &experimental.JobList{Items: []experimental.Job{{}}}},
		{name: "empty list of another kind", obj: &experimental.ReplicaSetList{}},
		{name: "non-workload object", obj: &metav1.Status{}},
		{name: "nil object", obj: nil},
		{name: "typed nil object", obj: (*experimental.Deployment)(nil)},
		{name: "unrecognized table options", obj: &experimental.Deployment{}, options: &metav1.ListOptions{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table, err := NewDeploymentTableConvertor().ConvertToTable(context.Background(), tt.obj, tt.options)
			if err == nil {
				t.Fatalf("expected an error, got table %#v", table)
			}
			if table != nil {
				t.Errorf("expected no table alongside the error, got %#v", table)
			}
		})
	}
}
