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

package validation

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

func exitCodesRule(action experimental.PodFailurePolicyAction, op experimental.PodFailurePolicyOnExitCodesOperator, values ...int32) experimental.PodFailurePolicyRule {
	return experimental.PodFailurePolicyRule{Action: action, OnExitCodes: &experimental.PodFailurePolicyOnExitCodesRequirement{Operator: op, Values: values}}
}

func podConditionsRule(action experimental.PodFailurePolicyAction, status corev1.ConditionStatus) experimental.PodFailurePolicyRule {
	return experimental.PodFailurePolicyRule{Action: action, OnPodConditions: []experimental.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget, Status: status}}}
}

func withPodFailurePolicy(rules ...experimental.PodFailurePolicyRule) func(*experimental.Job) {
	return func(j *experimental.Job) { j.Spec.PodFailurePolicy = &experimental.PodFailurePolicy{Rules: rules} }
}

func indexed(mutate func(*experimental.Job)) func(*experimental.Job) {
	return func(j *experimental.Job) {
		j.Spec.CompletionMode = ptr.To(experimental.IndexedCompletion)
		j.Spec.Completions = ptr.To[int32](10)
		j.Spec.Parallelism = ptr.To[int32](10)
		mutate(j)
	}
}

func successRules(rules ...experimental.SuccessPolicyRule) func(*experimental.Job) {
	return indexed(func(j *experimental.Job) { j.Spec.SuccessPolicy = &experimental.SuccessPolicy{Rules: rules} })
}

// renameJob renames a Job together with its generated template labels.
func renameJob(j *experimental.Job, name string) {
	j.Name = name
	j.Spec.Template.Labels["job-name"] = name
	j.Spec.Template.Labels["batch.kubernetes.io/job-name"] = name
}

