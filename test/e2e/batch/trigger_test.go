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

package batch

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// neverSchedule is a schedule that does not fire while a test runs (the
// first minute of the year), so every Job of these CronJobs is triggered.
const neverSchedule = "0 0 1 1 *"

// activeNames returns the names in a CronJob's status.active.
func (e *env) activeNames(ctx context.Context, ns, name string) ([]string, error) {
	cj, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return cjRefNames(cj.Status.Active), nil
}

func TestCronJobTrigger(t *testing.T) {
	e := sharedEnv(t)

	t.Run("Forbid through the subresource", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "trigger-forbid")
		cj := e.cjNew(t, ns, "report", func(cj *v1alpha1.CronJob) {
			cj.Spec.Schedule = neverSchedule
			cj.Spec.ConcurrencyPolicy = v1alpha1.ForbidConcurrent
		}, nil)
		cjs := e.client.ExperimentalV1alpha1().CronJobs(ns)
		job, err := cjs.Trigger(context.Background(), "report", &v1alpha1.CronJobTrigger{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("trigger: %v", err)
		}
		if !strings.HasPrefix(job.Name, "report-manual-") || job.Annotations[v1alpha1.CronJobManualInstantiateAnnotation] != "manual" ||
			!metav1.IsControlledBy(job, cj) || job.Labels["cronjob"] != "report" {
			t.Errorf("triggered Job %s: annotations %v labels %v owners %v", job.Name, job.Annotations, job.Labels, job.OwnerReferences)
		}
		// The controller counts it as the CronJob's active run.
		pollFor(t, "the triggered Job in status.active", pollTimeout, func(ctx context.Context) (bool, error) {
			names, err := e.activeNames(ctx, ns, "report")
			return len(names) == 1 && names[0] == job.Name, err
		})
		// Forbid: a second trigger is a 409 naming the running Job.
		_, err = cjs.Trigger(context.Background(), "report", &v1alpha1.CronJobTrigger{JobName: "report-again"}, metav1.CreateOptions{})
		if !apierrors.IsConflict(err) || !strings.Contains(err.Error(), fmt.Sprintf("job %q is still active", job.Name)) {
			t.Errorf("second trigger under Forbid: want 409 naming %s, got %v", job.Name, err)
		}
		if _, err := e.getJob(context.Background(), ns, "report-again"); !apierrors.IsNotFound(err) {
			t.Errorf("the refused trigger created report-again: %v", err)
		}
		e.cjNoWarnings(t, cj)
	})

	t.Run("Replace through the plugin", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "trigger-replace")
		cj := e.cjNew(t, ns, "sync", func(cj *v1alpha1.CronJob) {
			cj.Spec.Schedule = neverSchedule
			cj.Spec.ConcurrencyPolicy = v1alpha1.ReplaceConcurrent
		}, nil)
		out, errOut, err := e.c.Plugin(t, "-n", ns, "trigger", "cronjob/sync", "--job-name=sync-first")
		if err != nil || out != "job.experimental/sync-first created\n" {
			t.Fatalf("kubectl experimental trigger: %v, stdout %q, stderr %q", err, out, errOut)
		}
		out, errOut, err = e.c.Plugin(t, "-n", ns, "trigger", "xcj/sync", "-o", "name")
		if err != nil || !strings.HasPrefix(out, "job.experimental/sync-manual-") {
			t.Fatalf("kubectl experimental trigger -o name: %v, stdout %q, stderr %q", err, out, errOut)
		}
		second := strings.TrimSpace(strings.TrimPrefix(out, "job.experimental/"))
		// Replace deleted the first run before starting the second.
		pollFor(t, "sync-first to be deleted", pollTimeout, func(ctx context.Context) (bool, error) {
			_, err := e.getJob(ctx, ns, "sync-first")
			if apierrors.IsNotFound(err) {
				return true, nil
			}
			return false, err
		})
		pollFor(t, "only "+second+" in status.active", pollTimeout, func(ctx context.Context) (bool, error) {
			names, err := e.activeNames(ctx, ns, "sync")
			return len(names) == 1 && names[0] == second, err
		})
		// create job --from keeps working and is tracked the same way.
		if out, errOut, err := e.c.Plugin(t, "-n", ns, "create", "job", "sync-by-hand", "--from=cronjob/sync"); err != nil {
			t.Fatalf("kubectl experimental create job --from: %v\n%s%s", err, out, errOut)
		}
		pollFor(t, "sync-by-hand in status.active", pollTimeout, func(ctx context.Context) (bool, error) {
			names, err := e.activeNames(ctx, ns, "sync")
			return strings.Contains(strings.Join(names, ","), "sync-by-hand"), err
		})
		// describe shows the active Jobs.
		desc, errOut, err := e.c.Plugin(t, "-n", ns, "describe", "cj/sync")
		if err != nil || !strings.Contains(desc, second) {
			t.Errorf("describe cj/sync: %v, lacks %s:\n%s%s", err, second, desc, errOut)
		}
		e.cjNoWarnings(t, cj)
	})

	t.Run("RBAC: view cannot trigger, edit can", func(t *testing.T) {
		t.Parallel()
		ns := e.namespace(t, "trigger-rbac")
		e.cjNew(t, ns, "nightly", func(cj *v1alpha1.CronJob) { cj.Spec.Schedule = neverSchedule }, nil)
		if out, err := exec.Command(e.c.KubectlPath(), "--kubeconfig="+e.c.KubeconfigPath, "apply", "-f",
			filepath.Join(e.c.RepoRoot, "artifacts", "deploy", "rbac-aggregate.yaml")).CombinedOutput(); err != nil {
			t.Fatalf("applying rbac-aggregate.yaml: %v\n%s", err, out)
		}
		for user, role := range map[string]string{"viewer": "view", "editor": "edit"} {
			_, err := e.c.KubeClient().RbacV1().RoleBindings(ns).Create(context.Background(), &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: user},
				Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
		}
		viewerClient, err := e.c.ClientAs("viewer", "system:authenticated")
		if err != nil {
			t.Fatal(err)
		}
		editorClient, err := e.c.ClientAs("editor", "system:authenticated")
		if err != nil {
			t.Fatal(err)
		}
		viewer := viewerClient.ExperimentalV1alpha1().CronJobs(ns)
		editor := editorClient.ExperimentalV1alpha1().CronJobs(ns)
		// Wait until view reaches our resources (aggregation and the
		// delegated authorizer's cache), then check it cannot trigger.
		pollFor(t, "view to grant get on cronjobs", pollTimeout, func(ctx context.Context) (bool, error) {
			_, err := viewer.Get(ctx, "nightly", metav1.GetOptions{})
			if apierrors.IsForbidden(err) {
				return false, nil
			}
			return err == nil, err
		})
		_, err = viewer.Trigger(context.Background(), "nightly", &v1alpha1.CronJobTrigger{}, metav1.CreateOptions{})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "cronjobs/trigger") {
			t.Errorf("viewer trigger: want Forbidden on cronjobs/trigger, got %v", err)
		}
		var job *v1alpha1.Job
		pollFor(t, "edit to grant create on cronjobs/trigger", pollTimeout, func(ctx context.Context) (bool, error) {
			var err error
			job, err = editor.Trigger(ctx, "nightly", &v1alpha1.CronJobTrigger{JobName: "nightly-by-editor"}, metav1.CreateOptions{})
			if apierrors.IsForbidden(err) {
				return false, nil
			}
			return err == nil, err
		})
		if job.Name != "nightly-by-editor" {
			t.Errorf("editor's trigger created %s, want nightly-by-editor", job.Name)
		}
		// The viewer through the plugin gets kubectl's forbidden message.
		_, errOut, err := e.c.Plugin(t, "-n", ns, "trigger", "cj/nightly", "--as=viewer")
		if err == nil || !strings.Contains(errOut, "forbidden") {
			t.Errorf("kubectl experimental trigger --as=viewer: err %v, stderr %q, want forbidden", err, errOut)
		}
	})
}

