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
	"crypto/x509"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/kubernetes/fake"
	certutil "k8s.io/client-go/util/cert"
)

// settableCA is a CA provider whose bundle the test sets, as the configmap
// controllers of k8s.io/apiserver do once their informer syncs.
type settableCA struct{ bundle atomic.Value }

func (s *settableCA) Name() string { return "test" }
func (s *settableCA) CurrentCABundleContent() []byte {
	b, _ := s.bundle.Load().([]byte)
	return b
}
func (s *settableCA) VerifyOptions() (x509.VerifyOptions, bool) { return x509.VerifyOptions{}, false }
func (s *settableCA) AddListener(dynamiccertificates.Listener)  {}

func selfSignedPEM(t *testing.T, cn string) string {
	t.Helper()
	cert, _, err := certutil.GenerateSelfSignedCertKey(cn, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return string(cert)
}

func TestAuthenticationCAsLoaded(t *testing.T) {
	clientCA, frontProxyCA := selfSignedPEM(t, "client-ca"), selfSignedPEM(t, "front-proxy-ca")
	client := fake.NewClientset(&corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "extension-apiserver-authentication"},
		Data:       map[string]string{"client-ca-file": clientCA, "requestheader-client-ca-file": frontProxyCA},
	})
	union, requestHeader := &settableCA{}, &settableCA{}
	check := authenticationCAsLoaded(client, union, requestHeader)
	run := func() error {
		return check.Check(httptest.NewRequest(http.MethodGet, "/readyz", nil).WithContext(context.Background()))
	}

	if err := run(); err == nil {
		t.Fatal("ready with no CA loaded")
	}
	// The request-header CA is primed synchronously; the client CA is not.
	requestHeader.bundle.Store([]byte(frontProxyCA))
	union.bundle.Store([]byte(frontProxyCA))
	if err := run(); err == nil {
		t.Fatal("ready before the client CA is loaded")
	}
	union.bundle.Store([]byte(clientCA + "\n" + frontProxyCA))
	if err := run(); err != nil {
		t.Fatalf("not ready with both CAs loaded: %v", err)
	}
	// Sticky: a later lookup failure does not flip readiness.
	if err := client.CoreV1().ConfigMaps("kube-system").Delete(context.Background(), "extension-apiserver-authentication", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := run(); err != nil {
		t.Fatalf("readiness flipped after both CAs were loaded: %v", err)
	}
}

func TestAuthenticationCAsLoadedWithoutConfigMap(t *testing.T) {
	check := authenticationCAsLoaded(fake.NewClientset(), &settableCA{}, &settableCA{})
	if err := check.Check(httptest.NewRequest(http.MethodGet, "/readyz", nil)); err == nil {
		t.Fatal("ready although the authentication configmap cannot be read")
	}
}
