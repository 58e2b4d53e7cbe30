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
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/cache"
	watchtools "k8s.io/client-go/tools/watch"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// TimedOutReason is the reason of the Progressing condition of a Deployment
// whose rollout exceeded its progress deadline.
const TimedOutReason = "ProgressDeadlineExceeded"

func newRolloutCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout SUBCOMMAND",
		Short: "Manage the rollout of experimental Deployments and DaemonSets",
		Long: `Manage the rollout of experimental Deployments and DaemonSets:
status, history, undo, pause, resume, restart and promote.`,
		Run: func(cmd *cobra.Command, args []string) { _ = cmd.Help() },
	}
	cmd.AddCommand(
		newRolloutStatusCommand(streams, clients),
		newRolloutHistoryCommand(streams, clients),
		newRolloutUndoCommand(streams, clients),
		newRolloutPauseCommand(streams, clients, true),
		newRolloutPauseCommand(streams, clients, false),
		newRolloutRestartCommand(streams, clients),
		newRolloutPromoteCommand(streams, clients),
	)
	return cmd
}

// DeploymentStatus reports the rollout state of a Deployment with kubectl's
// messages: done is true once the rollout finished; err is set when the
// rollout exceeded its progress deadline.
func DeploymentStatus(d *v1alpha1.Deployment) (msg string, done bool, err error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...\n", false, nil
	}
	for _, c := range d.Status.Conditions {
		if c.Type == v1alpha1.DeploymentProgressing && c.Reason == TimedOutReason {
			return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", d.Name)
		}
	}
	if msg := canaryStatusMessage(d); msg != "" {
		return msg, false, nil
	}
	if d.Spec.Replicas != nil && d.Status.UpdatedReplicas < *d.Spec.Replicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d out of %d new replicas have been updated...\n",
			d.Name, d.Status.UpdatedReplicas, *d.Spec.Replicas), false, nil
	}
	if d.Status.Replicas > d.Status.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d old replicas are pending termination...\n",
			d.Name, d.Status.Replicas-d.Status.UpdatedReplicas), false, nil
	}
	if d.Status.AvailableReplicas < d.Status.UpdatedReplicas {
		return fmt.Sprintf("Waiting for deployment %q rollout to finish: %d of %d updated replicas are available...\n",
			d.Name, d.Status.AvailableReplicas, d.Status.UpdatedReplicas), false, nil
	}
	return fmt.Sprintf("deployment %q successfully rolled out\n", d.Name), true, nil
}

// DaemonSetStatus reports the rollout state of a DaemonSet with kubectl's
// messages; only RollingUpdate DaemonSets have a rollout status. A rollout
// held by rollingUpdate.partition is done once every pod outside the
// partition is updated (and, per the controller's Progressing condition,
// every pod on a canary node, or on a Ready node with unreadyNodePolicy
// Skip); a paused or blocked one says so.
func DaemonSetStatus(ds *v1alpha1.DaemonSet) (msg string, done bool, err error) {
	if ds.Spec.UpdateStrategy.Type != v1alpha1.RollingUpdateDaemonSetStrategyType {
		return "", true, fmt.Errorf("rollout status is only available for %s strategy type", v1alpha1.RollingUpdateDaemonSetStrategyType)
	}
	if ds.Generation > ds.Status.ObservedGeneration {
		return "Waiting for daemon set spec update to be observed...\n", false, nil
	}
	desired, updated := ds.Status.DesiredNumberScheduled, ds.Status.UpdatedNumberScheduled
	want := desired
	if r := ds.Spec.UpdateStrategy.RollingUpdate; r != nil && r.Partition != nil {
		if kept, err := intstr.GetScaledValueFromIntOrPercent(r.Partition, int(desired), true); err == nil {
			want = desired - min(max(int32(kept), 0), desired)
		}
	}
	var progressing *v1alpha1.DaemonSetCondition
	for i := range ds.Status.Conditions {
		if ds.Status.Conditions[i].Type == v1alpha1.DaemonSetProgressing {
			progressing = &ds.Status.Conditions[i]
		}
	}
	if progressing != nil {
		switch progressing.Reason {
		case v1alpha1.DaemonSetRolloutCompleteReason, v1alpha1.DaemonSetPartiallyRolledOutReason:
			want = min(want, updated)
		case v1alpha1.DaemonSetRolloutPausedReason:
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: paused (rollingUpdate.paused), %d out of %d new pods have been updated...\n",
				ds.Name, updated, want), false, nil
		case v1alpha1.DaemonSetRolloutBlockedReason:
			return fmt.Sprintf("Waiting for daemon set %q rollout to finish: blocked: %s...\n", ds.Name, progressing.Message), false, nil
		}
	}
	if updated < want {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d out of %d new pods have been updated...\n",
			ds.Name, updated, want), false, nil
	}
	if ds.Status.NumberAvailable < desired {
		return fmt.Sprintf("Waiting for daemon set %q rollout to finish: %d of %d updated pods are available...\n",
			ds.Name, ds.Status.NumberAvailable, desired), false, nil
	}
	if updated < desired {
		return fmt.Sprintf("daemon set %q successfully rolled out to %d of %d pods (the others keep their revision: partition, canaryNodeSelector or skipped not-ready nodes)\n",
			ds.Name, updated, desired), true, nil
	}
	return fmt.Sprintf("daemon set %q successfully rolled out\n", ds.Name), true, nil
}

