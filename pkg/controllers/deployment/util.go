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

package deployment

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// Annotations the controller keeps on ReplicaSets (and, for the revision,
// on the Deployment), as apps/v1 does.
const (
	// RevisionAnnotation is the rollout sequence number of a ReplicaSet; the
	// Deployment carries the revision of its current ReplicaSet.
	RevisionAnnotation = "deployment.kubernetes.io/revision"
	// RevisionHistoryAnnotation lists the earlier revisions a ReplicaSet
	// served (it is reused when rolling back to its template).
	RevisionHistoryAnnotation = "deployment.kubernetes.io/revision-history"
	// DesiredReplicasAnnotation is the Deployment's spec.replicas when the
	// ReplicaSet was last scaled; it tells scaling events from rollouts.
	DesiredReplicasAnnotation = "deployment.kubernetes.io/desired-replicas"
	// MaxReplicasAnnotation is spec.replicas + maxSurge when the ReplicaSet
	// was last scaled; proportional scaling uses it as the base.
	MaxReplicasAnnotation = "deployment.kubernetes.io/max-replicas"

	// maxRevisionHistoryChars bounds the revision-history annotation.
	maxRevisionHistoryChars = 2000
)

// Event reasons.
const (
	// ReasonScalingReplicaSet is the event of every scale of a ReplicaSet.
	ReasonScalingReplicaSet = "ScalingReplicaSet"
	// ReasonSelectingAll warns about an empty selector.
	ReasonSelectingAll = "SelectingAll"
	// ReasonRollbackDone is the event of a rollback that changed the template.
	ReasonRollbackDone = "DeploymentRollback"
	// ReasonRollbackRevisionNotFound warns that the requested revision (or a
	// previous one) does not exist.
	ReasonRollbackRevisionNotFound = "DeploymentRollbackRevisionNotFound"
	// ReasonRollbackTemplateUnchanged warns that the requested revision has
	// the template the Deployment already has.
	ReasonRollbackTemplateUnchanged = "DeploymentRollbackTemplateUnchanged"
)

// Reasons of the Deployment conditions.
const (
	// Progressing.
	ReasonReplicaSetUpdated    = "ReplicaSetUpdated"
	ReasonFailedRSCreate       = "ReplicaSetCreateError"
	ReasonNewReplicaSetCreated = "NewReplicaSetCreated"
	ReasonFoundNewReplicaSet   = "FoundNewReplicaSet"
	ReasonNewRSAvailable       = "NewReplicaSetAvailable"
	ReasonTimedOut             = "ProgressDeadlineExceeded"
	ReasonPaused               = "DeploymentPaused"
	ReasonResumed              = "DeploymentResumed"
	// ReasonCanaryStepPaused: the rollout holds at a canary pause step
	// (also the event of the pause).
	ReasonCanaryStepPaused = "CanaryStepPaused"
	// ReasonCanaryStepProgressing: the rollout moves towards the count of
	// its current canary step.
	ReasonCanaryStepProgressing = "CanaryStepProgressing"
	// ReasonCanaryStepCompleted is the event of a step that is done.
	ReasonCanaryStepCompleted = "CanaryStepCompleted"
	// Available.
	ReasonMinimumReplicasAvailable   = "MinimumReplicasAvailable"
	ReasonMinimumReplicasUnavailable = "MinimumReplicasUnavailable"
)

// annotationsNotCopied are the Deployment annotations that are not copied
// to its ReplicaSets (and not copied back on rollback).
var annotationsNotCopied = map[string]bool{
	corev1.LastAppliedConfigAnnotation: true,
	RevisionAnnotation:                 true,
	RevisionHistoryAnnotation:          true,
	DesiredReplicasAnnotation:          true,
	MaxReplicasAnnotation:              true,
}

// Replica counts; the API defaults them, nil means 1 as in the API.

func deploymentReplicas(d *v1alpha1.Deployment) int32 { return ptr.Deref(d.Spec.Replicas, 1) }
func rsReplicas(rs *v1alpha1.ReplicaSet) int32        { return ptr.Deref(rs.Spec.Replicas, 1) }

