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

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/replicaset"
)

func replicaSetDescriptor() Descriptor {
	return newDescriptor(replicaset.ControllerName, []string{"replicasets"}, newReplicaSetOptions, newReplicaSetController)
}

func newReplicaSetOptions() *SyncOptions {
	return &SyncOptions{
		Flag:            "concurrent-replicaset-syncs",
		Usage:           "The number of ReplicaSets that are allowed to sync concurrently. Larger number = more responsive replica management, but more CPU (and network) load.",
		ConcurrentSyncs: 5,
	}
}

func newReplicaSetController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	kube, err := cc.NewKubeClient(replicaset.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the kube client of the replicaset controller: %w", err)
	}
	client, err := cc.NewExperimentalClient(replicaset.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the replicaset controller: %w", err)
	}
	c, err := replicaset.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().ReplicaSets(),
		cc.KubeInformers.Core().V1().Pods(),
		kube, client, cc.NewEventRecorder("replicaset-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
