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

package job

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// Pod failure backoff, as upstream: 10s after the first failure, doubling
// with each consecutive failure, capped at MaxPodFailureBackoff.
const (
	DefaultPodFailureBackoff = 10 * time.Second
	MaxPodFailureBackoff     = 10 * time.Minute
)

// matchPodFailurePolicy matches a failed pod against the rules of policy, in
// order. It returns the failure message when a FailJob rule matched, whether
// the failure counts towards the backoff limits (false for Ignore), and the
// action of the matching rule (nil when none matched).
func matchPodFailurePolicy(policy *v1alpha1.PodFailurePolicy, pod *corev1.Pod) (*string, bool, *v1alpha1.PodFailurePolicyAction) {
	if policy == nil {
		return nil, true, nil
	}
	for i, rule := range policy.Rules {
		var failJobMsg string
		switch {
		case rule.OnExitCodes != nil:
			cs := matchOnExitCodes(&pod.Status, rule.OnExitCodes)
			if cs == nil {
				continue
			}
			failJobMsg = fmt.Sprintf("Container %s for pod %s/%s failed with exit code %d matching %s rule at index %d",
				cs.Name, pod.Namespace, pod.Name, cs.State.Terminated.ExitCode, rule.Action, i)
		case rule.OnPodConditions != nil:
			cond := matchOnPodConditions(&pod.Status, rule.OnPodConditions)
			if cond == nil {
				continue
			}
			failJobMsg = fmt.Sprintf("Pod %s/%s has condition %s matching %s rule at index %d",
				pod.Namespace, pod.Name, cond.Type, rule.Action, i)
		default:
			continue
		}
		action := rule.Action
		switch action {
		case v1alpha1.PodFailurePolicyActionIgnore:
			return nil, false, &action
		case v1alpha1.PodFailurePolicyActionFailJob:
			return &failJobMsg, true, &action
		case v1alpha1.PodFailurePolicyActionFailIndex, v1alpha1.PodFailurePolicyActionCount:
			return nil, true, &action
		}
	}
	return nil, true, nil
}

// matchOnExitCodes returns the first terminated (non-zero) container status,
// regular containers first, that meets the requirement.
func matchOnExitCodes(status *corev1.PodStatus, req *v1alpha1.PodFailurePolicyOnExitCodesRequirement) *corev1.ContainerStatus {
	for _, list := range [][]corev1.ContainerStatus{status.ContainerStatuses, status.InitContainerStatuses} {
		for i := range list {
			cs := &list[i]
			if cs.State.Terminated == nil || cs.State.Terminated.ExitCode == 0 {
				continue
			}
			if req.ContainerName != nil && *req.ContainerName != cs.Name {
				continue
			}
			in := slices.Contains(req.Values, cs.State.Terminated.ExitCode)
			if (req.Operator == v1alpha1.PodFailurePolicyOnExitCodesOpIn && in) ||
				(req.Operator == v1alpha1.PodFailurePolicyOnExitCodesOpNotIn && !in) {
				return cs
			}
		}
	}
	return nil
}

func matchOnPodConditions(status *corev1.PodStatus, patterns []v1alpha1.PodFailurePolicyOnPodConditionsPattern) *corev1.PodCondition {
	for i := range status.Conditions {
		c := &status.Conditions[i]
		for _, p := range patterns {
			want := p.Status
			if want == "" {
				want = corev1.ConditionTrue
			}
			if c.Type == p.Type && c.Status == want {
				return c
			}
		}
	}
	return nil
}

// matchSuccessPolicy reports whether the succeeded indexes meet a rule of
// the success policy, with a message naming the rule.
func matchSuccessPolicy(logger klog.Logger, policy *v1alpha1.SuccessPolicy, completions int32, succeeded intervals) (string, bool) {
	if policy == nil || len(succeeded) == 0 {
		return "", false
	}
	for i, rule := range policy.Rules {
		if rule.SucceededIndexes != nil {
			required := parseIntervals(logger, *rule.SucceededIndexes, int(completions))
			if len(required) == 0 {
				continue
			}
			covered := overlap(required, succeeded)
			if covered == required.total() || (rule.SucceededCount != nil && covered >= int(*rule.SucceededCount)) {
				return fmt.Sprintf("Matched rules at index %d", i), true
			}
		} else if rule.SucceededCount != nil && succeeded.total() >= int(*rule.SucceededCount) {
			return fmt.Sprintf("Matched rules at index %d", i), true
		}
	}
	return "", false
}

// overlap counts the indexes in both lists.
func overlap(a, b intervals) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		if o := min(a[i].last, b[j].last) - max(a[i].first, b[j].first) + 1; o > 0 {
			n += o
		}
		if a[i].last < b[j].last {
			i++
		} else {
			j++
		}
	}
	return n
}

func onlyReplaceFailedPods(job *v1alpha1.Job) bool {
	return ptr.Deref(job.Spec.PodReplacementPolicy, v1alpha1.TerminatingOrFailed) == v1alpha1.Failed
}

