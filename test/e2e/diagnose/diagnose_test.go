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

// Package diagnose runs `kubectl experimental diagnose` against a real local
// cluster (kube-apiserver, kube-controller-manager, workloads-apiserver and
// two leader-elected workloads-controller-managers), healthy and then broken
// one link at a time.
//
// The framework runs workloads-apiserver outside the cluster with the admin
// kubeconfig, not as a ServiceAccount. The test applies the ServiceAccount
// and RBAC of artifacts/deploy, so the authentication checks look at the
// identity the install manifests give the server (the diagnose defaults);
// breaking them does not break the framework's server, only the diagnosis
// of that identity, which is what a real install would run as.
package diagnose

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	diag "github.com/kube-experimental/workloads-apiserver/pkg/diagnose"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	pollInterval = 500 * time.Millisecond
	pollTimeout  = 90 * time.Second
	// leaseDuration is the controller managers' --leader-elect-lease-duration,
	// short so that a dead leader's Lease goes stale quickly.
	leaseDuration = 4 * time.Second
)

var cluster = framework.NewShared(framework.Options{
	DisableKwok:      true,
	DisableScheduler: true,
	// The clusterrole-aggregation controller merges rbac-aggregate.yaml
	// into view, edit and admin.
	Controllers:                 append(slices.Clone(framework.DefaultControllers), "clusterrole-aggregation"),
	WorkloadsAPIServer:          true,
	WorkloadsAPIServerArgs:      []string{"--runtime-config=experimental/v1alpha1=true"},
	WorkloadsControllerManagers: 2,
	WorkloadsControllerManagerArgs: []string{
		"--leader-elect-lease-duration=" + leaseDuration.String(),
		"--leader-elect-renew-deadline=3s",
		"--leader-elect-retry-period=1s",
	},
})

func TestMain(m *testing.M) { os.Exit(cluster.Main(m)) }

type env struct {
	c      *framework.Cluster
	plugin string
	root   string
}

func setup(t *testing.T) *env {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	plugin := filepath.Join(root, "_output", "bin", "kubectl-experimental")
	if _, err := os.Stat(plugin); err != nil {
		t.Fatalf("%s not found: run `make build` first (%v)", plugin, err)
	}
	e := &env{c: cluster.Get(t), plugin: plugin, root: root}
	e.applyRBAC(t)
	return e
}

// applyRBAC applies the ServiceAccounts and RBAC of artifacts/deploy.
func (e *env) applyRBAC(t *testing.T) {
	t.Helper()
	for _, f := range []string{"serviceaccounts.yaml", "rbac-apiserver.yaml", "rbac-aggregate.yaml"} {
		if _, _, err := e.c.Kubectl("apply", "-f", filepath.Join(e.root, "artifacts", "deploy", f)); err != nil {
			t.Fatal(err)
		}
	}
}

// diagnose runs the plugin and returns its stdout and exit code.
func (e *env) diagnose(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.CommandContext(e.c.Context(), e.plugin, append([]string{"diagnose", "--kubeconfig=" + e.c.KubeconfigPath}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return out.String(), exit.ExitCode()
	case err != nil:
		t.Fatalf("running %s: %v: %s", e.plugin, err, errb.String())
	}
	return out.String(), 0
}

func (e *env) report(t *testing.T) (*diag.Report, int) {
	t.Helper()
	out, code := e.diagnose(t, "-o", "json")
	var r diag.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("diagnose -o json: %v\n%s", err, out)
	}
	return &r, code
}

// until polls diagnose until cond holds for its report, then returns the
// text output of one more run, which must still satisfy cond's check ids.
func (e *env) until(t *testing.T, what string, cond func(r *diag.Report, code int) bool) string {
	t.Helper()
	var last *diag.Report
	err := wait.PollUntilContextTimeout(context.Background(), pollInterval, pollTimeout, true, func(context.Context) (bool, error) {
		r, code := e.report(t)
		last = r
		return cond(r, code), nil
	})
	if err != nil {
		var lines []string
		if last != nil {
			for _, c := range last.Checks {
				lines = append(lines, c.Line())
			}
		}
		t.Fatalf("waiting for %s: %v; last diagnosis:\n%s", what, err, strings.Join(lines, "\n"))
	}
	out, _ := e.diagnose(t)
	t.Logf("diagnose output (%s):\n%s", what, out)
	return out
}

func status(r *diag.Report, id string) diag.Status {
	c, _ := r.Find(id)
	return c.Status
}

