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
	"mime"
	"net/http"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/handlers/responsewriters"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/klog/v2"

	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

// authenticationNotReadyRetryAfterSeconds is the Retry-After of the 503
// answered while authentication is not ready; loading the bundles takes
// about a second after the server starts serving.
const authenticationNotReadyRetryAfterSeconds = 1

// authenticationReadyChecker tells whether delegated authentication can
// identify callers yet. *authenticationReadiness implements it.
type authenticationReadyChecker interface {
	// Loaded is cheap and true once authentication is ready.
	Loaded() bool
	// Recheck may ask again (throttled) and reports readiness.
	Recheck(ctx context.Context) bool
}

// withAuthenticationReady answers 503 with Retry-After, instead of letting
// the request on to be forbidden as system:anonymous, while the CA bundles
// of delegated authentication are not loaded and the request does not
// authenticate as anyone. Right after a start, requests kube-apiserver
// proxies carry a front-proxy client certificate the server cannot verify
// yet; clients retry a 503 with Retry-After, while a 403 is final and
// wrong. Requests that do authenticate, health endpoints and everything once
// authentication is ready go on unchanged.
func withAuthenticationReady(handler http.Handler, authn authenticator.Request, ready authenticationReadyChecker, serializer runtime.NegotiatedSerializer) http.Handler {
	if authn == nil {
		return handler
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if ready.Loaded() || isHealthPath(req.URL.Path) {
			handler.ServeHTTP(w, req)
			return
		}
		// Authenticate a copy: authenticators remove the headers they
		// consumed, and the chain authenticates the request again.
		resp, ok, _ := authn.AuthenticateRequest(req.Clone(req.Context()))
		if ok && resp != nil && resp.User != nil && resp.User.GetName() != user.Anonymous {
			handler.ServeHTTP(w, req)
			return
		}
		if ready.Recheck(req.Context()) {
			handler.ServeHTTP(w, req)
			return
		}
		klog.FromContext(req.Context()).V(2).Info("Answering 503 to an unauthenticated request: the authentication CA bundles are not loaded yet",
			"method", req.Method, "path", req.URL.Path)
		w.Header().Set("Retry-After", strconv.Itoa(authenticationNotReadyRetryAfterSeconds))
		err := &apierrors.StatusError{ErrStatus: metav1.Status{
			Status:  metav1.StatusFailure,
			Code:    http.StatusServiceUnavailable,
			Reason:  metav1.StatusReasonServiceUnavailable,
			Message: "authentication is not ready yet: the client CA bundles from kube-system/extension-apiserver-authentication are not loaded; retry",
			Details: &metav1.StatusDetails{RetryAfterSeconds: authenticationNotReadyRetryAfterSeconds},
		}}
		responsewriters.ErrorNegotiated(err, serializer, schema.GroupVersion{}, w, req)
	})
}

// isHealthPath reports whether path is a health endpoint, which must answer
// (and say "not ready") whatever the state of authentication.
func isHealthPath(path string) bool {
	for _, p := range []string{"/healthz", "/livez", "/readyz"} {
		if path == p || strings.HasPrefix(path, p+"/") {
			return true
		}
	}
	return false
}

// withPatchType records the patch type of PATCH requests in their context,
// so that errors applying the patch can say what kind of patch is wrong.
func withPatchType(handler http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method == http.MethodPatch {
			contentType, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
			req = req.WithContext(registryutil.WithPatchType(req.Context(), types.PatchType(contentType)))
		}
		handler.ServeHTTP(w, req)
	})
}

// buildHandlerChain returns k8s.io/apiserver's handler chain, wrapped so
// that no request is wrongly forbidden before authentication is ready
// (when ready is set), patch errors can name the patch type, and (with
// markFrontProxy) authentication can tell authorization which requests the
// front proxy identified.
func buildHandlerChain(ready authenticationReadyChecker, markFrontProxy bool) func(http.Handler, *genericapiserver.Config) http.Handler {
	return func(apiHandler http.Handler, c *genericapiserver.Config) http.Handler {
		handler := genericapiserver.DefaultBuildHandlerChain(apiHandler, c)
		handler = withPatchType(handler)
		if ready != nil {
			handler = withAuthenticationReady(handler, c.Authentication.Authenticator, ready, c.Serializer)
		}
		if markFrontProxy {
			handler = withFrontProxyMark(handler)
		}
		return handler
	}
}
