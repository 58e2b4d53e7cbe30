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

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/job"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/ttlafterfinished"
)

func jobDescriptor() Descriptor {
	return newDescriptor(job.ControllerName, []string{"jobs"}, newJobOptions, newJobController)
}

func newJobOptions() *SyncOptions {
	return &SyncOptions{
		Flag:            "concurrent-job-syncs",
		Usage:           "The number of Jobs that are allowed to sync concurrently.",
		ConcurrentSyncs: 5,
	}
}

func newJobController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	kube, err := cc.NewKubeClient(job.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the kube client of the job controller: %w", err)
	}
	client, err := cc.NewExperimentalClient(job.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the job controller: %w", err)
	}
	c, err := job.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().Jobs(),
		cc.KubeInformers.Core().V1().Pods(),
		kube, client, cc.NewEventRecorder("job-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}

func ttlAfterFinishedDescriptor() Descriptor {
	return newDescriptor(ttlafterfinished.ControllerName, []string{"jobs"}, newTTLAfterFinishedOptions, newTTLAfterFinishedController)
}

func newTTLAfterFinishedOptions() *SyncOptions {
	return &SyncOptions{
		Flag:            "concurrent-ttl-after-finished-syncs",
		Usage:           "The number of finished Jobs the TTL-after-finished controller processes concurrently.",
		ConcurrentSyncs: 5,
	}
}

func newTTLAfterFinishedController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	client, err := cc.NewExperimentalClient(ttlafterfinished.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the ttl-after-finished controller: %w", err)
	}
	c, err := ttlafterfinished.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().Jobs(),
		client, cc.NewEventRecorder("ttl-after-finished-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
