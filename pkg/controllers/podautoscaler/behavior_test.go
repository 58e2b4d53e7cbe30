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
	"testing"
	"time"

	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func rules(window int32, selectPolicy v1alpha1.ScalingPolicySelect, policies ...v1alpha1.HPAScalingPolicy) *v1alpha1.HPAScalingRules {
	return &v1alpha1.HPAScalingRules{StabilizationWindowSeconds: ptr.To(window), SelectPolicy: ptr.To(selectPolicy), Policies: policies}
}

func pods(value, period int32) v1alpha1.HPAScalingPolicy {
	return v1alpha1.HPAScalingPolicy{Type: v1alpha1.PodsScalingPolicy, Value: value, PeriodSeconds: period}
}

func percent(value, period int32) v1alpha1.HPAScalingPolicy {
	return v1alpha1.HPAScalingPolicy{Type: v1alpha1.PercentScalingPolicy, Value: value, PeriodSeconds: period}
}

// rec is a recommendation made ago before now.
func rec(replicas int32, ago time.Duration) timestampedRecommendation {
	return timestampedRecommendation{recommendation: replicas, timestamp: now.Add(-ago)}
}

func event(change int32, ago time.Duration) timestampedScaleEvent {
	return timestampedScaleEvent{replicaChange: change, timestamp: now.Add(-ago)}
}

// defaultBehavior is what defaulting makes of an empty behavior.
func defaultBehavior() *v1alpha1.HorizontalPodAutoscalerBehavior {
	return &v1alpha1.HorizontalPodAutoscalerBehavior{
		ScaleUp:   rules(0, v1alpha1.MaxChangePolicySelect, pods(4, 15), percent(100, 15)),
		ScaleDown: &v1alpha1.HPAScalingRules{SelectPolicy: ptr.To(v1alpha1.MaxChangePolicySelect), Policies: []v1alpha1.HPAScalingPolicy{percent(100, 15)}},
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name                 string
		behavior             *v1alpha1.HorizontalPodAutoscalerBehavior
		history              []timestampedRecommendation
		upEvents, downEvents []timestampedScaleEvent
		current, desired     int32
		min, max             int32
		want                 int32
		wantAbleReason       string
		wantLimited          bool
		wantLimitReason      string
	}{{
		name:    "within range",
		current: 3, desired: 5, min: 1, max: 10,
		want: 5, wantAbleReason: reasonReadyForNewScale, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:    "above maxReplicas",
		current: 8, desired: 30, min: 1, max: 10,
		want: 10, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonTooManyReplicas,
	}, {
		name:    "below minReplicas",
		current: 3, desired: 1, min: 2, max: 10,
		want: 2, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonTooFewReplicas,
	}, {
		name:    "without behavior a scale-up is capped at max(2 × current, 4)",
		current: 1, desired: 9, min: 1, max: 10,
		want: 4, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleUpLimit,
	}, {
		name:    "without behavior a scale-down is stabilized over the default 5 minutes",
		history: []timestampedRecommendation{rec(6, 4*time.Minute), rec(4, time.Minute)},
		current: 6, desired: 2, min: 1, max: 10,
		want: 6, wantAbleReason: reasonScaleDownStabilized, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:    "recommendations older than the window no longer count",
		history: []timestampedRecommendation{rec(6, 6*time.Minute), rec(4, time.Minute)},
		current: 6, desired: 2, min: 1, max: 10,
		want: 4, wantAbleReason: reasonScaleDownStabilized, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:     "behavior: a short scale-down window lets the scale-down through",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: defaultBehavior().ScaleUp, ScaleDown: rules(5, v1alpha1.MaxChangePolicySelect, percent(100, 15))},
		history:  []timestampedRecommendation{rec(5, 10*time.Second)},
		current:  5, desired: 1, min: 1, max: 10,
		want: 1, wantAbleReason: reasonReadyForNewScale, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:     "behavior: within the scale-down window the highest recommendation wins",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: defaultBehavior().ScaleUp, ScaleDown: rules(60, v1alpha1.MaxChangePolicySelect, percent(100, 15))},
		history:  []timestampedRecommendation{rec(5, 10*time.Second), rec(3, 5*time.Second)},
		current:  5, desired: 1, min: 1, max: 10,
		want: 5, wantAbleReason: reasonScaleDownStabilized, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:     "behavior: unset scale-down window uses the controller's default",
		behavior: defaultBehavior(),
		history:  []timestampedRecommendation{rec(4, 4*time.Minute)},
		current:  4, desired: 1, min: 1, max: 10,
		want: 4, wantAbleReason: reasonScaleDownStabilized, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:     "behavior: scale-up stabilization applies the lowest recent recommendation",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(60, v1alpha1.MaxChangePolicySelect, pods(10, 15)), ScaleDown: defaultBehavior().ScaleDown},
		history:  []timestampedRecommendation{rec(2, 30*time.Second), rec(4, 10*time.Second)},
		current:  2, desired: 8, min: 1, max: 10,
		want: 2, wantAbleReason: reasonScaleUpStabilized, wantLimitReason: reasonDesiredWithinRange,
	}, {
		name:     "behavior: Max picks the most permissive scale-up policy",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(0, v1alpha1.MaxChangePolicySelect, pods(4, 15), percent(100, 15)), ScaleDown: defaultBehavior().ScaleDown},
		current:  2, desired: 20, min: 1, max: 30,
		// max(2+4, 2×2) = 6.
		want: 6, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleUpLimit,
	}, {
		name:     "behavior: Min picks the least permissive scale-up policy",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(0, v1alpha1.MinChangePolicySelect, pods(4, 15), percent(100, 15)), ScaleDown: defaultBehavior().ScaleDown},
		current:  2, desired: 20, min: 1, max: 30,
		want: 4, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleUpLimit,
	}, {
		name:     "behavior: Disabled forbids scaling up",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(0, v1alpha1.DisabledPolicySelect, pods(4, 15)), ScaleDown: defaultBehavior().ScaleDown},
		current:  3, desired: 6, min: 1, max: 10,
		want: 3, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleUpLimit,
	}, {
		name:     "behavior: Disabled forbids scaling down",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: defaultBehavior().ScaleUp, ScaleDown: rules(0, v1alpha1.DisabledPolicySelect, percent(100, 15))},
		current:  5, desired: 1, min: 1, max: 10,
		want: 5, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleDownLimit,
	}, {
		name:     "behavior: a Percent scale-down policy",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: defaultBehavior().ScaleUp, ScaleDown: rules(0, v1alpha1.MaxChangePolicySelect, percent(50, 60))},
		current:  10, desired: 1, min: 1, max: 10,
		want: 5, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleDownLimit,
	}, {
		name:       "behavior: scale-downs within the period count against the policy",
		behavior:   &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: defaultBehavior().ScaleUp, ScaleDown: rules(0, v1alpha1.MaxChangePolicySelect, pods(2, 60))},
		downEvents: []timestampedScaleEvent{event(1, 30*time.Second), event(5, 2*time.Minute)},
		current:    8, desired: 1, min: 1, max: 10,
		// The period started at 9 replicas (the older event is outside it):
		// at most 7.
		want: 7, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleDownLimit,
	}, {
		name:     "behavior: scale-ups within the period count against the policy",
		behavior: &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(0, v1alpha1.MaxChangePolicySelect, pods(2, 60)), ScaleDown: defaultBehavior().ScaleDown},
		upEvents: []timestampedScaleEvent{event(2, 30*time.Second)},
		current:  5, desired: 9, min: 1, max: 10,
		// Two pods were already added in this period: no more now.
		want: 5, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonScaleUpLimit,
	}, {
		name:     "behavior: maxReplicas below the rate limit",
		behavior: defaultBehavior(),
		current:  3, desired: 9, min: 1, max: 5,
		want: 5, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonTooManyReplicas,
	}, {
		name:     "behavior: minReplicas above the rate limit",
		behavior: defaultBehavior(),
		current:  6, desired: 1, min: 3, max: 10,
		want: 3, wantAbleReason: reasonReadyForNewScale, wantLimited: true, wantLimitReason: reasonTooFewReplicas,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := &autoscalerState{
				recommendations: append([]timestampedRecommendation(nil), tc.history...),
				scaleUpEvents:   tc.upEvents,
				scaleDownEvents: tc.downEvents,
			}
			res := normalize(st, tc.behavior, 5*time.Minute, tc.current, tc.desired, tc.min, tc.max, now)
			if res.replicas != tc.want || res.ableToScaleReason != tc.wantAbleReason || res.limited != tc.wantLimited || res.limitReason != tc.wantLimitReason {
				t.Errorf("got %d able=%s limited=%v/%s, want %d able=%s limited=%v/%s",
					res.replicas, res.ableToScaleReason, res.limited, res.limitReason,
					tc.want, tc.wantAbleReason, tc.wantLimited, tc.wantLimitReason)
			}
			// The unstabilized recommendation is remembered.
			last := false
			for _, r := range st.recommendations {
				if r.recommendation == tc.desired && r.timestamp.Equal(now) {
					last = true
				}
			}
			if !last {
				t.Errorf("recommendation %d at now not recorded: %v", tc.desired, st.recommendations)
			}
		})
	}
}

