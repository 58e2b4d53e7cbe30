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

package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/utils/clock"
)

// testCA signs client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

func staticCA(ca *testCA) (dynamiccertificates.CAContentProvider, error) {
	return dynamiccertificates.NewStaticCAContent(ca.cert.Subject.CommonName, ca.pem())
}

func (ca *testCA) pem() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.cert.Raw})
}

func (ca *testCA) clientCert(t *testing.T, cn string) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

// frontProxyAuthenticator builds k8s.io/apiserver's delegating authenticator
// (request headers first, then client certificates) as the server does,
// wrapped by frontProxyTrust.
func frontProxyAuthenticator(t *testing.T, frontProxyCA, clientCA *testCA, allowedNames ...string) authenticator.Request {
	t.Helper()
	rhCA, err := dynamiccertificates.NewStaticCAContent("front-proxy-ca", frontProxyCA.pem())
	if err != nil {
		t.Fatal(err)
	}
	cCA, err := dynamiccertificates.NewStaticCAContent("client-ca", clientCA.pem())
	if err != nil {
		t.Fatal(err)
	}
	rh := &authenticatorfactory.RequestHeaderConfig{
		UsernameHeaders:     headerrequest.StaticStringSlice{"X-Remote-User"},
		UIDHeaders:          headerrequest.StaticStringSlice{"X-Remote-Uid"},
		GroupHeaders:        headerrequest.StaticStringSlice{"X-Remote-Group"},
		ExtraHeaderPrefixes: headerrequest.StaticStringSlice{"X-Remote-Extra-"},
		CAContentProvider:   rhCA,
		AllowedClientNames:  headerrequest.StaticStringSlice(allowedNames),
	}
	authn, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{
		RequestHeaderConfig:                rh,
		ClientCertificateCAContentProvider: cCA,
	}.New()
	if err != nil {
		t.Fatal(err)
	}
	trust := &frontProxyTrust{usernameHeaders: rh.UsernameHeaders, allowedNames: rh.AllowedClientNames}
	return trust.wrapAuthenticator(withCachingFrontProxy(authn, rh, clock.RealClock{}))
}

func TestFrontProxyTrustMarksOnlyRequestsTheFrontProxyIdentified(t *testing.T) {
	frontProxyCA := newTestCA(t, "front-proxy-ca")
	clientCA := newTestCA(t, "client-ca")
	proxyCert := frontProxyCA.clientCert(t, "front-proxy-client")
	otherProxyCert := frontProxyCA.clientCert(t, "some-other-proxy")
	clientCert := clientCA.clientCert(t, "jane")

	cases := []struct {
		name         string
		allowedNames []string
		cert         *x509.Certificate
		headers      map[string]string
		wantUser     string // authenticated user, "" for none
		wantMarked   bool
	}{
		{name: "front proxy with a user", allowedNames: []string{"front-proxy-client"}, cert: proxyCert,
			headers: map[string]string{"X-Remote-User": "alice", "X-Remote-Group": "devs"}, wantUser: "alice", wantMarked: true},
		{name: "front proxy certificate without a user header", allowedNames: []string{"front-proxy-client"}, cert: proxyCert},
		{name: "certificate of the front-proxy CA with a name not allowed", allowedNames: []string{"front-proxy-client"}, cert: otherProxyCert,
			headers: map[string]string{"X-Remote-User": "alice"}},
		{name: "any certificate of the CA accepted: nothing is trusted", cert: proxyCert,
			headers: map[string]string{"X-Remote-User": "alice"}, wantUser: "alice"},
		{name: "user header without a front-proxy certificate", allowedNames: []string{"front-proxy-client"},
			headers: map[string]string{"X-Remote-User": "alice"}},
		{name: "client certificate with a user header", allowedNames: []string{"front-proxy-client"}, cert: clientCert,
			headers: map[string]string{"X-Remote-User": "alice"}, wantUser: "jane"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			authn := frontProxyAuthenticator(t, frontProxyCA, clientCA, tc.allowedNames...)
			req := httptest.NewRequest(http.MethodGet, "/apis/experimental/v1alpha1/namespaces/ns/deployments/web", nil)
			if tc.cert != nil {
				req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tc.cert}}
			}
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			mark := &frontProxyMark{}
			req = req.WithContext(context.WithValue(req.Context(), frontProxyMarkKey{}, mark))
			resp, ok, _ := authn.AuthenticateRequest(req)
			got := ""
			if ok {
				got = resp.User.GetName()
			}
			if got != tc.wantUser {
				t.Errorf("authenticated as %q, want %q", got, tc.wantUser)
			}
			marked := mark.user.Load()
			if (marked != nil) != tc.wantMarked {
				t.Fatalf("marked = %v, want %v", marked != nil, tc.wantMarked)
			}
			if marked != nil && !sameUser(*marked, resp.User) {
				t.Errorf("marked user %v, authenticated %v", *marked, resp.User)
			}
		})
	}
}