func TestJobScale(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "job-scale")
	job := e.createJob(t, ns, &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "crunch"},
		Spec: v1alpha1.JobSpec{
			Parallelism: ptr.To[int32](1),
			Completions: ptr.To[int32](10),
			Template:    jobPodTemplate(nil), // pods run until the test ends
		},
	})
	activePods := func(want int) func(ctx context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			pods, err := e.ownedPods(ctx, ns, job.UID)
			n := 0
			for i := range pods {
				if isActive(&pods[i]) {
					n++
				}
			}
			return n == want, err
		}
	}
	pollFor(t, "one active pod", pollTimeout, activePods(1))

	if out, errOut, err := e.c.Kubectl("scale", "-n", ns, "xjob/crunch", "--replicas=3"); err != nil {
		t.Fatalf("kubectl scale xjob/crunch --replicas=3: %v\n%s%s", err, out, errOut)
	}
	cur, err := e.getJob(context.Background(), ns, "crunch")
	if err != nil || ptr.Deref(cur.Spec.Parallelism, 0) != 3 {
		t.Fatalf("after kubectl scale: %v, parallelism %v, want 3", err, cur.Spec.Parallelism)
	}
	pollFor(t, "three active pods", pollTimeout, activePods(3))
	// The scale subresource reports the active pods and the Job's selector.
	pollFor(t, "jobs/scale status.replicas 3", pollTimeout, func(ctx context.Context) (bool, error) {
		scale, err := e.client.ExperimentalV1alpha1().Jobs(ns).GetScale(ctx, "crunch", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if want := "batch.kubernetes.io/controller-uid=" + string(job.UID); scale.Status.Selector != want {
			return false, fmt.Errorf("scale selector %q, want %q", scale.Status.Selector, want)
		}
		return scale.Spec.Replicas == 3 && scale.Status.Replicas == 3, nil
	})

	if out, errOut, err := e.c.Kubectl("scale", "-n", ns, "xjob/crunch", "--replicas=1", "--current-replicas=3"); err != nil {
		t.Fatalf("kubectl scale xjob/crunch --replicas=1: %v\n%s%s", err, out, errOut)
	}
	pollFor(t, "back to one active pod", pollTimeout, activePods(1))
}