func TestValidateJob(t *testing.T) {
	manyValues := make([]int32, 256)
	for i := range manyValues {
		manyValues[i] = int32(i + 1)
	}
	manyRules := make([]experimental.PodFailurePolicyRule, 21)
	for i := range manyRules {
		manyRules[i] = podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue)
	}
	manyPatterns := make([]experimental.PodFailurePolicyOnPodConditionsPattern, 21)
	for i := range manyPatterns {
		manyPatterns[i] = experimental.PodFailurePolicyOnPodConditionsPattern{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue}
	}
	manySuccessRules := make([]experimental.SuccessPolicyRule, 21)
	for i := range manySuccessRules {
		manySuccessRules[i] = experimental.SuccessPolicyRule{SucceededCount: ptr.To[int32](1)}
	}

	tests := []struct {
		name   string
		mutate func(*experimental.Job)
		want   []wantErr
	}{
		{name: "valid", mutate: func(*experimental.Job) {}},
		{name: "valid OnFailure", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure }},
		{name: "valid Indexed", mutate: indexed(func(*experimental.Job) {})},
		{name: "valid manual selector without uid", mutate: func(j *experimental.Job) {
			j.UID = ""
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = testSelector()
			j.Spec.Template.Labels = map[string]string{"app": "web"}
		}},
		{name: "generated selector without uid", mutate: func(j *experimental.Job) {
			j.UID = ""
			j.Spec.Template.Labels["controller-uid"], j.Spec.Template.Labels["batch.kubernetes.io/controller-uid"] = "", ""
			j.Spec.Selector.MatchLabels["batch.kubernetes.io/controller-uid"] = ""
		}, want: []wantErr{required("metadata.uid")}},
		{name: "generated label missing", mutate: func(j *experimental.Job) { delete(j.Spec.Template.Labels, "job-name") },
			want: []wantErr{required("spec.template.metadata.labels[job-name]")}},
		{name: "generated label changed", mutate: func(j *experimental.Job) { j.Spec.Template.Labels["controller-uid"] = "uid-2" },
			want: []wantErr{invalid("spec.template.metadata.labels[controller-uid]")}},
		{name: "selector not auto-generated", mutate: func(j *experimental.Job) {
			j.Spec.Selector.MatchLabels["app"] = "web"
			j.Spec.Template.Labels["app"] = "web"
		}, want: []wantErr{invalid("spec.selector")}},
		{name: "name not a DNS subdomain", mutate: func(j *experimental.Job) { renameJob(j, "Job") },
			want: []wantErr{invalid("metadata.name")}},
		{name: "missing selector", mutate: func(j *experimental.Job) { j.Spec.Selector = nil },
			want: []wantErr{required("spec.selector")}},
		{name: "invalid selector", mutate: func(j *experimental.Job) { j.Spec.Selector.MatchLabels["bad key"] = "v" },
			want: []wantErr{invalid("spec.selector.matchLabels")}},
		{name: "manual selector does not match template", mutate: func(j *experimental.Job) {
			j.Spec.ManualSelector = ptr.To(true)
			j.Spec.Selector = testSelector()
		}, want: []wantErr{invalid("spec.template.metadata.labels")}},
		{name: "restart policy Always", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyAlways },
			want: []wantErr{required("spec.template.spec.restartPolicy")}},
		{name: "restart policy empty", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.RestartPolicy = "" },
			want: []wantErr{required("spec.template.spec.restartPolicy")}},
		{name: "restart policy unknown", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.RestartPolicy = "Sometimes" },
			want: []wantErr{notSupported("spec.template.spec.restartPolicy"), notSupported("spec.template.spec.restartPolicy")}},
		{name: "invalid template", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.Containers[0].Image = "" },
			want: []wantErr{required("spec.template.spec.containers[0].image")}},

		// counts
		{name: "zero counts", mutate: func(j *experimental.Job) {
			j.Spec.Parallelism, j.Spec.Completions, j.Spec.BackoffLimit = ptr.To[int32](0), ptr.To[int32](0), ptr.To[int32](0)
			j.Spec.TTLSecondsAfterFinished = ptr.To[int32](0)
		}},
		{name: "negative counts", mutate: func(j *experimental.Job) {
			j.Spec.Parallelism, j.Spec.Completions, j.Spec.BackoffLimit = ptr.To[int32](-1), ptr.To[int32](-1), ptr.To[int32](-1)
			j.Spec.TTLSecondsAfterFinished = ptr.To[int32](-1)
		}, want: []wantErr{invalid("spec.parallelism"), invalid("spec.completions"), invalid("spec.backoffLimit"), invalid("spec.ttlSecondsAfterFinished")}},
		{name: "positive active deadline", mutate: func(j *experimental.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](60) }},
		{name: "zero active deadline", mutate: func(j *experimental.Job) { j.Spec.ActiveDeadlineSeconds = ptr.To[int64](0) },
			want: []wantErr{invalid("spec.activeDeadlineSeconds")}},

		// managedBy
		{name: "valid managedBy", mutate: func(j *experimental.Job) { j.Spec.ManagedBy = ptr.To("example.com/job-controller") }},
		{name: "managedBy without domain", mutate: func(j *experimental.Job) { j.Spec.ManagedBy = ptr.To("job-controller") },
			want: []wantErr{invalid("spec.managedBy")}},
		{name: "managedBy too long", mutate: func(j *experimental.Job) { j.Spec.ManagedBy = ptr.To("example.com/" + strings.Repeat("a", 60)) },
			want: []wantErr{tooLong("spec.managedBy")}},

		// completion mode
		{name: "unsupported completion mode", mutate: func(j *experimental.Job) { j.Spec.CompletionMode = ptr.To[experimental.CompletionMode]("Parallel") },
			want: []wantErr{notSupported("spec.completionMode")}},
		{name: "Indexed without completions", mutate: indexed(func(j *experimental.Job) { j.Spec.Completions = nil }),
			want: []wantErr{required("spec.completions")}},
		{name: "Indexed parallelism too high", mutate: indexed(func(j *experimental.Job) { j.Spec.Parallelism = ptr.To[int32](100_001) }),
			want: []wantErr{invalid("spec.parallelism")}},
		{name: "Indexed name too long for hostnames", mutate: indexed(func(j *experimental.Job) { renameJob(j, strings.Repeat("a", 62)) }),
			want: []wantErr{invalid("metadata.name")}},
		{name: "backoff limit per index", mutate: indexed(func(j *experimental.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.MaxFailedIndexes = ptr.To[int32](5)
		})},
		{name: "negative backoff limit per index", mutate: indexed(func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](-1) }),
			want: []wantErr{invalid("spec.backoffLimitPerIndex")}},
		{name: "backoff limit per index for NonIndexed", mutate: func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) },
			want: []wantErr{invalid("spec.backoffLimitPerIndex")}},
		{name: "maxFailedIndexes for NonIndexed", mutate: func(j *experimental.Job) { j.Spec.MaxFailedIndexes = ptr.To[int32](1) },
			want: []wantErr{invalid("spec.maxFailedIndexes"), required("spec.backoffLimitPerIndex")}},
		{name: "maxFailedIndexes without backoff limit per index", mutate: indexed(func(j *experimental.Job) { j.Spec.MaxFailedIndexes = ptr.To[int32](1) }),
			want: []wantErr{required("spec.backoffLimitPerIndex")}},
		{name: "maxFailedIndexes above completions", mutate: indexed(func(j *experimental.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.MaxFailedIndexes = ptr.To[int32](11)
		}), want: []wantErr{invalid("spec.maxFailedIndexes")}},
		{name: "negative maxFailedIndexes", mutate: indexed(func(j *experimental.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			j.Spec.MaxFailedIndexes = ptr.To[int32](-1)
		}), want: []wantErr{invalid("spec.maxFailedIndexes")}},
		{name: "many completions need maxFailedIndexes", mutate: indexed(func(j *experimental.Job) {
			j.Spec.Completions = ptr.To[int32](200_000)
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
		}), want: []wantErr{required("spec.maxFailedIndexes")}},

		// pod failure policy
		{name: "valid pod failure policy", mutate: withPodFailurePolicy(
			exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 1, 2, 42),
			exitCodesRule(experimental.PodFailurePolicyActionCount, experimental.PodFailurePolicyOnExitCodesOpNotIn, 0),
			podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue),
		)},
		{name: "pod failure policy with OnFailure", mutate: func(j *experimental.Job) {
			withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue))(j)
			j.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
		}, want: []wantErr{invalid("spec.template.spec.restartPolicy")}},
		{name: "too many pod failure policy rules", mutate: withPodFailurePolicy(manyRules...),
			want: []wantErr{tooMany("spec.podFailurePolicy.rules")}},
		{name: "rule without requirement", mutate: withPodFailurePolicy(experimental.PodFailurePolicyRule{Action: experimental.PodFailurePolicyActionIgnore}),
			want: []wantErr{invalid("spec.podFailurePolicy.rules[0]")}},
		{name: "rule with both requirements", mutate: func(j *experimental.Job) {
			rule := podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue)
			rule.OnExitCodes = &experimental.PodFailurePolicyOnExitCodesRequirement{Operator: experimental.PodFailurePolicyOnExitCodesOpIn, Values: []int32{1}}
			withPodFailurePolicy(rule)(j)
		}, want: []wantErr{invalid("spec.podFailurePolicy.rules[0]")}},
		{name: "rule without action", mutate: withPodFailurePolicy(podConditionsRule("", corev1.ConditionTrue)),
			want: []wantErr{required("spec.podFailurePolicy.rules[0].action")}},
		{name: "rule with unknown action", mutate: withPodFailurePolicy(podConditionsRule("Retry", corev1.ConditionTrue)),
			want: []wantErr{notSupported("spec.podFailurePolicy.rules[0].action")}},
		{name: "FailIndex without backoff limit per index", mutate: withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionFailIndex, corev1.ConditionTrue)),
			want: []wantErr{invalid("spec.podFailurePolicy.rules[0].action")}},
		{name: "FailIndex with backoff limit per index", mutate: indexed(func(j *experimental.Job) {
			j.Spec.BackoffLimitPerIndex = ptr.To[int32](1)
			withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionFailIndex, corev1.ConditionTrue))(j)
		})},
		{name: "unordered exit codes", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 3, 2)),
			want: []wantErr{invalid("spec.podFailurePolicy.rules[0].onExitCodes.values")}},
		{name: "duplicate exit codes", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 2, 2)),
			want: []wantErr{duplicate("spec.podFailurePolicy.rules[0].onExitCodes.values[1]")}},
		{name: "exit code 0 with In", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 0, 1)),
			want: []wantErr{invalid("spec.podFailurePolicy.rules[0].onExitCodes.values[0]")}},
		{name: "no exit codes", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn)),
			want: []wantErr{invalid("spec.podFailurePolicy.rules[0].onExitCodes.values")}},
		{name: "too many exit codes", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpNotIn, manyValues...)),
			want: []wantErr{tooMany("spec.podFailurePolicy.rules[0].onExitCodes.values")}},
		{name: "missing exit code operator", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, "", 1)),
			want: []wantErr{required("spec.podFailurePolicy.rules[0].onExitCodes.operator")}},
		{name: "unknown exit code operator", mutate: withPodFailurePolicy(exitCodesRule(experimental.PodFailurePolicyActionFailJob, "Equals", 1)),
			want: []wantErr{notSupported("spec.podFailurePolicy.rules[0].onExitCodes.operator")}},
		{name: "exit codes of a known container", mutate: func(j *experimental.Job) {
			rule := exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 1)
			rule.OnExitCodes.ContainerName = ptr.To("main")
			withPodFailurePolicy(rule)(j)
		}},
		{name: "exit codes of an unknown container", mutate: func(j *experimental.Job) {
			rule := exitCodesRule(experimental.PodFailurePolicyActionFailJob, experimental.PodFailurePolicyOnExitCodesOpIn, 1)
			rule.OnExitCodes.ContainerName = ptr.To("sidecar")
			withPodFailurePolicy(rule)(j)
		}, want: []wantErr{invalid("spec.podFailurePolicy.rules[0].onExitCodes.containerName")}},
		{name: "pod condition without status", mutate: withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, "")),
			want: []wantErr{required("spec.podFailurePolicy.rules[0].onPodConditions[0].status")}},
		{name: "pod condition with unknown status", mutate: withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, "Maybe")),
			want: []wantErr{notSupported("spec.podFailurePolicy.rules[0].onPodConditions[0].status")}},
		{name: "pod condition with invalid type", mutate: withPodFailurePolicy(experimental.PodFailurePolicyRule{
			Action:          experimental.PodFailurePolicyActionIgnore,
			OnPodConditions: []experimental.PodFailurePolicyOnPodConditionsPattern{{Type: "bad type", Status: corev1.ConditionTrue}},
		}), want: []wantErr{invalid("spec.podFailurePolicy.rules[0].onPodConditions[0].type")}},
		{name: "too many pod condition patterns", mutate: withPodFailurePolicy(experimental.PodFailurePolicyRule{
			Action: experimental.PodFailurePolicyActionIgnore, OnPodConditions: manyPatterns,
		}), want: []wantErr{tooMany("spec.podFailurePolicy.rules[0].onPodConditions")}},

		// pod replacement policy
		{name: "pod replacement policy TerminatingOrFailed", mutate: func(j *experimental.Job) {
			j.Spec.PodReplacementPolicy = ptr.To(experimental.TerminatingOrFailed)
		}},
		{name: "unknown pod replacement policy", mutate: func(j *experimental.Job) {
			j.Spec.PodReplacementPolicy = ptr.To[experimental.PodReplacementPolicy]("Never")
		}, want: []wantErr{notSupported("spec.podReplacementPolicy")}},
		{name: "pod replacement policy Failed with pod failure policy", mutate: func(j *experimental.Job) {
			withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue))(j)
			j.Spec.PodReplacementPolicy = ptr.To(experimental.Failed)
		}},
		{name: "pod replacement policy TerminatingOrFailed with pod failure policy", mutate: func(j *experimental.Job) {
			withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue))(j)
			j.Spec.PodReplacementPolicy = ptr.To(experimental.TerminatingOrFailed)
		}, want: []wantErr{notSupported("spec.podReplacementPolicy")}},

		// success policy
		{name: "valid success policy", mutate: successRules(
			experimental.SuccessPolicyRule{SucceededIndexes: ptr.To("0-2,5"), SucceededCount: ptr.To[int32](3)},
			experimental.SuccessPolicyRule{SucceededCount: ptr.To[int32](10)},
		)},
		{name: "success policy for NonIndexed", mutate: func(j *experimental.Job) {
			j.Spec.SuccessPolicy = &experimental.SuccessPolicy{Rules: []experimental.SuccessPolicyRule{{SucceededCount: ptr.To[int32](1)}}}
		}, want: []wantErr{invalid("spec.successPolicy")}},
		{name: "success policy without rules", mutate: successRules(),
			want: []wantErr{required("spec.successPolicy.rules")}},
		{name: "too many success policy rules", mutate: successRules(manySuccessRules...),
			want: []wantErr{tooMany("spec.successPolicy.rules")}},
		{name: "empty success policy rule", mutate: successRules(experimental.SuccessPolicyRule{}),
			want: []wantErr{required("spec.successPolicy.rules[0]")}},
		{name: "malformed succeeded indexes", mutate: successRules(experimental.SuccessPolicyRule{SucceededIndexes: ptr.To("3,1")}),
			want: []wantErr{invalid("spec.successPolicy.rules[0].succeededIndexes")}},
		{name: "succeeded index out of range", mutate: successRules(experimental.SuccessPolicyRule{SucceededIndexes: ptr.To("0-10")}),
			want: []wantErr{invalid("spec.successPolicy.rules[0].succeededIndexes")}},
		{name: "succeeded count above completions", mutate: successRules(experimental.SuccessPolicyRule{SucceededCount: ptr.To[int32](11)}),
			want: []wantErr{invalid("spec.successPolicy.rules[0].succeededCount")}},
		{name: "succeeded count above succeeded indexes", mutate: successRules(experimental.SuccessPolicyRule{SucceededIndexes: ptr.To("1,3"), SucceededCount: ptr.To[int32](3)}),
			want: []wantErr{invalid("spec.successPolicy.rules[0].succeededCount")}},
		{name: "negative succeeded count", mutate: successRules(experimental.SuccessPolicyRule{SucceededCount: ptr.To[int32](-1)}),
			want: []wantErr{invalid("spec.successPolicy.rules[0].succeededCount")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			job := validJob()
			tc.mutate(job)
			expectErrors(t, ValidateJob(job), tc.want...)
		})
	}

	// A success policy of an Indexed Job without completions reports the
	// missing completions once, without panicking.
	job := validJob()
	successRules(experimental.SuccessPolicyRule{SucceededIndexes: ptr.To("0"), SucceededCount: ptr.To[int32](1)})(job)
	job.Spec.Completions = nil
	expectErrors(t, ValidateJob(job), required("spec.completions"))
}

