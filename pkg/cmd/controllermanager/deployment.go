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

package controllermanager

import (
	"context"
	"fmt"

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/deployment"
)

func deploymentDescriptor() Descriptor {
	return newDescriptor(deployment.ControllerName, []string{"deployments", "replicasets"}, newDeploymentOptions, newDeploymentController)
}

func newDeploymentOptions() *SyncOptions {
	return &SyncOptions{
		Flag:            "concurrent-deployment-syncs",
		Usage:           "The number of Deployments that are allowed to sync concurrently.",
		ConcurrentSyncs: 5,
	}
}

func newDeploymentController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	client, err := cc.NewExperimentalClient(deployment.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the deployment controller: %w", err)
	}
	c, err := deployment.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().Deployments(),
		cc.ExperimentalInformers.Experimental().V1alpha1().ReplicaSets(),
		cc.KubeInformers.Core().V1().Pods(),
		client, cc.NewEventRecorder("deployment-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
