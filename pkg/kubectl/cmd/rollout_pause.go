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
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/util/retry"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// RestartedAtAnnotation is the pod template annotation `rollout restart`
// sets to start a new rollout.
const RestartedAtAnnotation = "kubectl.kubernetes.io/restartedAt"

func newRolloutPauseCommand(streams genericiooptions.IOStreams, clients Clients, pause bool) *cobra.Command {
	verb, short, example := "resume", "Resume a paused deployment or daemon set", `  # Resume a paused Deployment
  kubectl experimental rollout resume deployment/web

  # Resume the rolling update of a DaemonSet (clears spec.updateStrategy.rollingUpdate.paused)
  kubectl experimental rollout resume ds/agent`
	if pause {
		verb, short, example = "pause", "Mark a deployment or daemon set as paused", `  # Pause a Deployment; template changes are not rolled out until it is resumed
  kubectl experimental rollout pause deployment/web

  # Pause the rolling update of a DaemonSet (sets spec.updateStrategy.rollingUpdate.paused):
  # no pod is replaced, nodes without a pod still get one of the newest revision
  kubectl experimental rollout pause ds/agent`
	}
	cmd := &cobra.Command{
		Use:               verb + " (TYPE NAME | TYPE/NAME)",
		Short:             short,
		Example:           example,
		ValidArgsFunction: completeResource(clients, KindDeployment, KindDaemonSet),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		k, name, err := rolloutTarget(args, "rollout "+verb, KindDeployment, KindDaemonSet)
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
		obj, changed, err := setPaused(ctxOf(cmd), c, ns, k, name, pause)
		if err != nil {
			return err
		}
		op := map[bool]string{true: "paused", false: "resumed"}[pause]
		if !changed {
			op = "already " + op
		}
		return p.print(streams.Out, obj, op)
	}
	return cmd
}

// setPaused sets spec.paused of a Deployment, or
// spec.updateStrategy.rollingUpdate.paused of a RollingUpdate DaemonSet;
// changed is false when it already had that value.
func setPaused(ctx context.Context, c clientset.Interface, ns string, k Kind, name string, paused bool) (runtime.Object, bool, error) {
	x := c.ExperimentalV1alpha1()
	var (
		out     runtime.Object
		changed bool
	)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		switch k {
		case KindDeployment:
			d, err := x.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if d.Spec.Paused == paused {
				out, changed = d, false
				return nil
			}
			d.Spec.Paused = paused
			u, err := x.Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			out, changed = u, true
		case KindDaemonSet:
			ds, err := x.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType {
				return fmt.Errorf("only daemon sets with the %s update strategy can be paused or resumed, this one uses %s",
					v1alpha1.RollingUpdateDaemonSetStrategyType, ds.Spec.UpdateStrategy.Type)
			}
			r := ds.Spec.UpdateStrategy.RollingUpdate
			if r == nil {
				r = &v1alpha1.RollingUpdateDaemonSet{}
				ds.Spec.UpdateStrategy.RollingUpdate = r
			}
			if r.Paused == paused {
				out, changed = ds, false
				return nil
			}
			r.Paused = paused
			u, err := x.DaemonSets(ns).Update(ctx, ds, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			out, changed = u, true
		default:
			return fmt.Errorf("pausing is not supported for %s", k.Resource())
		}
		return nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("updating %s: %w", k.Ref(name), err)
	}
	return out, changed, nil
}

func newRolloutRestartCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restart (TYPE NAME | TYPE/NAME)",
		Short: "Restart a resource",
		Long: `Restart an experimental Deployment or DaemonSet: sets the pod template annotation
kubectl.kubernetes.io/restartedAt to the current time, which rolls out new pods.`,
		Example: `  # Restart a Deployment
  kubectl experimental rollout restart deployment/web`,
		ValidArgsFunction: completeResource(clients, KindDeployment, KindDaemonSet),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		k, name, err := rolloutTarget(args, "rollout restart")
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
		obj, err := restart(ctxOf(cmd), c, ns, k, name, time.Now())
		if err != nil {
			return err
		}
		return p.print(streams.Out, obj, "restarted")
	}
	return cmd
}

// restart stamps the pod template with RestartedAtAnnotation = now.
func restart(ctx context.Context, c clientset.Interface, ns string, k Kind, name string, now time.Time) (runtime.Object, error) {
	stamp := now.Format(time.RFC3339)
	x := c.ExperimentalV1alpha1()
	var out runtime.Object
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		switch k {
		case KindDeployment:
			d, err := x.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if d.Spec.Paused {
				return fmt.Errorf("can't restart paused deployment (run rollout resume first)")
			}
			if d.Spec.Template.Annotations[RestartedAtAnnotation] == stamp {
				return fmt.Errorf("if restart has already been triggered within the past second, please wait before attempting to trigger another")
			}
			if d.Spec.Template.Annotations == nil {
				d.Spec.Template.Annotations = map[string]string{}
			}
			d.Spec.Template.Annotations[RestartedAtAnnotation] = stamp
			u, err := x.Deployments(ns).Update(ctx, d, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			out = u
		case KindDaemonSet:
			ds, err := x.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if ds.Spec.Template.Annotations[RestartedAtAnnotation] == stamp {
				return fmt.Errorf("if restart has already been triggered within the past second, please wait before attempting to trigger another")
			}
			if ds.Spec.Template.Annotations == nil {
				ds.Spec.Template.Annotations = map[string]string{}
			}
			ds.Spec.Template.Annotations[RestartedAtAnnotation] = stamp
			u, err := x.DaemonSets(ns).Update(ctx, ds, metav1.UpdateOptions{})
			if err != nil {
				return err
			}
			out = u
		default:
			return fmt.Errorf("restarting is not supported for %s", k.Resource())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("restarting %s: %w", k.Ref(name), err)
	}
	return out, nil
}
