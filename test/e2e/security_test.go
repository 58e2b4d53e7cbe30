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
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// clientAs is our clientset through kube-apiserver, impersonating user.
func clientAs(t *testing.T, c *framework.Cluster, user string) clientset.Interface {
	t.Helper()
	client, err := c.ClientAs(user, "system:authenticated")
	if err != nil {
		t.Fatal(err)
	}
	return client
}

func bind(t *testing.T, c *framework.Cluster, ns, name, user string, role rbacv1.RoleRef) {
	t.Helper()
	_, err := c.KubeClient().RbacV1().RoleBindings(ns).Create(context.Background(), &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: user}},
		RoleRef:    role,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func wantForbidden(t *testing.T, what string, err error) {
	t.Helper()
	if !apierrors.IsForbidden(err) {
		t.Errorf("%s: want Forbidden, got %v", what, err)
	}
}

// pollAllowed waits for RBAC changes to reach both authorizers (kube-apiserver
// and workloads-apiserver's delegated, cached one).
func pollAllowed(t *testing.T, what string, call func(ctx context.Context) error) {
	t.Helper()
	poll(t, what, func(ctx context.Context) (bool, error) {
		err := call(ctx)
		if apierrors.IsForbidden(err) {
			return false, nil
		}
		return err == nil, err
	})
}

