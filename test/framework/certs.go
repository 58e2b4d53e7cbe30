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

package framework

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// PKI holds the paths of every certificate and key the cluster uses. All files
// are PEM encoded and live in one directory of the run dir.
type PKI struct {
	Dir string

	// Cluster CA: signs the kube-apiserver serving certificate and the client
	// certificates (kube-apiserver --client-ca-file).
	CACert, CAKey string
	// kube-apiserver serving certificate.
	APIServerCert, APIServerKey string
	// Admin client certificate (CN=kubernetes-admin, O=system:masters).
	AdminCert, AdminKey string

	// Front-proxy CA and the front-proxy-client certificate kube-apiserver
	// presents to aggregated API servers.
	FrontProxyCACert, FrontProxyCAKey         string
	FrontProxyClientCert, FrontProxyClientKey string

	// Serving CA and serving certificates of the aggregated API servers
	// (workloads-apiserver, metrics-server, the test metrics adapter of
	// package metricsadapter). The CA goes into the caBundle of their
	// APIServices.
	ServingCACert, ServingCAKey                         string
	WorkloadsServingCert, WorkloadsServingKey           string
	MetricsServingCert, MetricsServingKey               string
	MetricsAdapterServingCert, MetricsAdapterServingKey string

	// Service-account token signing key pair.
	ServiceAccountKey, ServiceAccountPub string

	// etcd CA and certificates of the TLS etcd cluster that
	// Options.WorkloadsEtcdMembers > 1 starts (empty otherwise). Each member
	// has one certificate for serving clients and peers and for
	// authenticating to its peers; EtcdClientCert is what workloads-apiserver
	// (and tests) present to etcd.
	EtcdCACert, EtcdCAKey           string
	EtcdMemberCerts, EtcdMemberKeys []string
	EtcdClientCert, EtcdClientKey   string
}

type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

type certSpec struct {
	commonName   string
	organization []string
	dnsNames     []string
	ips          []net.IP
	isCA         bool
	usages       []x509.ExtKeyUsage
}

func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// newCert creates a key and a certificate for spec, signed by parent (self
// signed when parent is nil).
func newCert(spec certSpec, parent *keyPair) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: spec.commonName, Organization: spec.organization},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(365 * 24 * time.Hour),
		DNSNames:              spec.dnsNames,
		IPAddresses:           spec.ips,
		BasicConstraintsValid: true,
	}
	if spec.isCA {
		tmpl.IsCA = true
		tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	} else {
		tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
		tmpl.ExtKeyUsage = spec.usages
	}
	signerCert, signerKey := tmpl, crypto.Signer(key)
	if parent != nil {
		signerCert, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signerCert, key.Public(), signerKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &keyPair{cert: cert, key: key}, nil
}

