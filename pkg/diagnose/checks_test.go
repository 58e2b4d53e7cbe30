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

package diagnose

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"
)

func TestHealthy(t *testing.T) {
	f := newFixture(t)
	r := f.run(t, Options{})
	var out bytes.Buffer
	if err := r.Write(&out); err != nil {
		t.Fatal(err)
	}
	want := `✓ APIService v1alpha1.experimental: service workloads-system/workloads-apiserver:443, caBundle of 1 certificate(s)
✓ APIService Available: True (Passed): all checks passed
✓ Service workloads-system/workloads-apiserver: ClusterIP 10.96.0.10, port 443 → https
✓ Service endpoints: 1 ready: 10.0.0.7:8443
✓ Serving certificate trust: subject "CN=workloads-apiserver", issuer "CN=workloads-ca": verifies against the APIService caBundle
✓ Serving certificate names: workloads-apiserver.workloads-system.svc covered
✓ Serving certificate expiry: expires on 2027-06-01T12:00:00Z, in 365 days
✓ ServiceAccount workloads-system/workloads-apiserver: exists
✓ Read kube-system/extension-apiserver-authentication: system:serviceaccount:workloads-system:workloads-apiserver may get, list and watch it
✓ Requestheader CA: 1 certificate(s), allowed names: front-proxy-client
✓ system:auth-delegator: system:serviceaccount:workloads-system:workloads-apiserver may create tokenreviews and subjectaccessreviews
✓ Server /readyz: ok via kube-apiserver's service proxy (3 checks passed)
✓ Server /version: v0.1.0 (go1.26.0)
✓ Discovery /apis/experimental/v1alpha1: 2 resources in 0s
✓ Lease workloads-system/workloads-controller-manager: held by cm-0_1234, renewed 2s ago (lease duration 15s)
✓ Aggregated ClusterRoles: workloads-experimental-view, workloads-experimental-edit, workloads-experimental-admin
✓ ClusterRoles view/edit/admin: grant the experimental rules of workloads-experimental-view, workloads-experimental-edit, workloads-experimental-admin
17 checks: 0 failed, 0 warnings
`
	if got := out.String(); got != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if r.Failed != 0 || r.Warnings != 0 {
		t.Errorf("failed %d, warnings %d", r.Failed, r.Warnings)
	}
	// Through the service proxy; the certificate from the ready endpoint.
	if want := []string{"tls 10.0.0.7:8443 " + svcDNS}; strings.Join(f.dialled, ";") != strings.Join(want, ";") {
		t.Errorf("dialled %q, want %q", f.dialled, want)
	}
}

func TestAPIService(t *testing.T) {
	t.Run("missing", func(t *testing.T) {
		f := newFixture(t)
		f.as = nil
		r := f.run(t, Options{})
		expect(t, r, IDAPIService, Fail, "✗ APIService v1alpha1.experimental: not found", "fix: kubectl apply -k artifacts/deploy")
		for _, id := range []string{IDAPIServiceAvailable, IDService, IDEndpoints, IDCertTrust, IDReadyz, IDVersion} {
			expect(t, r, id, Skip, "- ")
		}
		// Independent checks still run.
		expect(t, r, IDLease, OK)
		expect(t, r, IDAuthDelegator, OK)
	})
	t.Run("no caBundle", func(t *testing.T) {
		f := newFixture(t)
		f.as.Spec.CABundle = nil
		r := f.run(t, Options{})
		expect(t, r, IDAPIService, Fail, "caBundle is empty", "kubectl patch apiservice v1alpha1.experimental")
	})
	t.Run("insecureSkipTLSVerify", func(t *testing.T) {
		f := newFixture(t)
		f.as.Spec.CABundle = nil
		f.as.Spec.InsecureSkipTLSVerify = true
		r := f.run(t, Options{})
		expect(t, r, IDAPIService, Warn, "! APIService v1alpha1.experimental:", "insecureSkipTLSVerify=true", `"insecureSkipTLSVerify":false`)
	})
	t.Run("local", func(t *testing.T) {
		f := newFixture(t)
		f.as.Spec.Service = nil
		r := f.run(t, Options{})
		expect(t, r, IDAPIService, Fail, "spec.service is empty")
	})
}

