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

// Package deploy_test checks the kustomize base in artifacts/deploy: the
// overlay hack/deploy-certs writes renders into a consistent set of objects,
// and it installs into a real cluster.
package deploy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	defaultNamespace   = "workloads-system"
	apiServerName      = "workloads-apiserver"
	controllerName     = "workloads-controller-manager"
	etcdName           = "workloads-etcd"
	servingSecret      = "workloads-apiserver-serving"
	etcdSecret         = "workloads-etcd-tls"
	etcdClientSecret   = "workloads-apiserver-etcd-client"
	etcdMembers        = 3
	apiServerReplicas  = 3
	apiServiceName     = "v1alpha1.experimental"
	image              = "ghcr.io/kube-experimental/workloads-apiserver:v0.1.0"
	controllerHTTPS    = 10361
	apiServerHTTPSPort = 8443
)

// builtinClusterRoles and builtinRoles are what every cluster has, so
// bindings may reference them without the base defining them.
var (
	builtinClusterRoles = []string{"system:auth-delegator", "view", "edit", "admin", "cluster-admin"}
	builtinRoles        = []string{"kube-system/extension-apiserver-authentication-reader"}
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// pinnedKubectl returns <repo>/_output/bin/kubectl, built from the pinned
// Kubernetes release. Missing, it skips the test, or fails it under CI.
func pinnedKubectl(t *testing.T) string {
	t.Helper()
	kubectl := filepath.Join(repoRoot(t), "_output", "bin", "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found under CI; make test runs hack/install-tools.sh first", kubectl)
		}
		t.Skipf("skipping: %s not found; run hack/install-tools.sh", kubectl)
	}
	return kubectl
}

// writeOverlay runs hack/deploy-certs into dir; namespace "" means the
// default.
func writeOverlay(t *testing.T, dir, namespace string) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to run hack/deploy-certs: %v", err)
	}
	args := []string{"run", "./hack/deploy-certs", dir}
	if namespace != "" {
		args = append(args, namespace)
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	t.Logf("%s", bytes.TrimSpace(out))
}

// rendered is the output of `kubectl kustomize`, indexed by kind,
// namespace and name.
type rendered struct {
	order   []string
	objects map[string]runtime.Object
}

func key(kind, namespace, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}

func (r *rendered) get(t *testing.T, kind, namespace, name string) runtime.Object {
	t.Helper()
	obj, ok := r.objects[key(kind, namespace, name)]
	if !ok {
		t.Fatalf("the overlay has no %s", key(kind, namespace, name))
	}
	return obj
}

func (r *rendered) has(kind, namespace, name string) bool {
	_, ok := r.objects[key(kind, namespace, name)]
	return ok
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := apiregistrationv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	return s
}

func render(t *testing.T, kubectl, dir string) *rendered {
	t.Helper()
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	decoder := serializer.NewCodecFactory(newScheme(t), serializer.EnableStrict).UniversalDeserializer()
	r := &rendered{objects: map[string]runtime.Object{}}
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(out)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		obj, gvk, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			t.Fatalf("decoding a rendered document: %v\n%s", err, doc)
		}
		m, err := metaOf(obj)
		if err != nil {
			t.Fatal(err)
		}
		k := key(gvk.Kind, m.GetNamespace(), m.GetName())
		if _, dup := r.objects[k]; dup {
			t.Errorf("%s rendered twice", k)
		}
		r.objects[k] = obj
		r.order = append(r.order, k)
	}
	return r
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", obj)
	}
	return m, nil
}

func TestRenderedOverlay(t *testing.T) {
	kubectl := pinnedKubectl(t)
	for _, namespace := range []string{"", "team-workloads"} {
		name := "default namespace"
		if namespace != "" {
			name = "namespace " + namespace
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeOverlay(t, dir, namespace)
			ns := namespace
			if ns == "" {
				ns = defaultNamespace
			}
			checkRendered(t, render(t, kubectl, dir), ns)
		})
	}
}

