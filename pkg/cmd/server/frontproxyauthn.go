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
	"crypto/sha256"
	"crypto/x509"
	"net/http"
	"slices"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/authenticatorfactory"
	"k8s.io/apiserver/pkg/authentication/group"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/request/union"
	x509request "k8s.io/apiserver/pkg/authentication/request/x509"
	"k8s.io/utils/clock"
	"k8s.io/utils/lru"
)

// Front-proxy authentication with a verification cache.
//
// Every request kube-apiserver proxies here comes over one of a few
// long-lived HTTP/2 connections, with the same front-proxy client
// certificate. k8s.io/apiserver's request-header authenticator verifies that
// certificate's chain (an ECDSA or RSA signature check) on every request:
// 12 % of workloads-apiserver's CPU under a stream of gets. This
// authenticator does what it does (verify the chain against the current
// front-proxy CA, check the common name, read the identity headers) but
// remembers, for a short time, that a given certificate chain verified
// against a given CA bundle.

const (
	// verifiedCertTTL bounds how long a verification is reused. Expiry of the
	// certificates in the chain bounds it too, and a new CA bundle drops it.
	verifiedCertTTL = time.Minute
	// verifiedCertCacheSize is the number of chains remembered: there is one
	// front-proxy certificate per kube-apiserver, a few during a rotation.
	verifiedCertCacheSize = 64
)

// verifiedChain is a chain that verified against roots until notAfter.
type verifiedChain struct {
	roots    *x509.CertPool
	notAfter time.Time
}

// cachingFrontProxyAuthenticator authenticates requests with front-proxy
// identity headers, as the request-header authenticator does, remembering
// successful chain verifications.
type cachingFrontProxyAuthenticator struct {
	verifyOptions x509request.VerifyOptionFunc
	allowedNames  headerrequest.StringSliceProvider
	headers       authenticator.Request
	clock         clock.PassiveClock
	// verified maps the sha256 of a chain to its verifiedChain; the cache is
	// safe for concurrent use.
	verified *lru.Cache
}

func newCachingFrontProxyAuthenticator(rh *authenticatorfactory.RequestHeaderConfig, clk clock.PassiveClock) *cachingFrontProxyAuthenticator {
	return &cachingFrontProxyAuthenticator{
		verifyOptions: rh.CAContentProvider.VerifyOptions,
		allowedNames:  rh.AllowedClientNames,
		headers:       headerrequest.NewDynamic(orNone(rh.UsernameHeaders), orNone(rh.UIDHeaders), orNone(rh.GroupHeaders), orNone(rh.ExtraHeaderPrefixes)),
		clock:         clk,
		verified:      lru.New(verifiedCertCacheSize),
	}
}

// withCachingFrontProxy puts the caching front-proxy authenticator in
// front of authn. A request it does not identify (no front-proxy
// certificate, a chain that does not verify, a name not allowed, no user
// header) goes on to authn unchanged, whose own request-header
// authenticator then answers it as before.
func withCachingFrontProxy(authn authenticator.Request, rh *authenticatorfactory.RequestHeaderConfig, clk clock.PassiveClock) authenticator.Request {
	if rh == nil || rh.CAContentProvider == nil {
		return authn
	}
	// The delegating authenticator adds system:authenticated to whoever
	// it identifies; so does this one.
	return union.New(group.NewAuthenticatedGroupAdder(newCachingFrontProxyAuthenticator(rh, clk)), authn)
}

// orNone returns p, or an empty list when p is unset.
func orNone(p headerrequest.StringSliceProvider) headerrequest.StringSliceProvider {
	if p == nil {
		return headerrequest.StaticStringSlice{}
	}
	return p
}

func (a *cachingFrontProxyAuthenticator) AuthenticateRequest(req *http.Request) (*authenticator.Response, bool, error) {
	if req.TLS == nil || len(req.TLS.PeerCertificates) == 0 {
		return nil, false, nil
	}
	opts, ok := a.verifyOptions()
	if !ok || !a.chainVerifies(req.TLS.PeerCertificates, opts) {
		return nil, false, nil
	}
	if names := a.allowedNames.Value(); len(names) > 0 && !slices.Contains(names, req.TLS.PeerCertificates[0].Subject.CommonName) {
		return nil, false, nil
	}
	return a.headers.AuthenticateRequest(req)
}

// chainVerifies verifies chain (leaf first) against opts as
// x509request.Verifier does, or finds that it did recently against the
// same roots.
func (a *cachingFrontProxyAuthenticator) chainVerifies(chain []*x509.Certificate, opts x509.VerifyOptions) bool {
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	now := a.clock.Now()

	if v, ok := a.verified.Get(key); ok {
		if vc := v.(verifiedChain); vc.roots == opts.Roots && now.Before(vc.notAfter) {
			return true
		}
	}

	if opts.Intermediates == nil && len(chain) > 1 {
		opts.Intermediates = x509.NewCertPool()
		for _, c := range chain[1:] {
			opts.Intermediates.AddCert(c)
		}
	}
	if _, err := chain[0].Verify(opts); err != nil {
		return false
	}
	notAfter := now.Add(verifiedCertTTL)
	for _, c := range chain {
		if c.NotAfter.Before(notAfter) {
			notAfter = c.NotAfter
		}
	}
	a.verified.Add(key, verifiedChain{roots: opts.Roots, notAfter: notAfter})
	return true
}