func TestAvailable(t *testing.T) {
	for _, tc := range []struct {
		reason, message, want string
	}{
		{"FailedDiscoveryCheck", `failing or missing response from https://10.0.0.7:8443/apis/experimental/v1alpha1: Get "https://10.0.0.7:8443/apis/experimental/v1alpha1": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
			"fix: the serving certificate does not verify against spec.caBundle"},
		{"FailedDiscoveryCheck", `failing or missing response from https://localhost:4443/apis/experimental/v1alpha1: Get "https://localhost:4443/apis/experimental/v1alpha1": dial tcp [::1]:4443: connect: connection refused`,
			"fix: kube-apiserver cannot connect to workloads-apiserver"},
		{"FailedDiscoveryCheck", `failing or missing response from https://10.0.0.7:8443/apis/experimental/v1alpha1: bad status from https://10.0.0.7:8443/apis/experimental/v1alpha1: 403`,
			"fix: workloads-apiserver rejects kube-apiserver's front-proxy client"},
		{"MissingEndpoints", `endpoints for service/workloads-apiserver in "workloads-system" have no addresses with port name "https"`,
			"fix: no ready workloads-apiserver pod behind Service workloads-system/workloads-apiserver"},
		{"ServiceNotFound", `service/workloads-apiserver in "workloads-system" is not present`,
			"fix: create Service workloads-system/workloads-apiserver"},
	} {
		t.Run(tc.reason, func(t *testing.T) {
			f := newFixture(t)
			f.as.Status.Conditions[0] = apiregistrationv1.APIServiceCondition{Type: apiregistrationv1.Available,
				Status: apiregistrationv1.ConditionFalse, Reason: tc.reason, Message: tc.message}
			r := f.run(t, Options{})
			expect(t, r, IDAPIServiceAvailable, Fail, "✗ APIService Available: False ("+tc.reason+"): "+tc.message, tc.want)
		})
	}
	t.Run("no condition", func(t *testing.T) {
		f := newFixture(t)
		f.as.Status.Conditions = nil
		expect(t, f.run(t, Options{}), IDAPIServiceAvailable, Fail, "no Available condition yet")
	})
}

func TestServiceAndEndpoints(t *testing.T) {
	t.Run("service missing", func(t *testing.T) {
		f := newFixture(t)
		f.remove("workloads-apiserver", &corev1.Service{})
		r := f.run(t, Options{})
		expect(t, r, IDService, Fail, "✗ Service workloads-system/workloads-apiserver: not found", "artifacts/deploy/apiserver.yaml")
		expect(t, r, IDEndpoints, Skip)
		expect(t, r, IDReadyz, Skip)
		expect(t, r, IDCertTrust, Warn, "no address to dial from here", "port-forward svc/workloads-apiserver 8443:443")
	})
	t.Run("wrong port", func(t *testing.T) {
		f := newFixture(t)
		object[*corev1.Service](t, f, "workloads-apiserver").Spec.Ports[0].Port = 8443
		r := f.run(t, Options{})
		expect(t, r, IDService, Fail, "has no port 443 (ports: 8443)")
		expect(t, r, IDEndpoints, Skip)
	})
	t.Run("no ready endpoint", func(t *testing.T) {
		f := newFixture(t)
		object[*discoveryv1.EndpointSlice](t, f, "workloads-apiserver-abc").Endpoints[0].Conditions.Ready = ptr.To(false)
		r := f.run(t, Options{})
		expect(t, r, IDEndpoints, Fail, "✗ Service endpoints: no ready address (2 not ready: 10.0.0.7:8443, 10.0.0.8:8443)",
			"kubectl -n workloads-system get pods -l app.kubernetes.io/name=workloads-apiserver")
		expect(t, r, IDCertTrust, Warn, "no address to dial from here")
	})
	t.Run("no EndpointSlice", func(t *testing.T) {
		f := newFixture(t)
		f.remove("workloads-apiserver-abc", &discoveryv1.EndpointSlice{})
		expect(t, f.run(t, Options{}), IDEndpoints, Fail, "no ready address;")
	})
	t.Run("ExternalName", func(t *testing.T) {
		f := newFixture(t)
		svc := object[*corev1.Service](t, f, "workloads-apiserver")
		svc.Spec = corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "localhost"}
		r := f.run(t, Options{})
		expect(t, r, IDService, OK, "ExternalName localhost, port 443")
		expect(t, r, IDEndpoints, OK, "none needed")
		expect(t, r, IDReadyz, OK, "ok via localhost:443 (3 checks passed)")
		expect(t, r, IDCertTrust, OK)
		if got := strings.Join(f.dialled, ";"); !strings.Contains(got, "tls localhost:443 "+svcDNS) || !strings.Contains(got, "localhost:443 "+svcDNS) {
			t.Errorf("dialled %s", got)
		}
	})
}

