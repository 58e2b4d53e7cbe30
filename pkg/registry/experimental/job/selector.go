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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

// Labels the server puts on a Job's pod template when it generates the
// selector. They are the keys batch/v1 uses, so `kubectl get pods -l
// job-name=...` works the same for experimental Jobs.
const (
	// ControllerUIDLabel selects exactly the pods of one Job.
	ControllerUIDLabel = "batch.kubernetes.io/controller-uid"
	// LegacyControllerUIDLabel is the unprefixed form of ControllerUIDLabel.
	LegacyControllerUIDLabel = "controller-uid"
	// JobNameLabel carries the Job's name, for people.
	JobNameLabel = "batch.kubernetes.io/job-name"
	// LegacyJobNameLabel is the unprefixed form of JobNameLabel.
	LegacyJobNameLabel = "job-name"
)

// generateSelector labels the pod template with the Job's name and UID and
// selects on the UID, unless the user asked for a manual selector. Labels
// the user already set are kept; a conflict then fails validation because
// the selector does not match the template.
func generateSelector(job *experimental.Job) {
	if job.Spec.ManualSelector != nil && *job.Spec.ManualSelector {
		return
	}
	if job.Spec.Template.Labels == nil {
		job.Spec.Template.Labels = map[string]string{}
	}
	setIfMissing := func(m map[string]string, key, value string) {
		if _, ok := m[key]; !ok {
			m[key] = value
		}
	}
	uid := string(job.UID)
	setIfMissing(job.Spec.Template.Labels, LegacyJobNameLabel, job.Name)
	setIfMissing(job.Spec.Template.Labels, JobNameLabel, job.Name)
	setIfMissing(job.Spec.Template.Labels, LegacyControllerUIDLabel, uid)
	setIfMissing(job.Spec.Template.Labels, ControllerUIDLabel, uid)

	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{}
	}
	if job.Spec.Selector.MatchLabels == nil {
		job.Spec.Selector.MatchLabels = map[string]string{}
	}
	setIfMissing(job.Spec.Selector.MatchLabels, ControllerUIDLabel, uid)
}