func TestValidateJobUpdate(t *testing.T) {
	suspended := func(j *experimental.Job) { j.Spec.Suspend = ptr.To(true) }
	started := func(j *experimental.Job) {
		j.Spec.Suspend = ptr.To(true)
		j.Status.StartTime = ptr.To(metav1.Now())
	}
	suspendedAfterStart := func(j *experimental.Job) {
		started(j)
		j.Status.Conditions = []experimental.JobCondition{{Type: experimental.JobSuspended, Status: corev1.ConditionTrue}}
	}
	schedulingChange := func(j *experimental.Job) {
		j.Spec.Template.Spec.NodeSelector = map[string]string{"zone": "a"}
		j.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: "gpu", Operator: corev1.TolerationOpExists}}
		j.Spec.Template.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/quota"}}
		j.Spec.Template.Labels["queue"] = "batch"
		j.Spec.Template.Annotations = map[string]string{"note": "x"}
		j.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{
			NodeSelectorTerms: []corev1.NodeSelectorTerm{{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "zone", Operator: corev1.NodeSelectorOpIn, Values: []string{"a"}}}}},
		}}}
	}
	tests := []struct {
		name      string
		prepare   func(*experimental.Job) // applied to the old and the new object
		mutate    func(*experimental.Job) // applied to the new object
		want      []wantErr
		wantInMsg string
	}{
		{name: "change parallelism and backoff limit", mutate: func(j *experimental.Job) {
			j.Spec.Parallelism = ptr.To[int32](5)
			j.Spec.BackoffLimit = ptr.To[int32](1)
		}},
		{name: "resume", prepare: suspended, mutate: func(j *experimental.Job) { j.Spec.Suspend = ptr.To(false) }},
		{name: "selector change", mutate: func(j *experimental.Job) { j.Spec.Selector.MatchLabels["job-name"] = "job" },
			want: []wantErr{invalid("spec.selector")}, wantInMsg: "field is immutable"},
		{name: "completions change", mutate: func(j *experimental.Job) { j.Spec.Completions = ptr.To[int32](2) },
			want: []wantErr{invalid("spec.completions")}},
		{name: "Indexed completions change with parallelism", prepare: indexed(func(*experimental.Job) {}), mutate: func(j *experimental.Job) {
			j.Spec.Completions, j.Spec.Parallelism = ptr.To[int32](5), ptr.To[int32](5)
		}},
		{name: "Indexed completions change alone", prepare: indexed(func(*experimental.Job) {}), mutate: func(j *experimental.Job) {
			j.Spec.Completions = ptr.To[int32](5)
		}, want: []wantErr{invalid("spec.completions")}, wantInMsg: "can only be modified in tandem with spec.parallelism"},
		{name: "completion mode change", mutate: func(j *experimental.Job) { j.Spec.CompletionMode = ptr.To(experimental.IndexedCompletion) },
			want: []wantErr{invalid("spec.completionMode")}},
		{name: "pod failure policy change", mutate: withPodFailurePolicy(podConditionsRule(experimental.PodFailurePolicyActionIgnore, corev1.ConditionTrue)),
			want: []wantErr{invalid("spec.podFailurePolicy")}},
		{name: "backoff limit per index change", prepare: indexed(func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) }),
			mutate: func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](2) },
			want:   []wantErr{invalid("spec.backoffLimitPerIndex")}},
		{name: "managedBy change", mutate: func(j *experimental.Job) { j.Spec.ManagedBy = ptr.To("example.com/other") },
			want: []wantErr{invalid("spec.managedBy")}},
		{name: "success policy change", prepare: indexed(func(*experimental.Job) {}),
			mutate: func(j *experimental.Job) {
				j.Spec.SuccessPolicy = &experimental.SuccessPolicy{Rules: []experimental.SuccessPolicyRule{{SucceededCount: ptr.To[int32](1)}}}
			}, want: []wantErr{invalid("spec.successPolicy")}},
		{name: "template change of a running job", mutate: func(j *experimental.Job) { j.Spec.Template.Spec.Containers[0].Image = "busybox" },
			want: []wantErr{invalid("spec.template")}},
		{name: "scheduling change of a running job", mutate: schedulingChange,
			want: []wantErr{invalid("spec.template")}},
		{name: "scheduling change of a suspended job", prepare: suspended, mutate: schedulingChange},
		{name: "resources change of a suspended job", prepare: suspended, mutate: func(j *experimental.Job) {
			j.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: qty("2")}
		}},
		{name: "node affinity cleared on a suspended job", prepare: func(j *experimental.Job) {
			suspended(j)
			j.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{}}
		}, mutate: func(j *experimental.Job) { j.Spec.Template.Spec.Affinity = nil }},
		{name: "image change of a suspended job", prepare: suspended, mutate: func(j *experimental.Job) { j.Spec.Template.Spec.Containers[0].Image = "busybox" },
			want: []wantErr{invalid("spec.template.spec")}},
		{name: "pod affinity change of a suspended job", prepare: suspended, mutate: func(j *experimental.Job) {
			j.Spec.Template.Spec.Affinity = &corev1.Affinity{PodAffinity: &corev1.PodAffinity{}}
		}, want: []wantErr{invalid("spec.template.spec")}},
		{name: "scheduling change of a suspended job that started", prepare: started, mutate: schedulingChange,
			want: []wantErr{invalid("spec.template")}},
		{name: "scheduling change of a job suspended after start", prepare: suspendedAfterStart, mutate: schedulingChange},
		{name: "scheduling change of a suspended job with active pods", prepare: func(j *experimental.Job) {
			suspended(j)
			j.Status.Active = 1
		}, mutate: schedulingChange, want: []wantErr{invalid("spec.template")}},
		{name: "invalid new spec", mutate: func(j *experimental.Job) { j.Spec.BackoffLimit = ptr.To[int32](-1) },
			want: []wantErr{invalid("spec.backoffLimit")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			if tc.prepare != nil {
				tc.prepare(old)
			}
			job := old.DeepCopy()
			tc.mutate(job)
			errs := ValidateJobUpdate(job, old)
			expectErrors(t, errs, tc.want...)
			if tc.wantInMsg != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantInMsg)) {
				t.Errorf("expected %q in %v", tc.wantInMsg, errs)
			}
		})
	}
}