// isPodFailed reports whether a pod counts as failed: phase Failed, or (with
// podReplacementPolicy TerminatingOrFailed) being deleted before it
// succeeded, since such a pod may never reach a terminal phase.
func isPodFailed(pod *corev1.Pod, job *v1alpha1.Job) bool {
	if pod.Status.Phase == corev1.PodFailed {
		return true
	}
	if onlyReplaceFailedPods(job) {
		return false
	}
	return pod.DeletionTimestamp != nil && pod.Status.Phase != corev1.PodSucceeded
}

// backoffDelay is the delay before a replacement after failures consecutive
// failures: base doubling per failure, capped at maxDelay; 0 without
// failures.
func backoffDelay(failures int32, base, maxDelay time.Duration) time.Duration {
	if failures <= 0 {
		return 0
	}
	d := base
	for i := int32(1); i < failures; i++ {
		d *= 2
		if d >= maxDelay {
			return maxDelay
		}
	}
	return min(d, maxDelay)
}

// remainingBackoff is how long from now replacements must still wait.
func remainingBackoff(now time.Time, failures int32, lastFailure *time.Time) time.Duration {
	if failures == 0 || lastFailure == nil {
		return 0
	}
	d := backoffDelay(failures, DefaultPodFailureBackoff, MaxPodFailureBackoff) - now.Sub(*lastFailure)
	return max(d, 0)
}

// backoffRecord counts the consecutive failures of a Job since its last
// success, and when the last one happened.
type backoffRecord struct {
	failuresAfterLastSuccess int32
	lastFailureTime          *time.Time
}

// backoffStore keeps the backoff record of each Job key.
type backoffStore struct {
	mu      sync.Mutex
	records map[string]backoffRecord
}

func newBackoffStore() *backoffStore { return &backoffStore{records: map[string]backoffRecord{}} }

func (s *backoffStore) get(key string) backoffRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.records[key]
}

func (s *backoffStore) set(key string, r backoffRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.records[key] = r
}

func (s *backoffStore) remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, key)
}

// nextBackoffRecord folds newly finished pods into the record of key: a
// success resets the count; failures after the last success add up.
func nextBackoffRecord(old backoffRecord, newSucceeded, newFailed []*corev1.Pod) backoffRecord {
	sortByFinishTime(newSucceeded)
	sortByFinishTime(newFailed)
	r := old
	if len(newSucceeded) > 0 {
		r = backoffRecord{}
		lastSuccess := finishTime(newSucceeded[len(newSucceeded)-1])
		for i := len(newFailed) - 1; i >= 0; i-- {
			t := finishTime(newFailed[i])
			if !t.After(lastSuccess) {
				break
			}
			if r.lastFailureTime == nil {
				r.lastFailureTime = &t
			}
			r.failuresAfterLastSuccess++
		}
		return r
	}
	if len(newFailed) > 0 {
		r.failuresAfterLastSuccess += int32(len(newFailed))
		t := finishTime(newFailed[len(newFailed)-1])
		r.lastFailureTime = &t
	}
	return r
}

func sortByFinishTime(pods []*corev1.Pod) {
	sort.SliceStable(pods, func(i, j int) bool { return finishTime(pods[i]).Before(finishTime(pods[j])) })
}

// finishTime estimates when a pod finished: the latest container
// termination, else the Ready=False transition, else the deletion time
// minus the grace period, else its creation.
func finishTime(p *corev1.Pod) time.Time {
	if t := containersFinishTime(p); t != nil {
		return *t
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady && c.Status == corev1.ConditionFalse && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	if p.DeletionTimestamp != nil {
		return p.DeletionTimestamp.Add(-time.Duration(ptr.Deref(p.DeletionGracePeriodSeconds, 0)) * time.Second)
	}
	return p.CreationTimestamp.Time
}

func containersFinishTime(p *corev1.Pod) *time.Time {
	var latest *time.Time
	sidecars := sets.New[string]()
	for _, c := range p.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars.Insert(c.Name)
		}
	}
	consider := func(cs corev1.ContainerStatus) bool {
		if cs.State.Terminated == nil || cs.State.Terminated.FinishedAt.IsZero() {
			return false
		}
		if latest == nil || latest.Before(cs.State.Terminated.FinishedAt.Time) {
			t := cs.State.Terminated.FinishedAt.Time
			latest = &t
		}
		return true
	}
	for _, cs := range p.Status.ContainerStatuses {
		if !consider(cs) {
			return nil
		}
	}
	for _, cs := range p.Status.InitContainerStatuses {
		if sidecars.Has(cs.Name) && !consider(cs) {
			return nil
		}
	}
	return latest
}

// remainingIndexBackoff is how long the replacement for the last failed pod
// of an index must still wait (backoffLimitPerIndex).
func remainingIndexBackoff(now time.Time, lastFailed *corev1.Pod) time.Duration {
	if lastFailed == nil {
		return 0
	}
	failures := indexFailureCount(lastFailed) + indexIgnoredFailureCount(lastFailed) + 1
	t := finishTime(lastFailed)
	return remainingBackoff(now, failures, &t)
}