func checkRendered(t *testing.T, r *rendered, ns string) {
	required := []string{
		key("Namespace", "", ns),
		key("ServiceAccount", ns, apiServerName),
		key("ServiceAccount", ns, controllerName),
		key("ClusterRole", "", apiServerName),
		key("ClusterRole", "", controllerName),
		key("ClusterRole", "", "workloads-experimental-view"),
		key("ClusterRole", "", "workloads-experimental-edit"),
		key("ClusterRole", "", "workloads-experimental-admin"),
		key("ClusterRoleBinding", "", apiServerName),
		key("ClusterRoleBinding", "", apiServerName+":system:auth-delegator"),
		key("ClusterRoleBinding", "", controllerName),
		key("RoleBinding", "kube-system", apiServerName+"-auth-reader"),
		key("Role", ns, controllerName+"-leader-election"),
		key("RoleBinding", ns, controllerName+"-leader-election"),
		key("Service", ns, etcdName),
		key("StatefulSet", ns, etcdName),
		key("PodDisruptionBudget", ns, etcdName),
		key("NetworkPolicy", ns, etcdName),
		key("Secret", ns, etcdSecret),
		key("Secret", ns, etcdClientSecret),
		key("Deployment", ns, apiServerName),
		key("PodDisruptionBudget", ns, apiServerName),
		key("Service", ns, apiServerName),
		key("APIService", "", apiServiceName),
		key("Deployment", ns, controllerName),
		key("Secret", ns, servingSecret),
	}
	for _, k := range required {
		if _, ok := r.objects[k]; !ok {
			t.Errorf("the overlay lacks %s; it has %v", k, r.order)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	t.Run("namespaces", func(t *testing.T) {
		for _, k := range r.order {
			m, _ := metaOf(r.objects[k])
			switch m.GetNamespace() {
			case "", ns:
			case "kube-system":
				if !strings.HasPrefix(k, "RoleBinding/") {
					t.Errorf("%s: only RoleBindings to extension-apiserver-authentication-reader belong in kube-system", k)
				}
			default:
				t.Errorf("%s is in namespace %q, want %q", k, m.GetNamespace(), ns)
			}
		}
	})

	t.Run("APIService and serving certificate", func(t *testing.T) {
		checkAPIService(t, r, ns)
	})
	t.Run("workloads-apiserver", func(t *testing.T) {
		checkAPIServer(t, r, ns)
	})
	t.Run("etcd", func(t *testing.T) {
		checkEtcd(t, r, ns)
	})
	t.Run("workloads-controller-manager", func(t *testing.T) {
		checkControllerManager(t, r, ns)
	})
	t.Run("service accounts and bindings", func(t *testing.T) {
		checkReferences(t, r)
	})
	t.Run("aggregated roles", func(t *testing.T) {
		checkAggregatedRoles(t, r)
	})
}

func checkAPIService(t *testing.T, r *rendered, ns string) {
	as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
	spec := as.Spec
	if spec.Group != "experimental" || spec.Version != "v1alpha1" {
		t.Errorf("APIService serves %s/%s, want experimental/v1alpha1", spec.Group, spec.Version)
	}
	if spec.GroupPriorityMinimum != 1000 || spec.VersionPriority != 100 {
		t.Errorf("APIService priorities %d/%d, want 1000/100", spec.GroupPriorityMinimum, spec.VersionPriority)
	}
	if spec.InsecureSkipTLSVerify {
		t.Error("APIService sets insecureSkipTLSVerify")
	}
	if spec.Service == nil || spec.Service.Name != apiServerName || spec.Service.Namespace != ns {
		t.Fatalf("APIService service = %+v, want %s/%s", spec.Service, ns, apiServerName)
	}
	port := int32(443)
	if spec.Service.Port != nil {
		port = *spec.Service.Port
	}
	svc := r.get(t, "Service", ns, apiServerName).(*corev1.Service)
	if !slices.ContainsFunc(svc.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port }) {
		t.Errorf("APIService targets port %d, which Service %s/%s does not expose", port, ns, apiServerName)
	}

	// caBundle: a PEM CA that verifies the certificate the server presents.
	block, rest := pem.Decode(spec.CABundle)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("caBundle is not a PEM certificate: %q", spec.CABundle)
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("caBundle holds more than one PEM block")
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("caBundle: %v", err)
	}
	if !ca.IsCA {
		t.Error("caBundle certificate is not a CA")
	}
	secret := r.get(t, "Secret", ns, servingSecret).(*corev1.Secret)
	if secret.Type != corev1.SecretTypeTLS {
		t.Errorf("Secret %s type %q, want %q", servingSecret, secret.Type, corev1.SecretTypeTLS)
	}
	pair, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
	if err != nil {
		t.Fatalf("Secret %s: tls.crt and tls.key: %v", servingSecret, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	dnsName := apiServerName + "." + ns + ".svc"
	if _, err := leaf.Verify(x509.VerifyOptions{
		DNSName:   dnsName,
		Roots:     roots,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}); err != nil {
		t.Errorf("the serving certificate does not verify for %s against caBundle: %v", dnsName, err)
	}
	// Negative control: the same check fails for another name.
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: apiServerName + ".elsewhere.svc", Roots: roots}); err == nil {
		t.Error("the serving certificate verifies for an unrelated name")
	}
	if time.Until(leaf.NotAfter) < 300*24*time.Hour {
		t.Errorf("the serving certificate expires on %s, less than 300 days from now", leaf.NotAfter)
	}
}

// flags turns --name=value arguments into a map.
func flags(t *testing.T, args []string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, a := range args {
		name, value, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !strings.HasPrefix(a, "--") || !ok {
			t.Errorf("argument %q is not --name=value", a)
			continue
		}
		m[name] = value
	}
	return m
}

func container(t *testing.T, spec *corev1.PodSpec, name string) *corev1.Container {
	t.Helper()
	for i := range spec.Containers {
		if spec.Containers[i].Name == name {
			return &spec.Containers[i]
		}
	}
	t.Fatalf("no container %q", name)
	return nil
}

// containerPort resolves a probe's or Service's port against the container.
func containerPort(t *testing.T, c *corev1.Container, port intstr.IntOrString) int32 {
	t.Helper()
	if port.Type == intstr.Int {
		return port.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return p.ContainerPort
		}
	}
	t.Fatalf("container %s has no port named %q", c.Name, port.StrVal)
	return 0
}

func checkProbe(t *testing.T, what string, c *corev1.Container, p *corev1.Probe, path string, scheme corev1.URIScheme, port int32) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: no HTTP probe", what)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Scheme != scheme || containerPort(t, c, p.HTTPGet.Port) != port {
		t.Errorf("%s probes %s %s port %s, want %s %s port %d", what, p.HTTPGet.Scheme, p.HTTPGet.Path, p.HTTPGet.Port.String(), scheme, path, port)
	}
}

func checkHardened(t *testing.T, what string, pod *corev1.PodSpec, c *corev1.Container) {
	t.Helper()
	sc := c.SecurityContext
	if sc == nil {
		t.Errorf("%s: no securityContext", what)
		return
	}
	nonRoot := sc.RunAsNonRoot
	if nonRoot == nil && pod.SecurityContext != nil {
		nonRoot = pod.SecurityContext.RunAsNonRoot
	}
	if nonRoot == nil || !*nonRoot {
		t.Errorf("%s: runAsNonRoot not set", what)
	}
	if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem not set", what)
	}
	if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation not false", what)
	}
	if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") {
		t.Errorf("%s: capabilities do not drop ALL", what)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("%s: resources %v lack cpu/memory requests or a memory limit", what, c.Resources)
	}
}

func selectorOf(t *testing.T, s *metav1.LabelSelector) labels.Selector {
	t.Helper()
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		t.Fatal(err)
	}
	if sel.Empty() {
		t.Fatal("empty label selector")
	}
	return sel
}