// computeHash returns the pod-template-hash of template: a hash of its JSON
// form and, when set, the collision count, encoded with alphanumerics that
// cannot form bad words.
func computeHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	data, err := json.Marshal(template)
	if err != nil {
		// A PodTemplateSpec always marshals; fall back to its printed form.
		data = []byte(fmt.Sprintf("%#v", template))
	}
	h.Write(data)
	if collisionCount != nil {
		var buf [4]byte
		binary.LittleEndian.PutUint32(buf[:], uint32(*collisionCount))
		h.Write(buf[:])
	}
	return rand.SafeEncodeString(strconv.FormatUint(uint64(h.Sum32()), 10))
}

// replicaSetName returns <deployment>-<hash>, truncating the Deployment name
// so the result is a valid object name.
func replicaSetName(deploymentName, hash string) string {
	maxLen := validation.DNS1123SubdomainMaxLength - 1 - len(hash)
	if len(deploymentName) > maxLen {
		deploymentName = deploymentName[:maxLen]
	}
	return deploymentName + "-" + hash
}

// equalIgnoreHash compares two pod templates ignoring the pod-template-hash
// label.
func equalIgnoreHash(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, v1alpha1.DefaultDeploymentUniqueLabelKey)
	if len(a.Labels) == 0 {
		a.Labels = nil
	}
	if len(b.Labels) == 0 {
		b.Labels = nil
	}
	return apiequality.Semantic.DeepEqual(a, b)
}

// withLabel returns a copy of m with key=value added.
func withLabel(m map[string]string, key, value string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out[key] = value
	return out
}

// selectorWithLabel returns a copy of selector that also requires key=value.
func selectorWithLabel(selector *metav1.LabelSelector, key, value string) *metav1.LabelSelector {
	out := selector.DeepCopy()
	if out == nil {
		out = &metav1.LabelSelector{}
	}
	out.MatchLabels = withLabel(out.MatchLabels, key, value)
	return out
}

