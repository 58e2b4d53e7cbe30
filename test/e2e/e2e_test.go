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

// Package e2e drives workloads-apiserver through a real kube-apiserver, as
// a user would: kubectl and the generated clientset against the local
// cluster of test/framework.
package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// startCluster starts the local cluster with workloads-apiserver registered.
// embeddedEtcd runs the server without --etcd-servers, on the etcd it
// embeds, instead of a separate etcd process.
// kube-controller-manager also runs clusterrole-aggregation, so the
// aggregate-to-view/edit/admin ClusterRoles of artifacts/deploy take effect.
func startCluster(t *testing.T, embeddedEtcd bool) (*framework.Cluster, clientset.Interface) {
	t.Helper()
	c := framework.StartCluster(t, framework.Options{
		Nodes:                  2,
		WorkloadsAPIServer:     true,
		WorkloadsEmbeddedEtcd:  embeddedEtcd,
		WorkloadsAPIServerArgs: []string{"--runtime-config=experimental/v1alpha1=true"},
		Controllers:            append(slices.Clone(framework.DefaultControllers), "clusterrole-aggregation"),
	})
	client, err := clientset.NewForConfig(c.RestConfig())
	if err != nil {
		t.Fatal(err)
	}
	return c, client
}

func kubectl(t *testing.T, c *framework.Cluster, args ...string) string {
	t.Helper()
	out, errOut, err := c.Kubectl(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func poll(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 250*time.Millisecond, 2*time.Minute, true, cond)
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// TestAggregatedAPI runs, on one cluster, what a user does through
// kube-apiserver. Durability restarts components, so it runs last.
func TestAggregatedAPI(t *testing.T) {
	c, client := startCluster(t, false)
	t.Run("kubectl", func(t *testing.T) { testKubectl(t, c) })
	t.Run("discovery", func(t *testing.T) { testDiscovery(t, c) })
	t.Run("kubectl verbs on every kind", func(t *testing.T) { testKubectlVerbs(t, c) })
	t.Run("server-side apply conflict", func(t *testing.T) { testServerSideApplyConflict(t, c) })
	t.Run("security", func(t *testing.T) { testSecurity(t, c) })
	t.Run("authorization matrix", func(t *testing.T) { testAuthorizationMatrix(t, c) })
	t.Run("validating admission policy", func(t *testing.T) { testValidatingAdmissionPolicy(t, c, client) })
	t.Run("protobuf", func(t *testing.T) { testProtobuf(t, c) })
	t.Run("durability", func(t *testing.T) { testDurability(t, c, client) })
}

func testKubectl(t *testing.T, c *framework.Cluster) {
	resources := kubectl(t, c, "api-resources", "--api-group=experimental", "--no-headers")
	for _, want := range []string{"cronjobs xcj", "daemonsets xds", "deployments xdeploy", "horizontalpodautoscalers xhpa", "jobs xjob", "replicasets xrs"} {
		fields := strings.Fields(want)
		found := false
		for _, line := range strings.Split(resources, "\n") {
			f := strings.Fields(line)
			if len(f) >= 2 && f[0] == fields[0] && f[1] == fields[1] {
				found = true
			}
		}
		if !found {
			t.Errorf("kubectl api-resources lacks %q:\n%s", want, resources)
		}
	}

	examples, err := filepath.Glob(filepath.Join(c.RepoRoot, "artifacts", "examples", "*.yaml"))
	if err != nil || len(examples) < 6 {
		t.Fatalf("examples: %v %v", examples, err)
	}
	demos, err := filepath.Glob(filepath.Join(c.RepoRoot, "artifacts", "local-demo", "*.yaml"))
	if err != nil || len(demos) < 3 {
		t.Fatalf("local demos: %v %v", demos, err)
	}
	for _, f := range append(examples, demos...) {
		out := kubectl(t, c, "apply", "--dry-run=server", "-f", f)
		if !strings.Contains(out, "(server dry run)") {
			t.Errorf("dry-run apply of %s: %s", f, out)
		}
	}
	kubectl(t, c, "apply", "-f", filepath.Join(c.RepoRoot, "artifacts", "examples"))

	header := strings.Fields(strings.SplitN(kubectl(t, c, "get", "xdeploy", "-o", "wide"), "\n", 2)[0])
	if got, want := strings.Join(header, " "), "NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR STEP ROLLOUT"; got != want {
		t.Errorf("kubectl get xdeploy -o wide header = %q, want %q", got, want)
	}
	all := kubectl(t, c, "get", "experimental", "-o", "name")
	for _, want := range []string{"deployment.experimental/web", "job.experimental/render", "cronjob.experimental/nightly-report", "horizontalpodautoscaler.experimental/web"} {
		if !strings.Contains(all, want) {
			t.Errorf("kubectl get experimental lacks %s:\n%s", want, all)
		}
	}
	// Bare names still mean the built-in kinds.
	if out := kubectl(t, c, "get", "deployments", "-o", "name"); strings.TrimSpace(out) != "" {
		t.Errorf("kubectl get deployments (apps/v1) listed %q", out)
	}

	kubectl(t, c, "apply", "--server-side", "--field-manager=e2e", "-f", filepath.Join(c.RepoRoot, "artifacts", "examples", "deployment.yaml"))
	kubectl(t, c, "scale", "xdeploy/web", "--replicas=4")
	if got := kubectl(t, c, "get", "xdeploy", "web", "-o", "jsonpath={.spec.replicas}"); got != "4" {
		t.Errorf("replicas after kubectl scale = %q, want 4", got)
	}
	if out := kubectl(t, c, "explain", "xdeploy.spec.strategy.rollingUpdate"); !strings.Contains(out, "maxSurge") {
		t.Errorf("kubectl explain lacks maxSurge:\n%s", out)
	}
	_, errOut, err := c.Kubectl("patch", "xdeploy", "web", "--type=merge", "-p", `{"spec":{"template":{"spec":{"restartPolicy":"Never"}}}}`)
	if err == nil || !strings.Contains(errOut, "spec.template.spec.restartPolicy: Unsupported value: \"Never\"") {
		t.Errorf("invalid patch: err %v, stderr %s", err, errOut)
	}
}

// ownedPod returns a pod controlled by owner, as the controllers create them.
func ownedPod(name string, owner metav1.Object, kind string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name,
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion:         v1alpha1.SchemeGroupVersion.String(),
				Kind:               kind,
				Name:               owner.GetName(),
				UID:                owner.GetUID(),
				Controller:         ptr.To(true),
				BlockOwnerDeletion: ptr.To(true),
			}},
		},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1.0"}}},
	}
}