func checkAPIServer(t *testing.T, r *rendered, ns string) {
	d := r.get(t, "Deployment", ns, apiServerName).(*appsv1.Deployment)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != apiServerReplicas {
		t.Errorf("replicas = %s, want %d", replicas(d.Spec.Replicas), apiServerReplicas)
	}
	pod := &d.Spec.Template.Spec
	podLabels := labels.Set(d.Spec.Template.Labels)
	if !selectorOf(t, d.Spec.Selector).Matches(podLabels) {
		t.Errorf("the Deployment's selector does not match its pods")
	}
	c := container(t, pod, "apiserver")
	if c.Image != image {
		t.Errorf("image %q, want %q", c.Image, image)
	}
	if !slices.Equal(c.Command, []string{"/workloads-apiserver"}) {
		t.Errorf("command %q, want /workloads-apiserver", c.Command)
	}
	args := flags(t, c.Args)
	if args["secure-port"] != fmt.Sprint(apiServerHTTPSPort) {
		t.Errorf("--secure-port=%q, want %d", args["secure-port"], apiServerHTTPSPort)
	}
	if !strings.Contains(args["runtime-config"], "experimental/v1alpha1=true") {
		t.Errorf("--runtime-config=%q does not enable experimental/v1alpha1", args["runtime-config"])
	}
	if _, ok := args["kubeconfig"]; ok {
		t.Error("--kubeconfig given: in a cluster the server uses its in-cluster config")
	}
	if _, ok := args["etcd-data-dir"]; ok {
		t.Error("--etcd-data-dir given: the embedded etcd is for development")
	}
	// Every etcd member, over TLS, by its name behind the headless Service.
	etcdSvc := r.get(t, "Service", ns, etcdName).(*corev1.Service)
	servers := strings.Split(args["etcd-servers"], ",")
	var members []string
	for _, server := range servers {
		etcdURL, err := url.Parse(server)
		if err != nil || etcdURL.Scheme != "https" {
			t.Errorf("--etcd-servers entry %q is not an https:// URL (%v)", server, err)
			continue
		}
		pod, svcName, _ := strings.Cut(etcdURL.Hostname(), ".")
		if svcName != etcdName && svcName != etcdName+"."+ns && !strings.HasPrefix(svcName, etcdName+"."+ns+".svc") {
			t.Errorf("--etcd-servers host %q is not a pod behind the %s/%s Service", etcdURL.Hostname(), ns, etcdName)
		}
		members = append(members, pod)
		if !slices.ContainsFunc(etcdSvc.Spec.Ports, func(p corev1.ServicePort) bool { return fmt.Sprint(p.Port) == etcdURL.Port() }) {
			t.Errorf("--etcd-servers port %s is not a port of Service %s", etcdURL.Port(), etcdName)
		}
	}
	var wantMembers []string
	for i := range etcdMembers {
		wantMembers = append(wantMembers, fmt.Sprintf("%s-%d", etcdName, i))
	}
	if slices.Sort(members); !slices.Equal(members, wantMembers) {
		t.Errorf("--etcd-servers=%q names the members %v, want %v", args["etcd-servers"], members, wantMembers)
	}
	etcdDir := mountedSecret(t, pod, c, etcdClientSecret)
	for flag, file := range map[string]string{"etcd-cafile": "ca.crt", "etcd-certfile": corev1.TLSCertKey, "etcd-keyfile": corev1.TLSPrivateKeyKey} {
		if args[flag] != filepath.Join(etcdDir, file) {
			t.Errorf("--%s=%q, want %s from the mounted Secret %s", flag, args[flag], filepath.Join(etcdDir, file), etcdClientSecret)
		}
	}

	// Graceful termination: the shutdown delay and the watch grace period
	// fit into the pod's termination grace period, with room for requests
	// to finish.
	var shutdown time.Duration
	for _, flag := range []string{"shutdown-delay-duration", "shutdown-watch-termination-grace-period"} {
		d, err := time.ParseDuration(args[flag])
		if err != nil || d <= 0 {
			t.Errorf("--%s=%q, want a positive duration", flag, args[flag])
		}
		shutdown += d
	}
	if args["shutdown-send-retry-after"] != "true" {
		t.Errorf("--shutdown-send-retry-after=%q, want true", args["shutdown-send-retry-after"])
	}
	// Every GOAWAY races kube-apiserver's HTTP/2 client (a request it had
	// just assigned to the connection fails), so none is sent at random.
	if chance, ok := args["goaway-chance"]; ok && chance != "0" {
		t.Errorf("--goaway-chance=%q, want it unset or 0 behind kube-apiserver", chance)
	}
	grace := time.Duration(ptr.Deref(pod.TerminationGracePeriodSeconds, corev1.DefaultTerminationGracePeriodSeconds)) * time.Second
	if grace < shutdown+30*time.Second {
		t.Errorf("terminationGracePeriodSeconds %s does not cover the shutdown delay and watch grace (%s) plus 30s for requests", grace, shutdown)
	}

	// The serving certificate comes from the Secret the overlay generates.
	var certDir string
	for _, v := range pod.Volumes {
		if v.Secret == nil || v.Secret.SecretName != servingSecret {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				certDir = m.MountPath
			}
		}
	}
	if certDir == "" {
		t.Fatalf("Secret %s is not mounted into the apiserver container", servingSecret)
	}
	if args["tls-cert-file"] != filepath.Join(certDir, corev1.TLSCertKey) || args["tls-private-key-file"] != filepath.Join(certDir, corev1.TLSPrivateKeyKey) {
		t.Errorf("--tls-cert-file=%q --tls-private-key-file=%q are not the mounted Secret in %s",
			args["tls-cert-file"], args["tls-private-key-file"], certDir)
	}

	checkProbe(t, "liveness", c, c.LivenessProbe, "/livez", corev1.URISchemeHTTPS, apiServerHTTPSPort)
	checkProbe(t, "readiness", c, c.ReadinessProbe, "/readyz", corev1.URISchemeHTTPS, apiServerHTTPSPort)
	checkHardened(t, "apiserver", pod, c)
	if pod.ServiceAccountName != apiServerName {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, apiServerName)
	}

	// Anti-affinity: replicas prefer different nodes.
	var antiAffinity bool
	if a := pod.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, term := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if term.PodAffinityTerm.TopologyKey == "kubernetes.io/hostname" &&
				selectorOf(t, term.PodAffinityTerm.LabelSelector).Matches(podLabels) {
				antiAffinity = true
			}
		}
	}
	if !antiAffinity {
		t.Errorf("no preferred pod anti-affinity by kubernetes.io/hostname among the apiserver pods: %+v", pod.Affinity)
	}
	checkTopologySpread(t, "apiserver", pod, podLabels)

	// The PDB and the Service select exactly the apiserver pods.
	cm := r.get(t, "Deployment", ns, controllerName).(*appsv1.Deployment)
	etcd := r.get(t, "StatefulSet", ns, etcdName).(*appsv1.StatefulSet)
	others := []labels.Set{labels.Set(cm.Spec.Template.Labels), labels.Set(etcd.Spec.Template.Labels)}
	pdb := r.get(t, "PodDisruptionBudget", ns, apiServerName).(*policyv1.PodDisruptionBudget)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "1" || pdb.Spec.MinAvailable != nil {
		t.Errorf("PDB maxUnavailable = %v, minAvailable = %v, want maxUnavailable 1", pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable)
	}
	pdbSel := selectorOf(t, pdb.Spec.Selector)
	if !pdbSel.Matches(podLabels) {
		t.Errorf("the PDB selector %s does not select the apiserver pods %v", pdbSel, podLabels)
	}
	svc := r.get(t, "Service", ns, apiServerName).(*corev1.Service)
	svcSel := labels.SelectorFromSet(svc.Spec.Selector)
	if len(svc.Spec.Selector) == 0 || !svcSel.Matches(podLabels) {
		t.Errorf("Service selector %v does not select the apiserver pods %v", svc.Spec.Selector, podLabels)
	}
	for _, other := range others {
		if pdbSel.Matches(other) || svcSel.Matches(other) {
			t.Errorf("the apiserver PDB or Service also selects pods labelled %v", other)
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 443 || containerPort(t, c, svc.Spec.Ports[0].TargetPort) != apiServerHTTPSPort {
		t.Errorf("Service ports %+v, want 443 -> %d", svc.Spec.Ports, apiServerHTTPSPort)
	}
}

// mountedSecret returns where the Secret name is mounted into c.
func mountedSecret(t *testing.T, pod *corev1.PodSpec, c *corev1.Container, name string) string {
	t.Helper()
	for _, v := range pod.Volumes {
		if v.Secret == nil || v.Secret.SecretName != name {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				return m.MountPath
			}
		}
	}
	t.Fatalf("Secret %s is not mounted into container %s", name, c.Name)
	return ""
}