func TestCertificate(t *testing.T) {
	t.Run("wrong caBundle", func(t *testing.T) {
		f := newFixture(t)
		other := newKeyPair(t, "some-other-ca", nil, nil, now.Add(-time.Hour), now.Add(time.Hour*24*365))
		f.as.Spec.CABundle = pemOf(other.cert)
		r := f.run(t, Options{})
		expect(t, r, IDCertTrust, Fail,
			`✗ Serving certificate trust: subject "CN=workloads-apiserver", issuer "CN=workloads-ca" does not verify against the caBundle of APIService v1alpha1.experimental ("CN=some-other-ca"): x509: certificate signed by unknown authority`,
			`kubectl patch apiservice v1alpha1.experimental --type=merge`, `where ca.crt is the certificate of "CN=workloads-ca"`)
		expect(t, r, IDCertNames, OK)
	})
	t.Run("missing SAN", func(t *testing.T) {
		f := newFixture(t)
		f.leaf = newKeyPair(t, "workloads-apiserver", f.ca, []string{"localhost"}, now.Add(-time.Hour), now.Add(time.Hour*24*365))
		r := f.run(t, Options{})
		expect(t, r, IDCertNames, Fail, "✗ Serving certificate names: workloads-apiserver.workloads-system.svc not covered (DNS names: localhost)",
			"reissue the serving certificate with DNS name workloads-apiserver.workloads-system.svc")
		expect(t, r, IDCertTrust, OK)
	})
	t.Run("expires soon", func(t *testing.T) {
		f := newFixture(t)
		f.leaf = newKeyPair(t, "workloads-apiserver", f.ca, []string{svcDNS}, now.Add(-time.Hour), now.Add(10*24*time.Hour+time.Hour))
		expect(t, f.run(t, Options{}), IDCertExpiry, Warn, "! Serving certificate expiry: expires on", "in 10 days", "fix: renew the serving certificate")
	})
	t.Run("expired", func(t *testing.T) {
		f := newFixture(t)
		f.leaf = newKeyPair(t, "workloads-apiserver", f.ca, []string{svcDNS}, now.Add(-48*time.Hour), now.Add(-25*time.Hour))
		r := f.run(t, Options{})
		expect(t, r, IDCertExpiry, Fail, "✗ Serving certificate expiry: expired on", "(1 days ago)")
		// Reported once: the chain itself is trusted.
		expect(t, r, IDCertTrust, OK)
	})
	t.Run("unreachable endpoint", func(t *testing.T) {
		f := newFixture(t)
		f.certErr = errors.New("dial tcp 10.0.0.7:8443: i/o timeout")
		r := f.run(t, Options{})
		expect(t, r, IDCertTrust, Warn, "cannot fetch it from 10.0.0.7:8443", "--server-address=127.0.0.1:8443")
		expect(t, r, IDCertNames, Skip)
	})
	t.Run("server address", func(t *testing.T) {
		f := newFixture(t)
		r := f.run(t, Options{ServerAddress: "127.0.0.1:8443"})
		expect(t, r, IDCertTrust, OK)
		expect(t, r, IDReadyz, OK, "via 127.0.0.1:8443")
		if got := strings.Join(f.dialled, ";"); !strings.Contains(got, "tls 127.0.0.1:8443 "+svcDNS) {
			t.Errorf("dialled %s", got)
		}
	})
	t.Run("server address refused", func(t *testing.T) {
		f := newFixture(t)
		f.certErr = errors.New("connection refused")
		f.directErr = errors.New("connection refused")
		r := f.run(t, Options{ServerAddress: "127.0.0.1:8443"})
		expect(t, r, IDCertTrust, Fail, "cannot fetch it from 127.0.0.1:8443")
		expect(t, r, IDReadyz, Fail, "✗ Server /readyz: via 127.0.0.1:8443: connection refused", "start workloads-apiserver listening on 127.0.0.1:8443")
		expect(t, r, IDVersion, Fail)
	})
}

