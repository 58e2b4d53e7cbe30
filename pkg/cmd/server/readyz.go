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
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/client-go/kubernetes"
)

const (
	authenticationConfigMapNamespace = metav1.NamespaceSystem
	authenticationConfigMapName      = "extension-apiserver-authentication"
)

// authenticationReadiness knows whether the client CA and the front-proxy
// (request-header) CA that kube-apiserver publishes in
// kube-system/extension-apiserver-authentication are in use by this server.
//
// k8s.io/apiserver fills the client CA from an informer that syncs only after
// the server starts serving; until then every request, including the ones
// kube-apiserver proxies, authenticates as system:anonymous and would be
// forbidden. Once both bundles are loaded the server stays ready for good:
// the bundles are only ever replaced, never emptied.
type authenticationReadiness struct {
	client                    kubernetes.Interface
	clientCA, requestHeaderCA dynamiccertificates.CAContentProvider

	loaded atomic.Bool

	// mu serialises rechecks; lastRecheck throttles them.
	mu          sync.Mutex
	lastRecheck time.Time
}

// recheckInterval is how often recheck asks kube-apiserver at most.
const recheckInterval = time.Second

func newAuthenticationReadiness(client kubernetes.Interface, clientCA, requestHeaderCA dynamiccertificates.CAContentProvider) *authenticationReadiness {
	return &authenticationReadiness{client: client, clientCA: clientCA, requestHeaderCA: requestHeaderCA}
}

// Loaded reports whether both bundles were found loaded.
func (a *authenticationReadiness) Loaded() bool {
	return a.loaded.Load()
}

// Recheck checks again unless a check is under way or one ran less than
// recheckInterval ago, and reports whether the bundles are loaded. It lets
// the handler chain learn about readiness without waiting for a /readyz
// probe, without a lookup per request.
func (a *authenticationReadiness) Recheck(ctx context.Context) bool {
	if a.loaded.Load() {
		return true
	}
	if !a.mu.TryLock() {
		return false
	}
	defer a.mu.Unlock()
	if time.Since(a.lastRecheck) < recheckInterval {
		return false
	}
	a.lastRecheck = time.Now()
	return a.check(ctx) == nil
}

// check reads the configmap and compares its bundles with the loaded ones.
func (a *authenticationReadiness) check(ctx context.Context) error {
	if a.loaded.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	cm, err := a.client.CoreV1().ConfigMaps(authenticationConfigMapNamespace).Get(ctx, authenticationConfigMapName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("reading %s/%s: %w", authenticationConfigMapNamespace, authenticationConfigMapName, err)
	}
	for _, want := range []struct {
		key      string
		provider dynamiccertificates.CAContentProvider
	}{
		{"client-ca-file", a.clientCA},
		{"requestheader-client-ca-file", a.requestHeaderCA},
	} {
		bundle := strings.TrimSpace(cm.Data[want.key])
		if bundle == "" || want.provider == nil {
			continue
		}
		if !strings.Contains(string(want.provider.CurrentCABundleContent()), bundle) {
			return fmt.Errorf("%s from %s/%s is not loaded yet", want.key, authenticationConfigMapNamespace, authenticationConfigMapName)
		}
	}
	a.loaded.Store(true)
	return nil
}

// ReadyzCheck is a readyz check that fails until the bundles are loaded: a
// server that says it is ready must not answer with wrong 403s.
func (a *authenticationReadiness) ReadyzCheck() healthz.HealthChecker {
	return healthz.NamedCheck("authentication-ca", func(r *http.Request) error {
		return a.check(r.Context())
	})
}

// authenticationCAsLoaded is the readyz check of a new authenticationReadiness.
func authenticationCAsLoaded(client kubernetes.Interface, clientCA, requestHeaderCA dynamiccertificates.CAContentProvider) healthz.HealthChecker {
	return newAuthenticationReadiness(client, clientCA, requestHeaderCA).ReadyzCheck()
}
