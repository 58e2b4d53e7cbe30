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

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// fakeTrigger answers POSTs to cronjobs/trigger as the server does for
// Allow: with a Job named after the request. It records the requests.
func fakeTrigger(f *fakeClients) *[]clienttesting.CreateActionImpl {
	var seen []clienttesting.CreateActionImpl
	f.x.PrependReactor("create", "cronjobs", func(a clienttesting.Action) (bool, runtime.Object, error) {
		create := a.(clienttesting.CreateActionImpl)
		if create.GetSubresource() != "trigger" {
			return false, nil, nil
		}
		seen = append(seen, create)
		trigger := create.GetObject().(*v1alpha1.CronJobTrigger)
		if create.Name == "busy" {
			return true, nil, apierrors.NewConflict(v1alpha1.Resource("cronjobs"), create.Name,
				errString(`concurrencyPolicy is Forbid and job "busy-1" is still active`))
		}
		name := trigger.JobName
		if name == "" {
			name = create.Name + "-manual-abcde"
		}
		return true, &v1alpha1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: create.Namespace}}, nil
	})
	return &seen
}

type errString string

func (e errString) Error() string { return string(e) }

func TestTrigger(t *testing.T) {
	f := newFakes(cronJob("nightly"))
	seen := fakeTrigger(f)

	out := mustRun(t, f, "trigger", "cronjob/nightly")
	if out != "job.experimental/nightly-manual-abcde created\n" {
		t.Errorf("output: %q", out)
	}
	out = mustRun(t, f, "trigger", "xcj", "nightly", "--job-name=nightly-now", "-o", "name")
	if out != "job.experimental/nightly-now\n" {
		t.Errorf("output with --job-name: %q", out)
	}
	mustRun(t, f, "trigger", "cj/nightly", "--dry-run")
	if len(*seen) != 3 {
		t.Fatalf("trigger requests: %d, want 3", len(*seen))
	}
	for i, want := range []struct{ name, jobName, dryRun string }{{"nightly", "", ""}, {"nightly", "nightly-now", ""}, {"nightly", "", metav1.DryRunAll}} {
		a := (*seen)[i]
		got := a.GetObject().(*v1alpha1.CronJobTrigger)
		if a.Name != want.name || a.Namespace != testNS || got.JobName != want.jobName || strings.Join(a.CreateOptions.DryRun, ",") != want.dryRun {
			t.Errorf("request %d: %s/%s jobName %q dryRun %v, want %+v", i, a.Namespace, a.Name, got.JobName, a.CreateOptions.DryRun, want)
		}
	}

	_, _, err := run(t, newFakesWithTrigger("busy"), "trigger", "cronjob/busy")
	if err == nil || !strings.Contains(err.Error(), `job "busy-1" is still active`) || !strings.Contains(err.Error(), "cronjob") {
		t.Errorf("Forbid conflict: %v", err)
	}
	for _, args := range [][]string{
		{"trigger"},
		{"trigger", "deployment/web"},
		{"trigger", "cronjob/a", "cronjob/b"},
	} {
		if _, _, err := run(t, f, args...); err == nil {
			t.Errorf("%v: want an error", args)
		}
	}
}

func newFakesWithTrigger(name string) *fakeClients {
	f := newFakes(cronJob(name))
	fakeTrigger(f)
	return f
}

func TestDescribeCronJobPolicies(t *testing.T) {
	cj := cronJob("hourly")
	cj.Spec.Schedule = "0 * * * *"
	cj.Spec.JitterSeconds = ptr.To[int32](900)
	cj.Spec.MissedSchedulePolicy = ptr.To(v1alpha1.MissedScheduleSkip)
	next := time.Date(2026, 3, 1, 13, 7, 41, 0, time.UTC)
	cj.Status.NextScheduleTime = &metav1.Time{Time: next}
	cj.Status.Conditions = []metav1.Condition{{Type: v1alpha1.CronJobConditionRunsBlocked, Status: metav1.ConditionTrue,
		Reason: "JobStillActive", Message: "Job hourly-29539447 is still active and concurrencyPolicy is Forbid: 2 scheduled run(s) skipped"}}
	out := mustRun(t, newFakes(cj), "describe", "cj/hourly")
	for _, want := range []string{
		"Missed Schedule Policy:", "Skip",
		"Jitter Seconds:", "900",
		"Next Schedule Time:", next.Format(time.RFC1123Z) + " (jitter included)",
		"Conditions:", "RunsBlocked", "True", "JobStillActive", "Job hourly-29539447 is still active",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}

	// An upstream-shaped CronJob shows none of it.
	out = mustRun(t, newFakes(cronJob("plain")), "describe", "cj/plain")
	for _, unwanted := range []string{"Missed Schedule Policy", "Jitter Seconds", "Next Schedule Time", "Conditions:"} {
		if strings.Contains(out, unwanted) {
			t.Errorf("describe of a CronJob without the new fields shows %q:\n%s", unwanted, out)
		}
	}
}

func TestTriggerCompletion(t *testing.T) {
	f := newFakes(cronJob("nightly"), cronJob("hourly"), deployment("web", 1))
	if out := mustRun(t, f, "__complete", "trigger", ""); !strings.Contains(out, "cronjob\n") || strings.Contains(out, "deployment") {
		t.Errorf("completion of trigger types:\n%s", out)
	}
	if out := mustRun(t, f, "__complete", "trigger", "cronjob", ""); !strings.Contains(out, "hourly\nnightly\n") || strings.Contains(out, "web") {
		t.Errorf("completion of cronjob names:\n%s", out)
	}
}
