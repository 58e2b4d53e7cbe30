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

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/cronjob"
)

func cronJobDescriptor() Descriptor {
	return newDescriptor(cronjob.ControllerName, []string{"cronjobs", "jobs"}, newCronJobOptions, newCronJobController)
}

func newCronJobOptions() *SyncOptions {
	return &SyncOptions{
		Flag:  "concurrent-cron-job-syncs",
		Usage: "The number of CronJobs that are allowed to sync concurrently (kube-controller-manager: 5; more here because each request passes two API servers).",
		// Twice kube-controller-manager's 5: each create goes through the
		// aggregation layer (two API servers), so a worker waits longer per
		// request; the client's QPS still bounds the load.
		ConcurrentSyncs: 10,
	}
}

func newCronJobController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	client, err := cc.NewExperimentalClient(cronjob.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the cronjob controller: %w", err)
	}
	c, err := cronjob.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().CronJobs(),
		cc.ExperimentalInformers.Experimental().V1alpha1().Jobs(),
		client, cc.NewEventRecorder("cronjob-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
