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
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/kubernetes"
	"k8s.io/kubectl/pkg/util/podutils"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// DefaultContainerAnnotation names the container kubectl logs picks when
// -c is not given.
const DefaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

// logsKinds are the kinds `logs` accepts (those with a pod selector).
var logsKinds = []Kind{KindDeployment, KindDaemonSet, KindReplicaSet, KindJob}

type logsOptions struct {
	container string
	follow    bool
	tail      int64
	printPod  bool
}

func newLogsCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	o := &logsOptions{}
	cmd := &cobra.Command{
		Use:   "logs TYPE/NAME [-c CONTAINER]",
		Short: "Print the logs of a pod of an experimental workload",
		Long: `Print the logs of a container of one pod of an experimental Deployment,
DaemonSet, ReplicaSet or Job. The pod is chosen among those matching the
object's selector the way kubectl logs does for apps/v1 kinds: running and
ready pods first.`,
		Example: `  # Logs of a pod of a Deployment
  kubectl experimental logs deployment/web

  # Follow the "app" container, starting from the last 10 lines
  kubectl experimental logs ds/agent -c app -f --tail=10

  # Only print which pod would be used
  kubectl experimental logs deployment/web --print-pod`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeTypeSlashName(clients, logsKinds...),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, name, err := ParseTypeName(args[0])
			if err != nil {
				return err
			}
			if _, err := parseKindOf(string(k), "logs", logsKinds...); err != nil {
				return err
			}
			c, err := clients.Experimental()
			if err != nil {
				return err
			}
			kc, err := clients.Kube()
			if err != nil {
				return err
			}
			ns, err := clients.Namespace()
			if err != nil {
				return err
			}
			ctx := ctxOf(cmd)
			pod, n, err := PodForObject(ctx, c, kc, ns, k, name)
			if err != nil {
				return err
			}
			if o.printPod {
				fmt.Fprintf(streams.Out, "pod/%s\n", pod.Name)
				return nil
			}
			if n > 1 {
				fmt.Fprintf(streams.ErrOut, "Found %d pods, using pod/%s\n", n, pod.Name)
			}
			return streamLogs(ctx, kc, pod, o, streams)
		},
	}
	cmd.Flags().StringVarP(&o.container, "container", "c", "", "Print the logs of this container")
	cmd.Flags().BoolVarP(&o.follow, "follow", "f", false, "Specify if the logs should be streamed.")
	cmd.Flags().Int64Var(&o.tail, "tail", -1, "Lines of recent log file to display. Defaults to -1, showing all log lines.")
	cmd.Flags().BoolVar(&o.printPod, "print-pod", false, "Print the name of the pod whose logs would be shown, and exit.")
	return cmd
}

// selectorOf returns the pod selector of an object with a pod template.
func selectorOf(ctx context.Context, c clientset.Interface, ns string, k Kind, name string) (labels.Selector, error) {
	x := c.ExperimentalV1alpha1()
	var (
		sel *metav1.LabelSelector
		err error
	)
	switch k {
	case KindDeployment:
		o, gerr := x.Deployments(ns).Get(ctx, name, metav1.GetOptions{})
		if o != nil {
			sel = o.Spec.Selector
		}
		err = gerr
	case KindDaemonSet:
		o, gerr := x.DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if o != nil {
			sel = o.Spec.Selector
		}
		err = gerr
	case KindReplicaSet:
		o, gerr := x.ReplicaSets(ns).Get(ctx, name, metav1.GetOptions{})
		if o != nil {
			sel = o.Spec.Selector
		}
		err = gerr
	case KindJob:
		o, gerr := x.Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if o != nil {
			sel = o.Spec.Selector
		}
		err = gerr
	default:
		return nil, fmt.Errorf("%s has no pod selector", k.Resource())
	}
	if err != nil {
		return nil, fmt.Errorf("getting %s: %w", k.Ref(name), err)
	}
	if sel == nil {
		return nil, fmt.Errorf("%s has no selector", k.Ref(name))
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("invalid selector of %s: %w", k.Ref(name), err)
	}
	if s.Empty() {
		return nil, fmt.Errorf("%s has an empty selector", k.Ref(name))
	}
	return s, nil
}

// PodForObject picks the pod whose logs kubectl would show for the object:
// among the pods matching its selector, the first in podutils.ByLogging
// order (assigned, running, ready, then by readiness time and restarts). It
// also returns how many pods matched.
func PodForObject(ctx context.Context, c clientset.Interface, kc kubernetes.Interface, ns string, k Kind, name string) (*corev1.Pod, int, error) {
	sel, err := selectorOf(ctx, c, ns, k, name)
	if err != nil {
		return nil, 0, err
	}
	list, err := kc.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, 0, fmt.Errorf("listing the pods of %s: %w", k.Ref(name), err)
	}
	pods := make([]*corev1.Pod, 0, len(list.Items))
	for i := range list.Items {
		if sel.Matches(labels.Set(list.Items[i].Labels)) {
			pods = append(pods, &list.Items[i])
		}
	}
	if len(pods) == 0 {
		return nil, 0, fmt.Errorf("no pods of %s found (selector %q)", k.Ref(name), sel.String())
	}
	sort.Sort(podutils.ByLogging(pods))
	return pods[0], len(pods), nil
}

// logContainer chooses the container: -c, the default-container
// annotation, or the first container.
func logContainer(pod *corev1.Pod, requested string, errOut io.Writer) (string, error) {
	var names []string
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	if requested != "" {
		for _, n := range names {
			if n == requested {
				return n, nil
			}
		}
		for _, c := range pod.Spec.InitContainers {
			if c.Name == requested {
				return c.Name, nil
			}
		}
		return "", fmt.Errorf("container %s is not valid for pod %s: its containers are %s", requested, pod.Name, strings.Join(names, ", "))
	}
	if len(names) == 0 {
		return "", fmt.Errorf("pod %s has no containers", pod.Name)
	}
	if d := pod.Annotations[DefaultContainerAnnotation]; d != "" {
		for _, n := range names {
			if n == d {
				return n, nil
			}
		}
	}
	if len(names) > 1 {
		fmt.Fprintf(errOut, "Defaulted container %q out of: %s\n", names[0], strings.Join(names, ", "))
	}
	return names[0], nil
}

func streamLogs(ctx context.Context, kc kubernetes.Interface, pod *corev1.Pod, o *logsOptions, streams genericiooptions.IOStreams) error {
	container, err := logContainer(pod, o.container, streams.ErrOut)
	if err != nil {
		return err
	}
	opts := &corev1.PodLogOptions{Container: container, Follow: o.follow}
	if o.tail >= 0 {
		opts.TailLines = &o.tail
	}
	rc, err := kc.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Stream(ctx)
	if err != nil {
		return fmt.Errorf("getting the logs of container %s of pod/%s: %w", container, pod.Name, err)
	}
	defer rc.Close()
	if _, err := io.Copy(streams.Out, rc); err != nil {
		return fmt.Errorf("reading the logs of container %s of pod/%s: %w", container, pod.Name, err)
	}
	return nil
}
