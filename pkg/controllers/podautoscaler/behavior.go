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

package podautoscaler

import (
	"math"
	"sync"
	"time"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// Without behavior a scale-up is limited to max(2 × current, 4) replicas.
const (
	scaleUpLimitFactor  = 2.0
	scaleUpLimitMinimum = 4.0
)

// Reasons of the AbleToScale and ScalingLimited conditions set while
// normalizing a recommendation.
const (
	reasonReadyForNewScale    = "ReadyForNewScale"
	reasonScaleUpStabilized   = "ScaleUpStabilized"
	reasonScaleDownStabilized = "ScaleDownStabilized"
	reasonScaleUpLimit        = "ScaleUpLimit"
	reasonScaleDownLimit      = "ScaleDownLimit"
	reasonTooManyReplicas     = "TooManyReplicas"
	reasonTooFewReplicas      = "TooFewReplicas"
	reasonDesiredWithinRange  = "DesiredWithinRange"
)

type timestampedRecommendation struct {
	recommendation int32
	timestamp      time.Time
}

type timestampedScaleEvent struct {
	// replicaChange is the absolute size of the change.
	replicaChange int32
	timestamp     time.Time
}

// autoscalerState is what the controller remembers of one autoscaler between
// syncs: its recent unstabilized recommendations and its recent scale
// events. It is lost on restart, as upstream's.
type autoscalerState struct {
	recommendations []timestampedRecommendation
	scaleUpEvents   []timestampedScaleEvent
	scaleDownEvents []timestampedScaleEvent
}

// stateStore holds the state of every autoscaler by key. A key is synced by
// one worker at a time, so a state is never used concurrently; the lock
// guards the map only.
type stateStore struct {
	mu     sync.Mutex
	states map[string]*autoscalerState
}

func newStateStore() *stateStore {
	return &stateStore{states: map[string]*autoscalerState{}}
}

// get returns the state of key, creating it with the initial recommendation
// currentReplicas at now on first use.
func (s *stateStore) get(key string, currentReplicas int32, now time.Time) *autoscalerState {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.states[key]
	if !ok {
		st = &autoscalerState{recommendations: []timestampedRecommendation{{currentReplicas, now}}}
		s.states[key] = st
	}
	return st
}

func (s *stateStore) delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.states, key)
}

// limitResult is a normalized replica count with the conditions it implies.
type limitResult struct {
	replicas int32
	// ableToScaleReason/Message: ReadyForNewScale or a stabilization.
	ableToScaleReason, ableToScaleMessage string
	// limited is whether the stabilized recommendation was capped;
	// limitReason/Message say by what (or DesiredWithinRange).
	limited                   bool
	limitReason, limitMessage string
}

// normalize stabilizes desired (over the autoscaler's recent
// recommendations, recording desired) and limits it by minReplicas,
// maxReplicas and the scaling rate.
func normalize(st *autoscalerState, behavior *v1alpha1.HorizontalPodAutoscalerBehavior, downscaleWindow time.Duration,
	currentReplicas, desired, minReplicas, maxReplicas int32, now time.Time) limitResult {
	var res limitResult
	var stabilized int32
	var reason, message string
	if behavior == nil {
		stabilized = st.stabilizeDown(desired, downscaleWindow, now)
		reason, message = reasonScaleDownStabilized, "recent recommendations were higher than current one, applying the highest recent recommendation"
	} else {
		up, down := scalingRules(behavior, downscaleWindow)
		stabilized, reason, message = st.stabilizeWithBehavior(currentReplicas, desired, windowOf(up), windowOf(down), now)
	}
	if stabilized != desired {
		res.ableToScaleReason, res.ableToScaleMessage = reason, message
	} else {
		res.ableToScaleReason, res.ableToScaleMessage = reasonReadyForNewScale, "recommended size matches current size"
	}
	if behavior == nil {
		res.replicas, res.limitReason, res.limitMessage = limitWithoutBehavior(currentReplicas, stabilized, minReplicas, maxReplicas)
	} else {
		up, down := scalingRules(behavior, downscaleWindow)
		res.replicas, res.limitReason, res.limitMessage = st.limitWithBehavior(currentReplicas, stabilized, minReplicas, maxReplicas, up, down, now)
	}
	res.limited = res.replicas != stabilized
	return res
}

