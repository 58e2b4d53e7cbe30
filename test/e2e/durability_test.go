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

package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

func testValidatingAdmissionPolicy(t *testing.T, c *framework.Cluster, client clientset.Interface) {
	ctx := context.Background()
	createNamespace(t, c, "guarded", map[string]string{"replica-limit": "enforced"})
	createNamespace(t, c, "unguarded", nil)
	const message = "experimental workloads may run at most 5 replicas"
	admission := c.KubeClient().AdmissionregistrationV1()
	_, err := admission.ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "experimental-replica-limit"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			FailurePolicy: ptr.To(admissionregistrationv1.Fail),
			MatchConstraints: &admissionregistrationv1.MatchResources{
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
						Rule: admissionregistrationv1.Rule{
							APIGroups:   []string{framework.WorkloadsGroup},
							APIVersions: []string{"*"},
							Resources:   []string{"deployments", "replicasets"},
						},
					},
				}},
			},
			Validations: []admissionregistrationv1.Validation{{
				Expression: "!has(object.spec.replicas) || object.spec.replicas <= 5",
				Message:    message,
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = admission.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "experimental-replica-limit"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName:        "experimental-replica-limit",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny},
			MatchResources: &admissionregistrationv1.MatchResources{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"replica-limit": "enforced"}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	big := func(name string, replicas int32) *v1alpha1.Deployment {
		d := newDeployment(name)
		d.Spec.Replicas = ptr.To(replicas)
		return d
	}
	deployments := client.ExperimentalV1alpha1().Deployments("guarded")
	poll(t, "the policy to deny a 10-replica deployment", func(ctx context.Context) (bool, error) {
		_, err := deployments.Create(ctx, big("too-big", 10), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil {
			return false, nil
		}
		if !strings.Contains(err.Error(), message) {
			return false, fmt.Errorf("unexpected error: %w", err)
		}
		return true, nil
	})
	if _, err := deployments.Create(ctx, big("small", 5), metav1.CreateOptions{}); err != nil {
		t.Errorf("a deployment within the limit: %v", err)
	}
	_, err = deployments.Patch(ctx, "small", types.MergePatchType, []byte(`{"spec":{"replicas":9}}`), metav1.PatchOptions{})
	if err == nil || !strings.Contains(err.Error(), message) || !strings.Contains(err.Error(), "experimental-replica-limit") {
		t.Errorf("update above the limit: %v", err)
	}
	if _, err := client.ExperimentalV1alpha1().Deployments("unguarded").Create(ctx, big("big", 10), metav1.CreateOptions{}); err != nil {
		t.Errorf("the binding's namespace selector excludes this namespace: %v", err)
	}
	// The policy names our group only: apps/v1 is untouched.
	apps := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "apps"}}
	apps.Spec.Replicas = ptr.To[int32](10)
	apps.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "apps"}}
	apps.Spec.Template = newDeployment("apps").Spec.Template
	if _, err := c.KubeClient().AppsV1().Deployments("guarded").Create(ctx, apps, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Errorf("apps/v1 deployment: %v", err)
	}
}

// readyz asks workloads-apiserver itself whether it is ready.
func readyz(ctx context.Context, c *framework.Cluster) (int, string, error) {
	cfg, err := c.ComponentConfig(framework.ComponentWorkloadsAPIServer)
	if err != nil {
		return 0, "", err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.WorkloadsAPIServerURL+"/readyz?verbose", nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func testDurability(t *testing.T, c *framework.Cluster, client clientset.Interface) {
	ctx := context.Background()
	const ns = "durable"
	createNamespace(t, c, ns, nil)
	for i := range 25 {
		if _, err := client.ExperimentalV1alpha1().Deployments(ns).Create(ctx, newDeployment(fmt.Sprintf("d%02d", i)), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	kubectl(t, c, "apply", "-n", ns, "-f", filepath.Join(c.RepoRoot, "artifacts", "examples"))

	// snapshot maps resource/name to UID@resourceVersion for every object in ns.
	meta, err := metadata.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	snapshot := func(t *testing.T) map[string]string {
		t.Helper()
		out := map[string]string{}
		for _, r := range servedResources {
			gvr := schema.GroupVersionResource{Group: framework.WorkloadsGroup, Version: framework.WorkloadsVersion, Resource: r.resource}
			list, err := meta.Resource(gvr).Namespace(ns).List(ctx, metav1.ListOptions{})
			if err != nil {
				t.Fatalf("list %s: %v", r.resource, err)
			}
			for _, m := range list.Items {
				out[r.resource+"/"+m.Name] = string(m.UID) + "@" + m.ResourceVersion
			}
		}
		return out
	}
	// One object per example manifest.
	examples, err := filepath.Glob(filepath.Join(c.RepoRoot, "artifacts", "examples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	before := snapshot(t)
	if want := 25 + len(examples); len(before) != want {
		t.Fatalf("%d objects before the restarts, want %d: %v", len(before), want, keys(before))
	}
	same := func(t *testing.T, when string) {
		t.Helper()
		after := snapshot(t)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("%s: %s is %q, was %q", when, k, after[k], v)
			}
		}
		if len(after) != len(before) {
			t.Errorf("%s: %d objects, want %d: %v", when, len(after), len(before), keys(after))
		}
	}

	t.Run("etcd down and back", func(t *testing.T) {
		if err := c.StopWorkloadsEtcd(); err != nil {
			t.Fatal(err)
		}
		poll(t, "/readyz to fail while etcd is down", func(ctx context.Context) (bool, error) {
			code, body, err := readyz(ctx, c)
			if err != nil {
				return false, err
			}
			return code != http.StatusOK && strings.Contains(body, "[-]etcd"), nil
		})
		outage, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := client.ExperimentalV1alpha1().Deployments(ns).Create(outage, newDeployment("during-outage"), metav1.CreateOptions{})
		cancel()
		if err == nil {
			t.Error("a create succeeded while etcd was down")
		}
		if err := c.StartWorkloadsEtcd(); err != nil {
			t.Fatal(err)
		}
		poll(t, "/readyz to pass again", func(ctx context.Context) (bool, error) {
			code, _, err := readyz(ctx, c)
			return code == http.StatusOK, err
		})
		if !c.Running(framework.ComponentWorkloadsAPIServer) || len(c.UnexpectedExits()) != 0 {
			t.Fatalf("workloads-apiserver did not ride out the etcd outage: running %v, exits %v", c.Running(framework.ComponentWorkloadsAPIServer), c.UnexpectedExits())
		}
		same(t, "after the etcd outage")
	})

	t.Run("server restart", func(t *testing.T) {
		if err := c.RestartWorkloadsAPIServer(); err != nil {
			t.Fatal(err)
		}
		same(t, "after restarting workloads-apiserver")
		if _, err := client.ExperimentalV1alpha1().Deployments(ns).Create(ctx, newDeployment("after-restart"), metav1.CreateOptions{}); err != nil {
			t.Errorf("create after restart: %v", err)
		}
	})
}