// revision returns the revision annotation of obj, 0 when absent.
func revision(obj metav1.Object) (int64, error) {
	v, ok := obj.GetAnnotations()[RevisionAnnotation]
	if !ok {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// maxRevision returns the highest revision among sets.
func maxRevision(sets []*v1alpha1.ReplicaSet) int64 {
	var m int64
	for _, rs := range sets {
		if v, err := revision(rs); err == nil && v > m {
			m = v
		}
	}
	return m
}

// lastRevision returns the second highest revision among sets: the revision
// before the current one.
func lastRevision(sets []*v1alpha1.ReplicaSet) int64 {
	var first, second int64
	for _, rs := range sets {
		v, err := revision(rs)
		if err != nil {
			continue
		}
		switch {
		case v >= first:
			first, second = v, first
		case v > second:
			second = v
		}
	}
	return second
}

// setDeploymentRevision records revision on d; it reports a change.
func setDeploymentRevision(d *v1alpha1.Deployment, revision string) bool {
	if d.Annotations[RevisionAnnotation] == revision {
		return false
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[RevisionAnnotation] = revision
	return true
}

// setNewReplicaSetAnnotations copies the Deployment's annotations to rs,
// raises its revision to newRevision (remembering the one it had in the
// revision history), and for an RS about to be created sets the replicas
// annotations. It reports whether anything changed.
func setNewReplicaSetAnnotations(d *v1alpha1.Deployment, rs *v1alpha1.ReplicaSet, newRevision int64, exists bool) bool {
	changed := false
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	for k, v := range d.Annotations {
		if annotationsNotCopied[k] {
			continue
		}
		if cur, ok := rs.Annotations[k]; ok && cur == v {
			continue
		}
		rs.Annotations[k] = v
		changed = true
	}
	oldRevisionText, had := rs.Annotations[RevisionAnnotation]
	oldRevision, err := strconv.ParseInt(oldRevisionText, 10, 64)
	if err != nil {
		if oldRevisionText != "" {
			// Not ours to fix; leave the revision alone.
			return changed
		}
		oldRevision = 0
	}
	if oldRevision < newRevision {
		rs.Annotations[RevisionAnnotation] = strconv.FormatInt(newRevision, 10)
		changed = true
		if had {
			appendRevisionHistory(rs, oldRevisionText)
		}
	}
	if !exists && setReplicasAnnotations(rs, deploymentReplicas(d), deploymentReplicas(d)+maxSurge(d)) {
		changed = true
	}
	return changed
}

// appendRevisionHistory adds old to the revision-history annotation,
// dropping the oldest entries to stay within maxRevisionHistoryChars.
func appendRevisionHistory(rs *v1alpha1.ReplicaSet, old string) {
	history := rs.Annotations[RevisionHistoryAnnotation]
	if history == "" {
		rs.Annotations[RevisionHistoryAnnotation] = old
		return
	}
	entries := append(strings.Split(history, ","), old)
	for len(strings.Join(entries, ",")) > maxRevisionHistoryChars && len(entries) > 1 {
		entries = entries[1:]
	}
	rs.Annotations[RevisionHistoryAnnotation] = strings.Join(entries, ",")
}

// setDeploymentAnnotationsTo replaces the copied annotations of d with those
// of the ReplicaSet it rolls back to.
func setDeploymentAnnotationsTo(d *v1alpha1.Deployment, rs *v1alpha1.ReplicaSet) {
	kept := map[string]string{}
	for k, v := range d.Annotations {
		if annotationsNotCopied[k] {
			kept[k] = v
		}
	}
	for k, v := range rs.Annotations {
		if !annotationsNotCopied[k] {
			kept[k] = v
		}
	}
	d.Annotations = kept
}

// setReplicasAnnotations records desired and max replicas on rs; it reports
// a change.
func setReplicasAnnotations(rs *v1alpha1.ReplicaSet, desired, maxReplicas int32) bool {
	if !replicasAnnotationsNeedUpdate(rs, desired, maxReplicas) {
		return false
	}
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[DesiredReplicasAnnotation] = strconv.Itoa(int(desired))
	rs.Annotations[MaxReplicasAnnotation] = strconv.Itoa(int(maxReplicas))
	return true
}

func replicasAnnotationsNeedUpdate(rs *v1alpha1.ReplicaSet, desired, maxReplicas int32) bool {
	return rs.Annotations[DesiredReplicasAnnotation] != strconv.Itoa(int(desired)) ||
		rs.Annotations[MaxReplicasAnnotation] != strconv.Itoa(int(maxReplicas))
}

// int32Annotation returns a non-negative int32 annotation of rs.
func int32Annotation(rs *v1alpha1.ReplicaSet, key string) (int32, bool) {
	v, ok := rs.Annotations[key]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil || n > math.MaxInt32 {
		return 0, false
	}
	return int32(n), true
}

// Strategy arithmetic.

func isRollingUpdate(d *v1alpha1.Deployment) bool {
	return d.Spec.Strategy.Type == v1alpha1.RollingUpdateDeploymentStrategyType
}

// resolveFenceposts turns maxSurge (rounded up) and maxUnavailable (rounded
// down) into numbers for desired replicas. When both come out as zero,
// maxUnavailable becomes 1 so the rollout can proceed.
func resolveFenceposts(surge, unavailable *intstr.IntOrString, desired int32) (int32, int32, error) {
	s, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(surge, intstr.FromInt32(0)), int(desired), true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	u, err := intstr.GetScaledValueFromIntOrPercent(intstr.ValueOrDefault(unavailable, intstr.FromInt32(0)), int(desired), false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return int32(s), int32(u), nil
}

func rollingParams(d *v1alpha1.Deployment) (surge, unavailable *intstr.IntOrString) {
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		return ru.MaxSurge, ru.MaxUnavailable
	}
	return nil, nil
}

// maxSurge returns how many pods above spec.replicas a rolling Deployment
// may have; 0 for Recreate.
func maxSurge(d *v1alpha1.Deployment) int32 {
	if !isRollingUpdate(d) {
		return 0
	}
	s, u := rollingParams(d)
	surge, _, _ := resolveFenceposts(s, u, deploymentReplicas(d)) // validated by the API server
	return surge
}

// maxUnavailable returns how many of spec.replicas pods a rolling
// Deployment may miss; 0 for Recreate or zero replicas.
func maxUnavailable(d *v1alpha1.Deployment) int32 {
	replicas := deploymentReplicas(d)
	if !isRollingUpdate(d) || replicas == 0 {
		return 0
	}
	s, u := rollingParams(d)
	_, unavailable, _ := resolveFenceposts(s, u, replicas)
	return min(unavailable, replicas)
}

// newRSNewReplicas returns the size the new ReplicaSet may have now.
func newRSNewReplicas(d *v1alpha1.Deployment, allRSs []*v1alpha1.ReplicaSet, newRS *v1alpha1.ReplicaSet) (int32, error) {
	switch d.Spec.Strategy.Type {
	case v1alpha1.RollingUpdateDeploymentStrategyType:
		s, u := rollingParams(d)
		surge, _, err := resolveFenceposts(s, u, deploymentReplicas(d))
		if err != nil {
			return 0, err
		}
		current := podsOrReplicas(allRSs)
		maxTotal := deploymentReplicas(d) + surge
		if current >= maxTotal {
			return rsReplicas(newRS), nil
		}
		up := min(maxTotal-current, deploymentReplicas(d)-rsReplicas(newRS))
		return rsReplicas(newRS) + up, nil
	case v1alpha1.RecreateDeploymentStrategyType:
		return deploymentReplicas(d), nil
	default:
		return 0, fmt.Errorf("unsupported deployment strategy %q", d.Spec.Strategy.Type)
	}
}

// podsOrReplicas sums, over sets, the larger of the size and the pods the
// ReplicaSet still reports. A ReplicaSet that was just scaled down keeps
// its pods until its controller deletes them; counting them keeps maxSurge
// a bound on the pods that actually run, not only on the sizes.
func podsOrReplicas(sets []*v1alpha1.ReplicaSet) int32 {
	var n int32
	for _, rs := range sets {
		if rs != nil {
			n += max(rsReplicas(rs), rs.Status.Replicas)
		}
	}
	return n
}

// isSaturated reports whether rs holds all replicas of d, all available,
// and was sized for the current spec.replicas.
func isSaturated(d *v1alpha1.Deployment, rs *v1alpha1.ReplicaSet) bool {
	if rs == nil {
		return false
	}
	desired, ok := int32Annotation(rs, DesiredReplicasAnnotation)
	return ok && rsReplicas(rs) == deploymentReplicas(d) && desired == deploymentReplicas(d) &&
		rs.Status.AvailableReplicas == deploymentReplicas(d)
}

// replicaSetProportion returns how many of toAdd replicas (negative to
// remove) rs gets in a proportional scale, given that added were already
// handed out.
func replicaSetProportion(rs *v1alpha1.ReplicaSet, d *v1alpha1.Deployment, toAdd, added int32) int32 {
	if rs == nil || rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added {
		return 0
	}
	fraction := replicaSetFraction(rs, d)
	allowed := toAdd - added
	if toAdd > 0 {
		return min(fraction, allowed)
	}
	return max(fraction, allowed)
}

// replicaSetFraction is the change of rs's size that keeps its share of the
// Deployment's maximum size (spec.replicas + maxSurge) across the scale.
func replicaSetFraction(rs *v1alpha1.ReplicaSet, d *v1alpha1.Deployment) int32 {
	if deploymentReplicas(d) == 0 {
		return -rsReplicas(rs)
	}
	newMax := deploymentReplicas(d) + maxSurge(d)
	oldMax, ok := int32Annotation(rs, MaxReplicasAnnotation)
	if !ok || oldMax == 0 {
		// Annotation missing or tampered with: estimate from the status.
		oldMax = d.Status.Replicas
		if oldMax == 0 {
			return 0
		}
	}
	size := float64(rsReplicas(rs)) * float64(newMax) / float64(oldMax)
	return int32(math.Round(size)) - rsReplicas(rs)
}

// ReplicaSet list helpers.

func totalReplicas(sets []*v1alpha1.ReplicaSet) int32 {
	var n int32
	for _, rs := range sets {
		if rs != nil {
			n += rsReplicas(rs)
		}
	}
	return n
}

func sumStatus(sets []*v1alpha1.ReplicaSet, f func(*v1alpha1.ReplicaSetStatus) int32) int32 {
	var n int32
	for _, rs := range sets {
		if rs != nil {
			n += f(&rs.Status)
		}
	}
	return n
}

// terminatingReplicas sums the terminating pods of sets; nil when a synced
// ReplicaSet does not report them.
func terminatingReplicas(sets []*v1alpha1.ReplicaSet) *int32 {
	var n int32
	for _, rs := range sets {
		switch {
		case rs == nil:
		case rs.Status.TerminatingReplicas == nil && rs.Status.ObservedGeneration == 0:
			// Never synced yet: no pods to count.
		case rs.Status.TerminatingReplicas == nil:
			return nil
		default:
			n += *rs.Status.TerminatingReplicas
		}
	}
	return &n
}

// activeReplicaSets returns the sets with a non-zero size.
func activeReplicaSets(sets []*v1alpha1.ReplicaSet) []*v1alpha1.ReplicaSet {
	var out []*v1alpha1.ReplicaSet
	for _, rs := range sets {
		if rs != nil && rsReplicas(rs) > 0 {
			out = append(out, rs)
		}
	}
	return out
}

// findNewReplicaSet returns the oldest ReplicaSet whose template is the
// Deployment's.
func findNewReplicaSet(d *v1alpha1.Deployment, sets []*v1alpha1.ReplicaSet) *v1alpha1.ReplicaSet {
	sorted := append([]*v1alpha1.ReplicaSet(nil), sets...)
	sort.Sort(byCreation(sorted))
	for _, rs := range sorted {
		if equalIgnoreHash(&rs.Spec.Template, &d.Spec.Template) {
			return rs
		}
	}
	return nil
}

// findOldReplicaSets returns every ReplicaSet but the new one.
func findOldReplicaSets(d *v1alpha1.Deployment, sets []*v1alpha1.ReplicaSet) []*v1alpha1.ReplicaSet {
	newRS := findNewReplicaSet(d, sets)
	var old []*v1alpha1.ReplicaSet
	for _, rs := range sets {
		if newRS != nil && rs.UID == newRS.UID {
			continue
		}
		old = append(old, rs)
	}
	return old
}

// findActiveOrLatest returns the only active ReplicaSet, or the newest one
// when none is active; nil when several are active.
func findActiveOrLatest(newRS *v1alpha1.ReplicaSet, oldRSs []*v1alpha1.ReplicaSet) *v1alpha1.ReplicaSet {
	if newRS == nil && len(oldRSs) == 0 {
		return nil
	}
	sorted := append([]*v1alpha1.ReplicaSet(nil), oldRSs...)
	sort.Sort(sort.Reverse(byCreation(sorted)))
	active := activeReplicaSets(append(sorted, newRS))
	switch len(active) {
	case 0:
		if newRS != nil {
			return newRS
		}
		return sorted[0]
	case 1:
		return active[0]
	default:
		return nil
	}
}

// byCreation sorts ReplicaSets oldest first, by name on ties.
type byCreation []*v1alpha1.ReplicaSet

func (o byCreation) Len() int      { return len(o) }
func (o byCreation) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byCreation) Less(i, j int) bool {
	if o[i].CreationTimestamp.Equal(&o[j].CreationTimestamp) {
		return o[i].Name < o[j].Name
	}
	return o[i].CreationTimestamp.Before(&o[j].CreationTimestamp)
}

// byRevision sorts ReplicaSets by revision, then by creation.
type byRevision []*v1alpha1.ReplicaSet

func (o byRevision) Len() int      { return len(o) }
func (o byRevision) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o byRevision) Less(i, j int) bool {
	ri, err1 := revision(o[i])
	rj, err2 := revision(o[j])
	if err1 != nil || err2 != nil || ri == rj {
		return byCreation(o).Less(i, j)
	}
	return ri < rj
}

// bySizeNewer sorts larger ReplicaSets first, newer first on ties (the
// order of a proportional scale-up).
type bySizeNewer []*v1alpha1.ReplicaSet

func (o bySizeNewer) Len() int      { return len(o) }
func (o bySizeNewer) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeNewer) Less(i, j int) bool {
	if rsReplicas(o[i]) == rsReplicas(o[j]) {
		return byCreation(o).Less(j, i)
	}
	return rsReplicas(o[i]) > rsReplicas(o[j])
}

