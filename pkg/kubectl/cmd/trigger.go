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

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

func newTriggerCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var jobName string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "trigger (TYPE NAME | TYPE/NAME) [--job-name=NAME]",
		Short: "Run a cron job now",
		Long: `Run an experimental CronJob now, outside its schedule, through the server's
cronjobs/trigger subresource. The server creates a Job from the CronJob's job
template, annotated cronjob.kubernetes.io/instantiate=manual and controlled by
the CronJob, so it counts in the CronJob's active Jobs and history limits.
The CronJob's concurrencyPolicy applies: Forbid refuses while a Job is active,
Replace deletes the active Jobs first.

Needs the create verb on cronjobs/trigger (granted by the edit and admin roles),
not create on jobs.`,
		Example: `  # Run the "report" CronJob now; the server names the Job report-manual-<suffix>
  kubectl experimental trigger cronjob/report

  # Run it now as the Job "report-now" and print the Job as YAML
  kubectl experimental trigger cj report --job-name=report-now -o yaml`,
		ValidArgsFunction: completeResource(clients, KindCronJob),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		_, name, err := rolloutTarget(args, "trigger", KindCronJob)
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
		opts := metav1.CreateOptions{}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		job, err := c.ExperimentalV1alpha1().CronJobs(ns).Trigger(ctxOf(cmd), name, &v1alpha1.CronJobTrigger{JobName: jobName}, opts)
		if err != nil {
			return fmt.Errorf("triggering %s: %w", KindCronJob.Ref(name), err)
		}
		op := "created"
		if dryRun {
			op = "created (server dry run)"
		}
		return p.print(streams.Out, job, op)
	}
	cmd.Flags().StringVar(&jobName, "job-name", "", "Name of the Job to create; by default the server generates <cronjob>-manual-<suffix>.")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "Ask the server to validate the trigger without creating the Job.")
	return cmd
}
