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
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/util/retry"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// podTemplateKinds are the kinds with a pod template.
var podTemplateKinds = []Kind{KindDeployment, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob}

func newSetCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "set SUBCOMMAND",
		Short: "Set specific features on objects",
		Run:   func(cmd *cobra.Command, args []string) { _ = cmd.Help() },
	}
	cmd.AddCommand(newSetImageCommand(streams, clients))
	return cmd
}

type objectRef struct {
	kind Kind
	name string
}

func newSetImageCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image (TYPE NAME... | TYPE/NAME...) CONTAINER_NAME_1=CONTAINER_IMAGE_1 ... CONTAINER_NAME_N=CONTAINER_IMAGE_N",
		Short: "Update the image of a pod template",
		Long: `Update the container images of the pod template of experimental Deployments,
DaemonSets, ReplicaSets, Jobs and CronJobs (the CronJob's job template).
'*' as the container name sets the image of every container.`,
		Example: `  # Set the image of the "app" container of a Deployment
  kubectl experimental set image deployment/web app=nginx:1.27

  # Set the image of every container of a CronJob's job template
  kubectl experimental set image cronjob/report '*'=busybox:1.37`,
		ValidArgsFunction: completeTypeSlashName(clients, podTemplateKinds...),
	}
	p := newPrinter(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		refs, images, err := parseSetImageArgs(args)
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
		for _, r := range refs {
			obj, err := setImage(ctxOf(cmd), c, ns, r.kind, r.name, images)
			if err != nil {
				return err
			}
			if err := p.print(streams.Out, obj, "image updated"); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

// parseSetImageArgs splits the resources from the container=image pairs.
func parseSetImageArgs(args []string) ([]objectRef, map[string]string, error) {
	var resArgs []string
	images := map[string]string{}
	for _, a := range args {
		if c, img, ok := strings.Cut(a, "="); ok {
			if c == "" || img == "" {
				return nil, nil, fmt.Errorf("invalid image assignment %q: expected CONTAINER=IMAGE", a)
			}
			images[c] = img
			continue
		}
		if len(images) > 0 {
			return nil, nil, fmt.Errorf("resources must come before the CONTAINER=IMAGE pairs, got %q", a)
		}
		resArgs = append(resArgs, a)
	}
	if len(images) == 0 {
		return nil, nil, fmt.Errorf("at least one CONTAINER=IMAGE pair is required")
	}
	if len(resArgs) == 0 {
		return nil, nil, fmt.Errorf("a resource is required: TYPE NAME or TYPE/NAME")
	}
	var refs []objectRef
	if !strings.Contains(resArgs[0], "/") {
		k, err := parseKindOf(resArgs[0], "set image", podTemplateKinds...)
		if err != nil {
			return nil, nil, err
		}
		if len(resArgs) < 2 {
			return nil, nil, fmt.Errorf("a name is required: %s NAME", resArgs[0])
		}
		for _, n := range resArgs[1:] {
			if strings.Contains(n, "/") {
				return nil, nil, fmt.Errorf("there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. '%s/%s' instead of '%s %s/%s')", resArgs[0], n, resArgs[0], resArgs[0], n)
			}
			refs = append(refs, objectRef{k, n})
		}
		return refs, images, nil
	}
	for _, a := range resArgs {
		k, name, err := ParseTypeName(a)
		if err != nil {
			return nil, nil, err
		}
		if _, err := parseKindOf(string(k), "set image", podTemplateKinds...); err != nil {
			return nil, nil, err
		}
		refs = append(refs, objectRef{k, name})
	}
	return refs, images, nil
}

// updateImages sets the images of the containers and init containers of
// spec; every named container must exist.
func updateImages(spec *corev1.PodSpec, images map[string]string, ref string) error {
	names := make([]string, 0, len(images))
	for n := range images {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		img := images[n]
		found := false
		for _, list := range [][]corev1.Container{spec.InitContainers, spec.Containers} {
			for i := range list {
				if n == "*" || list[i].Name == n {
					list[i].Image = img
					found = true
				}
			}
		}
		if !found {
			var all []string
			for _, ct := range spec.InitContainers {
				all = append(all, ct.Name)
			}
			for _, ct := range spec.Containers {
				all = append(all, ct.Name)
			}
			return fmt.Errorf("unable to find container named %q in %s: its containers are %s", n, ref, strings.Join(all, ", "))
		}
	}
	return nil
}

// setImage updates the images of one object's pod template.
func setImage(ctx context.Context, c clientset.Interface, ns string, k Kind, name string, images map[string]string) (runtime.Object, error) {
	x := c.ExperimentalV1alpha1()
	ref := k.Ref(name)
	var out runtime.Object
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var err error
		switch k {
		case KindDeployment:
			o, gerr := x.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if err = updateImages(&o.Spec.Template.Spec, images, ref); err != nil {
				return err
			}
			out, err = x.Deployments(ns).Update(ctx, o, metav1.UpdateOptions{})
		case KindDaemonSet:
			o, gerr := x.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if err = updateImages(&o.Spec.Template.Spec, images, ref); err != nil {
				return err
			}
			out, err = x.DaemonSets(ns).Update(ctx, o, metav1.UpdateOptions{})
		case KindReplicaSet:
			o, gerr := x.ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if err = updateImages(&o.Spec.Template.Spec, images, ref); err != nil {
				return err
			}
			out, err = x.ReplicaSets(ns).Update(ctx, o, metav1.UpdateOptions{})
		case KindJob:
			o, gerr := x.Jobs(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if err = updateImages(&o.Spec.Template.Spec, images, ref); err != nil {
				return err
			}
			out, err = x.Jobs(ns).Update(ctx, o, metav1.UpdateOptions{})
		case KindCronJob:
			o, gerr := x.CronJobs(ns).Get(ctx, name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if err = updateImages(&o.Spec.JobTemplate.Spec.Template.Spec, images, ref); err != nil {
				return err
			}
			out, err = x.CronJobs(ns).Update(ctx, o, metav1.UpdateOptions{})
		default:
			return fmt.Errorf("set image is not supported for %s", k.Resource())
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("setting the image of %s: %w", ref, err)
	}
	return out, nil
}