// checkTopologySpread checks that the pods spread over zones and nodes.
func checkTopologySpread(t *testing.T, what string, pod *corev1.PodSpec, podLabels labels.Set) {
	t.Helper()
	keys := map[string]bool{}
	for _, c := range pod.TopologySpreadConstraints {
		if c.MaxSkew == 1 && c.LabelSelector != nil && selectorOf(t, c.LabelSelector).Matches(podLabels) {
			keys[c.TopologyKey] = true
		}
	}
	for _, key := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
		if !keys[key] {
			t.Errorf("%s: no topology spread constraint (maxSkew 1, selecting its pods) over %s: %+v", what, key, pod.TopologySpreadConstraints)
		}
	}
}

func replicas(n *int32) string {
	if n == nil {
		return "unset"
	}
	return fmt.Sprint(*n)
}

func checkEtcd(t *testing.T, r *rendered, ns string) {
	sts := r.get(t, "StatefulSet", ns, etcdName).(*appsv1.StatefulSet)
	if sts.Spec.Replicas == nil || *sts.Spec.Replicas != etcdMembers {
		t.Errorf("etcd replicas = %s, want %d", replicas(sts.Spec.Replicas), etcdMembers)
	}
	svc := r.get(t, "Service", sts.Namespace, sts.Spec.ServiceName).(*corev1.Service)
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("Service %s is not headless (clusterIP %q)", svc.Name, svc.Spec.ClusterIP)
	}
	podLabels := labels.Set(sts.Spec.Template.Labels)
	if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels) {
		t.Errorf("Service %s does not select the etcd pods", svc.Name)
	}
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("etcd has %d volumeClaimTemplates, want 1", len(sts.Spec.VolumeClaimTemplates))
	}
	c := container(t, &sts.Spec.Template.Spec, "etcd")
	if !strings.HasPrefix(c.Image, "registry.k8s.io/etcd:3.6.") && !strings.HasPrefix(c.Image, "quay.io/coreos/etcd:v3.6.") {
		t.Errorf("etcd image %q is not etcd 3.6", c.Image)
	}
	claim := sts.Spec.VolumeClaimTemplates[0].Name
	var dataMount string
	for _, m := range c.VolumeMounts {
		if m.Name == claim {
			dataMount = m.MountPath
		}
	}
	if dataMount == "" {
		t.Fatalf("the volume claim %q is not mounted", claim)
	}
	var dataDir string
	for _, a := range append(slices.Clone(c.Command), c.Args...) {
		if v, ok := strings.CutPrefix(a, "--data-dir="); ok {
			dataDir = v
		}
	}
	if dataDir != dataMount && !strings.HasPrefix(dataDir, dataMount+"/") {
		t.Errorf("--data-dir=%q is not on the persistent volume mounted at %s", dataDir, dataMount)
	}
	if c.LivenessProbe == nil || c.ReadinessProbe == nil {
		t.Error("etcd lacks a liveness or readiness probe")
	}
	checkHardened(t, "etcd", &sts.Spec.Template.Spec, c)

	// Client and peer TLS with certificates of the etcd CA, from the Secret.
	args := flags(t, append(slices.Clone(c.Command[1:]), c.Args...))
	tlsDir := mountedSecret(t, &sts.Spec.Template.Spec, c, etcdSecret)
	for flag, file := range map[string]string{
		"cert-file": corev1.TLSCertKey, "key-file": corev1.TLSPrivateKeyKey, "trusted-ca-file": "ca.crt",
		"peer-cert-file": corev1.TLSCertKey, "peer-key-file": corev1.TLSPrivateKeyKey, "peer-trusted-ca-file": "ca.crt",
	} {
		if args[flag] != filepath.Join(tlsDir, file) {
			t.Errorf("etcd --%s=%q, want %s", flag, args[flag], filepath.Join(tlsDir, file))
		}
	}
	for _, flag := range []string{"client-cert-auth", "peer-client-cert-auth"} {
		if args[flag] != "true" {
			t.Errorf("etcd --%s is not set", flag)
		}
	}
	for _, flag := range []string{"listen-client-urls", "advertise-client-urls", "listen-peer-urls", "initial-advertise-peer-urls"} {
		if !strings.HasPrefix(args[flag], "https://") {
			t.Errorf("etcd --%s=%q is not https://", flag, args[flag])
		}
	}
	// Peer discovery: every member by its name behind the headless Service.
	initial := strings.Split(args["initial-cluster"], ",")
	if len(initial) != etcdMembers {
		t.Errorf("etcd --initial-cluster=%q has %d members, want %d", args["initial-cluster"], len(initial), etcdMembers)
	}
	for i, m := range initial {
		member := fmt.Sprintf("%s-%d", sts.Name, i)
		if want := fmt.Sprintf("%s=https://%s.%s:2380", member, member, svc.Name); m != want {
			t.Errorf("etcd --initial-cluster member %d is %q, want %q", i, m, want)
		}
	}
	checkEtcdCertificates(t, r, ns, sts.Name, svc.Name)

	// Members on different nodes and zones, at most one down at a time.
	podSpec := &sts.Spec.Template.Spec
	var antiAffinity bool
	if a := podSpec.Affinity; a != nil && a.PodAntiAffinity != nil {
		for _, term := range a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution {
			if term.PodAffinityTerm.TopologyKey == "kubernetes.io/hostname" && selectorOf(t, term.PodAffinityTerm.LabelSelector).Matches(podLabels) {
				antiAffinity = true
			}
		}
		for _, term := range a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
			if term.TopologyKey == "kubernetes.io/hostname" && selectorOf(t, term.LabelSelector).Matches(podLabels) {
				antiAffinity = true
			}
		}
	}
	if !antiAffinity {
		t.Errorf("no pod anti-affinity by kubernetes.io/hostname among the etcd members: %+v", podSpec.Affinity)
	}
	checkTopologySpread(t, "etcd", podSpec, podLabels)
	pdb := r.get(t, "PodDisruptionBudget", ns, etcdName).(*policyv1.PodDisruptionBudget)
	if pdb.Spec.MaxUnavailable == nil || pdb.Spec.MaxUnavailable.String() != "1" {
		t.Errorf("etcd PDB maxUnavailable = %v, want 1", pdb.Spec.MaxUnavailable)
	}
	if !selectorOf(t, pdb.Spec.Selector).Matches(podLabels) {
		t.Errorf("the etcd PDB does not select the etcd pods")
	}
	np := r.get(t, "NetworkPolicy", ns, etcdName).(*networkingv1.NetworkPolicy)
	if !selectorOf(t, &np.Spec.PodSelector).Matches(podLabels) {
		t.Errorf("NetworkPolicy %s does not apply to the etcd pods", np.Name)
	}
}

