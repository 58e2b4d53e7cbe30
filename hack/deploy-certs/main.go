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

// Command deploy-certs writes a kustomize overlay of artifacts/deploy that
// installs workloads-apiserver with a serving certificate and the matching
// APIService caBundle:
//
//	go run ./hack/deploy-certs [flags] OUTDIR [NAMESPACE]
//	kubectl apply -k OUTDIR
//
// It generates a CA and a serving certificate for
// workloads-apiserver.<NAMESPACE>.svc (default namespace workloads-system),
// and writes into OUTDIR: ca.crt and ca.key, tls.crt and tls.key, the
// kubernetes.io/tls Secret workloads-apiserver-serving holding them
// (serving-secret.yaml), a patch that sets the caBundle of APIService
// v1alpha1.experimental (apiservice-cabundle.yaml), and a kustomization.yaml
// that references the base by relative path and adds both.
//
// It also writes the TLS material of the three-member etcd cluster: an etcd
// CA (etcd-ca.crt, etcd-ca.key), one server and peer certificate valid for
// every member <pod>.workloads-etcd[.<NAMESPACE>[.svc[.<domain>]]]
// (etcd-member.crt, etcd-member.key), a client certificate for
// workloads-apiserver (etcd-client.crt, etcd-client.key), and the Secrets
// workloads-etcd-tls and workloads-apiserver-etcd-client holding them
// (etcd-secrets.yaml).
//
// Run again on the same OUTDIR to renew the certificates: the CAs in OUTDIR
// are kept (so the caBundle does not change, and etcd members with old and
// new certificates trust each other) unless -new-ca is given. ca.key signs
// certificates kube-apiserver trusts for this API and etcd-ca.key
// certificates etcd trusts: keep OUTDIR private.
package main

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"
)

const (
	defaultNamespace  = "workloads-system"
	serviceName       = "workloads-apiserver"
	secretName        = "workloads-apiserver-serving"
	apiServiceName    = "v1alpha1.experimental"
	caBundlePatch     = "apiservice-cabundle.yaml"
	servingSecretFile = "serving-secret.yaml"
	namespaceDir      = "namespace"

	etcdServiceName      = "workloads-etcd"
	etcdSecretName       = "workloads-etcd-tls"
	etcdClientSecretName = "workloads-apiserver-etcd-client"
	etcdSecretsFile      = "etcd-secrets.yaml"
)

// The RoleBindings the base keeps in kube-system, where the
// extension-apiserver-authentication-reader Role lives. A namespace
// transformer would move them, so a custom namespace moves them back (and
// points their one ServiceAccount subject at the new namespace).
var kubeSystemRoleBindings = []string{
	"workloads-apiserver-auth-reader",
	"workloads-controller-manager-auth-reader",
}

type options struct {
	outDir        string
	namespace     string
	baseDir       string
	clusterDomain string
	caValidity    time.Duration
	certValidity  time.Duration
	newCA         bool
}

