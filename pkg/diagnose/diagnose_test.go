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
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"reflect"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	aggregatorfake "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

type keyPair struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newKeyPair(t *testing.T, cn string, parent *keyPair, dnsNames []string, notBefore, notAfter time.Time) *keyPair {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		DNSNames:     dnsNames,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &keyPair{cert: cert, key: key}
}

func pemOf(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

const svcDNS = "workloads-apiserver.workloads-system.svc"

// fixture is a healthy installation of artifacts/deploy, which each test
// breaks in one place.
type fixture struct {
	ca, leaf *keyPair
	kubeObjs []runtime.Object
	as       *apiregistrationv1.APIService
	// denied are SubjectAccessReview "verb resource" pairs refused.
	denied map[string]bool
	// paths answered by kube-apiserver (KubeAPI) and by the server directly.
	kubeAPI   map[string]response
	direct    map[string]response
	directErr error
	certErr   error
	// dialled records the addresses dialled directly.
	dialled []string
}

type response struct {
	code int
	body string
}

const proxy = "/api/v1/namespaces/workloads-system/services/https:workloads-apiserver:443/proxy"

const readyzOK = "[+]ping ok\n[+]log ok\n[+]etcd ok\nreadyz check passed\n"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ca := newKeyPair(t, "workloads-ca", nil, nil, now.Add(-365*24*time.Hour), now.Add(3650*24*time.Hour))
	leaf := newKeyPair(t, "workloads-apiserver", ca, []string{"workloads-apiserver", svcDNS}, now.Add(-time.Hour), now.Add(365*24*time.Hour))
	role := func(name, aggregateTo string, rules ...rbacv1.PolicyRule) *rbacv1.ClusterRole {
		cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
		if aggregateTo != "" {
			cr.Labels = map[string]string{"rbac.authorization.k8s.io/aggregate-to-" + aggregateTo: "true"}
		}
		return cr
	}
	xrule := rbacv1.PolicyRule{APIGroups: []string{"experimental"}, Resources: []string{"deployments"}, Verbs: []string{"get"}}
	core := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}
	return &fixture{
		ca: ca, leaf: leaf,
		kubeObjs: []runtime.Object{
			&corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Namespace: "workloads-system", Name: "workloads-apiserver"},
				Spec: corev1.ServiceSpec{
					Type: corev1.ServiceTypeClusterIP, ClusterIP: "10.96.0.10",
					Selector: map[string]string{"app.kubernetes.io/name": "workloads-apiserver"},
					Ports:    []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromString("https")}},
				},
			},
			&discoveryv1.EndpointSlice{
				ObjectMeta: metav1.ObjectMeta{Namespace: "workloads-system", Name: "workloads-apiserver-abc",
					Labels: map[string]string{discoveryv1.LabelServiceName: "workloads-apiserver"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("https"), Port: ptr.To[int32](8443)}},
				Endpoints: []discoveryv1.Endpoint{
					{Addresses: []string{"10.0.0.7"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
					{Addresses: []string{"10.0.0.8"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
				},
			},
			&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "workloads-system", Name: "workloads-apiserver"}},
			&corev1.ConfigMap{
				ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "extension-apiserver-authentication"},
				Data: map[string]string{
					"client-ca-file":               string(pemOf(ca.cert)),
					"requestheader-client-ca-file": string(pemOf(ca.cert)),
					"requestheader-allowed-names":  `["front-proxy-client"]`,
				},
			},
			&coordinationv1.Lease{
				ObjectMeta: metav1.ObjectMeta{Namespace: "workloads-system", Name: "workloads-controller-manager"},
				Spec: coordinationv1.LeaseSpec{
					HolderIdentity:       ptr.To("cm-0_1234"),
					LeaseDurationSeconds: ptr.To[int32](15),
					RenewTime:            &metav1.MicroTime{Time: now.Add(-2 * time.Second)},
				},
			},
			role("workloads-experimental-view", "view", xrule),
			role("workloads-experimental-edit", "edit", xrule),
			role("workloads-experimental-admin", "admin", xrule),
			role("view", "", core, xrule),
			role("edit", "", core, xrule),
			role("admin", "", core, xrule),
		},
		as: &apiregistrationv1.APIService{
			ObjectMeta: metav1.ObjectMeta{Name: "v1alpha1.experimental"},
			Spec: apiregistrationv1.APIServiceSpec{
				Group: "experimental", Version: "v1alpha1",
				Service:  &apiregistrationv1.ServiceReference{Namespace: "workloads-system", Name: "workloads-apiserver", Port: ptr.To[int32](443)},
				CABundle: pemOf(ca.cert),
			},
			Status: apiregistrationv1.APIServiceStatus{Conditions: []apiregistrationv1.APIServiceCondition{{
				Type: apiregistrationv1.Available, Status: apiregistrationv1.ConditionTrue, Reason: "Passed", Message: "all checks passed",
			}}},
		},
		denied: map[string]bool{},
		kubeAPI: map[string]response{
			"/apis/experimental/v1alpha1": {200, `{"kind":"APIResourceList","groupVersion":"experimental/v1alpha1","resources":[{"name":"deployments","namespaced":true,"kind":"Deployment","verbs":["get"]},{"name":"jobs","namespaced":true,"kind":"Job","verbs":["get"]}]}`},
			proxy + "/readyz?verbose":     {200, readyzOK},
			proxy + "/version":            {200, `{"gitVersion":"v0.1.0","goVersion":"go1.26.0"}`},
		},
		direct: map[string]response{
			"/readyz?verbose": {200, readyzOK},
			"/version":        {200, `{"gitVersion":"v0.1.0","goVersion":"go1.26.0"}`},
		},
	}
}

