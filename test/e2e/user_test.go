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
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// servedResource is what discovery must say about one of our resources.
type servedResource struct {
	resource, kind, short string
	categories            []string
	subresources          map[string][]string // name -> verbs
	example, exampleName  string              // artifacts/examples/<example>, metadata.name
}

var (
	objectVerbs    = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
	statusVerbs    = []string{"get", "patch", "update"}
	allExperiments = []string{"all", "experimental"}
)

var servedResources = []servedResource{
	{"daemonsets", "DaemonSet", "xds", allExperiments, map[string][]string{"status": statusVerbs}, "daemonset.yaml", "node-agent"},
	{"deployments", "Deployment", "xdeploy", allExperiments, map[string][]string{"status": statusVerbs, "scale": statusVerbs, "rollback": {"create"}, "promote": {"create"}}, "deployment.yaml", "web"},
	{"replicasets", "ReplicaSet", "xrs", allExperiments, map[string][]string{"status": statusVerbs, "scale": statusVerbs}, "replicaset.yaml", "cache"},
	{"jobs", "Job", "xjob", allExperiments, map[string][]string{"status": statusVerbs, "scale": statusVerbs}, "job.yaml", "render"},
	{"cronjobs", "CronJob", "xcj", allExperiments, map[string][]string{"status": statusVerbs, "trigger": {"create"}}, "cronjob.yaml", "nightly-report"},
	{"horizontalpodautoscalers", "HorizontalPodAutoscaler", "xhpa", []string{"experimental"}, map[string][]string{"status": statusVerbs}, "horizontalpodautoscaler.yaml", "web"},
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func createNamespace(t *testing.T, c *framework.Cluster, name string, labels map[string]string) {
	t.Helper()
	_, err := c.KubeClient().CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func testDiscovery(t *testing.T, c *framework.Cluster) {
	ctx := context.Background()
	rc := c.KubeClient().Discovery().RESTClient()

	t.Run("aggregated v2", func(t *testing.T) {
		raw, err := rc.Get().AbsPath("/apis").
			SetHeader("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var list apidiscoveryv2.APIGroupDiscoveryList
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatal(err)
		}
		if list.Kind != "APIGroupDiscoveryList" {
			t.Fatalf("kube-apiserver answered %q, not aggregated discovery", list.Kind)
		}
		var version *apidiscoveryv2.APIVersionDiscovery
		for i := range list.Items {
			if list.Items[i].Name == framework.WorkloadsGroup {
				for j := range list.Items[i].Versions {
					if list.Items[i].Versions[j].Version == framework.WorkloadsVersion {
						version = &list.Items[i].Versions[j]
					}
				}
			}
		}
		if version == nil {
			t.Fatalf("aggregated discovery lacks %s/%s", framework.WorkloadsGroup, framework.WorkloadsVersion)
		}
		if version.Freshness != apidiscoveryv2.DiscoveryFreshnessCurrent {
			t.Errorf("freshness = %q, want Current", version.Freshness)
		}
		for _, want := range servedResources {
			i := slices.IndexFunc(version.Resources, func(r apidiscoveryv2.APIResourceDiscovery) bool { return r.Resource == want.resource })
			if i < 0 {
				t.Errorf("aggregated discovery lacks %s", want.resource)
				continue
			}
			got := version.Resources[i]
			if got.ResponseKind == nil || got.ResponseKind.Kind != want.kind {
				t.Errorf("%s: kind %v, want %s", want.resource, got.ResponseKind, want.kind)
			}
			if got.Scope != apidiscoveryv2.ScopeNamespace {
				t.Errorf("%s: scope %q", want.resource, got.Scope)
			}
			if !slices.Equal(got.ShortNames, []string{want.short}) {
				t.Errorf("%s: short names %v, want [%s]", want.resource, got.ShortNames, want.short)
			}
			if !slices.Equal(sorted(got.Categories), want.categories) {
				t.Errorf("%s: categories %v, want %v", want.resource, got.Categories, want.categories)
			}
			if !slices.Equal(sorted(got.Verbs), objectVerbs) {
				t.Errorf("%s: verbs %v, want %v", want.resource, got.Verbs, objectVerbs)
			}
			subs := map[string][]string{}
			for _, s := range got.Subresources {
				subs[s.Subresource] = sorted(s.Verbs)
			}
			if len(subs) != len(want.subresources) {
				t.Errorf("%s: subresources %v, want %v", want.resource, subs, want.subresources)
			}
			for name, verbs := range want.subresources {
				if !slices.Equal(subs[name], verbs) {
					t.Errorf("%s/%s: verbs %v, want %v", want.resource, name, subs[name], verbs)
				}
			}
		}
	})

	t.Run("legacy", func(t *testing.T) {
		raw, err := rc.Get().AbsPath("/apis", framework.WorkloadsGroup, framework.WorkloadsVersion).
			SetHeader("Accept", "application/json").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var list metav1.APIResourceList
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatal(err)
		}
		got := map[string]metav1.APIResource{}
		for _, r := range list.APIResources {
			got[r.Name] = r
		}
		for _, want := range servedResources {
			r, ok := got[want.resource]
			if !ok || !r.Namespaced || r.Kind != want.kind || !slices.Equal(r.ShortNames, []string{want.short}) {
				t.Errorf("legacy discovery of %s: %+v", want.resource, r)
			}
			for sub, verbs := range want.subresources {
				if s, ok := got[want.resource+"/"+sub]; !ok || !slices.Equal(sorted(s.Verbs), verbs) {
					t.Errorf("legacy discovery of %s/%s: %+v, want verbs %v", want.resource, sub, s, verbs)
				}
			}
		}
		if len(got) != len(servedResources)+countSubresources() {
			t.Errorf("legacy discovery lists %d resources, want %d: %v", len(got), len(servedResources)+countSubresources(), keys(got))
		}
	})
}

func countSubresources() int {
	n := 0
	for _, r := range servedResources {
		n += len(r.subresources)
	}
	return n
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// withLabel returns the manifest in file with one more metadata label.
func withLabel(t *testing.T, file, key, value string) []byte {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]any
	if err := yaml.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	meta := obj["metadata"].(map[string]any)
	labels, _ := meta["labels"].(map[string]any)
	if labels == nil {
		labels = map[string]any{}
	}
	labels[key] = value
	meta["labels"] = labels
	out, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func testKubectlVerbs(t *testing.T, c *framework.Cluster) {
	const ns = "verbs"
	createNamespace(t, c, ns, nil)
	for _, r := range servedResources {
		file := filepath.Join(c.RepoRoot, "artifacts", "examples", r.example)
		if out := kubectl(t, c, "apply", "-n", ns, "-f", file); !strings.Contains(out, "created") {
			t.Errorf("apply %s: %s", r.example, out)
		}
	}
	all := kubectl(t, c, "get", "all", "-n", ns, "-o", "name")
	for _, r := range servedResources {
		want := strings.ToLower(r.kind) + ".experimental/" + r.exampleName
		if slices.Contains(r.categories, "all") != strings.Contains(all, want) {
			t.Errorf("kubectl get all: %s listed = %v, want %v:\n%s", want, strings.Contains(all, want), slices.Contains(r.categories, "all"), all)
		}
	}

	for _, r := range servedResources {
		t.Run(r.resource, func(t *testing.T) {
			file := filepath.Join(c.RepoRoot, "artifacts", "examples", r.example)
			lines := strings.Split(strings.TrimSpace(kubectl(t, c, "get", r.short, r.exampleName, "-n", ns)), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasPrefix(lines[1], r.exampleName+" ") || len(strings.Fields(lines[0])) < 3 {
				t.Errorf("kubectl get %s:\n%s", r.short, strings.Join(lines, "\n"))
			}
			wide := strings.Split(kubectl(t, c, "get", r.short, "-n", ns, "-o", "wide"), "\n")[0]
			if r.resource != "horizontalpodautoscalers" && !strings.Contains(wide, "IMAGES") {
				t.Errorf("kubectl get %s -o wide header lacks IMAGES: %s", r.short, wide)
			}

			desc := kubectl(t, c, "describe", r.short, r.exampleName, "-n", ns)
			for _, want := range []string{"Name:", r.exampleName, "Namespace:", ns, "Kind:", r.kind, "API Version:", "experimental/v1alpha1", "Spec:"} {
				if !strings.Contains(desc, want) {
					t.Errorf("kubectl describe %s lacks %q:\n%s", r.short, want, desc)
				}
			}

			// The applied manifest diffs clean: defaulting is stable.
			if out, errOut, err := c.Kubectl("diff", "-n", ns, "-f", file); err != nil || out != "" {
				t.Errorf("kubectl diff of the applied manifest: %v\n%s%s", err, out, errOut)
			}
			out, _, err := c.KubectlWithInput(withLabel(t, file, "tier", "changed"), "diff", "-n", ns, "-f", "-")
			if err == nil || !strings.Contains(out, "+    tier: changed") {
				t.Errorf("kubectl diff of a changed manifest: err %v (want exit 1), output:\n%s", err, out)
			}

			kubectl(t, c, "patch", r.short, r.exampleName, "-n", ns, "--type=merge", "-p", `{"metadata":{"labels":{"patched":"yes"}}}`)
			kubectl(t, c, "wait", "-n", ns, r.short+"/"+r.exampleName, "--for=jsonpath={.metadata.labels.patched}=yes", "--timeout=60s")

			if _, ok := r.subresources["scale"]; ok {
				kubectl(t, c, "scale", "-n", ns, r.short+"/"+r.exampleName, "--replicas=7")
				replicas := "{.spec.replicas}"
				if r.resource == "jobs" {
					replicas = "{.spec.parallelism}" // jobs/scale maps replicas to parallelism
				}
				if got := kubectl(t, c, "get", r.short, r.exampleName, "-n", ns, "-o", "jsonpath="+replicas); got != "7" {
					t.Errorf("replicas after kubectl scale = %q, want 7", got)
				}
				_, errOut, err := c.Kubectl("scale", "-n", ns, r.short+"/"+r.exampleName, "--replicas=2", "--current-replicas=3")
				if err == nil || !strings.Contains(errOut, "Expected replicas to be 3, was 7") {
					t.Errorf("kubectl scale with a wrong --current-replicas: err %v, %s", err, errOut)
				}
			}

			kubectl(t, c, "delete", r.short, r.exampleName, "-n", ns, "--wait=false")
			kubectl(t, c, "wait", "-n", ns, r.short+"/"+r.exampleName, "--for=delete", "--timeout=60s")
			if out := kubectl(t, c, "get", r.short, "-n", ns, "-o", "name"); strings.TrimSpace(out) != "" {
				t.Errorf("after delete, kubectl get %s lists %q", r.short, out)
			}
		})
	}
}

func testServerSideApplyConflict(t *testing.T, c *framework.Cluster) {
	const ns = "ssa"
	createNamespace(t, c, ns, nil)
	file := filepath.Join(c.RepoRoot, "artifacts", "examples", "deployment.yaml")
	kubectl(t, c, "apply", "-n", ns, "--server-side", "--field-manager=alice", "-f", file)

	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	changed := []byte(strings.Replace(string(raw), "registry.k8s.io/nginx-slim:0.27", "registry.k8s.io/nginx-slim:0.28", 1))
	if string(changed) == string(raw) {
		t.Fatal("the example's image changed; update this test")
	}
	_, errOut, err := c.KubectlWithInput(changed, "apply", "-n", ns, "--server-side", "--field-manager=bob", "-f", "-")
	if err == nil || !strings.Contains(errOut, "conflict") || !strings.Contains(errOut, `"alice"`) || !strings.Contains(errOut, ".spec.template.spec.containers[name=\"web\"].image") {
		t.Fatalf("conflicting apply: err %v, stderr:\n%s", err, errOut)
	}
	if got := kubectl(t, c, "get", "xdeploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.k8s.io/nginx-slim:0.27" {
		t.Errorf("a rejected apply changed the image to %q", got)
	}
	if _, errOut, err := c.KubectlWithInput(changed, "apply", "-n", ns, "--server-side", "--field-manager=bob", "--force-conflicts", "-f", "-"); err != nil {
		t.Fatalf("forced apply: %v\n%s", err, errOut)
	}
	if got := kubectl(t, c, "get", "xdeploy", "web", "-n", ns, "-o", "jsonpath={.spec.template.spec.containers[0].image}"); got != "registry.k8s.io/nginx-slim:0.28" {
		t.Errorf("image after forced apply = %q", got)
	}
	managers := strings.Fields(kubectl(t, c, "get", "xdeploy", "web", "-n", ns, "-o", "jsonpath={.metadata.managedFields[*].manager}"))
	if !slices.Contains(managers, "alice") || !slices.Contains(managers, "bob") {
		t.Errorf("managers = %v, want alice (the rest) and bob (the image)", managers)
	}
}