func main() {
	var o options
	flag.StringVar(&o.baseDir, "base", "", "the kustomize base to reference (default: artifacts/deploy of the repository holding the working directory)")
	flag.StringVar(&o.clusterDomain, "cluster-domain", "cluster.local", "the cluster's DNS domain, for the <service>.<namespace>.svc.<domain> name in the certificate")
	flag.DurationVar(&o.caValidity, "ca-validity", 10*365*24*time.Hour, "validity of a new CA")
	flag.DurationVar(&o.certValidity, "cert-validity", 365*24*time.Hour, "validity of the serving certificate")
	flag.BoolVar(&o.newCA, "new-ca", false, "generate a new CA even if OUTDIR holds one (changes the caBundle)")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), `Usage: go run ./hack/deploy-certs [flags] OUTDIR [NAMESPACE]

Writes a kustomize overlay of artifacts/deploy into OUTDIR with a serving
certificate for workloads-apiserver.NAMESPACE.svc (default namespace
%s) and the APIService caBundle. Install with: kubectl apply -k OUTDIR

Flags:
`, defaultNamespace)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() < 1 || flag.NArg() > 2 {
		flag.Usage()
		os.Exit(2)
	}
	o.outDir = flag.Arg(0)
	o.namespace = defaultNamespace
	if flag.NArg() == 2 {
		o.namespace = flag.Arg(1)
	}
	if err := run(o); err != nil {
		fmt.Fprintf(os.Stderr, "deploy-certs: %v\n", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if errs := validation.IsDNS1123Label(o.namespace); len(errs) > 0 {
		return fmt.Errorf("invalid namespace %q: %s", o.namespace, strings.Join(errs, "; "))
	}
	if o.certValidity <= 0 || o.caValidity <= 0 {
		return errors.New("validities must be positive")
	}
	outDir, err := filepath.Abs(o.outDir)
	if err != nil {
		return err
	}
	baseDir := o.baseDir
	if baseDir == "" {
		if baseDir, err = findBase(); err != nil {
			return err
		}
	}
	if baseDir, err = filepath.Abs(baseDir); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(baseDir, "kustomization.yaml")); err != nil {
		return fmt.Errorf("%s is not a kustomize base: %w", baseDir, err)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return err
	}

	ca, reused, err := loadOrCreateCA(outDir, "ca", "workloads-apiserver-ca", o.caValidity, o.newCA)
	if err != nil {
		return err
	}
	etcdCA, _, err := loadOrCreateCA(outDir, "etcd-ca", "workloads-etcd-ca", o.caValidity, o.newCA)
	if err != nil {
		return err
	}
	etcd, err := newEtcdCerts(etcdCA, o.namespace, o.clusterDomain, o.certValidity)
	if err != nil {
		return err
	}
	if err := etcd.write(outDir); err != nil {
		return err
	}
	serving, err := newServingCert(ca, o.namespace, o.clusterDomain, o.certValidity)
	if err != nil {
		return err
	}
	if err := serving.write(filepath.Join(outDir, "tls.crt"), filepath.Join(outDir, "tls.key")); err != nil {
		return err
	}
	keyPEM, err := serving.keyPEM()
	if err != nil {
		return err
	}
	if err := writeOverlay(outDir, baseDir, o.namespace, encodeCert(ca.cert), encodeCert(serving.cert), keyPEM, etcd); err != nil {
		return err
	}

	how := "generated a new CA"
	if reused {
		how = "kept the CA in " + filepath.Join(outDir, "ca.crt")
	}
	fmt.Printf("deploy-certs: wrote the overlay to %s (%s; serving certificate for %s.%s.svc valid until %s)\n",
		outDir, how, serviceName, o.namespace, serving.cert.NotAfter.UTC().Format(time.DateOnly))
	fmt.Printf("Install with: kubectl apply -k %s\n", o.outDir)
	return nil
}

// findBase walks up from the working directory to the directory holding
// artifacts/deploy/kustomization.yaml.
func findBase() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		base := filepath.Join(d, "artifacts", "deploy")
		if _, err := os.Stat(filepath.Join(base, "kustomization.yaml")); err == nil {
			return base, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no artifacts/deploy/kustomization.yaml in %s or any parent directory: pass -base", wd)
		}
	}
}

type keyPair struct {
	cert *x509.Certificate
	key  crypto.Signer
}

func randomSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// loadOrCreateCA loads <name>.crt and <name>.key from dir, or creates a CA
// with common name cn@<time> there.
func loadOrCreateCA(dir, name, cn string, validity time.Duration, forceNew bool) (*keyPair, bool, error) {
	certPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if !forceNew {
		ca, err := loadKeyPair(certPath, keyPath)
		switch {
		case err == nil:
			if !ca.cert.IsCA {
				return nil, false, fmt.Errorf("%s is not a CA certificate", certPath)
			}
			if time.Now().After(ca.cert.NotAfter) {
				return nil, false, fmt.Errorf("the CA in %s expired on %s: run with -new-ca", certPath, ca.cert.NotAfter.UTC().Format(time.DateOnly))
			}
			return ca, true, nil
		case !errors.Is(err, os.ErrNotExist):
			return nil, false, fmt.Errorf("reading the CA in %s (use -new-ca to replace it): %w", dir, err)
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, false, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, false, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn + "@" + now.UTC().Format("20060102T150405Z")},
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              now.Add(validity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, false, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, false, err
	}
	ca := &keyPair{cert: cert, key: key}
	return ca, false, ca.write(certPath, keyPath)
}

func newServingCert(ca *keyPair, namespace, clusterDomain string, validity time.Duration) (*keyPair, error) {
	svc := serviceName + "." + namespace + ".svc"
	return newLeafCert(ca, svc, []string{serviceName, serviceName + "." + namespace, svc, svc + "." + clusterDomain},
		nil, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, validity)
}

// etcdCerts is the TLS material of the etcd cluster.
type etcdCerts struct {
	ca, member, client *keyPair
}

// newEtcdCerts creates the member certificate (server and peer, valid for
// every pod of the StatefulSet behind the headless Service, by wildcard) and
// workloads-apiserver's client certificate.
func newEtcdCerts(ca *keyPair, namespace, clusterDomain string, validity time.Duration) (*etcdCerts, error) {
	svc := etcdServiceName
	var names []string
	for _, n := range []string{svc, svc + "." + namespace, svc + "." + namespace + ".svc", svc + "." + namespace + ".svc." + clusterDomain} {
		names = append(names, n, "*."+n)
	}
	names = append(names, "localhost")
	member, err := newLeafCert(ca, svc, names, []net.IP{net.ParseIP("127.0.0.1")},
		[]x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}, validity)
	if err != nil {
		return nil, fmt.Errorf("creating the etcd member certificate: %w", err)
	}
	client, err := newLeafCert(ca, serviceName, nil, nil, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, validity)
	if err != nil {
		return nil, fmt.Errorf("creating the etcd client certificate: %w", err)
	}
	return &etcdCerts{ca: ca, member: member, client: client}, nil
}

