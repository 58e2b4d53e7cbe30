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
	"math"
	"sort"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

const (
	// CompletionIndexAnnotation (and label) carries the completion index of a
	// pod of an Indexed Job; the keys are batch/v1's.
	CompletionIndexAnnotation = batchv1.JobCompletionIndexAnnotation
	// IndexFailureCountAnnotation counts the failures of earlier pods of the
	// same index (backoffLimitPerIndex).
	IndexFailureCountAnnotation = batchv1.JobIndexFailureCountAnnotation
	// IndexIgnoredFailureCountAnnotation counts the failures of earlier pods
	// of the same index that a podFailurePolicy Ignore rule did not count.
	IndexIgnoredFailureCountAnnotation = batchv1.JobIndexIgnoredFailureCountAnnotation
	// CompletionIndexEnv is the environment variable holding the index.
	CompletionIndexEnv = "JOB_COMPLETION_INDEX"

	unknownIndex = -1
	// maxGeneratedNameLength mirrors the apiserver's limit for generateName
	// prefixes (63 minus the 5 random characters).
	maxGeneratedNameLength = 58
)

func isIndexed(job *v1alpha1.Job) bool {
	return job.Spec.CompletionMode != nil && *job.Spec.CompletionMode == v1alpha1.IndexedCompletion
}

func hasBackoffLimitPerIndex(job *v1alpha1.Job) bool {
	return job.Spec.BackoffLimitPerIndex != nil
}

// interval is a closed range of completion indexes.
type interval struct{ first, last int }

// intervals is a sorted list of disjoint, non-adjacent intervals: the
// representation of completedIndexes and failedIndexes ("1,3-5,7").
type intervals []interval

// parseIntervals parses an index list, ignoring malformed parts and indexes
// at or above completions.
func parseIntervals(logger klog.Logger, s string, completions int) intervals {
	if s == "" {
		return nil
	}
	var out intervals
	for _, part := range strings.Split(s, ",") {
		bounds := strings.SplitN(part, "-", 2)
		first, err := strconv.Atoi(bounds[0])
		if err != nil || first < 0 {
			logger.Info("Ignoring a malformed index interval", "interval", part)
			continue
		}
		if first >= completions {
			break
		}
		last := first
		if len(bounds) == 2 {
			if last, err = strconv.Atoi(bounds[1]); err != nil || last < first {
				logger.Info("Ignoring a malformed index interval", "interval", part)
				continue
			}
			last = min(last, completions-1)
		}
		out = out.merge(intervals{{first, last}})
	}
	return out
}

// withIndexes returns oi plus the given indexes.
func (oi intervals) withIndexes(idx []int) intervals {
	sort.Ints(idx)
	add := make(intervals, 0, len(idx))
	for _, i := range idx {
		add = append(add, interval{i, i})
	}
	return oi.merge(add)
}