func TestAuth(t *testing.T) {
	t.Run("auth reader missing", func(t *testing.T) {
		f := newFixture(t)
		f.denied["get configmaps"], f.denied["watch configmaps"] = true, true
		r := f.run(t, Options{})
		expect(t, r, IDAuthConfigAccess, Fail,
			"✗ Read kube-system/extension-apiserver-authentication: system:serviceaccount:workloads-system:workloads-apiserver may not get configmaps/extension-apiserver-authentication in kube-system, watch configmaps/extension-apiserver-authentication in kube-system",
			"fix: kubectl -n kube-system create rolebinding workloads-apiserver-auth-reader --role=extension-apiserver-authentication-reader --serviceaccount=workloads-system:workloads-apiserver")
		expect(t, r, IDAuthDelegator, OK)
	})
	t.Run("auth delegator missing", func(t *testing.T) {
		f := newFixture(t)
		f.denied["create tokenreviews"] = true
		r := f.run(t, Options{})
		expect(t, r, IDAuthDelegator, Fail, "may not create tokenreviews.authentication.k8s.io:",
			"kubectl create clusterrolebinding workloads-apiserver:system:auth-delegator --clusterrole=system:auth-delegator --serviceaccount=workloads-system:workloads-apiserver")
	})
	t.Run("other service account", func(t *testing.T) {
		f := newFixture(t)
		// The reactor allows only the default identity.
		r := f.run(t, Options{ServiceAccountNamespace: "other", ServiceAccountName: "srv"})
		expect(t, r, IDServiceAccount, Fail, "✗ ServiceAccount other/srv: not found")
		expect(t, r, IDAuthConfigAccess, Fail, "system:serviceaccount:other:srv may not get", "--serviceaccount=other:srv")
		expect(t, r, IDAuthDelegator, Fail, "--serviceaccount=other:srv")
	})
	t.Run("no requestheader CA", func(t *testing.T) {
		f := newFixture(t)
		delete(object[*corev1.ConfigMap](t, f, "extension-apiserver-authentication").Data, "requestheader-client-ca-file")
		expect(t, f.run(t, Options{}), IDRequestHeaderCA, Fail, "requestheader-client-ca-file missing", "--requestheader-client-ca-file")
	})
	t.Run("no auth ConfigMap", func(t *testing.T) {
		f := newFixture(t)
		f.remove("extension-apiserver-authentication", &corev1.ConfigMap{})
		expect(t, f.run(t, Options{}), IDRequestHeaderCA, Fail, "kube-system/extension-apiserver-authentication not found")
	})
}

