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

package printers

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
)

var (
	_ rest.TableConvertor = tableConvertor[*experimental.Deployment]{}
	_ rest.TableConvertor = tableConvertor[*experimental.ReplicaSet]{}
	_ rest.TableConvertor = tableConvertor[*experimental.DaemonSet]{}
)

// Deployments: NAME READY UP-TO-DATE AVAILABLE AGE [CONTAINERS IMAGES SELECTOR STEP ROLLOUT]

var deploymentColumns = append([]metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Ready", Type: "string", Description: "Number of the pod with ready state"},
	// Upstream declares these two as strings even though the cells are integers.
	{Name: "Up-to-date", Type: "string", Description: appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]},
	{Name: "Available", Type: "string", Description: appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]},
	ageColumn(),
}, append(podTemplateColumns(appsv1.DeploymentSpec{}.SwaggerDoc()["selector"]),
	// Beyond apps/v1: where a canary rollout stands.
	metav1.TableColumnDefinition{Name: "Step", Type: "string", Priority: 1,
		Description: "Current canary step out of spec.strategy.canary.steps (e.g. 2/5), <none> without canary steps."},
	metav1.TableColumnDefinition{Name: "Rollout", Type: "string", Priority: 1,
		Description: "Reason of the Progressing condition, e.g. CanaryStepPaused or NewReplicaSetAvailable."},
)...)

// NewDeploymentTableConvertor returns the table convertor for deployments.
func NewDeploymentTableConvertor() rest.TableConvertor {
	return newTableConvertor(deploymentColumns, deploymentRow)
}

func deploymentRow(d *experimental.Deployment) []interface{} {
	ready := fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, desiredReplicas(d.Spec.Replicas))
	cells := []interface{}{
		d.Name,
		ready,
		int64(d.Status.UpdatedReplicas),
		int64(d.Status.AvailableReplicas),
		translateTimestampSince(d.CreationTimestamp),
	}
	// Unlike the other workloads, upstream prints the deployment selector
	// without the "<none>" placeholder and reports "<invalid>" on errors.
	selector := "<invalid>"
	if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
		selector = s.String()
	}
	cells = append(cells, podTemplateCells(&d.Spec.Template, selector)...)
	return append(cells, deploymentStep(d), deploymentRollout(d))
}

// deploymentStep renders the canary step as index/steps, "<none>" without
// canary steps.
func deploymentStep(d *experimental.Deployment) string {
	if d.Spec.Strategy.Canary == nil || len(d.Spec.Strategy.Canary.Steps) == 0 {
		return "<none>"
	}
	var i int32
	if d.Status.Canary != nil {
		i = d.Status.Canary.CurrentStepIndex
	}
	return fmt.Sprintf("%d/%d", i, len(d.Spec.Strategy.Canary.Steps))
}

// deploymentRollout renders the reason of the Progressing condition.
func deploymentRollout(d *experimental.Deployment) string {
	for _, c := range d.Status.Conditions {
		if c.Type == experimental.DeploymentProgressing && c.Reason != "" {
			return c.Reason
		}
	}
	return "<none>"
}

// ReplicaSets: NAME DESIRED CURRENT READY AGE [CONTAINERS IMAGES SELECTOR]

var replicaSetColumns = append([]metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Desired", Type: "integer", Description: appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]},
	{Name: "Current", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]},
	{Name: "Ready", Type: "integer", Description: appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]},
	ageColumn(),
}, podTemplateColumns(appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"])...)

// NewReplicaSetTableConvertor returns the table convertor for replica sets.
func NewReplicaSetTableConvertor() rest.TableConvertor {
	return newTableConvertor(replicaSetColumns, replicaSetRow)
}

func replicaSetRow(rs *experimental.ReplicaSet) []interface{} {
	cells := []interface{}{
		rs.Name,
		desiredReplicas(rs.Spec.Replicas),
		int64(rs.Status.Replicas),
		int64(rs.Status.ReadyReplicas),
		translateTimestampSince(rs.CreationTimestamp),
	}
	return append(cells, podTemplateCells(&rs.Spec.Template, metav1.FormatLabelSelector(rs.Spec.Selector))...)
}

// DaemonSets: NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR AGE
// [CONTAINERS IMAGES SELECTOR]

var daemonSetColumns = append([]metav1.TableColumnDefinition{
	nameColumn(),
	{Name: "Desired", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["desiredNumberScheduled"]},
	{Name: "Current", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["currentNumberScheduled"]},
	{Name: "Ready", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["numberReady"]},
	{Name: "Up-to-date", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["updatedNumberScheduled"]},
	{Name: "Available", Type: "integer", Description: appsv1.DaemonSetStatus{}.SwaggerDoc()["numberAvailable"]},
	{Name: "Node Selector", Type: "string", Description: corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]},
	ageColumn(),
}, podTemplateColumns(appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"])...)

// NewDaemonSetTableConvertor returns the table convertor for daemon sets.
func NewDaemonSetTableConvertor() rest.TableConvertor {
	return newTableConvertor(daemonSetColumns, daemonSetRow)
}

func daemonSetRow(ds *experimental.DaemonSet) []interface{} {
	cells := []interface{}{
		ds.Name,
		int64(ds.Status.DesiredNumberScheduled),
		int64(ds.Status.CurrentNumberScheduled),
		int64(ds.Status.NumberReady),
		int64(ds.Status.UpdatedNumberScheduled),
		int64(ds.Status.NumberAvailable),
		labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
		translateTimestampSince(ds.CreationTimestamp),
	}
	return append(cells, podTemplateCells(&ds.Spec.Template, metav1.FormatLabelSelector(ds.Spec.Selector))...)
}