// merge returns the union of two interval lists.
func (oi intervals) merge(other intervals) intervals {
	all := make(intervals, 0, len(oi)+len(other))
	all = append(all, oi...)
	all = append(all, other...)
	sort.Slice(all, func(i, j int) bool { return all[i].first < all[j].first })
	var out intervals
	for _, iv := range all {
		if n := len(out); n > 0 && iv.first <= out[n-1].last+1 {
			out[n-1].last = max(out[n-1].last, iv.last)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// total is the number of indexes in the list.
func (oi intervals) total() int {
	n := 0
	for _, iv := range oi {
		n += iv.last - iv.first + 1
	}
	return n
}

// has reports whether ix is in the list.
func (oi intervals) has(ix int) bool {
	i := sort.Search(len(oi), func(i int) bool { return oi[i].last >= ix })
	return i < len(oi) && oi[i].first <= ix
}

// String formats the list as the API does: "1,3-5,7"; two adjacent indexes
// are written "3,4".
func (oi intervals) String() string {
	var b strings.Builder
	for _, iv := range oi {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(iv.first))
		switch {
		case iv.last == iv.first+1:
			b.WriteByte(',')
			b.WriteString(strconv.Itoa(iv.last))
		case iv.last > iv.first:
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(iv.last))
		}
	}
	return b.String()
}

// completionIndex returns the index of a pod, or unknownIndex.
func completionIndex(pod *corev1.Pod) int {
	v, ok := pod.Annotations[CompletionIndexAnnotation]
	if !ok {
		return unknownIndex
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 {
		return unknownIndex
	}
	return i
}

// validIndex returns the index of a pod when it is within completions.
func validIndex(job *v1alpha1.Job, pod *corev1.Pod) (int, bool) {
	ix := completionIndex(pod)
	return ix, ix != unknownIndex && ix < int(completionsOf(job))
}

func completionsOf(job *v1alpha1.Job) int32 {
	if job.Spec.Completions == nil {
		return 0
	}
	return *job.Spec.Completions
}

func indexSet(pods []*corev1.Pod) sets.Set[int] {
	s := sets.New[int]()
	for _, p := range pods {
		if ix := completionIndex(p); ix != unknownIndex {
			s.Insert(ix)
		}
	}
	return s
}

// firstPendingIndexes returns up to count indexes below completions that
// have no active pod, did not succeed and did not fail; with
// podReplacementPolicy Failed, indexes of terminating pods are not pending.
func firstPendingIndexes(st *syncState, count, completions int) []int {
	if count <= 0 {
		return nil
	}
	busy := st.succeededIndexes.withIndexes(sets.List(indexSet(st.active)))
	if onlyReplaceFailedPods(st.job) {
		busy = busy.withIndexes(sets.List(indexSet(controllerutil.FilterTerminatingPods(st.pods))))
	}
	if st.failedIndexes != nil {
		busy = busy.merge(*st.failedIndexes)
	}
	var out []int
	candidate := 0
	for _, iv := range busy {
		for ; candidate < iv.first && candidate < completions && len(out) < count; candidate++ {
			out = append(out, candidate)
		}
		candidate = max(candidate, iv.last+1)
	}
	for ; candidate < completions && len(out) < count; candidate++ {
		out = append(out, candidate)
	}
	return out
}

// indexFailureCount returns the failures of earlier pods of the index of
// pod, from its annotation (0 when missing or invalid).
func indexFailureCount(pod *corev1.Pod) int32 {
	return annotationInt32(pod, IndexFailureCountAnnotation)
}

func indexIgnoredFailureCount(pod *corev1.Pod) int32 {
	return annotationInt32(pod, IndexIgnoredFailureCountAnnotation)
}

func annotationInt32(pod *corev1.Pod, key string) int32 {
	v, ok := pod.Annotations[key]
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int32(n)
}

// indexedPodTemplate returns the template of the pod for index ix: the
// completion index annotation and label, the hostname <job>-<ix> (the
// subdomain is left to the user) and, with backoffLimitPerIndex, the failure
// counts carried over from the pod it replaces.
func indexedPodTemplate(job *v1alpha1.Job, base *corev1.PodTemplateSpec, ix int, replaced *corev1.Pod) *corev1.PodTemplateSpec {
	t := base.DeepCopy()
	if t.Annotations == nil {
		t.Annotations = map[string]string{}
	}
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	t.Annotations[CompletionIndexAnnotation] = strconv.Itoa(ix)
	t.Labels[CompletionIndexAnnotation] = strconv.Itoa(ix)
	t.Spec.Hostname = fmt.Sprintf("%s-%d", job.Name, ix)
	if hasBackoffLimitPerIndex(job) {
		var failures, ignored int32
		if replaced != nil {
			failures, ignored = indexFailureCount(replaced), indexIgnoredFailureCount(replaced)
			if _, counts, _ := matchPodFailurePolicy(job.Spec.PodFailurePolicy, replaced); counts {
				failures++
			} else {
				ignored++
			}
		}
		t.Annotations[IndexFailureCountAnnotation] = strconv.Itoa(int(failures))
		if ignored > 0 {
			t.Annotations[IndexIgnoredFailureCountAnnotation] = strconv.Itoa(int(ignored))
		}
	}
	return t
}

// addCompletionIndexEnv adds JOB_COMPLETION_INDEX (from the pod's index
// label) to every container and init container that does not define it.
func addCompletionIndexEnv(t *corev1.PodTemplateSpec) {
	add := func(c *corev1.Container) {
		for _, e := range c.Env {
			if e.Name == CompletionIndexEnv {
				return
			}
		}
		c.Env = append(c.Env, corev1.EnvVar{
			Name: CompletionIndexEnv,
			ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{
				FieldPath: fmt.Sprintf("metadata.labels['%s']", CompletionIndexAnnotation),
			}},
		})
	}
	for i := range t.Spec.InitContainers {
		add(&t.Spec.InitContainers[i])
	}
	for i := range t.Spec.Containers {
		add(&t.Spec.Containers[i])
	}
}

// generateNameForIndex is "<job>-<ix>-", the job name shortened to fit.
func generateNameForIndex(jobName string, ix int) string {
	suffix := "-" + strconv.Itoa(ix) + "-"
	if len(jobName)+len(suffix) > maxGeneratedNameLength {
		jobName = jobName[:maxGeneratedNameLength-len(suffix)]
	}
	return jobName + suffix
}

// byIndex sorts pods by completion index.
type byIndex []*corev1.Pod

func (b byIndex) Len() int           { return len(b) }
func (b byIndex) Less(i, j int) bool { return completionIndex(b[i]) < completionIndex(b[j]) }
func (b byIndex) Swap(i, j int)      { b[i], b[j] = b[j], b[i] }