func (e *etcdCerts) write(dir string) error {
	if err := e.member.write(filepath.Join(dir, "etcd-member.crt"), filepath.Join(dir, "etcd-member.key")); err != nil {
		return err
	}
	return e.client.write(filepath.Join(dir, "etcd-client.crt"), filepath.Join(dir, "etcd-client.key"))
}

// secrets returns the Secrets of the etcd members and of
// workloads-apiserver's client certificate.
func (e *etcdCerts) secrets(namespace string) ([]map[string]any, error) {
	var out []map[string]any
	for _, s := range []struct {
		name string
		kp   *keyPair
	}{{etcdSecretName, e.member}, {etcdClientSecretName, e.client}} {
		keyPEM, err := s.kp.keyPEM()
		if err != nil {
			return nil, err
		}
		out = append(out, map[string]any{
			"apiVersion": "v1",
			"kind":       "Secret",
			"metadata":   map[string]any{"name": s.name, "namespace": namespace},
			"type":       "kubernetes.io/tls",
			"data": map[string]any{
				"ca.crt":  base64.StdEncoding.EncodeToString(encodeCert(e.ca.cert)),
				"tls.crt": base64.StdEncoding.EncodeToString(encodeCert(s.kp.cert)),
				"tls.key": base64.StdEncoding.EncodeToString(keyPEM),
			},
		})
	}
	return out, nil
}

// newLeafCert creates a key and a certificate signed by ca.
func newLeafCert(ca *keyPair, cn string, dnsNames []string, ips []net.IP, usages []x509.ExtKeyUsage, validity time.Duration) (*keyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(validity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: cn},
		DNSNames:              dnsNames,
		IPAddresses:           ips,
		NotBefore:             now.Add(-5 * time.Minute),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
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

func (kp *keyPair) keyPEM() ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(kp.key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func (kp *keyPair) write(certPath, keyPath string) error {
	keyPEM, err := kp.keyPEM()
	if err != nil {
		return err
	}
	if err := writeFile(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	return writeFile(certPath, encodeCert(kp.cert), 0o644)
}

func loadKeyPair(certPath, keyPath string) (*keyPair, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, err
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("%s: no PEM certificate", certPath)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", certPath, err)
	}
	block, _ = pem.Decode(keyPEM)
	if block == nil {
		return nil, fmt.Errorf("%s: no PEM key", keyPath)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", keyPath, err)
	}
	key, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("%s: unsupported key type %T", keyPath, parsed)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to %s", keyPath, certPath)
	}
	return &keyPair{cert: cert, key: key}, nil
}

// writeFile replaces path atomically, so an interrupted run never leaves a
// half-written key.
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// The kustomization.yaml fields the overlay uses, in the order they are
// written.
type kustomization struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Namespace  string   `json:"namespace,omitempty"`
	Resources  []string `json:"resources"`
	Patches    []patch  `json:"patches,omitempty"`
}

type patch struct {
	Path   string       `json:"path,omitempty"`
	Patch  string       `json:"patch,omitempty"`
	Target *patchTarget `json:"target,omitempty"`
}