// objectStatus computes the rollout status of a Deployment or DaemonSet.
func objectStatus(obj runtime.Object) (string, bool, error) {
	switch o := obj.(type) {
	case *v1alpha1.Deployment:
		return DeploymentStatus(o)
	case *v1alpha1.DaemonSet:
		return DaemonSetStatus(o)
	}
	return "", false, fmt.Errorf("no rollout status for %T", obj)
}

func newRolloutStatusCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var (
		watchFlag bool
		timeout   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "status (TYPE NAME | TYPE/NAME)",
		Short: "Show the status of a rollout",
		Long: `Show the status of the rollout of an experimental Deployment or DaemonSet.

By default it watches the rollout until it finishes; it exits non-zero when a
Deployment exceeds its progress deadline or --timeout passes. A Deployment at a
canary step shows the step; with --watch=false the command prints it and exits
0, with --watch it waits through the steps (promote with rollout promote).`,
		Example: `  # Watch the rollout of a Deployment
  kubectl experimental rollout status deployment/web

  # Print the current state only
  kubectl experimental rollout status ds/agent --watch=false`,
		ValidArgsFunction: completeResource(clients, KindDeployment, KindDaemonSet),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, n, err := resourceArgs(args)
			if err != nil {
				return err
			}
			if n != len(args) {
				return fmt.Errorf("rollout status takes one resource, got %v", args)
			}
			if _, err := parseKindOf(string(k), "rollout status", KindDeployment, KindDaemonSet); err != nil {
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
			return rolloutStatus(cmd.Context(), streams, c, ns, k, name, watchFlag, timeout)
		},
	}
	cmd.Flags().BoolVarP(&watchFlag, "watch", "w", true, "Watch the status of the rollout until it's done.")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "The length of time to wait before ending watch, zero means never. Any other values should contain a corresponding time unit (e.g. 1s, 2m, 3h).")
	return cmd
}

// rolloutStatus prints the rollout status, watching until done unless
// watchFlag is false.
func rolloutStatus(ctx context.Context, streams genericiooptions.IOStreams, c clientset.Interface, ns string, k Kind, name string, watchFlag bool, timeout time.Duration) error {
	if ctx == nil {
		ctx = context.Background()
	}
	x := c.ExperimentalV1alpha1()
	var (
		lw      *cache.ListWatch
		example runtime.Object
		current runtime.Object
		err     error
	)
	fs := fields.OneTermEqualSelector("metadata.name", name).String()
	switch k {
	case KindDeployment:
		current, err = x.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		example = &v1alpha1.Deployment{}
		lw = &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.FieldSelector = fs
				return x.Deployments(ns).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = fs
				return x.Deployments(ns).Watch(ctx, o)
			},
		}
	case KindDaemonSet:
		current, err = x.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		example = &v1alpha1.DaemonSet{}
		lw = &cache.ListWatch{
			ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
				o.FieldSelector = fs
				return x.DaemonSets(ns).List(ctx, o)
			},
			WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
				o.FieldSelector = fs
				return x.DaemonSets(ns).Watch(ctx, o)
			},
		}
	default:
		return fmt.Errorf("rollout status is not supported for %s", k.Resource())
	}
	if err != nil {
		return fmt.Errorf("getting %s: %w", k.Ref(name), err)
	}
	if !watchFlag {
		msg, _, err := objectStatus(current)
		if err != nil {
			return err
		}
		fmt.Fprint(streams.Out, msg)
		return nil
	}

	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	last := ""
	_, err = watchtools.UntilWithSync(ctx, cache.ToListWatcherWithWatchListSemantics(lw, c), example, nil, func(e watch.Event) (bool, error) {
		switch e.Type {
		case watch.Deleted:
			return false, apierrors.NewNotFound(v1alpha1.Resource(k.Resource()+"s"), name)
		case watch.Added, watch.Modified:
			if m, err := metaName(e.Object); err != nil || m != name {
				return false, nil
			}
			msg, done, err := objectStatus(e.Object)
			if err != nil {
				return false, err
			}
			if msg != last {
				fmt.Fprint(streams.Out, msg)
				last = msg
			}
			return done, nil
		case watch.Error:
			return false, apierrors.FromObject(e.Object)
		}
		return false, nil
	})
	if err != nil {
		if wait.Interrupted(err) || ctx.Err() != nil {
			return fmt.Errorf("timed out waiting for the rollout of %s to finish", k.Ref(name))
		}
		return err
	}
	return nil
}

func metaName(obj runtime.Object) (string, error) {
	switch o := obj.(type) {
	case *v1alpha1.Deployment:
		return o.Name, nil
	case *v1alpha1.DaemonSet:
		return o.Name, nil
	}
	return "", fmt.Errorf("unexpected object %T", obj)
}
