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

package chart_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// TestInstall installs the chart into a real cluster (etcd, kube-apiserver,
// kube-controller-manager, kube-scheduler, a kwok node) and checks that the
// APIService it registers becomes Available, that an upgrade keeps the
// generated certificates, and that helm uninstall removes the APIService so
// the namespace can be deleted.
//
// Pods on kwok nodes run no containers, so the chart's Deployment cannot
// serve (as in artifacts/deploy's install test). The test plays its pod
// instead: it runs this repository's workloads-apiserver binary on loopback
// with the arguments of the installed Deployment, the serving certificate of
// the Secret the chart generated, and the token of the chart's
// ServiceAccount (so the chart's RBAC is what authorizes it). The Service
// is an ExternalName Service to localhost (service.externalName), the only
// kind kube-apiserver can reach on loopback; kube-apiserver still verifies
// the certificate for workloads-apiserver.<namespace>.svc against the
// chart's caBundle.
func TestInstall(t *testing.T) {
	framework.SkipIfNoControlPlane(t)
	h := newHelm(t)
	server := filepath.Join(repoRoot(t), "_output", "bin", "workloads-apiserver")
	if _, err := os.Stat(server); err != nil {
		t.Fatalf("%s not found: run make build", server)
	}
	c := framework.StartCluster(t, framework.Options{Nodes: 1})
	ctx := t.Context()
	h.kubeconfig = c.KubeconfigPath
	port, err := framework.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	values := []string{
		"--namespace", namespace,
		"--set", "service.externalName=localhost",
		"--set", "service.port=" + strconv.Itoa(port),
	}
	helmRun := func(args ...string) string {
		t.Helper()
		out, errOut, err := h.run(args...)
		if err != nil {
			t.Fatalf("helm %s: %v\n%s%s", strings.Join(args, " "), err, out, errOut)
		}
		return out
	}

	start := time.Now()
	helmRun(append([]string{"install", "workloads", chartDir(t), "--create-namespace"}, values...)...)
	t.Logf("helm install took %s", time.Since(start).Round(time.Millisecond))

	kube := c.KubeClient()
	secret, err := kube.CoreV1().Secrets(namespace).Get(ctx, servingSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	as, err := c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, apiServiceName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(as.Spec.CABundle, secret.Data["ca.crt"]) || len(as.Spec.CABundle) == 0 {
		t.Fatal("the installed APIService's caBundle is not the CA of the generated serving Secret")
	}
	for _, name := range []string{"workloads-apiserver", "workloads-controller-manager"} {
		if _, err := kube.AppsV1().Deployments(namespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
	}
	if _, err := kube.AppsV1().StatefulSets(namespace).Get(ctx, "workloads-etcd", metav1.GetOptions{}); err != nil {
		t.Error(err)
	}

	// Play the apiserver pod.
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	for f, data := range map[string][]byte{certFile: secret.Data["tls.crt"], keyFile: secret.Data["tls.key"]} {
		if err := os.WriteFile(f, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	kubeconfig := serviceAccountKubeconfig(t, c, dir, "workloads-apiserver")
	d, err := kube.AppsV1().Deployments(namespace).Get(ctx, "workloads-apiserver", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"--secure-port=" + strconv.Itoa(port),
		"--bind-address=127.0.0.1",
		"--tls-cert-file=" + certFile,
		"--tls-private-key-file=" + keyFile,
		"--kubeconfig=" + kubeconfig,
		"--authentication-kubeconfig=" + kubeconfig,
		"--authorization-kubeconfig=" + kubeconfig,
		// The chart's etcd runs on kwok too: the embedded etcd stands in.
		"--etcd-data-dir=" + filepath.Join(dir, "etcd"),
	}
	var kept []string
	for _, a := range d.Spec.Template.Spec.Containers[0].Args {
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		switch {
		case strings.HasPrefix(name, "etcd-"), strings.HasPrefix(name, "tls-"), name == "secure-port":
			continue
		}
		kept = append(kept, a)
	}
	if !strings.Contains(strings.Join(kept, " "), "--runtime-config=experimental/v1alpha1=true") {
		t.Fatalf("the installed Deployment does not enable the group: %v", kept)
	}
	args = append(args, kept...)
	logFile, err := os.Create(filepath.Join(c.LogDir, "workloads-apiserver-chart.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	procCtx, stop := context.WithCancel(context.Background())
	proc := exec.CommandContext(procCtx, server, args...)
	proc.Stdout, proc.Stderr = logFile, logFile
	if err := proc.Start(); err != nil {
		t.Fatal(err)
	}
	stopServer := func() {
		stop()
		_ = proc.Wait()
	}
	t.Cleanup(stopServer)

	start = time.Now()
	if err := waitAPIServiceAvailable(ctx, c, 2*time.Minute); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.Fatalf("APIService %s never became Available: %v\nworkloads-apiserver log:\n%s", apiServiceName, err, tail(log, 40))
	}
	t.Logf("APIService Available %s after the server started", time.Since(start).Round(time.Millisecond))

	// Served through kube-apiserver, authorized through the chart's RBAC.
	manifest := `apiVersion: experimental/v1alpha1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: registry.example.com/web:1
`
	if out, _, err := c.KubectlWithInput([]byte(manifest), "create", "-f", "-"); err != nil {
		t.Fatalf("creating an experimental Deployment through the aggregated API: %v\n%s", err, out)
	}
	if out, _, err := c.Kubectl("get", "deployments.v1alpha1.experimental", "web", "-n", "default", "-o", "name"); err != nil || strings.TrimSpace(out) != "deployment.experimental/web" {
		t.Fatalf("reading it back: %v %q", err, out)
	}

	// An upgrade keeps the generated serving certificate and CA.
	helmRun(append([]string{"upgrade", "workloads", chartDir(t)}, values...)...)
	after, err := kube.CoreV1().Secrets(namespace).Get(ctx, servingSecret, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Data["tls.crt"], secret.Data["tls.crt"]) || !bytes.Equal(after.Data["ca.crt"], secret.Data["ca.crt"]) {
		t.Error("helm upgrade replaced the generated serving certificate")
	}
	if as, err := c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, apiServiceName, metav1.GetOptions{}); err != nil || !bytes.Equal(as.Spec.CABundle, secret.Data["ca.crt"]) {
		t.Errorf("after helm upgrade the caBundle changed (err %v)", err)
	}
	if err := waitAPIServiceAvailable(ctx, c, time.Minute); err != nil {
		t.Errorf("after helm upgrade: %v", err)
	}

	// Uninstall: the APIService is gone when helm returns, so the group is
	// no longer advertised once the server stops, and deleting the
	// namespace completes (a registered but unavailable group would leave
	// it Terminating with NamespaceDeletionDiscoveryFailure).
	helmRun("uninstall", "workloads", "--namespace", namespace)
	if _, err := c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, apiServiceName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("APIService after helm uninstall: err=%v, want NotFound", err)
	}
	stopServer()
	if err := kube.CoreV1().Namespaces().Delete(ctx, namespace, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, 90*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := kube.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	if err != nil {
		ns, _ := kube.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
		t.Fatalf("namespace %s not deleted after helm uninstall: %v; conditions %+v", namespace, err, ns.Status.Conditions)
	}
}

func waitAPIServiceAvailable(ctx context.Context, c *framework.Cluster, timeout time.Duration) error {
	var last []apiregistrationv1.APIServiceCondition
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		as, err := c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, apiServiceName, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		last = as.Status.Conditions
		for _, cond := range as.Status.Conditions {
			if cond.Type == apiregistrationv1.Available {
				return cond.Status == apiregistrationv1.ConditionTrue, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return &conditionsError{err: err, conditions: last}
	}
	return nil
}

type conditionsError struct {
	err        error
	conditions []apiregistrationv1.APIServiceCondition
}

func (e *conditionsError) Error() string {
	var b strings.Builder
	b.WriteString(e.err.Error())
	for _, c := range e.conditions {
		b.WriteString("; " + string(c.Type) + "=" + string(c.Status) + " (" + c.Reason + ": " + c.Message + ")")
	}
	return b.String()
}

// serviceAccountKubeconfig writes a kubeconfig that authenticates as the
// ServiceAccount with a token from the TokenRequest API.
func serviceAccountKubeconfig(t *testing.T, c *framework.Cluster, dir, sa string) string {
	t.Helper()
	token, _, err := c.Kubectl("create", "token", sa, "--namespace", namespace, "--duration=1h")
	if err != nil {
		t.Fatalf("kubectl create token %s: %v", sa, err)
	}
	rc := c.RestConfig()
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["cluster"] = &clientcmdapi.Cluster{Server: rc.Host, CertificateAuthorityData: rc.CAData}
	cfg.AuthInfos[sa] = &clientcmdapi.AuthInfo{Token: strings.TrimSpace(token)}
	cfg.Contexts["sa"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: sa}
	cfg.CurrentContext = "sa"
	path := filepath.Join(dir, sa+".kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func tail(b []byte, lines int) string {
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}