// object returns the fixture's object of type T named name, to edit.
func object[T runtime.Object](t *testing.T, f *fixture, name string) T {
	t.Helper()
	for _, o := range f.kubeObjs {
		if m, ok := o.(metav1.Object); ok && m.GetName() == name {
			if v, ok := o.(T); ok {
				return v
			}
		}
	}
	t.Fatalf("no %T %s in the fixture", *new(T), name)
	return *new(T)
}

// remove drops the fixture's objects of the same type as kind named name.
func (f *fixture) remove(name string, kind runtime.Object) {
	var out []runtime.Object
	for _, o := range f.kubeObjs {
		if o.(metav1.Object).GetName() == name && reflect.TypeOf(o) == reflect.TypeOf(kind) {
			continue
		}
		out = append(out, o)
	}
	f.kubeObjs = out
}

func (f *fixture) run(t *testing.T, o Options) *Report {
	t.Helper()
	kube := kubefake.NewClientset(f.kubeObjs...)
	kube.PrependReactor("create", "subjectaccessreviews", func(a clienttesting.Action) (bool, runtime.Object, error) {
		sar := a.(clienttesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview).DeepCopy()
		if sar.Spec.User != "system:serviceaccount:workloads-system:workloads-apiserver" {
			sar.Status.Allowed = false
			return true, sar, nil
		}
		ra := sar.Spec.ResourceAttributes
		sar.Status.Allowed = !f.denied[ra.Verb+" "+ra.Resource]
		return true, sar, nil
	})
	var aggObjs []runtime.Object
	if f.as != nil {
		aggObjs = append(aggObjs, f.as)
	}
	c := Clients{
		Kube:       kube,
		Aggregator: aggregatorfake.NewSimpleClientset(aggObjs...),
		KubeAPI: GetterFunc(func(_ context.Context, path string) (int, []byte, error) {
			r, ok := f.kubeAPI[path]
			if !ok {
				return 404, []byte(`{"kind":"Status","message":"the server could not find the requested resource"}`), nil
			}
			return r.code, []byte(r.body), nil
		}),
		Direct: func(addr, serverName string, _ time.Duration) Getter {
			return GetterFunc(func(_ context.Context, path string) (int, []byte, error) {
				f.dialled = append(f.dialled, addr+" "+serverName)
				if f.directErr != nil {
					return 0, nil, f.directErr
				}
				r := f.direct[path]
				return r.code, []byte(r.body), nil
			})
		},
		FetchCertificates: func(_ context.Context, addr, serverName string, _ time.Duration) ([]*x509.Certificate, error) {
			f.dialled = append(f.dialled, "tls "+addr+" "+serverName)
			if f.certErr != nil {
				return nil, f.certErr
			}
			return []*x509.Certificate{f.leaf.cert}, nil
		},
		Now: func() time.Time { return now },
	}
	return Run(context.Background(), c, o)
}

// lines is the report as printed, one string per check.
func lines(r *Report) []string {
	var out []string
	for _, c := range r.Checks {
		out = append(out, c.Line())
	}
	return out
}

func expect(t *testing.T, r *Report, id string, status Status, substrings ...string) {
	t.Helper()
	res, ok := r.Find(id)
	if !ok {
		t.Fatalf("no %s check in:\n%s", id, strings.Join(lines(r), "\n"))
	}
	line := res.Line()
	if res.Status != status {
		t.Errorf("%s: status %s, want %s: %s", id, res.Status, status, line)
	}
	for _, s := range substrings {
		if !strings.Contains(line, s) {
			t.Errorf("%s: line does not contain %q:\n%s", id, s, line)
		}
	}
}