// checkEtcdCertificates checks the etcd Secrets: the member certificate
// serves and authenticates every member by its name behind the headless
// Service; the client certificate authenticates workloads-apiserver; both
// chain to the etcd CA, which is not the aggregation serving CA.
func checkEtcdCertificates(t *testing.T, r *rendered, ns, sts, svc string) {
	t.Helper()
	parse := func(name string) (*x509.Certificate, *x509.CertPool) {
		t.Helper()
		secret := r.get(t, "Secret", ns, name).(*corev1.Secret)
		pair, err := tls.X509KeyPair(secret.Data[corev1.TLSCertKey], secret.Data[corev1.TLSPrivateKeyKey])
		if err != nil {
			t.Fatalf("Secret %s: %v", name, err)
		}
		leaf, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(secret.Data["ca.crt"]) {
			t.Fatalf("Secret %s: no ca.crt", name)
		}
		return leaf, roots
	}
	member, roots := parse(etcdSecret)
	for i := range etcdMembers {
		for _, host := range []string{fmt.Sprintf("%s-%d.%s", sts, i, svc), fmt.Sprintf("%s-%d.%s.%s.svc", sts, i, svc, ns)} {
			if _, err := member.Verify(x509.VerifyOptions{DNSName: host, Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
				t.Errorf("the etcd member certificate does not serve %s: %v", host, err)
			}
		}
	}
	if _, err := member.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the etcd member certificate cannot authenticate to its peers: %v", err)
	}
	if _, err := member.Verify(x509.VerifyOptions{DNSName: "etcd.elsewhere.svc", Roots: roots}); err == nil {
		t.Error("the etcd member certificate verifies for an unrelated name")
	}
	client, clientRoots := parse(etcdClientSecret)
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("the etcd client certificate does not chain to the etcd CA: %v", err)
	}
	if !clientRoots.Equal(roots) {
		t.Error("the two etcd Secrets carry different CAs")
	}
	as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
	if aggregationRoots := x509.NewCertPool(); aggregationRoots.AppendCertsFromPEM(as.Spec.CABundle) {
		if _, err := client.Verify(x509.VerifyOptions{Roots: aggregationRoots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
			t.Error("the etcd client certificate is signed by the aggregation serving CA: use a separate etcd CA")
		}
	}
}

func checkControllerManager(t *testing.T, r *rendered, ns string) {
	d := r.get(t, "Deployment", ns, controllerName).(*appsv1.Deployment)
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 {
		t.Errorf("replicas = %s, want 2", replicas(d.Spec.Replicas))
	}
	pod := &d.Spec.Template.Spec
	if !selectorOf(t, d.Spec.Selector).Matches(labels.Set(d.Spec.Template.Labels)) {
		t.Errorf("the Deployment's selector does not match its pods")
	}
	c := container(t, pod, "controller-manager")
	if c.Image != image {
		t.Errorf("image %q, want %q", c.Image, image)
	}
	if !slices.Equal(c.Command, []string{"/workloads-controller-manager"}) {
		t.Errorf("command %q, want /workloads-controller-manager", c.Command)
	}
	args := flags(t, c.Args)
	if args["leader-elect"] != "true" {
		t.Errorf("--leader-elect=%q, want true", args["leader-elect"])
	}
	if args["secure-port"] != fmt.Sprint(controllerHTTPS) {
		t.Errorf("--secure-port=%q, want %d", args["secure-port"], controllerHTTPS)
	}
	// The lease namespace: the literal namespace, or the pod's own through
	// the downward API.
	leaseNS := args["leader-elect-resource-namespace"]
	if v, ok := strings.CutPrefix(leaseNS, "$("); ok {
		env := strings.TrimSuffix(v, ")")
		i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == env })
		if i < 0 || c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.FieldRef == nil || c.Env[i].ValueFrom.FieldRef.FieldPath != "metadata.namespace" {
			t.Errorf("--leader-elect-resource-namespace=%s does not come from metadata.namespace", leaseNS)
		}
		leaseNS = d.Namespace
	}
	if leaseNS != ns {
		t.Errorf("leader election in namespace %q, want %q", leaseNS, ns)
	}
	if !r.has("Role", leaseNS, controllerName+"-leader-election") {
		t.Errorf("no leader-election Role in %s", leaseNS)
	}
	checkProbe(t, "liveness", c, c.LivenessProbe, "/healthz", corev1.URISchemeHTTPS, controllerHTTPS)
	checkProbe(t, "readiness", c, c.ReadinessProbe, "/healthz", corev1.URISchemeHTTPS, controllerHTTPS)
	checkHardened(t, "controller-manager", pod, c)
	if pod.ServiceAccountName != controllerName {
		t.Errorf("serviceAccountName %q, want %q", pod.ServiceAccountName, controllerName)
	}
}