func testSecurity(t *testing.T, c *framework.Cluster) {
	ctx := context.Background()
	createNamespace(t, c, "team", nil)
	createNamespace(t, c, "other", nil)

	t.Run("no RBAC", func(t *testing.T) {
		mallory := clientAs(t, c, "mallory")
		_, err := mallory.ExperimentalV1alpha1().Deployments("team").List(ctx, metav1.ListOptions{})
		wantForbidden(t, "list with no RBAC", err)
		_, err = mallory.ExperimentalV1alpha1().Deployments("team").Create(ctx, newDeployment("m"), metav1.CreateOptions{})
		wantForbidden(t, "create with no RBAC", err)
		_, errOut, err := c.Kubectl("get", "xdeploy", "-n", "team", "--as=mallory")
		if err == nil || !strings.Contains(errOut, "forbidden") {
			t.Errorf("kubectl --as=mallory: err %v, stderr %s", err, errOut)
		}
	})

	t.Run("namespaced Role", func(t *testing.T) {
		_, err := c.KubeClient().RbacV1().Roles("team").Create(ctx, &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "deployers"},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{framework.WorkloadsGroup},
				Resources: []string{"deployments"},
				Verbs:     []string{"get", "list", "watch", "create"},
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		bind(t, c, "team", "alice-deployers", "alice", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "deployers"})
		alice := clientAs(t, c, "alice").ExperimentalV1alpha1()
		pollAllowed(t, "alice to create deployments in team", func(ctx context.Context) error {
			_, err := alice.Deployments("team").Create(ctx, newDeployment("alice"), metav1.CreateOptions{})
			return err
		})
		if _, err := alice.Deployments("team").List(ctx, metav1.ListOptions{}); err != nil {
			t.Errorf("alice list deployments in team: %v", err)
		}
		wantForbidden(t, "alice delete (verb not granted)", alice.Deployments("team").Delete(ctx, "alice", metav1.DeleteOptions{}))
		_, err = alice.Deployments("other").List(ctx, metav1.ListOptions{})
		wantForbidden(t, "alice list in another namespace", err)
		_, err = alice.Jobs("team").List(ctx, metav1.ListOptions{})
		wantForbidden(t, "alice list jobs (resource not granted)", err)
		_, err = alice.Deployments("team").GetScale(ctx, "alice", metav1.GetOptions{})
		wantForbidden(t, "alice get deployments/scale (subresource not granted)", err)
	})

	t.Run("aggregated view and edit roles", func(t *testing.T) {
		kubectl(t, c, "apply", "-f", filepath.Join(c.RepoRoot, "artifacts", "deploy", "rbac-aggregate.yaml"))
		bind(t, c, "team", "carol-view", "carol", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"})
		bind(t, c, "team", "dave-edit", "dave", rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"})
		carol := clientAs(t, c, "carol").ExperimentalV1alpha1()
		dave := clientAs(t, c, "dave").ExperimentalV1alpha1()
		for _, list := range []func(ctx context.Context) error{
			func(ctx context.Context) error {
				_, err := carol.Deployments("team").List(ctx, metav1.ListOptions{})
				return err
			},
			func(ctx context.Context) error {
				_, err := carol.CronJobs("team").List(ctx, metav1.ListOptions{})
				return err
			},
			func(ctx context.Context) error {
				_, err := carol.HorizontalPodAutoscalers("team").List(ctx, metav1.ListOptions{})
				return err
			},
		} {
			pollAllowed(t, "view to aggregate our resources", list)
		}
		_, err := carol.Deployments("team").Create(ctx, newDeployment("carol"), metav1.CreateOptions{})
		wantForbidden(t, "viewer create", err)
		wantForbidden(t, "viewer delete", carol.Deployments("team").Delete(ctx, "alice", metav1.DeleteOptions{}))

		pollAllowed(t, "edit to aggregate our resources", func(ctx context.Context) error {
			_, err := dave.Deployments("team").Create(ctx, newDeployment("dave"), metav1.CreateOptions{})
			return err
		})
		out, errOut, err := c.Kubectl("scale", "xdeploy/dave", "-n", "team", "--replicas=3", "--as=dave")
		if err != nil {
			t.Errorf("editor kubectl scale: %v\n%s%s", err, out, errOut)
		}
		if err := dave.Deployments("team").Delete(ctx, "alice", metav1.DeleteOptions{}); err != nil {
			t.Errorf("editor delete: %v", err)
		}
	})

	t.Run("direct access without credentials", func(t *testing.T) {
		url := c.WorkloadsAPIServerURL + "/apis/experimental/v1alpha1/namespaces/team/deployments"
		caPEM, err := os.ReadFile(c.PKI.ServingCACert)
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		roots.AppendCertsFromPEM(caPEM)
		get := func(t *testing.T, certs []tls.Certificate, header map[string]string) int {
			t.Helper()
			client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
				TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs},
			}}
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range header {
				req.Header.Set(k, v)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		denied := func(code int) bool { return code == http.StatusUnauthorized || code == http.StatusForbidden }

		admin, err := tls.LoadX509KeyPair(c.PKI.AdminCert, c.PKI.AdminKey)
		if err != nil {
			t.Fatal(err)
		}
		if code := get(t, []tls.Certificate{admin}, nil); code != http.StatusOK {
			t.Fatalf("with the cluster's admin client certificate: HTTP %d, want 200 (the check below would prove nothing)", code)
		}
		if code := get(t, nil, nil); !denied(code) {
			t.Errorf("anonymous: HTTP %d, want 401 or 403", code)
		}
		if code := get(t, nil, map[string]string{"Authorization": "Bearer not-a-token"}); code != http.StatusUnauthorized {
			t.Errorf("invalid bearer token: HTTP %d, want 401", code)
		}
		// Front-proxy headers count only on a connection authenticated with
		// the front-proxy client certificate.
		if code := get(t, nil, map[string]string{"X-Remote-User": "admin", "X-Remote-Group": "system:masters"}); !denied(code) {
			t.Errorf("forged front-proxy headers: HTTP %d, want 401 or 403", code)
		}
		if code := get(t, []tls.Certificate{selfSignedClientCert(t, "system:masters")}, nil); !denied(code) {
			t.Errorf("client certificate from an unknown CA: HTTP %d, want 401 or 403", code)
		}
	})
}

// selfSignedClientCert is a client certificate no cluster CA signed.
func selfSignedClientCert(t *testing.T, group string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "intruder", Organization: []string{group}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
