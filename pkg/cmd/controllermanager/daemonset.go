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

	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/daemonset"
)

func daemonSetDescriptor() Descriptor {
	return newDescriptor(daemonset.ControllerName, []string{"daemonsets"}, newDaemonSetOptions, newDaemonSetController)
}

func newDaemonSetOptions() *SyncOptions {
	return &SyncOptions{
		Flag:            "concurrent-daemonset-syncs",
		Usage:           "The number of DaemonSets that are allowed to sync concurrently.",
		ConcurrentSyncs: 2,
	}
}

func newDaemonSetController(ctx context.Context, cc ControllerContext, o *SyncOptions) (Runnable, error) {
	kube, err := cc.NewKubeClient(daemonset.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the kube client of the daemonset controller: %w", err)
	}
	client, err := cc.NewExperimentalClient(daemonset.ControllerName)
	if err != nil {
		return nil, fmt.Errorf("creating the experimental client of the daemonset controller: %w", err)
	}
	c, err := daemonset.NewController(ctx,
		cc.ExperimentalInformers.Experimental().V1alpha1().DaemonSets(),
		cc.KubeInformers.Apps().V1().ControllerRevisions(),
		cc.KubeInformers.Core().V1().Pods(),
		cc.KubeInformers.Core().V1().Nodes(),
		kube, client, cc.NewEventRecorder("daemonset-controller"), cc.Clock)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) { c.Run(ctx, int(o.ConcurrentSyncs)) }, nil
}