func checkReferences(t *testing.T, r *rendered) {
	for _, k := range r.order {
		var pod *corev1.PodSpec
		var ns string
		switch o := r.objects[k].(type) {
		case *appsv1.Deployment:
			pod, ns = &o.Spec.Template.Spec, o.Namespace
		case *appsv1.StatefulSet:
			pod, ns = &o.Spec.Template.Spec, o.Namespace
		case *appsv1.DaemonSet:
			pod, ns = &o.Spec.Template.Spec, o.Namespace
		default:
			continue
		}
		if sa := pod.ServiceAccountName; sa != "" && sa != "default" && !r.has("ServiceAccount", ns, sa) {
			t.Errorf("%s runs as ServiceAccount %s/%s, which the overlay does not create", k, ns, sa)
		}
		for _, v := range pod.Volumes {
			if v.Secret != nil && !r.has("Secret", ns, v.Secret.SecretName) {
				t.Errorf("%s mounts Secret %s/%s, which the overlay does not create", k, ns, v.Secret.SecretName)
			}
		}
	}

	var bindings int
	for _, k := range r.order {
		var ref rbacv1.RoleRef
		var subjects []rbacv1.Subject
		var ns string
		switch o := r.objects[k].(type) {
		case *rbacv1.ClusterRoleBinding:
			ref, subjects = o.RoleRef, o.Subjects
		case *rbacv1.RoleBinding:
			ref, subjects, ns = o.RoleRef, o.Subjects, o.Namespace
		default:
			continue
		}
		bindings++
		switch ref.Kind {
		case "ClusterRole":
			if !r.has("ClusterRole", "", ref.Name) && !slices.Contains(builtinClusterRoles, ref.Name) {
				t.Errorf("%s references ClusterRole %s, which is neither in the overlay nor built in", k, ref.Name)
			}
		case "Role":
			if !r.has("Role", ns, ref.Name) && !slices.Contains(builtinRoles, ns+"/"+ref.Name) {
				t.Errorf("%s references Role %s/%s, which is neither in the overlay nor built in", k, ns, ref.Name)
			}
		default:
			t.Errorf("%s: roleRef kind %q", k, ref.Kind)
		}
		if len(subjects) == 0 {
			t.Errorf("%s has no subjects", k)
		}
		for _, s := range subjects {
			if s.Kind == rbacv1.ServiceAccountKind && !r.has("ServiceAccount", s.Namespace, s.Name) {
				t.Errorf("%s binds ServiceAccount %s/%s, which the overlay does not create", k, s.Namespace, s.Name)
			}
		}
	}
	if bindings < 7 {
		t.Errorf("only %d bindings rendered", bindings)
	}
}

// allows reports whether rules grant verb on group/resource (resource may
// be resource/subresource).
func allows(rules []rbacv1.PolicyRule, verb, group, resource string) bool {
	for _, rule := range rules {
		if (slices.Contains(rule.Verbs, verb) || slices.Contains(rule.Verbs, "*")) &&
			(slices.Contains(rule.APIGroups, group) || slices.Contains(rule.APIGroups, "*")) &&
			(slices.Contains(rule.Resources, resource) || slices.Contains(rule.Resources, "*")) {
			return true
		}
	}
	return false
}

var experimentalResources = []string{"daemonsets", "deployments", "replicasets", "jobs", "cronjobs", "horizontalpodautoscalers"}

func checkAggregatedRoles(t *testing.T, r *rendered) {
	writeVerbs := []string{"create", "update", "patch", "delete", "deletecollection"}
	for _, level := range []string{"view", "edit", "admin"} {
		role := r.get(t, "ClusterRole", "", "workloads-experimental-"+level).(*rbacv1.ClusterRole)
		if role.Labels["rbac.authorization.k8s.io/aggregate-to-"+level] != "true" {
			t.Errorf("%s lacks label rbac.authorization.k8s.io/aggregate-to-%s", role.Name, level)
		}
		for _, res := range experimentalResources {
			if level == "view" {
				for _, verb := range []string{"get", "list", "watch"} {
					for _, sub := range []string{res, res + "/status"} {
						if !allows(role.Rules, verb, "experimental", sub) {
							t.Errorf("%s does not grant %s %s", role.Name, verb, sub)
						}
					}
				}
				for _, verb := range writeVerbs {
					if allows(role.Rules, verb, "experimental", res) {
						t.Errorf("%s grants %s %s", role.Name, verb, res)
					}
				}
				continue
			}
			for _, verb := range writeVerbs {
				if !allows(role.Rules, verb, "experimental", res) {
					t.Errorf("%s does not grant %s %s", role.Name, verb, res)
				}
			}
			if allows(role.Rules, "update", "experimental", res+"/status") {
				t.Errorf("%s lets users write %s/status, which upstream's %s does not", role.Name, res, level)
			}
		}
		if level != "view" {
			for _, sub := range []string{"deployments/scale", "replicasets/scale", "deployments/rollback", "deployments/promote"} {
				if !allows(role.Rules, "update", "experimental", sub) && !allows(role.Rules, "create", "experimental", sub) {
					t.Errorf("%s does not grant writes on %s", role.Name, sub)
				}
			}
		} else if allows(role.Rules, "create", "experimental", "deployments/promote") {
			t.Errorf("%s lets viewers promote canary rollouts", role.Name)
		}
	}
}