func encodeCert(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func encodeKey(k crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (kp *keyPair) write(certPath, keyPath string) error {
	if err := os.WriteFile(certPath, encodeCert(kp.cert), 0o644); err != nil {
		return err
	}
	keyPEM, err := encodeKey(kp.key)
	if err != nil {
		return err
	}
	return os.WriteFile(keyPath, keyPEM, 0o600)
}

// aggregatedServerNames are the names a serving certificate of an aggregated API
// server behind Service ns/name must carry: kube-apiserver verifies
// <name>.<ns>.svc, and local clients use localhost or 127.0.0.1.
func aggregatedServerNames(ns, name string) []string {
	return []string{
		"localhost",
		name,
		name + "." + ns,
		name + "." + ns + ".svc",
		name + "." + ns + ".svc.cluster.local",
	}
}

// generatePKI writes all certificates and keys into dir.
func generatePKI(dir, workloadsNamespace, workloadsService, metricsNamespace, metricsService string) (*PKI, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	p := &PKI{Dir: dir}
	path := func(name string) string { return filepath.Join(dir, name) }
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback}

	type output struct {
		spec              certSpec
		parent            **keyPair
		into              **keyPair
		certFile, keyFile string
		certPath, keyPath *string
	}
	var ca, frontProxyCA, servingCA *keyPair
	steps := []output{
		{spec: certSpec{commonName: "workloads-test-cluster-ca", isCA: true}, into: &ca,
			certFile: "ca.crt", keyFile: "ca.key", certPath: &p.CACert, keyPath: &p.CAKey},
		{spec: certSpec{commonName: "workloads-test-front-proxy-ca", isCA: true}, into: &frontProxyCA,
			certFile: "front-proxy-ca.crt", keyFile: "front-proxy-ca.key", certPath: &p.FrontProxyCACert, keyPath: &p.FrontProxyCAKey},
		{spec: certSpec{commonName: "workloads-test-serving-ca", isCA: true}, into: &servingCA,
			certFile: "serving-ca.crt", keyFile: "serving-ca.key", certPath: &p.ServingCACert, keyPath: &p.ServingCAKey},
		{spec: certSpec{
			commonName: "kube-apiserver",
			dnsNames: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.local"},
			ips:    append([]net.IP{net.ParseIP(serviceClusterIP)}, loopback...),
			usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, parent: &ca, certFile: "apiserver.crt", keyFile: "apiserver.key", certPath: &p.APIServerCert, keyPath: &p.APIServerKey},
		{spec: certSpec{
			commonName: "kubernetes-admin", organization: []string{"system:masters"},
			usages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, parent: &ca, certFile: "admin.crt", keyFile: "admin.key", certPath: &p.AdminCert, keyPath: &p.AdminKey},
		{spec: certSpec{
			commonName: "front-proxy-client",
			usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		}, parent: &frontProxyCA, certFile: "front-proxy-client.crt", keyFile: "front-proxy-client.key",
			certPath: &p.FrontProxyClientCert, keyPath: &p.FrontProxyClientKey},
		{spec: certSpec{
			commonName: workloadsService + "." + workloadsNamespace + ".svc",
			dnsNames:   aggregatedServerNames(workloadsNamespace, workloadsService),
			ips:        loopback,
			usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, parent: &servingCA, certFile: "workloads-apiserver.crt", keyFile: "workloads-apiserver.key",
			certPath: &p.WorkloadsServingCert, keyPath: &p.WorkloadsServingKey},
		{spec: certSpec{
			commonName: metricsService + "." + metricsNamespace + ".svc",
			dnsNames:   aggregatedServerNames(metricsNamespace, metricsService),
			ips:        loopback,
			usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, parent: &servingCA, certFile: "metrics-server.crt", keyFile: "metrics-server.key",
			certPath: &p.MetricsServingCert, keyPath: &p.MetricsServingKey},
		{spec: certSpec{
			commonName: MetricsAdapterServiceName + "." + MetricsAdapterNamespace + ".svc",
			dnsNames:   aggregatedServerNames(MetricsAdapterNamespace, MetricsAdapterServiceName),
			ips:        loopback,
			usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		}, parent: &servingCA, certFile: "metrics-adapter.crt", keyFile: "metrics-adapter.key",
			certPath: &p.MetricsAdapterServingCert, keyPath: &p.MetricsAdapterServingKey},
	}
	for _, s := range steps {
		var parent *keyPair
		if s.parent != nil {
			parent = *s.parent
		}
		kp, err := newCert(s.spec, parent)
		if err != nil {
			return nil, fmt.Errorf("generating %s: %w", s.certFile, err)
		}
		*s.certPath, *s.keyPath = path(s.certFile), path(s.keyFile)
		if err := kp.write(*s.certPath, *s.keyPath); err != nil {
			return nil, err
		}
		if s.into != nil {
			*s.into = kp
		}
	}

	saKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	saKeyPEM, err := encodeKey(saKey)
	if err != nil {
		return nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, err
	}
	p.ServiceAccountKey, p.ServiceAccountPub = path("sa.key"), path("sa.pub")
	if err := os.WriteFile(p.ServiceAccountKey, saKeyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(p.ServiceAccountPub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
		return nil, err
	}
	return p, nil
}

// generateEtcdPKI adds an etcd CA, one serving/peer certificate per member
// (valid for 127.0.0.1 and localhost) and a client certificate to p.
func (p *PKI) generateEtcdPKI(members int) error {
	path := func(name string) string { return filepath.Join(p.Dir, name) }
	loopback := []net.IP{net.ParseIP("127.0.0.1"), net.IPv6loopback}
	ca, err := newCert(certSpec{commonName: "workloads-test-etcd-ca", isCA: true}, nil)
	if err != nil {
		return fmt.Errorf("generating the etcd CA: %w", err)
	}
	p.EtcdCACert, p.EtcdCAKey = path("etcd-ca.crt"), path("etcd-ca.key")
	if err := ca.write(p.EtcdCACert, p.EtcdCAKey); err != nil {
		return err
	}
	p.EtcdMemberCerts, p.EtcdMemberKeys = nil, nil
	for i := range members {
		name := fmt.Sprintf("etcd-member-%d", i)
		kp, err := newCert(certSpec{
			commonName: name,
			dnsNames:   []string{"localhost"},
			ips:        loopback,
			// Peers present the same certificate as clients of each other.
			usages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}, ca)
		if err != nil {
			return fmt.Errorf("generating %s: %w", name, err)
		}
		cert, key := path(name+".crt"), path(name+".key")
		if err := kp.write(cert, key); err != nil {
			return err
		}
		p.EtcdMemberCerts, p.EtcdMemberKeys = append(p.EtcdMemberCerts, cert), append(p.EtcdMemberKeys, key)
	}
	client, err := newCert(certSpec{
		commonName: "workloads-apiserver-etcd-client",
		usages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}, ca)
	if err != nil {
		return fmt.Errorf("generating the etcd client certificate: %w", err)
	}
	p.EtcdClientCert, p.EtcdClientKey = path("etcd-client.crt"), path("etcd-client.key")
	return client.write(p.EtcdClientCert, p.EtcdClientKey)
}