// scalingRules returns the rules of both directions, filling in what
// defaulting leaves to the controller (the scale-down window) or what an
// object stored before defaulting may lack.
func scalingRules(b *v1alpha1.HorizontalPodAutoscalerBehavior, downscaleWindow time.Duration) (up, down *v1alpha1.HPAScalingRules) {
	maxPolicy := v1alpha1.MaxChangePolicySelect
	up = &v1alpha1.HPAScalingRules{
		StabilizationWindowSeconds: new(int32),
		SelectPolicy:               &maxPolicy,
		Policies: []v1alpha1.HPAScalingPolicy{
			{Type: v1alpha1.PodsScalingPolicy, Value: 4, PeriodSeconds: 15},
			{Type: v1alpha1.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
		},
	}
	downWindow := int32(downscaleWindow.Seconds())
	down = &v1alpha1.HPAScalingRules{
		StabilizationWindowSeconds: &downWindow,
		SelectPolicy:               &maxPolicy,
		Policies:                   []v1alpha1.HPAScalingPolicy{{Type: v1alpha1.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}},
	}
	overlay := func(dst, src *v1alpha1.HPAScalingRules) {
		if src == nil {
			return
		}
		if src.StabilizationWindowSeconds != nil {
			dst.StabilizationWindowSeconds = src.StabilizationWindowSeconds
		}
		if src.SelectPolicy != nil {
			dst.SelectPolicy = src.SelectPolicy
		}
		if src.Policies != nil {
			dst.Policies = src.Policies
		}
		dst.Tolerance = src.Tolerance
	}
	overlay(up, b.ScaleUp)
	overlay(down, b.ScaleDown)
	return up, down
}

func windowOf(r *v1alpha1.HPAScalingRules) time.Duration {
	return time.Duration(*r.StabilizationWindowSeconds) * time.Second
}

// stabilizeDown (no behavior) returns the highest recommendation of the
// downscale window, desired included, and records desired.
func (st *autoscalerState) stabilizeDown(desired int32, window time.Duration, now time.Time) int32 {
	cutoff := now.Add(-window)
	highest := desired
	oldest := -1
	for i, r := range st.recommendations {
		if !r.timestamp.After(cutoff) {
			oldest = i
		} else if r.recommendation > highest {
			highest = r.recommendation
		}
	}
	st.record(oldest, desired, now)
	return highest
}

// stabilizeWithBehavior bounds the recommendation by the lowest
// recommendation of the scale-up window (no scale-up beyond what was
// recommended throughout it) and the highest of the scale-down window, and
// records desired.
func (st *autoscalerState) stabilizeWithBehavior(currentReplicas, desired int32, upWindow, downWindow time.Duration, now time.Time) (int32, string, string) {
	upCutoff, downCutoff := now.Add(-upWindow), now.Add(-downWindow)
	upRecommendation, downRecommendation := desired, desired
	outdated := -1
	for i, r := range st.recommendations {
		if r.timestamp.After(upCutoff) {
			upRecommendation = min(upRecommendation, r.recommendation)
		}
		if r.timestamp.After(downCutoff) {
			downRecommendation = max(downRecommendation, r.recommendation)
		}
		if r.timestamp.Before(upCutoff) && r.timestamp.Before(downCutoff) {
			outdated = i
		}
	}
	recommendation := max(currentReplicas, upRecommendation)
	recommendation = min(recommendation, downRecommendation)
	st.record(outdated, desired, now)
	if desired >= currentReplicas {
		return recommendation, reasonScaleUpStabilized, "recent recommendations were lower than current one, applying the lowest recent recommendation"
	}
	return recommendation, reasonScaleDownStabilized, "recent recommendations were higher than current one, applying the highest recent recommendation"
}

// record stores a recommendation, reusing the slot of an outdated one.
func (st *autoscalerState) record(outdated int, desired int32, now time.Time) {
	r := timestampedRecommendation{desired, now}
	if outdated >= 0 {
		st.recommendations[outdated] = r
		return
	}
	st.recommendations = append(st.recommendations, r)
}

// limitWithoutBehavior clamps to [minReplicas, min(maxReplicas,
// max(2 × current, 4))].
func limitWithoutBehavior(currentReplicas, desired, minReplicas, maxReplicas int32) (int32, string, string) {
	scaleUpLimit := int32(math.Max(scaleUpLimitFactor*float64(currentReplicas), scaleUpLimitMinimum))
	maxAllowed, reason, message := maxReplicas, reasonTooManyReplicas, "the desired replica count is more than the maximum replica count"
	if maxReplicas > scaleUpLimit {
		maxAllowed, reason, message = scaleUpLimit, reasonScaleUpLimit, "the desired replica count is increasing faster than the maximum scale rate"
	}
	switch {
	case desired < minReplicas:
		return minReplicas, reasonTooFewReplicas, "the desired replica count is less than the minimum replica count"
	case desired > maxAllowed:
		return maxAllowed, reason, message
	}
	return desired, reasonDesiredWithinRange, "the desired count is within the acceptable range"
}

// limitWithBehavior clamps desired by the min/max replicas and by the
// scaling policies over the autoscaler's recent scale events.
func (st *autoscalerState) limitWithBehavior(currentReplicas, desired, minReplicas, maxReplicas int32, up, down *v1alpha1.HPAScalingRules, now time.Time) (int32, string, string) {
	switch {
	case desired > currentReplicas:
		limit := max(scaleUpLimit(currentReplicas, st.scaleUpEvents, st.scaleDownEvents, up, now), currentReplicas)
		maxAllowed, reason, message := maxReplicas, reasonTooManyReplicas, "the desired replica count is more than the maximum replica count"
		if maxAllowed > limit {
			maxAllowed, reason, message = limit, reasonScaleUpLimit, "the desired replica count is increasing faster than the maximum scale rate"
		}
		if desired > maxAllowed {
			return maxAllowed, reason, message
		}
	case desired < currentReplicas:
		limit := min(scaleDownLimit(currentReplicas, st.scaleUpEvents, st.scaleDownEvents, down, now), currentReplicas)
		minAllowed, reason, message := minReplicas, reasonTooFewReplicas, "the desired replica count is less than the minimum replica count"
		if minAllowed < limit {
			minAllowed, reason, message = limit, reasonScaleDownLimit, "the desired replica count is decreasing faster than the maximum scale rate"
		}
		if desired < minAllowed {
			return minAllowed, reason, message
		}
	}
	return desired, reasonDesiredWithinRange, "the desired count is within the acceptable range"
}

// changeInPeriod sums the changes of the events within the last period.
func changeInPeriod(periodSeconds int32, events []timestampedScaleEvent, now time.Time) int32 {
	cutoff := now.Add(-time.Duration(periodSeconds) * time.Second)
	var sum int32
	for _, e := range events {
		if e.timestamp.After(cutoff) {
			sum += e.replicaChange
		}
	}
	return sum
}

// scaleUpLimit is the highest replica count the scale-up policies allow
// now: each policy measures from the replicas at the start of its period;
// selectPolicy Max takes the most permissive, Min the least, Disabled
// allows no change.
func scaleUpLimit(currentReplicas int32, upEvents, downEvents []timestampedScaleEvent, rules *v1alpha1.HPAScalingRules, now time.Time) int32 {
	if *rules.SelectPolicy == v1alpha1.DisabledPolicySelect {
		return currentReplicas
	}
	pickMin := *rules.SelectPolicy == v1alpha1.MinChangePolicySelect
	result := int32(math.MinInt32)
	if pickMin {
		result = math.MaxInt32
	}
	for _, p := range rules.Policies {
		start := currentReplicas - changeInPeriod(p.PeriodSeconds, upEvents, now) + changeInPeriod(p.PeriodSeconds, downEvents, now)
		var proposed int32
		switch p.Type {
		case v1alpha1.PodsScalingPolicy:
			proposed = start + p.Value
		case v1alpha1.PercentScalingPolicy:
			// Rounded up, so that a small target can always grow.
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		default:
			continue
		}
		if pickMin {
			result = min(result, proposed)
		} else {
			result = max(result, proposed)
		}
	}
	return result
}

// scaleDownLimit is the lowest replica count the scale-down policies allow
// now (see scaleUpLimit).
func scaleDownLimit(currentReplicas int32, upEvents, downEvents []timestampedScaleEvent, rules *v1alpha1.HPAScalingRules, now time.Time) int32 {
	if *rules.SelectPolicy == v1alpha1.DisabledPolicySelect {
		return currentReplicas
	}
	pickMin := *rules.SelectPolicy == v1alpha1.MinChangePolicySelect
	result := int32(math.MaxInt32)
	if pickMin {
		result = math.MinInt32
	}
	for _, p := range rules.Policies {
		start := currentReplicas - changeInPeriod(p.PeriodSeconds, upEvents, now) + changeInPeriod(p.PeriodSeconds, downEvents, now)
		var proposed int32
		switch p.Type {
		case v1alpha1.PodsScalingPolicy:
			proposed = start - p.Value
		case v1alpha1.PercentScalingPolicy:
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		default:
			continue
		}
		// The least change downwards is the highest count.
		if pickMin {
			result = max(result, proposed)
		} else {
			result = min(result, proposed)
		}
	}
	return result
}

// recordScaleEvent remembers a rescale for the rate policies, dropping
// events older than the longest policy period of its direction.
func (st *autoscalerState) recordScaleEvent(behavior *v1alpha1.HorizontalPodAutoscalerBehavior, downscaleWindow time.Duration, from, to int32, now time.Time) {
	if behavior == nil || from == to {
		return
	}
	up, down := scalingRules(behavior, downscaleWindow)
	if to > from {
		st.scaleUpEvents = appendEvent(st.scaleUpEvents, longestPeriod(up), to-from, now)
	} else {
		st.scaleDownEvents = appendEvent(st.scaleDownEvents, longestPeriod(down), from-to, now)
	}
}

func appendEvent(events []timestampedScaleEvent, longestPeriodSeconds int32, change int32, now time.Time) []timestampedScaleEvent {
	cutoff := now.Add(-time.Duration(longestPeriodSeconds) * time.Second)
	kept := events[:0]
	for _, e := range events {
		if !e.timestamp.Before(cutoff) {
			kept = append(kept, e)
		}
	}
	return append(kept, timestampedScaleEvent{replicaChange: change, timestamp: now})
}

func longestPeriod(r *v1alpha1.HPAScalingRules) int32 {
	var longest int32
	for _, p := range r.Policies {
		longest = max(longest, p.PeriodSeconds)
	}
	return longest
}