func TestServerHealth(t *testing.T) {
	t.Run("not ready", func(t *testing.T) {
		f := newFixture(t)
		f.kubeAPI[proxy+"/readyz?verbose"] = response{500, "[+]ping ok\n[-]etcd failed: reason withheld\n[+]log ok\nreadyz check failed\n"}
		expect(t, f.run(t, Options{}), IDReadyz, Fail, "✗ Server /readyz: via kube-apiserver's service proxy: HTTP 500, failing: etcd failed: reason withheld",
			"kubectl -n workloads-system logs deployment/workloads-apiserver")
	})
	t.Run("proxy error", func(t *testing.T) {
		f := newFixture(t)
		delete(f.kubeAPI, proxy+"/version")
		f.kubeAPI[proxy+"/readyz?verbose"] = response{503, `{"kind":"Status","message":"no endpoints available for service \"workloads-apiserver\""}`}
		r := f.run(t, Options{})
		expect(t, r, IDReadyz, Fail, "HTTP 503", "no endpoints available")
		expect(t, r, IDVersion, Fail, "HTTP 404")
	})
	t.Run("discovery unavailable", func(t *testing.T) {
		f := newFixture(t)
		f.kubeAPI["/apis/experimental/v1alpha1"] = response{503, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"service unavailable","reason":"ServiceUnavailable","code":503}`}
		expect(t, f.run(t, Options{}), IDDiscovery, Fail, "✗ Discovery /apis/experimental/v1alpha1: HTTP 503 from kube-apiserver after", ": service unavailable; fix: see the APIService Available check")
	})
	t.Run("discovery slow", func(t *testing.T) {
		f := newFixture(t)
		expect(t, f.run(t, Options{DiscoveryWarning: time.Nanosecond}), IDDiscovery, Warn, "2 resources in", "(kube-apiserver gives up at 5s)")
		expect(t, f.run(t, Options{DiscoveryWarning: time.Nanosecond, DiscoveryFailure: 2 * time.Nanosecond}), IDDiscovery, Fail,
			"kube-apiserver marks the APIService unavailable")
	})
}

func TestLease(t *testing.T) {
	t.Run("stale", func(t *testing.T) {
		f := newFixture(t)
		object[*coordinationv1.Lease](t, f, "workloads-controller-manager").Spec.RenewTime = &metav1.MicroTime{Time: now.Add(-47 * time.Second)}
		expect(t, f.run(t, Options{}), IDLease, Fail,
			"✗ Lease workloads-system/workloads-controller-manager: held by cm-0_1234, renewed 47s ago (lease duration 15s): the leader stopped renewing",
			"kubectl -n workloads-system logs deployment/workloads-controller-manager")
	})
	t.Run("released", func(t *testing.T) {
		f := newFixture(t)
		object[*coordinationv1.Lease](t, f, "workloads-controller-manager").Spec.HolderIdentity = ptr.To("")
		expect(t, f.run(t, Options{}), IDLease, Fail, "no holder")
	})
	t.Run("missing", func(t *testing.T) {
		f := newFixture(t)
		f.remove("workloads-controller-manager", &coordinationv1.Lease{})
		expect(t, f.run(t, Options{}), IDLease, Fail, "not found", "--lease-namespace/--lease-name")
	})
	t.Run("other name", func(t *testing.T) {
		f := newFixture(t)
		object[*coordinationv1.Lease](t, f, "workloads-controller-manager").Name = "cm"
		expect(t, f.run(t, Options{LeaseName: "cm"}), IDLease, OK, "✓ Lease workloads-system/cm: held by cm-0_1234")
	})
}

func TestRBAC(t *testing.T) {
	t.Run("aggregate role missing", func(t *testing.T) {
		f := newFixture(t)
		f.remove("workloads-experimental-edit", &rbacv1.ClusterRole{})
		expect(t, f.run(t, Options{}), IDAggregateRoles, Fail, "✗ Aggregated ClusterRoles: workloads-experimental-edit not found; fix: kubectl apply -f artifacts/deploy/rbac-aggregate.yaml")
	})
	t.Run("label missing", func(t *testing.T) {
		f := newFixture(t)
		object[*rbacv1.ClusterRole](t, f, "workloads-experimental-admin").Labels = nil
		expect(t, f.run(t, Options{}), IDAggregateRoles, Fail, "workloads-experimental-admin lacks label rbac.authorization.k8s.io/aggregate-to-admin=true")
	})
	t.Run("not aggregated", func(t *testing.T) {
		f := newFixture(t)
		object[*rbacv1.ClusterRole](t, f, "edit").Rules = object[*rbacv1.ClusterRole](t, f, "edit").Rules[:1]
		f.remove("admin", &rbacv1.ClusterRole{})
		expect(t, f.run(t, Options{}), IDAggregation, Fail,
			"✗ ClusterRoles view/edit/admin: edit lacks get deployments.experimental; admin (not found): users bound to them cannot use the experimental kinds",
			"clusterrole-aggregation controller")
	})
	t.Run("edit holds only the view rules", func(t *testing.T) {
		// view is aggregated into edit: deleting our edit role leaves
		// edit with read-only experimental rules.
		f := newFixture(t)
		f.remove("workloads-experimental-edit", &rbacv1.ClusterRole{})
		expect(t, f.run(t, Options{}), IDAggregation, Fail, "edit lacks create deployments.experimental:")
	})
	t.Run("wildcards and partial", func(t *testing.T) {
		f := newFixture(t)
		object[*rbacv1.ClusterRole](t, f, "workloads-experimental-admin").Rules = []rbacv1.PolicyRule{
			{APIGroups: []string{"experimental"}, Resources: []string{"deployments", "jobs"}, Verbs: []string{"get", "delete"}},
		}
		object[*rbacv1.ClusterRole](t, f, "admin").Rules = []rbacv1.PolicyRule{
			{APIGroups: []string{"experimental"}, Resources: []string{"*"}, Verbs: []string{"get"}},
		}
		expect(t, f.run(t, Options{}), IDAggregation, Fail, "admin lacks delete deployments.experimental, delete jobs.experimental:")
	})
}

func TestJSONStable(t *testing.T) {
	f := newFixture(t)
	f.as = nil
	r := f.run(t, Options{})
	if r.Failed != 1 || r.Checks[0].ID != IDAPIService || r.Checks[0].Status != Fail || r.Checks[0].Fix == "" {
		t.Errorf("report: %+v", r)
	}
}
