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

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// Kind is one of the experimental workload kinds.
type Kind string

// The experimental kinds the plugin knows.
const (
	KindDeployment Kind = "Deployment"
	KindDaemonSet  Kind = "DaemonSet"
	KindReplicaSet Kind = "ReplicaSet"
	KindJob        Kind = "Job"
	KindCronJob    Kind = "CronJob"
	KindHPA        Kind = "HorizontalPodAutoscaler"
)

// kindAliases maps every accepted resource type spelling to its kind.
var kindAliases = map[string]Kind{
	"deployment": KindDeployment, "deployments": KindDeployment, "deploy": KindDeployment, "xdeploy": KindDeployment,
	"daemonset": KindDaemonSet, "daemonsets": KindDaemonSet, "ds": KindDaemonSet, "xds": KindDaemonSet,
	"replicaset": KindReplicaSet, "replicasets": KindReplicaSet, "rs": KindReplicaSet, "xrs": KindReplicaSet,
	"job": KindJob, "jobs": KindJob, "xjob": KindJob,
	"cronjob": KindCronJob, "cronjobs": KindCronJob, "cj": KindCronJob, "xcj": KindCronJob,
	"horizontalpodautoscaler": KindHPA, "horizontalpodautoscalers": KindHPA, "hpa": KindHPA, "xhpa": KindHPA,
}

// allKinds in the order help and completion list them.
var allKinds = []Kind{KindDeployment, KindDaemonSet, KindReplicaSet, KindJob, KindCronJob, KindHPA}

// Resource is the lower-case singular resource name ("deployment").
func (k Kind) Resource() string { return strings.ToLower(string(k)) }

// Qualified is the kubectl-style "<resource>.experimental" name.
func (k Kind) Qualified() string { return k.Resource() + ".experimental" }

// Ref formats "<resource>.experimental/<name>", as kubectl names objects.
func (k Kind) Ref(name string) string { return k.Qualified() + "/" + name }

// ParseKind resolves a resource type: a name or alias, optionally qualified
// with ".experimental" or ".v1alpha1.experimental".
func ParseKind(s string) (Kind, error) {
	t := strings.ToLower(s)
	t = strings.TrimSuffix(t, ".v1alpha1.experimental")
	t = strings.TrimSuffix(t, ".experimental")
	if k, ok := kindAliases[t]; ok {
		return k, nil
	}
	return "", fmt.Errorf("unknown resource type %q: expected one of deployment, daemonset, replicaset, job, cronjob, horizontalpodautoscaler (or their short names)", s)
}

// parseKindOf is ParseKind restricted to the kinds a verb supports.
func parseKindOf(s, verb string, allowed ...Kind) (Kind, error) {
	k, err := ParseKind(s)
	if err != nil {
		return "", err
	}
	for _, a := range allowed {
		if a == k {
			return k, nil
		}
	}
	names := make([]string, 0, len(allowed))
	for _, a := range allowed {
		names = append(names, a.Resource())
	}
	return "", fmt.Errorf("%s is not supported for %s: supported types are %s", verb, k.Resource(), strings.Join(names, ", "))
}

// ParseTypeName splits "TYPE/NAME".
func ParseTypeName(s string) (Kind, string, error) {
	t, name, ok := strings.Cut(s, "/")
	if !ok || t == "" || name == "" {
		return "", "", fmt.Errorf("expected TYPE/NAME, got %q", s)
	}
	k, err := ParseKind(t)
	if err != nil {
		return "", "", err
	}
	return k, name, nil
}

// resourceArgs reads "TYPE NAME" or "TYPE/NAME" from the start of args and
// returns the kind, the name and how many arguments it used.
func resourceArgs(args []string) (Kind, string, int, error) {
	if len(args) == 0 {
		return "", "", 0, fmt.Errorf("a resource is required: TYPE NAME or TYPE/NAME")
	}
	if strings.Contains(args[0], "/") {
		k, name, err := ParseTypeName(args[0])
		return k, name, 1, err
	}
	k, err := ParseKind(args[0])
	if err != nil {
		return "", "", 0, err
	}
	if len(args) < 2 {
		return "", "", 0, fmt.Errorf("a name is required: %s NAME", args[0])
	}
	return k, args[1], 2, nil
}

// listNames lists the names of the objects of a kind in a namespace.
func listNames(ctx context.Context, c clientset.Interface, ns string, k Kind) ([]string, error) {
	x := c.ExperimentalV1alpha1()
	var names []string
	opts := metav1.ListOptions{}
	switch k {
	case KindDeployment:
		l, err := x.Deployments(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case KindDaemonSet:
		l, err := x.DaemonSets(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case KindReplicaSet:
		l, err := x.ReplicaSets(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case KindJob:
		l, err := x.Jobs(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case KindCronJob:
		l, err := x.CronJobs(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	case KindHPA:
		l, err := x.HorizontalPodAutoscalers(ns).List(ctx, opts)
		if err != nil {
			return nil, err
		}
		for i := range l.Items {
			names = append(names, l.Items[i].Name)
		}
	default:
		return nil, fmt.Errorf("unknown kind %q", k)
	}
	sort.Strings(names)
	return names, nil
}