// TestCronJobJitterNextScheduleTime: a CronJob with jitterSeconds publishes
// its next run, delayed by a fixed offset within the window, in status and
// in kubectl experimental describe.
func TestCronJobJitterNextScheduleTime(t *testing.T) {
	t.Parallel()
	e := sharedEnv(t)
	ns := e.namespace(t, "cronjob-jitter")
	e.cjNew(t, ns, "yearly", func(cj *v1alpha1.CronJob) {
		cj.Spec.Schedule = neverSchedule
		cj.Spec.JitterSeconds = ptr.To[int32](3600)
		cj.Spec.MissedSchedulePolicy = ptr.To(v1alpha1.MissedScheduleSkip)
	}, nil)
	var next time.Time
	pollFor(t, "status.nextScheduleTime", pollTimeout, func(ctx context.Context) (bool, error) {
		cj, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Get(ctx, "yearly", metav1.GetOptions{})
		if err != nil || cj.Status.NextScheduleTime == nil {
			return false, err
		}
		next = cj.Status.NextScheduleTime.Time.Local() // as describe prints it
		return true, nil
	})
	newYear := time.Date(time.Now().UTC().Year()+1, time.January, 1, 0, 0, 0, 0, time.UTC)
	if off := next.Sub(newYear); off < 0 || off >= time.Hour || off%time.Second != 0 {
		t.Errorf("nextScheduleTime %s: want New Year %s plus whole seconds under an hour", next, newYear)
	}
	desc, errOut, err := e.c.Plugin(t, "-n", ns, "describe", "cj/yearly")
	if err != nil {
		t.Fatalf("describe: %v\n%s", err, errOut)
	}
	for _, want := range []string{"Jitter Seconds:", "3600", "Missed Schedule Policy:", "Skip", next.Format(time.RFC1123Z) + " (jitter included)"} {
		if !strings.Contains(desc, want) {
			t.Errorf("describe cj/yearly lacks %q:\n%s", want, desc)
		}
	}
}
