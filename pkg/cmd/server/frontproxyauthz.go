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

// Authorization of requests kube-apiserver has already authorized.
//
// kube-apiserver authorizes every request with its configured authorizers
// before its aggregation layer proxies it here, asserting the caller's
// identity with request headers and its front-proxy client certificate. The
// delegated authorizer of k8s.io/apiserver then asks kube-apiserver the very
// same question again with a SubjectAccessReview: the same authorizers, the
// same user and the same attributes, parsed from the same path by the same
// code. Its cache keys on the object name, so every get of another object is
// a miss, and its review client is capped at 200 requests per second.
//
// For a resource request that arrived that way, whose user is the asserted
// one (no impersonation here) and whose attributes are exactly those of the
// request, the answer is already known: allowed, or kube-apiserver would not
// have proxied it. This authorizer answers those without a review. It trusts
// the front proxy with nothing new: whoever holds a certificate accepted for
// the request headers can already claim to be any user, system:masters
// included. Everything else (requests with other credentials, a different
// user after impersonation, checks of other attributes, non-resource paths,
// and any request when the request-header configuration accepts every
// certificate of its CA instead of named front proxies) goes to the
// delegated authorizer as before.

import (
	"context"
	"net/http"
	"slices"
	"sync/atomic"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/component-base/metrics"
	"k8s.io/component-base/metrics/legacyregistry"
)

// FrontProxyAuthorizedReason is the reason of the decisions taken without a
// SubjectAccessReview (audit logs record it as authorization.k8s.io/reason).
const FrontProxyAuthorizedReason = "authorized by kube-apiserver before its aggregation layer proxied the request"

var frontProxyAuthorizations = metrics.NewCounterVec(&metrics.CounterOpts{
	Namespace: "workloads_apiserver",
	Subsystem: "authorization",
	Name:      "front_proxy_decisions_total",
	Help: "Authorization decisions by source: front_proxy for resource requests kube-apiserver authorized before " +
		"proxying them (no SubjectAccessReview), delegated for those passed to the delegated authorizer.",
	StabilityLevel: metrics.ALPHA,
}, []string{"source"})

func init() {
	legacyregistry.MustRegister(frontProxyAuthorizations)
}

// frontProxyMarkKey keys the per-request frontProxyMark in the context.
type frontProxyMarkKey struct{}

// frontProxyMark records the user the front proxy asserted for a request, if
// it did. The authenticator writes it and the authorizer reads it, so it is
// set in the context before either runs.
type frontProxyMark struct {
	user atomic.Pointer[user.Info]
}

// withFrontProxyMark gives each request a frontProxyMark. It must wrap the
// whole handler chain, outside authentication.
func withFrontProxyMark(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		ctx := context.WithValue(req.Context(), frontProxyMarkKey{}, &frontProxyMark{})
		handler.ServeHTTP(w, req.WithContext(ctx))
	})
}

func frontProxyMarkFrom(ctx context.Context) *frontProxyMark {
	m, _ := ctx.Value(frontProxyMarkKey{}).(*frontProxyMark)
	return m
}

// frontProxyTrust marks the requests whose identity the front proxy
// asserted.
type frontProxyTrust struct {
	// usernameHeaders are the request headers that carry the asserted user.
	usernameHeaders headerrequest.StringSliceProvider
	// allowedNames are the common names a front-proxy certificate may have;
	// empty means any certificate of the CA, and then nothing is trusted.
	allowedNames headerrequest.StringSliceProvider
}

// wrapAuthenticator returns authn, marking the requests the request-header
// authenticator identified. That authenticator removes the headers it
// consumed, and only when it identified the request (its certificate
// verified against the front-proxy CA, with an allowed name): a username
// header present before authentication and gone after it is the sign. Were a
// later k8s.io/apiserver to stop removing them, no request would be marked
// and every one would go to the delegated authorizer, as before.
func (t *frontProxyTrust) wrapAuthenticator(authn authenticator.Request) authenticator.Request {
	return authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
		asserted := t.namedProxiesOnly() && t.hasUsernameHeader(req)
		resp, ok, err := authn.AuthenticateRequest(req)
		if ok && err == nil && asserted && resp != nil && resp.User != nil && !t.hasUsernameHeader(req) {
			if m := frontProxyMarkFrom(req.Context()); m != nil {
				m.user.Store(&resp.User)
			}
		}
		return resp, ok, err
	})
}

