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

// Package cmd implements kubectl-experimental, the kubectl plugin that
// brings rollout, set image, create job, describe and logs to the
// experimental/v1alpha1 workload kinds.
package cmd

import (
	"fmt"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// Clients gives the commands their API clients and the namespace to act in.
type Clients interface {
	// Experimental is the clientset of the experimental API group.
	Experimental() (clientset.Interface, error)
	// Kube is the clientset of the built-in API groups (pods, events,
	// ControllerRevisions).
	Kube() (kubernetes.Interface, error)
	// Namespace is the namespace from -n, the kubeconfig context, or "default".
	Namespace() (string, error)
}

// configClients builds Clients from genericclioptions.ConfigFlags, so the
// plugin honours --kubeconfig, --context, -n and the other kubectl flags.
type configClients struct {
	flags *genericclioptions.ConfigFlags
}

func (c *configClients) Experimental() (clientset.Interface, error) {
	cfg, err := c.flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the client configuration: %w", err)
	}
	return clientset.NewForConfig(cfg)
}

func (c *configClients) Kube() (kubernetes.Interface, error) {
	cfg, err := c.flags.ToRESTConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the client configuration: %w", err)
	}
	return kubernetes.NewForConfig(cfg)
}

func (c *configClients) Namespace() (string, error) {
	ns, _, err := c.flags.ToRawKubeConfigLoader().Namespace()
	if err != nil {
		return "", fmt.Errorf("finding the namespace: %w", err)
	}
	return ns, nil
}

// NewCommand returns the kubectl-experimental root command, configured from
// the kubectl flags it registers.
func NewCommand(streams genericiooptions.IOStreams) *cobra.Command {
	flags := genericclioptions.NewConfigFlags(true)
	cmd := newRootCommand(streams, &configClients{flags: flags})
	flags.AddFlags(cmd.PersistentFlags())
	return cmd
}

// NewCommandWithClients returns the root command acting through the given
// clients (tests use fake clientsets).
func NewCommandWithClients(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	return newRootCommand(streams, clients)
}

func newRootCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "kubectl-experimental",
		Short: "kubectl verbs for the experimental/v1alpha1 workload kinds",
		Long: `kubectl experimental brings rollout, set image, create job, trigger, describe and logs
to the experimental/v1alpha1 workload kinds (DaemonSet, Deployment, ReplicaSet,
Job, CronJob, HorizontalPodAutoscaler), which stock kubectl cannot drive, and
diagnose, which checks every link between kube-apiserver and workloads-apiserver,
and tree, which shows an object and everything it owns.

Resource types: deployment (deploy, xdeploy), daemonset (ds, xds),
replicaset (rs, xrs), job (xjob), cronjob (cj, xcj),
horizontalpodautoscaler (hpa, xhpa); all name the experimental kinds.`,
		Annotations: map[string]string{
			cobra.CommandDisplayNameAnnotation: "kubectl experimental",
		},
		SilenceUsage:  true,
		SilenceErrors: true,
		Run: func(cmd *cobra.Command, args []string) {
			_ = cmd.Help()
		},
	}
	cmd.AddCommand(
		newRolloutCommand(streams, clients),
		newSetCommand(streams, clients),
		newCreateCommand(streams, clients),
		newTriggerCommand(streams, clients),
		newDescribeCommand(streams, clients),
		newLogsCommand(streams, clients),
		newDiagnoseCommand(streams, clients),
		newTreeCommand(streams, clients),
	)
	return cmd
}
