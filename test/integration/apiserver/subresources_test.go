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

package apiserver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func TestSubresources(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	ctx := context.Background()
	c := s.Client.ExperimentalV1alpha1()
	ns := "default"

	t.Run("deployment scale", func(t *testing.T) {
		d, err := c.Deployments(ns).Create(ctx, newDeployment("scaled"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale, err := c.Deployments(ns).GetScale(ctx, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get scale: %v", err)
		}
		if scale.Spec.Replicas != 3 || scale.Status.Selector != "app=scaled" || scale.UID != d.UID {
			t.Errorf("scale = %+v, want replicas 3, selector app=scaled, uid %s", scale, d.UID)
		}
		scale.Spec.Replicas = 5
		if _, err := c.Deployments(ns).UpdateScale(ctx, "scaled", scale, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("update scale: %v", err)
		}
		d, err = c.Deployments(ns).Get(ctx, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spec.Replicas != 5 || d.Generation != 2 {
			t.Errorf("after scale: replicas %d generation %d, want 5 and 2", *d.Spec.Replicas, d.Generation)
		}
		// A stale resourceVersion conflicts.
		if _, err := c.Deployments(ns).UpdateScale(ctx, "scaled", scale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
			t.Errorf("scale with stale resourceVersion: expected Conflict, got %v", err)
		}
		// Negative replicas are refused with a field path.
		scale.ResourceVersion = ""
		scale.Spec.Replicas = -1
		_, err = c.Deployments(ns).UpdateScale(ctx, "scaled", scale, metav1.UpdateOptions{})
		expectInvalid(t, err, "spec.replicas")
		// kubectl scale sends a merge patch to the subresource.
		patched := &autoscalingv1.Scale{}
		err = s.Client.ExperimentalV1alpha1().RESTClient().Patch(types.MergePatchType).Namespace(ns).
			Resource("deployments").Name("scaled").SubResource("scale").
			Body([]byte(`{"spec":{"replicas":2}}`)).Do(ctx).Into(patched)
		if err != nil || patched.Spec.Replicas != 2 {
			t.Errorf("patch scale: %v, replicas %d", err, patched.Spec.Replicas)
		}
	})

	t.Run("job scale", func(t *testing.T) {
		job, err := c.Jobs(ns).Create(ctx, newJob("scaled"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		scale, err := c.Jobs(ns).GetScale(ctx, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get scale: %v", err)
		}
		if want := "batch.kubernetes.io/controller-uid=" + string(job.UID); scale.Spec.Replicas != 2 || scale.Status.Selector != want {
			t.Errorf("scale = %+v, want replicas 2 (parallelism), selector %s", scale, want)
		}
		patched := &autoscalingv1.Scale{}
		err = s.Client.ExperimentalV1alpha1().RESTClient().Patch(types.MergePatchType).Namespace(ns).
			Resource("jobs").Name("scaled").SubResource("scale").
			Body([]byte(`{"spec":{"replicas":3}}`)).Do(ctx).Into(patched)
		if err != nil || patched.Spec.Replicas != 3 {
			t.Fatalf("patch scale: %v, replicas %d", err, patched.Spec.Replicas)
		}
		job, err = c.Jobs(ns).Get(ctx, "scaled", metav1.GetOptions{})
		if err != nil || *job.Spec.Parallelism != 3 {
			t.Errorf("after scale: %v, parallelism %v, want 3", err, job.Spec.Parallelism)
		}
	})

	t.Run("cronjob trigger", func(t *testing.T) {
		cj := newCronJob("triggered")
		cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
		cj, err := c.CronJobs(ns).Create(ctx, cj, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		job, err := c.CronJobs(ns).Trigger(ctx, "triggered", &v1alpha1.CronJobTrigger{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		if !strings.HasPrefix(job.Name, "triggered-manual-") || job.Annotations["cronjob.kubernetes.io/instantiate"] != "manual" ||
			!metav1.IsControlledBy(job, cj) || job.UID == "" {
			t.Errorf("triggered job = %+v, want triggered-manual-*, annotated manual, controlled by the cronjob", job.ObjectMeta)
		}
		if _, err := c.Jobs(ns).Get(ctx, job.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("the triggered job is not stored: %v", err)
		}
		// Forbid: the running job blocks a second trigger with a 409 naming it.
		_, err = c.CronJobs(ns).Trigger(ctx, "triggered", &v1alpha1.CronJobTrigger{JobName: "second"}, metav1.CreateOptions{})
		if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), job.Name) {
			t.Errorf("second trigger under Forbid: want Conflict naming %s, got %v", job.Name, err)
		}
		// The body is checked with field paths.
		_, err = c.CronJobs(ns).Trigger(ctx, "triggered", &v1alpha1.CronJobTrigger{JobName: "Not_A_Name"}, metav1.CreateOptions{})
		expectInvalid(t, err, "jobName")
		if _, err := c.CronJobs(ns).Trigger(ctx, "missing", &v1alpha1.CronJobTrigger{}, metav1.CreateOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("trigger of a missing cronjob: expected NotFound, got %v", err)
		}
		// A body without apiVersion and kind decodes as a CronJobTrigger.
		err = s.Client.ExperimentalV1alpha1().RESTClient().Post().Namespace(ns).
			Resource("cronjobs").Name("triggered").SubResource("trigger").Param("dryRun", "All").
			SetHeader("Content-Type", "application/json").Body([]byte(`{}`)).Do(ctx).Error()
		if !apierrors.IsConflict(err) {
			t.Errorf("bare JSON body under Forbid: want Conflict, got %v", err)
		}
	})

	t.Run("replicaset scale", func(t *testing.T) {
		if _, err := c.ReplicaSets(ns).Create(ctx, newReplicaSet("scaled"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		scale, err := c.ReplicaSets(ns).GetScale(ctx, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get scale: %v", err)
		}
		scale.Spec.Replicas = 0
		if _, err := c.ReplicaSets(ns).UpdateScale(ctx, "scaled", scale, metav1.UpdateOptions{}); err != nil {
			t.Fatalf("scale to zero: %v", err)
		}
		rs, err := c.ReplicaSets(ns).Get(ctx, "scaled", metav1.GetOptions{})
		if err != nil || *rs.Spec.Replicas != 0 {
			t.Errorf("after scale to zero: %v, %+v", err, rs.Spec.Replicas)
		}
		if _, err := c.ReplicaSets(ns).GetScale(ctx, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("scale of a missing replicaset: expected NotFound, got %v", err)
		}
	})

	t.Run("deployment rollback", func(t *testing.T) {
		if _, err := c.Deployments(ns).Create(ctx, newDeployment("rolled"), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		status, err := c.Deployments(ns).Rollback(ctx, "rolled", &v1alpha1.DeploymentRollback{
			Name:               "rolled",
			UpdatedAnnotations: map[string]string{"kubernetes.io/change-cause": "roll back"},
			RollbackTo:         v1alpha1.RollbackConfig{Revision: 2},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("rollback: %v", err)
		}
		if status.Status != metav1.StatusSuccess {
			t.Errorf("rollback status = %+v", status)
		}
		d, err := c.Deployments(ns).Get(ctx, "rolled", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Spec.RollbackTo == nil || d.Spec.RollbackTo.Revision != 2 {
			t.Errorf("rollbackTo = %+v, want revision 2", d.Spec.RollbackTo)
		}
		if d.Annotations["kubernetes.io/change-cause"] != "roll back" || d.Generation != 2 {
			t.Errorf("after rollback: annotations %v generation %d", d.Annotations, d.Generation)
		}
		_, err = c.Deployments(ns).Rollback(ctx, "rolled", &v1alpha1.DeploymentRollback{Name: "other"}, metav1.CreateOptions{})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("rollback with mismatched name: expected BadRequest, got %v", err)
		}
		_, err = c.Deployments(ns).Rollback(ctx, "missing", &v1alpha1.DeploymentRollback{Name: "missing"}, metav1.CreateOptions{})
		if !apierrors.IsNotFound(err) {
			t.Errorf("rollback of a missing deployment: expected NotFound, got %v", err)
		}
		_, err = c.Deployments(ns).Rollback(ctx, "rolled", &v1alpha1.DeploymentRollback{Name: "rolled", RollbackTo: v1alpha1.RollbackConfig{Revision: -1}}, metav1.CreateOptions{})
		expectInvalid(t, err, "rollbackTo.revision")
	})

	t.Run("job selector generated", func(t *testing.T) {
		job, err := c.Jobs(ns).Create(ctx, newJob("generated"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := job.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"]; got != string(job.UID) {
			t.Errorf("selector controller-uid = %q, want %q", got, job.UID)
		}
		if job.Spec.Template.Labels["job-name"] != "generated" || job.Spec.Template.Labels["batch.kubernetes.io/controller-uid"] != string(job.UID) {
			t.Errorf("template labels = %v", job.Spec.Template.Labels)
		}
		if *job.Spec.BackoffLimit != 6 || *job.Spec.CompletionMode != v1alpha1.NonIndexedCompletion {
			t.Errorf("defaults: backoffLimit %d completionMode %s", *job.Spec.BackoffLimit, *job.Spec.CompletionMode)
		}
		job.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"] = "other"
		_, err = c.Jobs(ns).Update(ctx, job, metav1.UpdateOptions{})
		expectInvalid(t, err, "spec.selector")
	})
}

func TestServerSidePrinting(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	ctx := context.Background()
	if _, err := s.Client.ExperimentalV1alpha1().Deployments("default").Create(ctx, newDeployment("web"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	raw, err := s.Client.ExperimentalV1alpha1().RESTClient().Get().Namespace("default").Resource("deployments").
		SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var table metav1.Table
	if err := json.Unmarshal(raw, &table); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range table.ColumnDefinitions {
		names = append(names, c.Name)
	}
	if got, want := strings.Join(names, ","), "Name,Ready,Up-to-date,Available,Age,Containers,Images,Selector,Step,Rollout"; got != want {
		t.Errorf("columns = %s, want %s", got, want)
	}
	if len(table.Rows) != 1 || table.Rows[0].Cells[0] != "web" || table.Rows[0].Cells[1] != "0/3" {
		t.Errorf("rows = %+v", table.Rows)
	}
}

func TestOpenAPIPublishesEveryKind(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	raw, err := s.Client.Discovery().RESTClient().Get().AbsPath("/openapi/v3/apis/experimental/v1alpha1").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("openapi v3: %v", err)
	}
	doc := string(raw)
	for _, kind := range []string{"DaemonSet", "ReplicaSet", "Deployment", "Job", "CronJob", "HorizontalPodAutoscaler"} {
		if !strings.Contains(doc, `"kind":"`+kind+`"`) {
			t.Errorf("OpenAPI v3 document has no group-version-kind for %s", kind)
		}
	}
	if _, err := s.Client.Discovery().OpenAPISchema(); err != nil {
		t.Errorf("openapi v2: %v", err)
	}
}
