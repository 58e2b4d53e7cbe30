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
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/lru"
)

func frontProxyRequest(cert *x509.Certificate, user string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/apis/experimental/v1alpha1/namespaces/ns/deployments/web", nil)
	req.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{cert}}
	req.Header.Set("X-Remote-User", user)
	return req
}

func TestCachingFrontProxyAuthenticatorReusesVerificationsOnlyWhileValid(t *testing.T) {
	ca := newTestCA(t, "front-proxy-ca")
	cert := ca.clientCert(t, "front-proxy-client")
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	opts := x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	clk := clocktesting.NewFakePassiveClock(time.Now())
	a := &cachingFrontProxyAuthenticator{
		verifyOptions: func() (x509.VerifyOptions, bool) { return opts, true },
		allowedNames:  headerrequest.StaticStringSlice{"front-proxy-client"},
		headers:       headerrequest.NewDynamic(headerrequest.StaticStringSlice{"X-Remote-User"}, orNone(nil), orNone(nil), orNone(nil)),
		clock:         clk,
		verified:      lru.New(verifiedCertCacheSize),
	}
	authenticated := func(step string) bool {
		t.Helper()
		resp, ok, err := a.AuthenticateRequest(frontProxyRequest(cert, "alice"))
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if ok && resp.User.GetName() != "alice" {
			t.Fatalf("%s: authenticated as %q", step, resp.User.GetName())
		}
		return ok
	}

	if !authenticated("first request") {
		t.Fatal("a valid front-proxy request was not authenticated")
	}
	// A fresh verification would now fail (the certificate's validity has
	// ended at CurrentTime); within the TTL the recorded one is reused.
	opts.CurrentTime = cert.NotAfter.Add(time.Hour)
	if !authenticated("within the TTL") {
		t.Error("the verification was not reused within its TTL")
	}
	clk.SetTime(clk.Now().Add(verifiedCertTTL + time.Second))
	if authenticated("after the TTL") {
		t.Error("a verification was reused after its TTL")
	}

	// A new CA bundle drops what was verified against the old one.
	opts.CurrentTime = time.Time{}
	if !authenticated("verified again") {
		t.Fatal("a valid front-proxy request was not authenticated")
	}
	otherCA := newTestCA(t, "another-ca")
	otherRoots := x509.NewCertPool()
	otherRoots.AddCert(otherCA.cert)
	opts.Roots = otherRoots
	if authenticated("after the CA changed") {
		t.Error("a chain verified against the old CA bundle was accepted under the new one")
	}

	// The allowed names are checked on every request.
	opts.Roots = roots
	if !authenticated("back on the first CA") {
		t.Fatal("a valid front-proxy request was not authenticated")
	}
	a.allowedNames = headerrequest.StaticStringSlice{"another-proxy"}
	if authenticated("name no longer allowed") {
		t.Error("a certificate whose name is no longer allowed was accepted")
	}
}

// BenchmarkFrontProxyAuthentication compares k8s.io/apiserver's delegating
// authenticator with the caching front-proxy authenticator in front of it,
// for a proxied request.
func BenchmarkFrontProxyAuthentication(b *testing.B) {
	t := &testing.T{}
	ca := newTestCA(t, "front-proxy-ca")
	cert := ca.clientCert(t, "front-proxy-client")
	rh := &authenticatorfactory.RequestHeaderConfig{
		UsernameHeaders:     headerrequest.StaticStringSlice{"X-Remote-User"},
		UIDHeaders:          headerrequest.StaticStringSlice{},
		GroupHeaders:        headerrequest.StaticStringSlice{"X-Remote-Group"},
		ExtraHeaderPrefixes: headerrequest.StaticStringSlice{"X-Remote-Extra-"},
		AllowedClientNames:  headerrequest.StaticStringSlice{"front-proxy-client"},
	}
	var err error
	if rh.CAContentProvider, err = staticCA(ca); err != nil {
		b.Fatal(err)
	}
	delegating, _, err := authenticatorfactory.DelegatingAuthenticatorConfig{RequestHeaderConfig: rh}.New()
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name  string
		authn authenticator.Request
	}{
		{"delegating", delegating},
		{"caching", withCachingFrontProxy(delegating, rh, clocktesting.NewFakePassiveClock(time.Now()))},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, ok, err := bc.authn.AuthenticateRequest(frontProxyRequest(cert, "alice")); !ok || err != nil {
					b.Fatalf("not authenticated: %v", err)
				}
			}
		})
	}
}