// TestInstallIntoCluster applies the overlay to a real cluster, and checks
// that rbac-aggregate.yaml alone extends the built-in view, edit and admin
// roles.
func TestInstallIntoCluster(t *testing.T) {
	framework.SkipIfNoControlPlane(t)
	kubectl := pinnedKubectl(t)
	root := repoRoot(t)
	overlay := t.TempDir()
	writeOverlay(t, overlay, "")
	objects := render(t, kubectl, overlay)

	// Not WorkloadsAPIServer: the overlay registers APIService
	// v1alpha1.experimental itself. The clusterrole-aggregation controller
	// fills view, edit and admin from the aggregate-to-* roles.
	c := framework.StartCluster(t, framework.Options{
		Nodes:       1,
		Controllers: append(slices.Clone(framework.DefaultControllers), "clusterrole-aggregation"),
	})
	ctx := t.Context()

	run := func(t *testing.T, args ...string) (string, string) {
		t.Helper()
		out, errOut, err := c.Kubectl(args...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return out, errOut
	}

	t.Run("rbac-aggregate.yaml alone", func(t *testing.T) {
		run(t, "apply", "-f", filepath.Join(root, "artifacts", "deploy", "rbac-aggregate.yaml"))
		for _, ns := range []string{"team-a", "team-b"} {
			run(t, "create", "namespace", ns)
		}
		run(t, "create", "rolebinding", "viewer", "--clusterrole=view", "--user=viewer", "--namespace=team-a")
		run(t, "create", "rolebinding", "editor", "--clusterrole=edit", "--user=editor", "--namespace=team-a")
		run(t, "create", "rolebinding", "admin", "--clusterrole=admin", "--user=team-admin", "--namespace=team-a")

		// Wait until the aggregation controller has merged all three.
		ready := []access{
			xp("viewer", "list", "deployments", ""),
			xp("editor", "create", "deployments", ""),
			xp("team-admin", "delete", "cronjobs", ""),
		}
		err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			for _, a := range ready {
				allowed, err := a.check(ctx, c, "team-a")
				if err != nil || !allowed {
					return false, err
				}
			}
			return true, nil
		})
		if err != nil {
			out, _, _ := c.Kubectl("get", "clusterrole", "view", "edit", "admin", "-o", "yaml")
			t.Fatalf("the experimental rules never reached view, edit and admin: %v\n%s", err, out)
		}

		for _, tc := range []struct {
			access
			namespace string
			want      bool
		}{
			{xp("viewer", "list", "deployments", ""), "team-a", true},
			{xp("viewer", "get", "deployments", "status"), "team-a", true},
			{xp("viewer", "watch", "horizontalpodautoscalers", ""), "team-a", true},
			{xp("viewer", "get", "jobs", "status"), "team-a", true},
			{xp("viewer", "create", "deployments", ""), "team-a", false},
			{xp("viewer", "update", "deployments", "scale"), "team-a", false},
			{xp("viewer", "delete", "jobs", ""), "team-a", false},
			{xp("viewer", "list", "deployments", ""), "team-b", false},
			{xp("editor", "create", "deployments", ""), "team-a", true},
			{xp("editor", "update", "deployments", "scale"), "team-a", true},
			{xp("editor", "create", "deployments", "rollback"), "team-a", true},
			{xp("editor", "patch", "replicasets", "scale"), "team-a", true},
			{xp("editor", "list", "cronjobs", ""), "team-a", true},
			{xp("editor", "deletecollection", "jobs", ""), "team-a", true},
			{xp("editor", "update", "deployments", "status"), "team-a", false},
			{xp("editor", "create", "deployments", ""), "team-b", false},
			{xp("team-admin", "create", "daemonsets", ""), "team-a", true},
			{xp("team-admin", "update", "horizontalpodautoscalers", ""), "team-a", true},
			{xp("stranger", "list", "deployments", ""), "team-a", false},
		} {
			allowed, err := tc.check(ctx, c, tc.namespace)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != tc.want {
				t.Errorf("%s in %s: allowed=%v, want %v", tc.access, tc.namespace, allowed, tc.want)
			}
		}
	})

	t.Run("apply -k", func(t *testing.T) {
		_, errOut := run(t, "apply", "-k", overlay)
		if strings.Contains(errOut, "PodSecurity") {
			t.Errorf("the workloads violate the namespace's Pod Security level:\n%s", errOut)
		}

		client := c.KubeClient()
		if _, err := client.CoreV1().Namespaces().Get(ctx, defaultNamespace, metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
		for _, name := range []string{apiServerName, controllerName} {
			if _, err := client.AppsV1().Deployments(defaultNamespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Error(err)
			}
		}
		if _, err := client.AppsV1().StatefulSets(defaultNamespace).Get(ctx, etcdName, metav1.GetOptions{}); err != nil {
			t.Error(err)
		}
		for _, name := range []string{apiServerName, etcdName} {
			if _, err := client.PolicyV1().PodDisruptionBudgets(defaultNamespace).Get(ctx, name, metav1.GetOptions{}); err != nil {
				t.Error(err)
			}
		}
		for _, name := range []string{etcdSecret, etcdClientSecret} {
			got, err := client.CoreV1().Secrets(defaultNamespace).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Error(err)
				continue
			}
			if !bytes.Equal(got.Data["ca.crt"], objects.get(t, "Secret", defaultNamespace, name).(*corev1.Secret).Data["ca.crt"]) {
				t.Errorf("the installed Secret %s differs from the rendered one", name)
			}
		}
		secret, err := client.CoreV1().Secrets(defaultNamespace).Get(ctx, servingSecret, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		as, err := c.AggregatorClient().ApiregistrationV1().APIServices().Get(ctx, apiServiceName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if as.Spec.InsecureSkipTLSVerify {
			t.Error("the installed APIService skips TLS verification")
		}
		ca, err := os.ReadFile(filepath.Join(overlay, "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(as.Spec.CABundle, ca) {
			t.Error("the installed APIService's caBundle is not the overlay's ca.crt")
		}
		if !bytes.Equal(secret.Data[corev1.TLSCertKey], objects.get(t, "Secret", defaultNamespace, servingSecret).(*corev1.Secret).Data[corev1.TLSCertKey]) {
			t.Error("the installed serving Secret differs from the rendered one")
		}

		checkReapplyIsNoop(t, c, overlay, len(objects.order))
	})

	t.Run("service account permissions", func(t *testing.T) {
		sa := func(name string) access {
			return access{user: "system:serviceaccount:" + defaultNamespace + ":" + name,
				groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + defaultNamespace, "system:authenticated"}}
		}
		with := func(a access, verb, group, resource, subresource, name string) access {
			a.verb, a.group, a.resource, a.subresource, a.name = verb, group, resource, subresource, name
			return a
		}
		apiserver, cm := sa(apiServerName), sa(controllerName)
		for _, tc := range []struct {
			access
			namespace string
			want      bool
		}{
			{with(apiserver, "create", "authentication.k8s.io", "tokenreviews", "", ""), "", true},
			{with(apiserver, "create", "authorization.k8s.io", "subjectaccessreviews", "", ""), "", true},
			{with(apiserver, "get", "", "configmaps", "", "extension-apiserver-authentication"), "kube-system", true},
			{with(apiserver, "watch", "", "namespaces", "", ""), "", true},
			{with(apiserver, "list", "admissionregistration.k8s.io", "validatingwebhookconfigurations", "", ""), "", true},
			{with(apiserver, "watch", "admissionregistration.k8s.io", "validatingadmissionpolicybindings", "", ""), "", true},
			{with(apiserver, "watch", "admissionregistration.k8s.io", "mutatingadmissionpolicies", "", ""), "", true},
			{with(apiserver, "list", "flowcontrol.apiserver.k8s.io", "flowschemas", "", ""), "", true},
			{with(apiserver, "create", "", "pods", "", ""), "default", false},
			{with(apiserver, "get", "", "secrets", "", ""), defaultNamespace, false},

			{with(cm, "create", "", "pods", "", ""), "default", true},
			{with(cm, "patch", "", "pods", "", ""), "default", true},
			{with(cm, "watch", "", "nodes", "", ""), "", true},
			{with(cm, "update", "experimental", "deployments", "", ""), "default", true},
			{with(cm, "update", "experimental", "deployments", "status", ""), "default", true},
			{with(cm, "update", "experimental", "daemonsets", "finalizers", ""), "default", true},
			{with(cm, "create", "experimental", "replicasets", "", ""), "default", true},
			{with(cm, "create", "experimental", "jobs", "", ""), "default", true},
			{with(cm, "create", "experimental", "deployments", "", ""), "default", false},
			{with(cm, "update", "apps", "deployments", "scale", ""), "default", true},
			{with(cm, "update", "experimental", "deployments", "scale", ""), "default", true},
			{with(cm, "create", "apps", "controllerrevisions", "", ""), "default", true},
			{with(cm, "list", "metrics.k8s.io", "pods", "", ""), "default", true},
			{with(cm, "get", "custom.metrics.k8s.io", "pods", "", ""), "default", true},
			{with(cm, "create", "events.k8s.io", "events", "", ""), "default", true},
			{with(cm, "update", "coordination.k8s.io", "leases", "", ""), defaultNamespace, true},
			{with(cm, "update", "coordination.k8s.io", "leases", "", ""), "kube-system", false},
			{with(cm, "create", "authentication.k8s.io", "tokenreviews", "", ""), "", true},
			{with(cm, "get", "", "secrets", "", ""), "default", false},
			{with(cm, "create", "", "pods", "binding", ""), "default", false},
			{with(cm, "update", "apps", "deployments", "", ""), "default", false},
		} {
			allowed, err := tc.check(ctx, c, tc.namespace)
			if err != nil {
				t.Fatal(err)
			}
			if allowed != tc.want {
				t.Errorf("%s in %q: allowed=%v, want %v", tc.access, tc.namespace, allowed, tc.want)
			}
		}
	})
}

// checkReapplyIsNoop applies the overlay again as a server-side dry run and
// checks that nothing would change: kubectl reports every object unchanged,
// and every object the server would store equals the live one.
func checkReapplyIsNoop(t *testing.T, c *framework.Cluster, overlay string, count int) {
	t.Helper()
	out, _, err := c.Kubectl("apply", "--dry-run=server", "-k", overlay)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != count {
		t.Errorf("server dry run reported %d objects, the overlay renders %d:\n%s", len(lines), count, out)
	}
	for _, line := range lines {
		// kubectl's three-way merge always sends a PodDisruptionBudget's
		// selector (its patch strategy is "replace"), so it reports the
		// PDB configured although the server changes nothing; the
		// comparison below still covers it.
		if !strings.Contains(line, " unchanged") && !strings.HasPrefix(line, "poddisruptionbudget.policy/") {
			t.Errorf("re-applying the overlay changes an object: %s", line)
		}
	}

	dryRun, _, err := c.Kubectl("apply", "--dry-run=server", "-k", overlay, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	live, _, err := c.Kubectl("get", "-k", overlay, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	wouldStore, current := objectsByKey(t, dryRun), objectsByKey(t, live)
	if len(wouldStore) != count || len(current) != count {
		t.Fatalf("dry run returned %d objects and get %d, want %d", len(wouldStore), len(current), count)
	}
	for k, obj := range wouldStore {
		if !reflect.DeepEqual(obj, current[k]) {
			t.Errorf("re-applying changes %s:\n%s", k, diff.Diff(current[k], obj))
		}
	}
}

// objectsByKey decodes kubectl's JSON output (one object or a List) and
// drops what changes without a change of the object: managedFields,
// resourceVersion and status.
func objectsByKey(t *testing.T, data string) map[string]map[string]any {
	t.Helper()
	var items []map[string]any
	dec := json.NewDecoder(strings.NewReader(data))
	for dec.More() {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			t.Fatalf("decoding kubectl output: %v", err)
		}
		if list, ok := obj["items"].([]any); ok && strings.HasSuffix(fmt.Sprint(obj["kind"]), "List") {
			for _, item := range list {
				items = append(items, item.(map[string]any))
			}
			continue
		}
		items = append(items, obj)
	}
	out := map[string]map[string]any{}
	for _, obj := range items {
		u := unstructured.Unstructured{Object: obj}
		unstructured.RemoveNestedField(obj, "metadata", "managedFields")
		unstructured.RemoveNestedField(obj, "metadata", "resourceVersion")
		unstructured.RemoveNestedField(obj, "status")
		out[key(u.GetKind(), u.GetNamespace(), u.GetName())] = obj
	}
	return out
}

// access is one SubjectAccessReview question.
type access struct {
	user        string
	groups      []string
	verb        string
	group       string
	resource    string
	subresource string
	name        string
}

// xp asks about a resource of the experimental group.
func xp(user, verb, resource, subresource string) access {
	return access{user: user, verb: verb, group: "experimental", resource: resource, subresource: subresource}
}

func (a access) String() string {
	res := a.resource
	if a.group != "" {
		res += "." + a.group
	}
	if a.subresource != "" {
		res += "/" + a.subresource
	}
	if a.name != "" {
		res += " " + a.name
	}
	return fmt.Sprintf("%s may %s %s", a.user, a.verb, res)
}

func (a access) check(ctx context.Context, c *framework.Cluster, namespace string) (bool, error) {
	sar := &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User:   a.user,
			Groups: a.groups,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Namespace:   namespace,
				Verb:        a.verb,
				Group:       a.group,
				Resource:    a.resource,
				Subresource: a.subresource,
				Name:        a.name,
			},
		},
	}
	got, err := c.KubeClient().AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		return false, err
	}
	return got.Status.Allowed, nil
}