func newDeployment(name string) *v1alpha1.Deployment {
	return &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": name}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.example/app:1.0"}}},
			},
		},
	}
}

func TestGarbageCollectionAndNamespaceDeletion(t *testing.T) {
	c, client := startCluster(t, true)
	if c.WorkloadsEtcdURL != "" {
		t.Fatalf("workloads-apiserver was given a separate etcd (%s), want its embedded one", c.WorkloadsEtcdURL)
	}
	ctx := context.Background()
	kube := c.KubeClient()
	ns := "gc"
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	deployments := client.ExperimentalV1alpha1().Deployments(ns)

	create := func(name string) *corev1.Pod {
		d, err := deployments.Create(ctx, newDeployment(name), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pod, err := kube.CoreV1().Pods(ns).Create(ctx, ownedPod(name+"-pod", d, "Deployment"), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return pod
	}

	t.Run("background", func(t *testing.T) {
		create("background")
		if err := deployments.Delete(ctx, "background", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		poll(t, "the owned pod to be collected", func(ctx context.Context) (bool, error) {
			_, err := kube.CoreV1().Pods(ns).Get(ctx, "background-pod", metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
	})
	t.Run("foreground", func(t *testing.T) {
		create("foreground")
		if err := deployments.Delete(ctx, "foreground", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationForeground)}); err != nil {
			t.Fatal(err)
		}
		poll(t, "the owner and its pod to be gone", func(ctx context.Context) (bool, error) {
			_, podErr := kube.CoreV1().Pods(ns).Get(ctx, "foreground-pod", metav1.GetOptions{})
			_, ownerErr := deployments.Get(ctx, "foreground", metav1.GetOptions{})
			return apierrors.IsNotFound(podErr) && apierrors.IsNotFound(ownerErr), nil
		})
	})
	t.Run("orphan", func(t *testing.T) {
		create("orphan")
		kubectl(t, c, "delete", "xdeploy", "orphan", "-n", ns, "--cascade=orphan", "--wait=true")
		poll(t, "the pod to be orphaned", func(ctx context.Context) (bool, error) {
			pod, err := kube.CoreV1().Pods(ns).Get(ctx, "orphan-pod", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return len(pod.OwnerReferences) == 0, nil
		})
	})
	t.Run("namespace deletion", func(t *testing.T) {
		for _, f := range []string{"deployment.yaml", "job.yaml", "cronjob.yaml"} {
			kubectl(t, c, "apply", "-n", ns, "-f", filepath.Join(c.RepoRoot, "artifacts", "examples", f))
		}
		if err := kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// workloads-apiserver's NamespaceLifecycle admission sees the
		// namespace through an informer, as kube-apiserver's does: a create
		// racing the deletion may still be admitted, but once the informer has
		// the Terminating namespace every create is Forbidden (or NotFound
		// once it is gone).
		attempt := 0
		poll(t, "creates in the terminating namespace to be rejected", func(ctx context.Context) (bool, error) {
			attempt++
			_, err := deployments.Create(ctx, newDeployment(fmt.Sprintf("late-%d", attempt)), metav1.CreateOptions{})
			switch {
			case apierrors.IsForbidden(err) || apierrors.IsNotFound(err):
				return true, nil
			case err != nil:
				return false, fmt.Errorf("create in a terminating namespace: expected Forbidden, got %w", err)
			}
			t.Logf("create %d in the terminating namespace admitted before the namespace informer saw the deletion", attempt)
			return false, nil
		})
		poll(t, "the namespace to be deleted", func(ctx context.Context) (bool, error) {
			_, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
			return apierrors.IsNotFound(err), nil
		})
		list, err := deployments.List(ctx, metav1.ListOptions{})
		if err != nil || len(list.Items) != 0 {
			t.Errorf("deployments left after namespace deletion: %v %v", err, list)
		}
	})
}