func TestValidateJobStatusUpdate(t *testing.T) {
	start := metav1.NewTime(time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC))
	end := metav1.NewTime(start.Add(time.Minute))
	cond := func(t experimental.JobConditionType) experimental.JobCondition {
		return experimental.JobCondition{Type: t, Status: corev1.ConditionTrue}
	}
	running := experimental.JobStatus{StartTime: &start, Active: 1, Ready: ptr.To[int32](1)}

	tests := []struct {
		name      string
		prepare   func(*experimental.Job)
		oldStatus experimental.JobStatus
		status    experimental.JobStatus
		want      []wantErr
	}{
		{name: "start", status: running},
		{name: "complete", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, CompletionTime: &end, Succeeded: 1, Ready: ptr.To[int32](0),
			Conditions: []experimental.JobCondition{cond(experimental.JobSuccessCriteriaMet), cond(experimental.JobComplete)},
		}},
		{name: "fail", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, Failed: 1, Ready: ptr.To[int32](0),
			Conditions: []experimental.JobCondition{cond(experimental.JobFailureTarget), cond(experimental.JobFailed)},
		}},
		{name: "negative counts", status: experimental.JobStatus{Active: -1, Succeeded: -1, Failed: -1, Ready: ptr.To[int32](-1), Terminating: ptr.To[int32](-1)},
			want: []wantErr{
				invalid("status.active"), invalid("status.succeeded"), invalid("status.succeeded"), invalid("status.failed"),
				invalid("status.failed"), invalid("status.ready"), invalid("status.terminating"),
			}},
		{name: "invalid uncounted pods", status: experimental.JobStatus{UncountedTerminatedPods: &experimental.UncountedTerminatedPods{
			Succeeded: []types.UID{"a", ""}, Failed: []types.UID{"a"},
		}}, want: []wantErr{invalid("status.uncountedTerminatedPods.succeeded[1]"), duplicate("status.uncountedTerminatedPods.failed[0]")}},
		{name: "complete without completion time and success criteria", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, Succeeded: 1, Conditions: []experimental.JobCondition{cond(experimental.JobComplete)},
		}, want: []wantErr{required("status.completionTime"), invalid("status.conditions")}},
		{name: "completion time without complete", status: experimental.JobStatus{StartTime: &start, CompletionTime: &end},
			want: []wantErr{invalid("status.completionTime")}},
		{name: "completion time before start time", oldStatus: running, status: experimental.JobStatus{
			StartTime: &end, CompletionTime: &start, Succeeded: 1,
			Conditions: []experimental.JobCondition{cond(experimental.JobSuccessCriteriaMet), cond(experimental.JobComplete)},
		}, want: []wantErr{invalid("status.completionTime"), invalid("status.startTime")}},
		{name: "failed without failure target", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, Conditions: []experimental.JobCondition{cond(experimental.JobFailed)},
		}, want: []wantErr{invalid("status.conditions")}},
		{name: "finished with active pods", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, Active: 1, Ready: ptr.To[int32](1), Conditions: []experimental.JobCondition{cond(experimental.JobFailureTarget), cond(experimental.JobFailed)},
		}, want: []wantErr{invalid("status.active")}},
		{name: "finished without start time", status: experimental.JobStatus{
			Conditions: []experimental.JobCondition{cond(experimental.JobFailureTarget), cond(experimental.JobFailed)},
		}, want: []wantErr{required("status.startTime")}},
		{name: "disable terminal condition",
			oldStatus: experimental.JobStatus{StartTime: &start, Conditions: []experimental.JobCondition{cond(experimental.JobFailureTarget), cond(experimental.JobFailed)}},
			status:    experimental.JobStatus{StartTime: &start, Conditions: []experimental.JobCondition{cond(experimental.JobFailureTarget)}},
			want:      []wantErr{invalid("status.conditions")}},
		{name: "decrease failed counter", oldStatus: experimental.JobStatus{Failed: 2}, status: experimental.JobStatus{Failed: 1},
			want: []wantErr{invalid("status.failed")}},
		{name: "decrease succeeded counter", oldStatus: experimental.JobStatus{Succeeded: 2}, status: experimental.JobStatus{Succeeded: 1},
			want: []wantErr{invalid("status.succeeded")}},
		{name: "decrease succeeded counter of an elastic Indexed Job", prepare: indexed(func(*experimental.Job) {}),
			oldStatus: experimental.JobStatus{Succeeded: 2, CompletedIndexes: "0,1"}, status: experimental.JobStatus{Succeeded: 1, CompletedIndexes: "0"}},
		{name: "completed indexes", prepare: indexed(func(*experimental.Job) {}), status: experimental.JobStatus{Succeeded: 4, CompletedIndexes: "0-2,5"}},
		{name: "malformed completed indexes", prepare: indexed(func(*experimental.Job) {}), status: experimental.JobStatus{CompletedIndexes: "5,2"},
			want: []wantErr{invalid("status.completedIndexes")}},
		{name: "completed index out of range", prepare: indexed(func(*experimental.Job) {}), status: experimental.JobStatus{CompletedIndexes: "10"},
			want: []wantErr{invalid("status.completedIndexes")}},
		{name: "completed indexes of a NonIndexed Job", status: experimental.JobStatus{CompletedIndexes: "0"},
			want: []wantErr{invalid("status.completedIndexes")}},
		{name: "failed indexes", prepare: indexed(func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) }),
			status: experimental.JobStatus{CompletedIndexes: "0-2", FailedIndexes: ptr.To("3,5")}},
		{name: "failed indexes without backoff limit per index", prepare: indexed(func(*experimental.Job) {}),
			status: experimental.JobStatus{FailedIndexes: ptr.To("3")},
			want:   []wantErr{invalid("status.failedIndexes")}},
		{name: "failed indexes overlapping completed", prepare: indexed(func(j *experimental.Job) { j.Spec.BackoffLimitPerIndex = ptr.To[int32](1) }),
			status: experimental.JobStatus{CompletedIndexes: "0-2", FailedIndexes: ptr.To("2,5")},
			want:   []wantErr{invalid("status.failedIndexes")}},
		{name: "more ready than active", status: experimental.JobStatus{Active: 1, Ready: ptr.To[int32](2)},
			want: []wantErr{invalid("status.ready")}},
		{name: "completion time changed",
			oldStatus: experimental.JobStatus{StartTime: &start, CompletionTime: &end, Conditions: []experimental.JobCondition{cond(experimental.JobSuccessCriteriaMet), cond(experimental.JobComplete)}},
			status:    experimental.JobStatus{StartTime: &start, CompletionTime: ptr.To(metav1.NewTime(end.Add(time.Hour))), Conditions: []experimental.JobCondition{cond(experimental.JobSuccessCriteriaMet), cond(experimental.JobComplete)}},
			want:      []wantErr{invalid("status.completionTime")}},
		{name: "start time changed", oldStatus: experimental.JobStatus{StartTime: &start}, status: experimental.JobStatus{StartTime: &end},
			want: []wantErr{invalid("status.startTime")}},
		{name: "success criteria met and failed", oldStatus: running, status: experimental.JobStatus{
			StartTime: &start, Ready: ptr.To[int32](0),
			Conditions: []experimental.JobCondition{cond(experimental.JobSuccessCriteriaMet), cond(experimental.JobFailureTarget), cond(experimental.JobFailed)},
		}, want: []wantErr{invalid("status.conditions"), invalid("status.conditions")}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := validJob()
			if tc.prepare != nil {
				tc.prepare(old)
			}
			old.Status = tc.oldStatus
			job := old.DeepCopy()
			job.Status = tc.status
			expectErrors(t, ValidateJobStatusUpdate(job, old), tc.want...)
		})
	}
}

func TestWarningsForJob(t *testing.T) {
	job := validJob()
	if w := WarningsForJob(job); len(w) != 0 {
		t.Errorf("unexpected warnings %q", w)
	}
	indexed(func(j *experimental.Job) {
		j.Name = "big.job"
		j.Spec.Completions = ptr.To[int32](200_000)
		j.Spec.Parallelism = ptr.To[int32](20_000)
	})(job)
	w := WarningsForJob(job)
	if len(w) != 2 || !strings.HasPrefix(w[0], "metadata.name:") || !strings.HasPrefix(w[1], "spec: In Indexed Jobs") {
		t.Errorf("unexpected warnings %q", w)
	}
}