// healthy: every check passes (discovery may warn on a loaded machine).
func healthy(r *diag.Report, code int) bool {
	if code != 0 || r.Failed != 0 {
		return false
	}
	for _, c := range r.Checks {
		if c.Status != diag.OK && (c.ID != diag.IDDiscovery || c.Status != diag.Warn) {
			return false
		}
	}
	return true
}

// line returns the output line that starts with prefix, or fails.
func line(t *testing.T, out, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("no line starting with %q in:\n%s", prefix, out)
	return ""
}

func mustContain(t *testing.T, l string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(l, s) {
			t.Errorf("line lacks %q:\n%s", s, l)
		}
	}
}

func (e *env) waitHealthy(t *testing.T) string {
	t.Helper()
	return e.until(t, "a healthy diagnosis", healthy)
}

func TestDiagnose(t *testing.T) {
	e := setup(t)
	ctx := context.Background()

	t.Run("healthy", func(t *testing.T) {
		out := e.waitHealthy(t)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 18 {
			t.Fatalf("%d lines, want 17 checks and a summary", len(lines))
		}
		for _, l := range lines[:17] {
			if !strings.HasPrefix(l, "✓ ") && !strings.HasPrefix(l, "! Discovery ") {
				t.Errorf("not a passing check: %s", l)
			}
		}
		mustContain(t, line(t, out, "✓ Service workloads-system/workloads-apiserver:"), "ExternalName localhost")
		mustContain(t, line(t, out, "✓ Serving certificate trust:"), "verifies against the APIService caBundle")
		mustContain(t, line(t, out, "✓ Server /readyz:"), "ok via localhost:")
		mustContain(t, line(t, out, "✓ Lease workloads-system/workloads-controller-manager:"), "lease duration 4s")
		mustContain(t, line(t, out, "✓ ClusterRoles view/edit/admin:"), "grant the experimental rules of workloads-experimental-view, workloads-experimental-edit, workloads-experimental-admin")

		// The same through kubectl's plugin discovery.
		kubectl := exec.CommandContext(ctx, e.c.KubectlPath(), "experimental", "diagnose")
		kubectl.Env = append(os.Environ(), "PATH="+e.c.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"KUBECONFIG="+e.c.KubeconfigPath, "HOME="+filepath.Join(e.c.RunDir, "home"))
		if b, err := kubectl.CombinedOutput(); err != nil || !strings.Contains(string(b), "17 checks: 0 failed") {
			t.Errorf("kubectl experimental diagnose: %v\n%s", err, b)
		}
	})

	t.Run("wrong caBundle", func(t *testing.T) {
		as, err := e.c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, diag.DefaultAPIServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		as.Spec.CABundle = otherCA(t)
		if _, err := e.c.AggregatorClient().ApiregistrationV1().APIServices().Update(ctx, as, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := e.c.RegisterWorkloadsAPIService(ctx, e.c.WorkloadsAPIServerPort); err != nil {
				t.Fatal(err)
			}
			e.waitHealthy(t)
		})
		out := e.until(t, "the caBundle failure", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDCertTrust) == diag.Fail && status(r, diag.IDAPIServiceAvailable) == diag.Fail
		})
		mustContain(t, line(t, out, "✗ Serving certificate trust:"),
			`does not verify against the caBundle of APIService v1alpha1.experimental ("CN=not-the-serving-ca")`,
			"x509: certificate signed by unknown authority", "fix: set spec.caBundle", "kubectl patch apiservice v1alpha1.experimental")
		mustContain(t, line(t, out, "✗ APIService Available:"), "False (FailedDiscoveryCheck)",
			"fix: the serving certificate does not verify against spec.caBundle")
		mustContain(t, line(t, out, "✓ Serving certificate names:"), "workloads-apiserver.workloads-system.svc covered")
	})

	t.Run("missing auth-reader RoleBinding", func(t *testing.T) {
		if _, _, err := e.c.Kubectl("-n", "kube-system", "delete", "rolebinding", "workloads-apiserver-auth-reader"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.applyRBAC(t); e.waitHealthy(t) })
		out := e.until(t, "the auth-reader failure", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDAuthConfigAccess) == diag.Fail
		})
		l := line(t, out, "✗ Read kube-system/extension-apiserver-authentication:")
		mustContain(t, l, "system:serviceaccount:workloads-system:workloads-apiserver may not get configmaps/extension-apiserver-authentication in kube-system")
		// The printed fix repairs it.
		i := strings.Index(l, "fix: kubectl ")
		if i < 0 {
			t.Fatalf("no kubectl fix in %q", l)
		}
		fix := strings.Fields(strings.TrimSuffix(l[i+len("fix: kubectl "):], " (artifacts/deploy/rbac-apiserver.yaml)"))
		if _, _, err := e.c.Kubectl(fix...); err != nil {
			t.Fatal(err)
		}
		e.until(t, "the printed fix to work", func(r *diag.Report, code int) bool {
			return status(r, diag.IDAuthConfigAccess) == diag.OK
		})
	})

	t.Run("missing auth-delegator binding", func(t *testing.T) {
		if _, _, err := e.c.Kubectl("delete", "clusterrolebinding", "workloads-apiserver:system:auth-delegator"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.applyRBAC(t); e.waitHealthy(t) })
		out := e.until(t, "the auth-delegator failure", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDAuthDelegator) == diag.Fail
		})
		mustContain(t, line(t, out, "✗ system:auth-delegator:"),
			"may not create tokenreviews.authentication.k8s.io, create subjectaccessreviews.authorization.k8s.io",
			"fix: kubectl create clusterrolebinding workloads-apiserver:system:auth-delegator --clusterrole=system:auth-delegator --serviceaccount=workloads-system:workloads-apiserver")
	})

	t.Run("stopped workloads-apiserver", func(t *testing.T) {
		if err := e.c.StopWorkloadsAPIServer(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := e.c.StartWorkloadsAPIServer(); err != nil {
				t.Fatal(err)
			}
			e.waitHealthy(t)
		})
		out := e.until(t, "the stopped-server failures", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDReadyz) == diag.Fail && status(r, diag.IDAPIServiceAvailable) == diag.Fail &&
				status(r, diag.IDDiscovery) == diag.Fail
		})
		mustContain(t, line(t, out, "✗ Server /readyz:"), "connection refused", "fix: start workloads-apiserver listening on localhost:")
		mustContain(t, line(t, out, "✗ Serving certificate trust:"), "cannot fetch it from localhost:")
		mustContain(t, line(t, out, "✗ APIService Available:"), "False (FailedDiscoveryCheck)", "connection refused",
			"fix: kube-apiserver cannot connect to workloads-apiserver")
		mustContain(t, line(t, out, "✗ Discovery /apis/experimental/v1alpha1:"), "HTTP 503")
		// Links that do not depend on the server still pass.
		line(t, out, "✓ Service workloads-system/workloads-apiserver:")
		line(t, out, "✓ system:auth-delegator:")
	})

	t.Run("stopped controller managers", func(t *testing.T) {
		for i := range e.c.WorkloadsControllerManagerCount() {
			if err := e.c.KillWorkloadsControllerManager(i); err != nil {
				t.Fatal(err)
			}
		}
		t.Cleanup(func() {
			for i := range e.c.WorkloadsControllerManagerCount() {
				if err := e.c.StartWorkloadsControllerManagerInstance(i); err != nil {
					t.Fatal(err)
				}
			}
			e.waitHealthy(t)
		})
		out := e.until(t, "the stale Lease", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDLease) == diag.Fail
		})
		mustContain(t, line(t, out, "✗ Lease workloads-system/workloads-controller-manager:"),
			"(lease duration 4s): the leader stopped renewing, controllers are not running",
			"fix: kubectl -n workloads-system get pods -l app.kubernetes.io/component=controller-manager")
	})

	t.Run("missing aggregated ClusterRole", func(t *testing.T) {
		if _, _, err := e.c.Kubectl("delete", "clusterrole", "workloads-experimental-edit"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.applyRBAC(t); e.waitHealthy(t) })
		out := e.until(t, "the aggregation failure", func(r *diag.Report, code int) bool {
			return code != 0 && status(r, diag.IDAggregateRoles) == diag.Fail && status(r, diag.IDAggregation) == diag.Fail
		})
		mustContain(t, line(t, out, "✗ Aggregated ClusterRoles:"), "workloads-experimental-edit not found",
			"fix: kubectl apply -f artifacts/deploy/rbac-aggregate.yaml")
		mustContain(t, line(t, out, "✗ ClusterRoles view/edit/admin:"), "edit lacks create deployments.experimental")
	})
}

// otherCA returns the PEM of a fresh self-signed CA that did not issue the
// serving certificate.
func otherCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "not-the-serving-ca"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
