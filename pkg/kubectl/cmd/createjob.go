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

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// InstantiateAnnotation marks a Job created by hand from a CronJob.
const InstantiateAnnotation = "cronjob.kubernetes.io/instantiate"

func newCreateCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create SUBCOMMAND",
		Short: "Create an experimental object",
		Run:   func(cmd *cobra.Command, args []string) { _ = cmd.Help() },
	}
	cmd.AddCommand(newCreateJobCommand(streams, clients))
	return cmd
}

func newCreateJobCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	var from string
	cmd := &cobra.Command{
		Use:   "job NAME --from=cronjob/NAME",
		Short: "Create a job from a cron job",
		Long: `Create an experimental Job from the job template of an experimental CronJob,
as the CronJob controller would, annotated cronjob.kubernetes.io/instantiate=manual
and owned by the CronJob.`,
		Example: `  # Run the "report" CronJob now
  kubectl experimental create job report-manual --from=cronjob/report`,
		Args: cobra.ExactArgs(1),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if from == "" {
			return fmt.Errorf("--from=cronjob/NAME is required")
		}
		k, cjName, err := ParseTypeName(from)
		if err != nil {
			return fmt.Errorf("invalid --from: %w", err)
		}
		if k != KindCronJob {
			return fmt.Errorf("invalid --from: a job can only be created from a cronjob, got %s", k.Resource())
		}
		c, err := clients.Experimental()
		if err != nil {
			return err
		}
		ns, err := clients.Namespace()
		if err != nil {
			return err
		}
		job, err := createJobFromCronJob(ctxOf(cmd), c, ns, args[0], cjName)
		if err != nil {
			return err
		}
		return p.print(streams.Out, job, "created")
	}
	cmd.Flags().StringVar(&from, "from", "", "The name of the resource to create a Job from (only cronjob is supported).")
	_ = cmd.RegisterFlagCompletionFunc("from", func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return completeTypeSlashName(clients, KindCronJob)(cmd, nil, toComplete)
	})
	return cmd
}

// JobFromCronJob builds the Job a manual run of the CronJob creates.
func JobFromCronJob(name string, cj *v1alpha1.CronJob) *v1alpha1.Job {
	annotations := map[string]string{InstantiateAnnotation: "manual"}
	for k, v := range cj.Spec.JobTemplate.Annotations {
		annotations[k] = v
	}
	var labels map[string]string
	if len(cj.Spec.JobTemplate.Labels) > 0 {
		labels = make(map[string]string, len(cj.Spec.JobTemplate.Labels))
		for k, v := range cj.Spec.JobTemplate.Labels {
			labels[k] = v
		}
	}
	return &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Namespace:   cj.Namespace,
			Annotations: annotations,
			Labels:      labels,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: v1alpha1.SchemeGroupVersion.String(),
				Kind:       string(KindCronJob),
				Name:       cj.Name,
				UID:        cj.UID,
				Controller: ptr.To(true),
			}},
		},
		Spec: *cj.Spec.JobTemplate.Spec.DeepCopy(),
	}
}

func createJobFromCronJob(ctx context.Context, c clientset.Interface, ns, name, cronJob string) (*v1alpha1.Job, error) {
	cj, err := c.ExperimentalV1alpha1().CronJobs(ns).Get(ctx, cronJob, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", KindCronJob.Ref(cronJob), err)
	}
	job, err := c.ExperimentalV1alpha1().Jobs(ns).Create(ctx, JobFromCronJob(name, cj), metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("creating %s from %s: %w", KindJob.Ref(name), KindCronJob.Ref(cronJob), err)
	}
	return job, nil
}
