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
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/kube-experimental/workloads-apiserver/pkg/apiserver"
)

// fakeReadiness is ready from the start or from the nth Recheck on.
type fakeReadiness struct {
	loaded     bool
	readyAfter int // Recheck calls until ready; 0 means never
	rechecks   int
}

func (f *fakeReadiness) Loaded() bool { return f.loaded }
func (f *fakeReadiness) Recheck(context.Context) bool {
	f.rechecks++
	if f.readyAfter > 0 && f.rechecks >= f.readyAfter {
		f.loaded = true
	}
	return f.loaded
}

// headerAuthenticator authenticates the X-Remote-User header and, like the
// request-header authenticator, removes it; without it the caller is
// anonymous, as with the anonymous authenticator; "bad" fails.
var headerAuthenticator = authenticator.RequestFunc(func(req *http.Request) (*authenticator.Response, bool, error) {
	name := req.Header.Get("X-Remote-User")
	req.Header.Del("X-Remote-User")
	switch name {
	case "":
		return &authenticator.Response{User: &user.DefaultInfo{Name: user.Anonymous, Groups: []string{user.AllUnauthenticated}}}, true, nil
	case "bad":
		return nil, false, errors.New("bad credentials")
	}
	return &authenticator.Response{User: &user.DefaultInfo{Name: name}}, true, nil
})

func TestWithAuthenticationReady(t *testing.T) {
	testCases := []struct {
		desc      string
		readiness *fakeReadiness
		path      string
		user      string
		wantCode  int
		// wantUser is the X-Remote-User the chain behind must still see.
		wantUser string
	}{
		{desc: "anonymous before ready", readiness: &fakeReadiness{}, path: "/apis/experimental/v1alpha1/namespaces/default/deployments", wantCode: http.StatusServiceUnavailable},
		{desc: "failed authentication before ready", readiness: &fakeReadiness{}, path: "/apis/experimental/v1alpha1", user: "bad", wantCode: http.StatusServiceUnavailable},
		{desc: "authenticated before ready", readiness: &fakeReadiness{}, path: "/apis/experimental/v1alpha1/namespaces/default/deployments", user: "alice", wantCode: http.StatusTeapot, wantUser: "alice"},
		{desc: "readyz before ready", readiness: &fakeReadiness{}, path: "/readyz", wantCode: http.StatusTeapot},
		{desc: "livez check before ready", readiness: &fakeReadiness{}, path: "/livez/ping", wantCode: http.StatusTeapot},
		{desc: "healthz before ready", readiness: &fakeReadiness{}, path: "/healthz", wantCode: http.StatusTeapot},
		{desc: "lookalike of a health path before ready", readiness: &fakeReadiness{}, path: "/readyzz", wantCode: http.StatusServiceUnavailable},
		{desc: "anonymous once ready", readiness: &fakeReadiness{loaded: true}, path: "/apis/experimental/v1alpha1", wantCode: http.StatusTeapot},
		{desc: "anonymous when the recheck finds it ready", readiness: &fakeReadiness{readyAfter: 1}, path: "/apis/experimental/v1alpha1", wantCode: http.StatusTeapot},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			var sawUser string
			inner := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				sawUser = req.Header.Get("X-Remote-User")
				w.WriteHeader(http.StatusTeapot)
			})
			h := withAuthenticationReady(inner, headerAuthenticator, tc.readiness, apiserver.Codecs)
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			if tc.user != "" {
				req.Header.Set("X-Remote-User", tc.user)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d; body %s", rec.Code, tc.wantCode, rec.Body)
			}
			if sawUser != tc.wantUser {
				t.Errorf("the chain behind saw X-Remote-User %q, want %q", sawUser, tc.wantUser)
			}
			if rec.Code != http.StatusServiceUnavailable {
				return
			}
			if got := rec.Header().Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After = %q, want 1", got)
			}
			var status metav1.Status
			if err := json.Unmarshal(rec.Body.Bytes(), &status); err != nil {
				t.Fatalf("decoding the body %q: %v", rec.Body, err)
			}
			if status.Reason != metav1.StatusReasonServiceUnavailable || status.Details == nil || status.Details.RetryAfterSeconds != 1 {
				t.Errorf("status = %+v, want reason ServiceUnavailable with retryAfterSeconds 1", status)
			}
		})
	}
}

func TestAuthenticationReadinessRecheckIsThrottled(t *testing.T) {
	clientCA := selfSignedPEM(t, "client-ca")
	client := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "extension-apiserver-authentication"},
		Data:       map[string]string{"client-ca-file": clientCA},
	})
	ca := &settableCA{}
	ready := newAuthenticationReadiness(client, ca, nil)
	if ready.Recheck(context.Background()) {
		t.Fatal("ready with no CA loaded")
	}
	ca.bundle.Store([]byte(clientCA))
	lookups := len(client.Actions())
	if ready.Recheck(context.Background()) {
		t.Fatal("a recheck right after another one looked again")
	}
	if got := len(client.Actions()); got != lookups {
		t.Fatalf("a throttled recheck read the configmap (%d lookups, want %d)", got, lookups)
	}
	ready.lastRecheck = ready.lastRecheck.Add(-recheckInterval)
	if !ready.Recheck(context.Background()) {
		t.Fatal("not ready after the CA was loaded and the throttle passed")
	}
	if !ready.Loaded() {
		t.Fatal("Loaded is false after a successful recheck")
	}
}