// recordingAuthorizer denies everything and records what it was asked.
type recordingAuthorizer struct {
	asked []authorizer.Attributes
}

func (r *recordingAuthorizer) Authorize(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	r.asked = append(r.asked, a)
	return authorizer.DecisionDeny, "recorded", nil
}

func (r *recordingAuthorizer) ConditionsAwareAuthorize(ctx context.Context, a authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return authorizer.ConditionsAwareDecisionFromParts(r.Authorize(ctx, a))
}

func (r *recordingAuthorizer) EvaluateConditions(context.Context, authorizer.ConditionsAwareDecision, authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return authorizer.DecisionDeny, "", authorizer.ErrorConditionEvaluationNotSupported
}

func TestFrontProxyAuthorizerAllowsOnlyTheProxiedRequest(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice", UID: "1", Groups: []string{"devs", user.AllAuthenticated}}
	impersonated := &user.DefaultInfo{Name: "bob", Groups: []string{user.AllAuthenticated}}
	info := &request.RequestInfo{IsResourceRequest: true, Verb: "get", APIGroup: "experimental", APIVersion: "v1alpha1",
		Resource: "deployments", Namespace: "ns", Name: "web", Path: "/apis/experimental/v1alpha1/namespaces/ns/deployments/web"}
	same := authorizer.AttributesRecord{User: alice, Verb: "get", APIGroup: "experimental", APIVersion: "v1alpha1",
		Resource: "deployments", Namespace: "ns", Name: "web", ResourceRequest: true, Path: info.Path}
	with := func(f func(*authorizer.AttributesRecord)) authorizer.AttributesRecord {
		a := same
		f(&a)
		return a
	}
	cases := []struct {
		name      string
		marked    user.Info // the user the front proxy asserted; nil: not via the front proxy
		info      *request.RequestInfo
		attrs     authorizer.AttributesRecord
		wantAllow bool
	}{
		{name: "the proxied request itself", marked: alice, info: info, attrs: same, wantAllow: true},
		{name: "not via the front proxy", info: info, attrs: same},
		{name: "another object name", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.Name = "db" })},
		{name: "another verb", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.Verb = "update" })},
		{name: "a subresource", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.Subresource = "promote" })},
		{name: "another namespace", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.Namespace = "other" })},
		{name: "another resource", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.Resource = "jobs" })},
		{name: "another group", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.APIGroup = "apps" })},
		{name: "impersonated user", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) { a.User = impersonated })},
		{name: "same name, other groups", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) {
			a.User = &user.DefaultInfo{Name: "alice", UID: "1", Groups: []string{user.AllAuthenticated}}
		})},
		{name: "same user, other extra", marked: alice, info: info, attrs: with(func(a *authorizer.AttributesRecord) {
			a.User = &user.DefaultInfo{Name: "alice", UID: "1", Groups: alice.Groups, Extra: map[string][]string{"scopes": {"x"}}}
		})},
		{name: "non-resource request", marked: alice,
			info:  &request.RequestInfo{Verb: "get", Path: "/apis/experimental/v1alpha1"},
			attrs: authorizer.AttributesRecord{User: alice, Verb: "get", Path: "/apis/experimental/v1alpha1"}},
		{name: "no request info", marked: alice, attrs: same},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			mark := &frontProxyMark{}
			if tc.marked != nil {
				mark.user.Store(&tc.marked)
			}
			ctx = context.WithValue(ctx, frontProxyMarkKey{}, mark)
			if tc.info != nil {
				ctx = request.WithRequestInfo(ctx, tc.info)
			}
			delegate := &recordingAuthorizer{}
			a := &frontProxyAuthorizer{delegate: delegate}
			decision, reason, err := a.Authorize(ctx, tc.attrs)
			if err != nil {
				t.Fatal(err)
			}
			if got := decision == authorizer.DecisionAllow; got != tc.wantAllow {
				t.Errorf("allowed = %v (%s), want %v", got, reason, tc.wantAllow)
			}
			if asked := len(delegate.asked) > 0; asked == tc.wantAllow {
				t.Errorf("delegate asked = %v, want %v", asked, !tc.wantAllow)
			}
			if cad := a.ConditionsAwareAuthorize(ctx, tc.attrs); cad.IsAllow() != tc.wantAllow {
				t.Errorf("conditions-aware allowed = %v, want %v", cad.IsAllow(), tc.wantAllow)
			}
		})
	}
}
