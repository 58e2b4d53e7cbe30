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

package apiserver

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	certutil "k8s.io/client-go/util/cert"

	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
)

// fakeKubeAPIServer serves what delegated authentication and authorization
// ask kube-apiserver for: the extension-apiserver-authentication configmap
// (whose list, which the client CA informer needs, fails until listing is
// set) and SubjectAccessReviews, all denied.
func fakeKubeAPIServer(t *testing.T, listing *atomic.Bool) string {
	t.Helper()
	clientCA, _, err := certutil.GenerateSelfSignedCertKey("client-ca", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	frontProxyCA, _, err := certutil.GenerateSelfSignedCertKey("front-proxy-ca", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	cm := corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "extension-apiserver-authentication", ResourceVersion: "1"},
		Data: map[string]string{
			"client-ca-file":                     string(clientCA),
			"requestheader-client-ca-file":       string(frontProxyCA),
			"requestheader-username-headers":     `["X-Remote-User"]`,
			"requestheader-group-headers":        `["X-Remote-Group"]`,
			"requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
			"requestheader-allowed-names":        `["front-proxy-client"]`,
		},
	}
	reply := func(w http.ResponseWriter, obj any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(obj)
	}
	kube := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication":
			reply(w, cm)
		case "/api/v1/namespaces/kube-system/configmaps":
			if !listing.Load() {
				http.Error(w, "listing is off", http.StatusInternalServerError)
				return
			}
			if r.URL.Query().Get("watch") == "true" {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusOK)
				if r.URL.Query().Get("sendInitialEvents") == "true" {
					// A streaming list: the object, then the bookmark
					// that ends the initial events.
					bookmark := corev1.ConfigMap{
						TypeMeta: cm.TypeMeta,
						ObjectMeta: metav1.ObjectMeta{ResourceVersion: "1",
							Annotations: map[string]string{metav1.InitialEventsAnnotationKey: "true"}},
					}
					enc := json.NewEncoder(w)
					_ = enc.Encode(metav1.WatchEvent{Type: "ADDED", Object: runtime.RawExtension{Object: &cm}})
					_ = enc.Encode(metav1.WatchEvent{Type: "BOOKMARK", Object: runtime.RawExtension{Object: &bookmark}})
				}
				w.(http.Flusher).Flush()
				<-r.Context().Done()
				return
			}
			reply(w, corev1.ConfigMapList{
				TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMapList"},
				ListMeta: metav1.ListMeta{ResourceVersion: "1"},
				Items:    []corev1.ConfigMap{cm},
			})
		case "/apis/authorization.k8s.io/v1/subjectaccessreviews":
			var sar authorizationv1.SubjectAccessReview
			if err := json.NewDecoder(r.Body).Decode(&sar); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			sar.Status = authorizationv1.SubjectAccessReviewStatus{Allowed: false, Reason: "the test denies everything"}
			reply(w, sar)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(kube.Close)

	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	err = clientcmd.WriteToFile(clientcmdapi.Config{
		Clusters:       map[string]*clientcmdapi.Cluster{"kube": {Server: kube.URL}},
		AuthInfos:      map[string]*clientcmdapi.AuthInfo{"kube": {}},
		Contexts:       map[string]*clientcmdapi.Context{"kube": {Cluster: "kube", AuthInfo: "kube"}},
		CurrentContext: "kube",
	}, kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	return kubeconfig
}

// TestAnonymousRequestsBeforeAuthenticationIsReady starts the server with
// delegated authentication while kube-apiserver cannot yet hand out the
// client CA: requests that authenticate as nobody are answered 503 with
// Retry-After, never 403, until the CA is loaded; then they are authorized
// (and forbidden) as usual.
func TestAnonymousRequestsBeforeAuthenticationIsReady(t *testing.T) {
	var listing atomic.Bool
	kubeconfig := fakeKubeAPIServer(t, &listing)
	s := launchServer(t, map[string]string{"experimental/v1alpha1": "true"}, func(o *server.Options) {
		o.RecommendedOptions.Authentication = genericoptions.NewDelegatingAuthenticationOptions()
		o.RecommendedOptions.Authentication.RemoteKubeConfigFile = kubeconfig
		o.RecommendedOptions.Authorization = genericoptions.NewDelegatingAuthorizationOptions()
		o.RecommendedOptions.Authorization.RemoteKubeConfigFile = kubeconfig
		o.RecommendedOptions.CoreAPI = genericoptions.NewCoreAPIOptions()
		o.RecommendedOptions.CoreAPI.CoreAPIKubeconfigPath = kubeconfig
	})
	ctx := t.Context()
	anonymous, err := rest.HTTPClientFor(&rest.Config{Host: s.Config.Host, TLSClientConfig: rest.TLSClientConfig{Insecure: true}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) response {
		return mustDo(ctx, t, anonymous, s.Config.Host, rawRequest{method: http.MethodGet, path: path})
	}
	const deployments = "/apis/experimental/v1alpha1/namespaces/default/deployments"

	// The server serves (health endpoints answer) but cannot tell who
	// calls it yet.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return get("/healthz").code == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("/healthz never answered: %v", err)
	}
	if resp := get("/readyz"); resp.code == http.StatusOK {
		t.Fatalf("/readyz succeeds before the client CA is loaded")
	}
	for range 5 {
		resp := get(deployments)
		if resp.code != http.StatusServiceUnavailable || resp.status.Reason != metav1.StatusReasonServiceUnavailable {
			t.Fatalf("anonymous request before authentication is ready: %d %s, want 503", resp.code, resp.body)
		}
		if resp.status.Details == nil || resp.status.Details.RetryAfterSeconds != 1 {
			t.Fatalf("503 without retryAfterSeconds: %s", resp.body)
		}
	}
	// Callers that do authenticate (here the loopback client) are served.
	if _, err := s.Client.ExperimentalV1alpha1().Deployments("default").List(ctx, metav1.ListOptions{}); err != nil {
		t.Fatalf("authenticated request before authentication is ready: %v", err)
	}

	// Once kube-apiserver hands out the client CA, anonymous requests go
	// on to authorization, which forbids them.
	listing.Store(true)
	var last response
	err = wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		last = get(deployments)
		switch last.code {
		case http.StatusServiceUnavailable:
			return false, nil
		case http.StatusForbidden:
			return true, nil
		}
		t.Fatalf("anonymous request: %d %s, want 503 and then 403", last.code, last.body)
		return false, nil
	})
	if err != nil {
		t.Fatalf("anonymous requests still answered 503 after the client CA was served: %s", last.body)
	}
	if resp := get("/readyz"); resp.code != http.StatusOK {
		t.Errorf("/readyz answers %d once the client CA is loaded: %s", resp.code, resp.body)
	}
}