func (t *frontProxyTrust) namedProxiesOnly() bool {
	return t.allowedNames != nil && len(t.allowedNames.Value()) > 0
}

func (t *frontProxyTrust) hasUsernameHeader(req *http.Request) bool {
	for _, h := range t.usernameHeaders.Value() {
		if req.Header.Get(h) != "" {
			return true
		}
	}
	return false
}

// frontProxyAuthorizer allows the resource requests kube-apiserver
// authorized before proxying them, and asks delegate about everything else.
type frontProxyAuthorizer struct {
	delegate authorizer.Authorizer
}

func (a *frontProxyAuthorizer) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	if decidedByFrontProxy(ctx, attrs) {
		return authorizer.DecisionAllow, FrontProxyAuthorizedReason, nil
	}
	return a.delegate.Authorize(ctx, attrs)
}

// ConditionsAwareAuthorize answers as Authorize does. kube-apiserver's
// authorization filter takes unconditional decisions, so what it allowed
// before proxying was allowed unconditionally.
func (a *frontProxyAuthorizer) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	if decidedByFrontProxy(ctx, attrs) {
		return authorizer.ConditionsAwareDecisionAllow(FrontProxyAuthorizedReason, nil)
	}
	return a.delegate.ConditionsAwareAuthorize(ctx, attrs)
}

// EvaluateConditions leaves conditional decisions, which only the delegate
// takes, to the delegate.
func (a *frontProxyAuthorizer) EvaluateConditions(ctx context.Context, decision authorizer.ConditionsAwareDecision, data authorizer.ConditionsData) (authorizer.Decision, string, error) {
	return a.delegate.EvaluateConditions(ctx, decision, data)
}

// decidedByFrontProxy reports whether the front proxy's decision stands for
// attrs, and counts the decision by where it is taken.
func decidedByFrontProxy(ctx context.Context, attrs authorizer.Attributes) bool {
	if authorizedByFrontProxy(ctx, attrs) {
		frontProxyAuthorizations.WithLabelValues("front_proxy").Inc()
		return true
	}
	frontProxyAuthorizations.WithLabelValues("delegated").Inc()
	return false
}

// authorizedByFrontProxy reports whether attrs are exactly those of the
// request in ctx, for the user the front proxy asserted for it.
func authorizedByFrontProxy(ctx context.Context, attrs authorizer.Attributes) bool {
	if !attrs.IsResourceRequest() {
		return false
	}
	m := frontProxyMarkFrom(ctx)
	if m == nil {
		return false
	}
	asserted := m.user.Load()
	if asserted == nil || !sameUser(*asserted, attrs.GetUser()) {
		return false
	}
	info, ok := request.RequestInfoFrom(ctx)
	if !ok || !info.IsResourceRequest {
		return false
	}
	return attrs.GetVerb() == info.Verb &&
		attrs.GetAPIGroup() == info.APIGroup &&
		attrs.GetAPIVersion() == info.APIVersion &&
		attrs.GetResource() == info.Resource &&
		attrs.GetSubresource() == info.Subresource &&
		attrs.GetNamespace() == info.Namespace &&
		attrs.GetName() == info.Name
}

// sameUser compares two users by everything authorization looks at.
func sameUser(a, b user.Info) bool {
	if a == nil || b == nil {
		return false
	}
	if a.GetName() != b.GetName() || a.GetUID() != b.GetUID() || !slices.Equal(a.GetGroups(), b.GetGroups()) {
		return false
	}
	ea, eb := a.GetExtra(), b.GetExtra()
	if len(ea) != len(eb) {
		return false
	}
	for k, va := range ea {
		vb, ok := eb[k]
		if !ok || !slices.Equal(va, vb) {
			return false
		}
	}
	return true
}