// bySizeOlder sorts larger ReplicaSets first, older first on ties (the
// order of a proportional scale-down).
type bySizeOlder []*v1alpha1.ReplicaSet

func (o bySizeOlder) Len() int      { return len(o) }
func (o bySizeOlder) Swap(i, j int) { o[i], o[j] = o[j], o[i] }
func (o bySizeOlder) Less(i, j int) bool {
	if rsReplicas(o[i]) == rsReplicas(o[j]) {
		return byCreation(o).Less(i, j)
	}
	return rsReplicas(o[i]) > rsReplicas(o[j])
}

// Conditions.

func newCondition(t v1alpha1.DeploymentConditionType, status corev1.ConditionStatus, reason, message string, now time.Time) v1alpha1.DeploymentCondition {
	ts := metav1.NewTime(now)
	return v1alpha1.DeploymentCondition{Type: t, Status: status, Reason: reason, Message: message, LastUpdateTime: ts, LastTransitionTime: ts}
}

func getCondition(status v1alpha1.DeploymentStatus, t v1alpha1.DeploymentConditionType) *v1alpha1.DeploymentCondition {
	for i := range status.Conditions {
		if status.Conditions[i].Type == t {
			return &status.Conditions[i]
		}
	}
	return nil
}

// setCondition sets cond unless a condition with the same status and reason
// is there; a change of reason with the same status keeps the transition
// time.
func setCondition(status *v1alpha1.DeploymentStatus, cond v1alpha1.DeploymentCondition) {
	cur := getCondition(*status, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	removeCondition(status, cond.Type)
	status.Conditions = append(status.Conditions, cond)
}

func removeCondition(status *v1alpha1.DeploymentStatus, t v1alpha1.DeploymentConditionType) {
	var out []v1alpha1.DeploymentCondition
	for _, c := range status.Conditions {
		if c.Type != t {
			out = append(out, c)
		}
	}
	status.Conditions = out
}

func replicaSetToDeploymentCondition(c v1alpha1.ReplicaSetCondition) v1alpha1.DeploymentCondition {
	return v1alpha1.DeploymentCondition{
		Type:               v1alpha1.DeploymentConditionType(c.Type),
		Status:             c.Status,
		LastTransitionTime: c.LastTransitionTime,
		LastUpdateTime:     c.LastTransitionTime,
		Reason:             c.Reason,
		Message:            c.Message,
	}
}

func hasProgressDeadline(d *v1alpha1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

func hasRevisionHistoryLimit(d *v1alpha1.Deployment) bool {
	return d.Spec.RevisionHistoryLimit != nil && *d.Spec.RevisionHistoryLimit != math.MaxInt32
}

// deploymentComplete: every desired replica is updated and available and no
// old pod runs, for the current generation.
func deploymentComplete(d *v1alpha1.Deployment, s *v1alpha1.DeploymentStatus) bool {
	n := deploymentReplicas(d)
	return s.UpdatedReplicas == n && s.Replicas == n && s.AvailableReplicas == n && s.ObservedGeneration >= d.Generation
}

// deploymentProgressing: compared with the status d has, new pods were
// added or became ready or available, or old pods went away.
func deploymentProgressing(d *v1alpha1.Deployment, s *v1alpha1.DeploymentStatus) bool {
	old := d.Status
	return s.UpdatedReplicas > old.UpdatedReplicas ||
		s.Replicas-s.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		s.ReadyReplicas > old.ReadyReplicas ||
		s.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut: the last progress recorded in the Progressing
// condition of s is older than progressDeadlineSeconds at now.
func deploymentTimedOut(d *v1alpha1.Deployment, s *v1alpha1.DeploymentStatus, now time.Time) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := getCondition(*s, v1alpha1.DeploymentProgressing)
	if cond == nil || cond.Reason == ReasonNewRSAvailable {
		return false
	}
	if cond.Reason == ReasonTimedOut {
		return true
	}
	deadline := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second)
	return deadline.Before(now)
}