func TestRecordScaleEventDropsOldEvents(t *testing.T) {
	st := &autoscalerState{scaleUpEvents: []timestampedScaleEvent{event(3, 2*time.Minute), event(1, 10*time.Second)}}
	b := &v1alpha1.HorizontalPodAutoscalerBehavior{ScaleUp: rules(0, v1alpha1.MaxChangePolicySelect, pods(4, 60)), ScaleDown: defaultBehavior().ScaleDown}
	st.recordScaleEvent(b, 5*time.Minute, 4, 6, now)
	if len(st.scaleUpEvents) != 2 || st.scaleUpEvents[0].replicaChange != 1 || st.scaleUpEvents[1].replicaChange != 2 {
		t.Errorf("scale-up events = %+v, want the recent +1 and the new +2", st.scaleUpEvents)
	}
	st.recordScaleEvent(b, 5*time.Minute, 6, 2, now)
	if len(st.scaleDownEvents) != 1 || st.scaleDownEvents[0].replicaChange != 4 {
		t.Errorf("scale-down events = %+v, want one of 4", st.scaleDownEvents)
	}
	// Without behavior no events are kept: the rate limit does not use them.
	st2 := &autoscalerState{}
	st2.recordScaleEvent(nil, 5*time.Minute, 1, 4, now)
	if len(st2.scaleUpEvents) != 0 {
		t.Errorf("events recorded without behavior: %+v", st2.scaleUpEvents)
	}
}
