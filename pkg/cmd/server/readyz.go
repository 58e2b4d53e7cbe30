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

// authenticationCAsLoaded is a readyz check that fails until the client CA
// and the front-proxy (request-header) CA that kube-apiserver publishes in
// kube-system/extension-apiserver-authentication are in use by this server.
//
// k8s.io/apiserver fills the client CA from an informer that syncs only after
// the server starts serving; until then every request, including the ones
// kube-apiserver proxies, authenticates as system:anonymous and is forbidden.
// A server that says it is ready must not answer that way, so readiness waits
// for the bundles. Once both are loaded the check passes for good: the
// bundles are only ever replaced, never emptied.
func authenticationCAsLoaded(client kubernetes.Interface, clientCA, requestHeaderCA dynamiccertificates.CAContentProvider) healthz.HealthChecker {
	var loaded atomic.Bool
	return healthz.NamedCheck("authentication-ca", func(r *http.Request) error {
		if loaded.Load() {
			return nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		cm, err := client.CoreV1().ConfigMaps(authenticationConfigMapNamespace).Get(ctx, authenticationConfigMapName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("reading %s/%s: %w", authenticationConfigMapNamespace, authenticationConfigMapName, err)
		}
		for _, want := range []struct {
			key      string
			provider dynamiccertificates.CAContentProvider
		}{
			{"client-ca-file", clientCA},
			{"requestheader-client-ca-file", requestHeaderCA},
		} {
			bundle := strings.TrimSpace(cm.Data[want.key])
			if bundle == "" || want.provider == nil {
				continue
			}
			if !strings.Contains(string(want.provider.CurrentCABundleContent()), bundle) {
				return fmt.Errorf("%s from %s/%s is not loaded yet", want.key, authenticationConfigMapNamespace, authenticationConfigMapName)
			}
		}
		loaded.Store(true)
		return nil
	})
}
