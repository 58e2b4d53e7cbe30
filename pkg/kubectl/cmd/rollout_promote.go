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

package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/util/retry"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func newRolloutPromoteCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var full bool
	cmd := &cobra.Command{
		Use:   "promote (TYPE NAME | TYPE/NAME)",
		Short: "Move a canary rollout past its current step",
		Long: `Move the canary rollout of an experimental Deployment past its current step
(spec.strategy.canary.steps), or with --full past all remaining steps, through
the deployments/promote subresource. A pause without a duration waits for this.

Needs the create verb on deployments/promote (granted by the edit and admin
roles), not update on deployments.`,
		Example: `  # Go on to the next step of a paused canary rollout
  kubectl experimental rollout promote deployment/web

  # Finish the rollout at once
  kubectl experimental rollout promote deployment/web --full`,
		ValidArgsFunction: completeResource(clients, KindDeployment),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		_, name, err := rolloutTarget(args, "rollout promote", KindDeployment)
		if err != nil {
			return err
		}
		c, err := clients.Experimental()
		if err != nil {
			return err
		}
		ns, err := clients.Namespace()
		if err != nil {
			return err
		}
		var d *v1alpha1.Deployment
		// A spec change the controller has not observed yet is refused with
		// 409 for a moment; a rollout that is not at a step is refused for
		// good.
		err = retry.OnError(retry.DefaultBackoff, notObservedYet, func() error {
			var err error
			d, err = c.ExperimentalV1alpha1().Deployments(ns).Promote(ctxOf(cmd), name, &v1alpha1.DeploymentPromote{Full: full}, metav1.CreateOptions{})
			return err
		})
		if err != nil {
			return fmt.Errorf("promoting %s: %w", KindDeployment.Ref(name), err)
		}
		op := "promoted"
		if st := d.Status.Canary; st != nil && d.Spec.Strategy.Canary != nil {
			if n := len(d.Spec.Strategy.Canary.Steps); int(st.CurrentStepIndex) >= n {
				op = "promoted past its last canary step"
			} else {
				op = fmt.Sprintf("promoted to canary step %d of %d", st.CurrentStepIndex, n)
			}
		}
		return p.print(streams.Out, d, op)
	}
	cmd.Flags().BoolVar(&full, "full", false, "Skip every remaining step and finish the rollout.")
	return cmd
}

// notObservedYet reports the 409 deployments/promote answers while the
// deployment controller has not observed the latest spec.
func notObservedYet(err error) bool {
	return apierrors.IsConflict(err) && strings.Contains(err.Error(), "has not observed generation")
}

// canaryStatusMessage describes a Deployment at a canary step, "" when its
// rollout is not at one.
func canaryStatusMessage(d *v1alpha1.Deployment) string {
	st := d.Status.Canary
	if d.Spec.Strategy.Canary == nil || st == nil {
		return ""
	}
	steps := d.Spec.Strategy.Canary.Steps
	i := int(st.CurrentStepIndex)
	if i >= len(steps) {
		return ""
	}
	if st.PauseStartTime != nil {
		until := "until promoted (kubectl experimental rollout promote)"
		if st.PauseEndTime != nil {
			until = "until " + st.PauseEndTime.UTC().Format("2006-01-02T15:04:05Z") + " or promoted"
		}
		return fmt.Sprintf("Waiting for deployment %q rollout: paused at canary step %d of %d %s; %d of %d pods updated...\n",
			d.Name, i, len(steps), until, d.Status.UpdatedReplicas, replicasOf(d))
	}
	return fmt.Sprintf("Waiting for deployment %q rollout: canary step %d of %d; %d of %d pods updated, %d available...\n",
		d.Name, i, len(steps), d.Status.UpdatedReplicas, replicasOf(d), d.Status.AvailableReplicas)
}

func replicasOf(d *v1alpha1.Deployment) int32 {
	if d.Spec.Replicas == nil {
		return 1
	}
	return *d.Spec.Replicas
}