type patchTarget struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

func newKustomization() kustomization {
	return kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization"}
}

const generatedHeader = "# Written by hack/deploy-certs. Re-run it to renew the serving certificate.\n"

func writeYAML(path string, header string, v any) error {
	return writeFileYAML(path, header, v, 0o644)
}

func writeFileYAML(path string, header string, v any, perm os.FileMode) error {
	data, err := yaml.Marshal(v)
	if err != nil {
		return err
	}
	return writeFile(path, append([]byte(header), data...), perm)
}

// writeOverlay writes OUTDIR/kustomization.yaml, the serving Secret and the
// caBundle patch. For a namespace other than the base's, a nested
// kustomization in OUTDIR/namespace moves the base there, and the top level
// moves the kube-system RoleBindings back.
func writeOverlay(outDir, baseDir, namespace string, caPEM, certPEM, keyPEM []byte, etcd *etcdCerts) error {
	top := newKustomization()
	nsDir := filepath.Join(outDir, namespaceDir)
	if namespace == defaultNamespace {
		rel, err := filepath.Rel(outDir, baseDir)
		if err != nil {
			return err
		}
		top.Resources = []string{filepath.ToSlash(rel)}
		if err := os.RemoveAll(nsDir); err != nil {
			return err
		}
	} else {
		if err := os.MkdirAll(nsDir, 0o755); err != nil {
			return err
		}
		rel, err := filepath.Rel(nsDir, baseDir)
		if err != nil {
			return err
		}
		inner := newKustomization()
		inner.Namespace = namespace
		inner.Resources = []string{filepath.ToSlash(rel)}
		if err := writeYAML(filepath.Join(nsDir, "kustomization.yaml"), generatedHeader, inner); err != nil {
			return err
		}
		top.Resources = []string{namespaceDir}
		for _, name := range kubeSystemRoleBindings {
			top.Patches = append(top.Patches, patch{
				Target: &patchTarget{Kind: "RoleBinding", Name: name},
				Patch: "- op: replace\n  path: /metadata/namespace\n  value: kube-system\n" +
					"- op: replace\n  path: /subjects/0/namespace\n  value: " + namespace + "\n",
			})
		}
	}
	// A plain Secret rather than a secretGenerator: kustomize wraps long
	// base64 values, which kubectl apply then reports as a change on every
	// run. The fixed name lets a renewed certificate reach the running pods
	// without a rollout.
	top.Resources = append(top.Resources, servingSecretFile)
	secret := map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": secretName, "namespace": namespace},
		"type":       "kubernetes.io/tls",
		"data": map[string]any{
			"tls.crt": base64.StdEncoding.EncodeToString(certPEM),
			"tls.key": base64.StdEncoding.EncodeToString(keyPEM),
		},
	}
	if err := writeFileYAML(filepath.Join(outDir, servingSecretFile), generatedHeader, secret, 0o600); err != nil {
		return err
	}
	top.Resources = append(top.Resources, etcdSecretsFile)
	etcdSecrets, err := etcd.secrets(namespace)
	if err != nil {
		return err
	}
	var docs []byte
	for i, secret := range etcdSecrets {
		data, err := yaml.Marshal(secret)
		if err != nil {
			return err
		}
		if i > 0 {
			docs = append(docs, "---\n"...)
		}
		docs = append(docs, data...)
	}
	if err := writeFile(filepath.Join(outDir, etcdSecretsFile), append([]byte(generatedHeader), docs...), 0o600); err != nil {
		return err
	}
	top.Patches = append(top.Patches, patch{Path: caBundlePatch})

	caBundle := map[string]any{
		"apiVersion": "apiregistration.k8s.io/v1",
		"kind":       "APIService",
		"metadata":   map[string]any{"name": apiServiceName},
		"spec":       map[string]any{"caBundle": base64.StdEncoding.EncodeToString(caPEM)},
	}
	if err := writeYAML(filepath.Join(outDir, caBundlePatch), generatedHeader, caBundle); err != nil {
		return err
	}
	var header bytes.Buffer
	header.WriteString(generatedHeader)
	header.WriteString("# ca.key, tls.key, etcd-*.key, " + servingSecretFile + " and " + etcdSecretsFile +
		" are secrets: keep this directory out of version control.\n")
	return writeYAML(filepath.Join(outDir, "kustomization.yaml"), header.String(), top)
}
