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

// Package chart_test checks the Helm chart with the pinned helm
// (hack/tools/helm): it lints and renders with every documented values
// combination, renders the same objects as the kustomize base in
// artifacts/deploy, and installs into a real cluster where the APIService
// becomes Available and uninstalling leaves a namespace that can be deleted.
package chart_test

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/diff"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"sigs.k8s.io/yaml"

	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

const (
	namespace      = "workloads-system"
	apiServiceName = "v1alpha1.experimental"
	servingSecret  = "workloads-apiserver-serving"
)

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := framework.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func chartDir(t *testing.T) string {
	return filepath.Join(repoRoot(t), "charts", "workloads-apiserver")
}

// pinnedTool returns <repo>/_output/bin/<name>, built by
// hack/install-tools.sh. Missing, it skips the test, or fails it under CI.
func pinnedTool(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "_output", "bin", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found under CI; make test runs hack/install-tools.sh first", p)
		}
		t.Skipf("skipping: %s not found; run hack/install-tools.sh", p)
	}
	return p
}

// helmCmd runs the pinned helm with its cache, configuration and data in a
// temporary directory, so the user's helm setup plays no part.
type helmCmd struct {
	bin  string
	home string
	// kubeconfig is passed to commands that talk to a cluster.
	kubeconfig string
}

func newHelm(t *testing.T) *helmCmd {
	return &helmCmd{bin: pinnedTool(t, "helm"), home: t.TempDir()}
}

func (h *helmCmd) run(args ...string) (stdout, stderr string, err error) {
	if h.kubeconfig != "" {
		args = append(args, "--kubeconfig="+h.kubeconfig)
	}
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(os.Environ(),
		"HOME="+h.home,
		"HELM_CACHE_HOME="+filepath.Join(h.home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(h.home, "config"),
		"HELM_DATA_HOME="+filepath.Join(h.home, "data"),
		"KUBECONFIG="+h.kubeconfig,
	)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// valuesCase is one documented combination of values.
type valuesCase struct {
	name string
	set  []string
	// files are --set-file values: value name to file content.
	files map[string]string
	// check asserts on what this combination renders.
	check func(t *testing.T, r *rendered)
}

const testCA = `-----BEGIN CERTIFICATE-----
MIIBbTCCAROgAwIBAgIBATAKBggqhkjOPQQDAjAXMRUwEwYDVQQDEwx0ZXN0LWNh
LXJvb3QwHhcNMjYwMTAxMDAwMDAwWhcNMzYwMTAxMDAwMDAwWjAXMRUwEwYDVQQD
Ewx0ZXN0LWNhLXJvb3Q=
-----END CERTIFICATE-----
`

func valuesCases() []valuesCase {
	return []valuesCase{
		{name: "defaults", check: checkDefaults},
		{
			name:  "serving certificate from a Secret",
			set:   []string{"servingCert.mode=secret", "servingCert.secretName=my-serving"},
			files: map[string]string{"servingCert.caBundle": testCA},
			check: func(t *testing.T, r *rendered) {
				if r.has("Secret", namespace, servingSecret) {
					t.Error("the chart renders its own serving Secret although the user supplies one")
				}
				if r.hasKind("Certificate") || r.hasKind("Issuer") {
					t.Error("cert-manager objects rendered without servingCert.mode=certManager")
				}
				as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
				if string(as.Spec.CABundle) != testCA {
					t.Errorf("caBundle = %q, want servingCert.caBundle", as.Spec.CABundle)
				}
				d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
				if got := secretVolume(t, &d.Spec.Template.Spec, "serving-cert"); got != "my-serving" {
					t.Errorf("the apiserver mounts Secret %q, want my-serving", got)
				}
			},
		},
		{
			name: "cert-manager with a self-signed CA",
			set:  []string{"servingCert.mode=certManager"},
			check: func(t *testing.T, r *rendered) {
				checkCertManager(t, r, "workloads-apiserver-ca", "Issuer")
				for _, k := range []string{"Issuer/" + namespace + "/workloads-apiserver-selfsigned", "Issuer/" + namespace + "/workloads-apiserver-ca", "Certificate/" + namespace + "/workloads-apiserver-ca"} {
					if _, ok := r.objects[k]; !ok {
						t.Errorf("the self-signed CA chain lacks %s", k)
					}
				}
				ca := r.objects["Certificate/"+namespace+"/workloads-apiserver-ca"]
				if ca != nil && nested(t, ca, "spec", "isCA") != true {
					t.Error("the CA Certificate is not isCA")
				}
			},
		},
		{
			name: "cert-manager with a ClusterIssuer",
			set:  []string{"servingCert.mode=certManager", "servingCert.certManager.issuerRef.name=corp-ca", "servingCert.certManager.issuerRef.kind=ClusterIssuer"},
			check: func(t *testing.T, r *rendered) {
				checkCertManager(t, r, "corp-ca", "ClusterIssuer")
				if r.hasKind("Issuer") {
					t.Error("an Issuer is rendered although an existing ClusterIssuer is named")
				}
			},
		},
		{
			name: "external etcd with client certificates",
			set:  []string{"etcd.mode=external", "etcd.external.endpoints={https://etcd-a.example:2379,https://etcd-b.example:2379}", "etcd.external.tlsSecretName=corp-etcd-client"},
			check: func(t *testing.T, r *rendered) {
				checkNoBundledEtcd(t, r)
				d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
				f := flags(t, container(t, &d.Spec.Template.Spec, "apiserver").Args)
				if f["etcd-servers"] != "https://etcd-a.example:2379,https://etcd-b.example:2379" {
					t.Errorf("--etcd-servers=%s, want the two external endpoints", f["etcd-servers"])
				}
				for _, name := range []string{"etcd-cafile", "etcd-certfile", "etcd-keyfile"} {
					if f[name] == "" {
						t.Errorf("--%s missing with etcd.external.tlsSecretName", name)
					}
				}
				if got := secretVolume(t, &d.Spec.Template.Spec, "etcd-client"); got != "corp-etcd-client" {
					t.Errorf("the etcd client Secret is %q, want corp-etcd-client", got)
				}
			},
		},
		{
			name: "external etcd without TLS",
			set:  []string{"etcd.mode=external", "etcd.external.endpoints={http://etcd.example:2379}"},
			check: func(t *testing.T, r *rendered) {
				checkNoBundledEtcd(t, r)
				d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
				f := flags(t, container(t, &d.Spec.Template.Spec, "apiserver").Args)
				if f["etcd-servers"] != "http://etcd.example:2379" {
					t.Errorf("--etcd-servers=%s", f["etcd-servers"])
				}
				for _, name := range []string{"etcd-cafile", "etcd-certfile", "etcd-keyfile"} {
					if _, ok := f[name]; ok {
						t.Errorf("--%s set without a TLS Secret", name)
					}
				}
				if slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool { return v.Name == "etcd-client" }) {
					t.Error("the etcd-client volume is mounted without a TLS Secret")
				}
			},
		},
		{
			name: "sizes, flags and resources",
			set: []string{
				"apiserver.replicas=5", "etcd.bundled.replicas=5", "controllerManager.replicas=3",
				"image.repository=registry.example.com/wl", "image.tag=dev", "image.pullPolicy=Always",
				"apiserver.runtimeConfig=experimental/v1alpha1=true\\,experimental/v1alpha1/horizontalpodautoscalers=false",
				"apiserver.extraArgs={--v=3}", "apiserver.resources.limits.memory=3Gi",
				"controllerManager.controllers={*,-horizontalpodautoscaler}", "controllerManager.extraArgs={--concurrent-deployment-syncs=10}",
				"etcd.bundled.storage.size=20Gi", "etcd.bundled.storage.storageClassName=ssd",
				"apiserver.podDisruptionBudget.enabled=false", "etcd.bundled.networkPolicy.enabled=false",
			},
			check: func(t *testing.T, r *rendered) {
				d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
				if *d.Spec.Replicas != 5 {
					t.Errorf("apiserver replicas %d, want 5", *d.Spec.Replicas)
				}
				c := container(t, &d.Spec.Template.Spec, "apiserver")
				if c.Image != "registry.example.com/wl:dev" || c.ImagePullPolicy != corev1.PullAlways {
					t.Errorf("apiserver image %q (%s)", c.Image, c.ImagePullPolicy)
				}
				if c.Resources.Limits.Memory().String() != "3Gi" {
					t.Errorf("apiserver memory limit %s, want 3Gi", c.Resources.Limits.Memory())
				}
				f := flags(t, c.Args)
				if f["runtime-config"] != "experimental/v1alpha1=true,experimental/v1alpha1/horizontalpodautoscalers=false" {
					t.Errorf("--runtime-config=%s", f["runtime-config"])
				}
				if f["v"] != "3" {
					t.Errorf("apiserver.extraArgs not passed: %v", c.Args)
				}
				var servers []string
				for i := range 5 {
					servers = append(servers, fmt.Sprintf("https://workloads-etcd-%d.workloads-etcd:2379", i))
				}
				if f["etcd-servers"] != strings.Join(servers, ",") {
					t.Errorf("--etcd-servers=%s, want all five members", f["etcd-servers"])
				}
				sts := r.get(t, "StatefulSet", namespace, "workloads-etcd").(*appsv1.StatefulSet)
				if *sts.Spec.Replicas != 5 {
					t.Errorf("etcd replicas %d, want 5", *sts.Spec.Replicas)
				}
				ef := flags(t, container(t, &sts.Spec.Template.Spec, "etcd").Command[1:])
				if got := strings.Count(ef["initial-cluster"], "=https://"); got != 5 {
					t.Errorf("--initial-cluster has %d members, want 5: %s", got, ef["initial-cluster"])
				}
				pvc := sts.Spec.VolumeClaimTemplates[0].Spec
				if pvc.Resources.Requests.Storage().String() != "20Gi" || pvc.StorageClassName == nil || *pvc.StorageClassName != "ssd" {
					t.Errorf("etcd volume %v class %v, want 20Gi on ssd", pvc.Resources.Requests.Storage(), pvc.StorageClassName)
				}
				cm := r.get(t, "Deployment", namespace, "workloads-controller-manager").(*appsv1.Deployment)
				if *cm.Spec.Replicas != 3 {
					t.Errorf("controller-manager replicas %d, want 3", *cm.Spec.Replicas)
				}
				cf := flags(t, container(t, &cm.Spec.Template.Spec, "controller-manager").Args)
				if cf["controllers"] != "*,-horizontalpodautoscaler" || cf["concurrent-deployment-syncs"] != "10" {
					t.Errorf("controller-manager flags %v", cf)
				}
				if r.has("PodDisruptionBudget", namespace, "workloads-apiserver") {
					t.Error("apiserver PodDisruptionBudget rendered although disabled")
				}
				if !r.has("PodDisruptionBudget", namespace, "workloads-etcd") {
					t.Error("etcd PodDisruptionBudget missing")
				}
				if r.has("NetworkPolicy", namespace, "workloads-etcd") {
					t.Error("etcd NetworkPolicy rendered although disabled")
				}
			},
		},
		{
			name: "no controller manager, server outside the cluster",
			set:  []string{"controllerManager.enabled=false", "service.externalName=workloads.example.com", "service.port=8443"},
			check: func(t *testing.T, r *rendered) {
				for _, k := range r.order {
					if strings.Contains(k, "controller-manager") {
						t.Errorf("%s rendered with controllerManager.enabled=false", k)
					}
				}
				svc := r.get(t, "Service", namespace, "workloads-apiserver").(*corev1.Service)
				if svc.Spec.Type != corev1.ServiceTypeExternalName || svc.Spec.ExternalName != "workloads.example.com" || len(svc.Spec.Selector) != 0 {
					t.Errorf("Service %+v, want an ExternalName Service to workloads.example.com", svc.Spec)
				}
				as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
				if as.Spec.Service.Port == nil || *as.Spec.Service.Port != 8443 || svc.Spec.Ports[0].Port != 8443 {
					t.Errorf("APIService port %v, Service port %d, want 8443", as.Spec.Service.Port, svc.Spec.Ports[0].Port)
				}
			},
		},
	}
}

func TestLintAndTemplate(t *testing.T) {
	h := newHelm(t)
	dir := chartDir(t)
	for _, tc := range valuesCases() {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"--namespace", namespace}
			for _, s := range tc.set {
				args = append(args, "--set", s)
			}
			for name, content := range tc.files {
				f := filepath.Join(t.TempDir(), "value")
				if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--set-file", name+"="+f)
			}
			if out, errOut, err := h.run(append([]string{"lint", "--strict", dir}, args...)...); err != nil {
				t.Fatalf("helm lint: %v\n%s%s", err, out, errOut)
			}
			r := helmTemplate(t, h, dir, args...)
			checkCommon(t, r)
			tc.check(t, r)
		})
	}
}

// TestTemplateRejects: values that cannot work fail the render with a
// message naming the value.
func TestTemplateRejects(t *testing.T) {
	h := newHelm(t)
	dir := chartDir(t)
	for _, tc := range []struct {
		set  []string
		want string
	}{
		{[]string{"servingCert.mode=selfmade"}, "servingCert.mode must be"},
		{[]string{"servingCert.mode=secret", "servingCert.caBundle=PEM"}, "servingCert.secretName is required"},
		{[]string{"servingCert.mode=secret", "servingCert.secretName=s"}, "servingCert.caBundle"},
		{[]string{"etcd.mode=external"}, "etcd.external.endpoints"},
		{[]string{"etcd.mode=embedded"}, "etcd.mode must be"},
	} {
		args := []string{"template", "workloads", dir, "--namespace", namespace}
		for _, s := range tc.set {
			args = append(args, "--set", s)
		}
		_, errOut, err := h.run(args...)
		if err == nil {
			t.Errorf("%v: helm template succeeded, want an error mentioning %q", tc.set, tc.want)
			continue
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: error %q does not mention %q", tc.set, strings.TrimSpace(errOut), tc.want)
		}
	}
}

// TestParityWithKustomizeBase: with the default values the chart renders
// every object of artifacts/deploy (but the Namespace, which helm install
// --create-namespace makes) with the same spec, rules and bindings; it adds
// only the Secrets the base leaves to hack/deploy-certs.
func TestParityWithKustomizeBase(t *testing.T) {
	h := newHelm(t)
	kubectl := pinnedTool(t, "kubectl")
	cmd := exec.Command(kubectl, "kustomize", filepath.Join(repoRoot(t), "artifacts", "deploy"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, stderr.String())
	}
	base := decodeMaps(t, out)
	chartOut, errOut, err := h.run("template", "workloads", chartDir(t), "--namespace", namespace)
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, errOut)
	}
	chart := decodeMaps(t, []byte(chartOut))

	for k, want := range base {
		if strings.HasPrefix(k, "Namespace/") {
			continue
		}
		got, ok := chart[k]
		if !ok {
			t.Errorf("the chart does not render %s", k)
			continue
		}
		// Labels of the base are kept; the chart may add its own.
		for lk, lv := range stringMap(want, "metadata", "labels") {
			if stringMap(got, "metadata", "labels")[lk] != lv {
				t.Errorf("%s: label %s=%s missing in the chart", k, lk, lv)
			}
		}
		for _, field := range []string{"spec", "rules", "subjects", "roleRef", "aggregationRule", "type"} {
			w, g := want[field], got[field]
			if field == "spec" && strings.HasPrefix(k, "APIService/") {
				// The base leaves caBundle to its overlay.
				if m, ok := g.(map[string]any); ok {
					m = cloneMap(m)
					delete(m, "caBundle")
					g = m
				}
			}
			if !reflect.DeepEqual(w, g) {
				t.Errorf("%s: %s differs from artifacts/deploy:\n%s", k, field, diff.Diff(w, g))
			}
		}
	}
	for k := range chart {
		if _, ok := base[k]; !ok && !strings.HasPrefix(k, "Secret/") {
			t.Errorf("the chart renders %s, which artifacts/deploy does not have", k)
		}
	}
}

// checkCommon holds for every combination.
func checkCommon(t *testing.T, r *rendered) {
	t.Helper()
	for _, k := range r.order {
		obj := r.objects[k]
		m, ok := obj.(interface{ GetNamespace() string })
		if !ok {
			continue
		}
		switch ns := m.GetNamespace(); ns {
		case "", namespace:
		case "kube-system":
			if !strings.HasPrefix(k, "RoleBinding/") {
				t.Errorf("%s in kube-system", k)
			}
		default:
			t.Errorf("%s is in namespace %q, want the release namespace %q", k, ns, namespace)
		}
		if l, ok := obj.(interface{ GetLabels() map[string]string }); ok && l.GetLabels()["app.kubernetes.io/managed-by"] != "Helm" {
			t.Errorf("%s lacks the app.kubernetes.io/managed-by=Helm label", k)
		}
	}
	as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
	if as.Spec.InsecureSkipTLSVerify {
		t.Error("APIService skips TLS verification")
	}
	if as.Spec.Group != "experimental" || as.Spec.Version != "v1alpha1" || as.Spec.GroupPriorityMinimum != 1000 {
		t.Errorf("APIService spec %+v", as.Spec)
	}
	if as.Spec.Service == nil || as.Spec.Service.Name != "workloads-apiserver" || as.Spec.Service.Namespace != namespace {
		t.Errorf("APIService service %+v", as.Spec.Service)
	}
	if len(as.Spec.CABundle) == 0 && as.Annotations["cert-manager.io/inject-ca-from"] == "" {
		t.Error("APIService has neither a caBundle nor a CA injection annotation")
	}
	d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
	f := flags(t, container(t, &d.Spec.Template.Spec, "apiserver").Args)
	if f["runtime-config"] == "" || f["etcd-servers"] == "" || f["tls-cert-file"] == "" {
		t.Errorf("apiserver flags lack runtime-config, etcd-servers or tls-cert-file: %v", f)
	}
}

func checkDefaults(t *testing.T, r *rendered) {
	d := r.get(t, "Deployment", namespace, "workloads-apiserver").(*appsv1.Deployment)
	if *d.Spec.Replicas != 3 {
		t.Errorf("apiserver replicas %d, want 3", *d.Spec.Replicas)
	}
	c := container(t, &d.Spec.Template.Spec, "apiserver")
	if c.Image != "ghcr.io/kube-experimental/workloads-apiserver:v0.1.0" {
		t.Errorf("image %q, want the chart's appVersion", c.Image)
	}
	f := flags(t, c.Args)
	if f["etcd-servers"] != "https://workloads-etcd-0.workloads-etcd:2379,https://workloads-etcd-1.workloads-etcd:2379,https://workloads-etcd-2.workloads-etcd:2379" {
		t.Errorf("--etcd-servers=%s", f["etcd-servers"])
	}
	if f["runtime-config"] != "experimental/v1alpha1=true" {
		t.Errorf("--runtime-config=%s", f["runtime-config"])
	}
	if f["shutdown-delay-duration"] != "15s" || f["shutdown-watch-termination-grace-period"] != "15s" || f["shutdown-send-retry-after"] != "true" {
		t.Errorf("graceful termination flags %v", f)
	}
	if r.hasKind("Certificate") || r.hasKind("Issuer") {
		t.Error("cert-manager objects rendered by default")
	}
	for _, k := range []string{"StatefulSet/" + namespace + "/workloads-etcd", "PodDisruptionBudget/" + namespace + "/workloads-etcd", "NetworkPolicy/" + namespace + "/workloads-etcd", "PodDisruptionBudget/" + namespace + "/workloads-apiserver", "Deployment/" + namespace + "/workloads-controller-manager"} {
		if _, ok := r.objects[k]; !ok {
			t.Errorf("default render lacks %s", k)
		}
	}
	_ = r.get(t, "NetworkPolicy", namespace, "workloads-etcd").(*networkingv1.NetworkPolicy)
	if pdb := r.get(t, "PodDisruptionBudget", namespace, "workloads-apiserver").(*policyv1.PodDisruptionBudget); pdb.Spec.MaxUnavailable.IntValue() != 1 {
		t.Errorf("apiserver PDB maxUnavailable %v", pdb.Spec.MaxUnavailable)
	}
	cm := r.get(t, "Deployment", namespace, "workloads-controller-manager").(*appsv1.Deployment)
	cf := flags(t, container(t, &cm.Spec.Template.Spec, "controller-manager").Args)
	if *cm.Spec.Replicas != 2 || cf["leader-elect"] != "true" {
		t.Errorf("controller manager: %d replicas, --leader-elect=%s; want 2 leader-elected", *cm.Spec.Replicas, cf["leader-elect"])
	}

	// The generated serving certificate verifies against caBundle for the
	// Service's name, and only for it.
	as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
	secret := r.get(t, "Secret", namespace, servingSecret).(*corev1.Secret)
	verifyChain(t, as.Spec.CABundle, secret, "workloads-apiserver."+namespace+".svc", x509.ExtKeyUsageServerAuth, 360*24*time.Hour)

	// etcd: the member certificate is valid for every member's peer name
	// and as a client; the apiserver's client certificate verifies against
	// the same etcd CA, which is not the serving CA.
	member := r.get(t, "Secret", namespace, "workloads-etcd-tls").(*corev1.Secret)
	client := r.get(t, "Secret", namespace, "workloads-apiserver-etcd-client").(*corev1.Secret)
	if !bytes.Equal(member.Data["ca.crt"], client.Data["ca.crt"]) {
		t.Error("the etcd Secrets hold different CAs")
	}
	if bytes.Equal(member.Data["ca.crt"], as.Spec.CABundle) {
		t.Error("etcd uses the serving CA; it must have its own")
	}
	for i := range 3 {
		verifyChain(t, member.Data["ca.crt"], member, fmt.Sprintf("workloads-etcd-%d.workloads-etcd", i), x509.ExtKeyUsageServerAuth, 360*24*time.Hour)
	}
	verifyChain(t, member.Data["ca.crt"], member, "", x509.ExtKeyUsageClientAuth, 0)
	verifyChain(t, client.Data["ca.crt"], client, "", x509.ExtKeyUsageClientAuth, 0)
}

func checkCertManager(t *testing.T, r *rendered, issuer, issuerKind string) {
	t.Helper()
	if r.has("Secret", namespace, servingSecret) {
		t.Error("the chart renders the serving Secret although cert-manager writes it")
	}
	cert, ok := r.objects["Certificate/"+namespace+"/"+servingSecret]
	if !ok {
		t.Fatalf("no Certificate %s; rendered %v", servingSecret, r.order)
	}
	if got := nested(t, cert, "spec", "secretName"); got != servingSecret {
		t.Errorf("Certificate secretName %v, want %s", got, servingSecret)
	}
	dns, _ := nested(t, cert, "spec", "dnsNames").([]any)
	if !slices.Contains(dns, any("workloads-apiserver."+namespace+".svc")) {
		t.Errorf("Certificate dnsNames %v lack workloads-apiserver.%s.svc", dns, namespace)
	}
	if nested(t, cert, "spec", "issuerRef", "name") != issuer || nested(t, cert, "spec", "issuerRef", "kind") != issuerKind {
		t.Errorf("Certificate issuerRef %v, want %s %s", nested(t, cert, "spec", "issuerRef"), issuerKind, issuer)
	}
	as := r.get(t, "APIService", "", apiServiceName).(*apiregistrationv1.APIService)
	if got := as.Annotations["cert-manager.io/inject-ca-from"]; got != namespace+"/"+servingSecret {
		t.Errorf("APIService inject-ca-from = %q, want %s/%s", got, namespace, servingSecret)
	}
	if len(as.Spec.CABundle) != 0 {
		t.Error("APIService has a caBundle of the chart's although cert-manager injects it")
	}
}

func checkNoBundledEtcd(t *testing.T, r *rendered) {
	t.Helper()
	for _, k := range r.order {
		if strings.Contains(k, "workloads-etcd") {
			t.Errorf("%s rendered with etcd.mode=external", k)
		}
	}
	if r.has("Secret", namespace, "workloads-apiserver-etcd-client") {
		t.Error("the chart generates an etcd client certificate for an external etcd")
	}
}

// verifyChain checks that the Secret's tls.crt and tls.key are a pair whose
// certificate verifies against caPEM for dnsName ("" for none) and usage,
// valid for at least minValidity.
func verifyChain(t *testing.T, caPEM []byte, secret *corev1.Secret, dnsName string, usage x509.ExtKeyUsage, minValidity time.Duration) {
	t.Helper()
	block, _ := pem.Decode(caPEM)
	if block == nil {
		t.Fatalf("no PEM CA for %s", secret.Name)
	}
	ca, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA {
		t.Errorf("the CA of %s is not a CA certificate", secret.Name)
	}
	pair, err := tls.X509KeyPair(secret.Data["tls.crt"], secret.Data["tls.key"])
	if err != nil {
		t.Fatalf("Secret %s: %v", secret.Name, err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := leaf.Verify(x509.VerifyOptions{DNSName: dnsName, Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
		t.Errorf("Secret %s: certificate does not verify for %q (usage %v): %v", secret.Name, dnsName, usage, err)
	}
	if dnsName != "" {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: "unrelated.example.com", Roots: roots}); err == nil {
			t.Errorf("Secret %s: certificate verifies for an unrelated name", secret.Name)
		}
	}
	if time.Until(leaf.NotAfter) < minValidity {
		t.Errorf("Secret %s: certificate expires %s", secret.Name, leaf.NotAfter)
	}
}

// rendered holds the objects of a render, typed where the scheme knows the
// kind (decoded strictly, so a misspelt field fails) and unstructured maps
// otherwise (cert-manager kinds).
type rendered struct {
	order   []string
	objects map[string]runtime.Object
}

func objKey(kind, ns, name string) string {
	if ns == "" {
		return kind + "/" + name
	}
	return kind + "/" + ns + "/" + name
}

func (r *rendered) has(kind, ns, name string) bool {
	_, ok := r.objects[objKey(kind, ns, name)]
	return ok
}

func (r *rendered) hasKind(kind string) bool {
	return slices.ContainsFunc(r.order, func(k string) bool { return strings.HasPrefix(k, kind+"/") })
}

func (r *rendered) get(t *testing.T, kind, ns, name string) runtime.Object {
	t.Helper()
	obj, ok := r.objects[objKey(kind, ns, name)]
	if !ok {
		t.Fatalf("not rendered: %s (rendered: %v)", objKey(kind, ns, name), r.order)
	}
	return obj
}

// unknownObject is a rendered object of a kind the scheme does not know.
type unknownObject struct {
	runtime.Unknown
	fields map[string]any
}

func (u *unknownObject) GetNamespace() string {
	ns, _ := stringMap(u.fields, "metadata")["namespace"]
	return ns
}

func (u *unknownObject) GetLabels() map[string]string {
	return stringMap(u.fields, "metadata", "labels")
}

func nested(t *testing.T, obj runtime.Object, path ...string) any {
	t.Helper()
	u, ok := obj.(*unknownObject)
	if !ok {
		t.Fatalf("%T is not an unstructured object", obj)
	}
	var cur any = u.fields
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
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

func splitDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	var docs [][]byte
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		var probe map[string]any
		if err := yaml.Unmarshal(doc, &probe); err != nil {
			t.Fatalf("invalid YAML document: %v\n%s", err, doc)
		}
		if len(probe) == 0 {
			continue
		}
		docs = append(docs, doc)
	}
}

func helmTemplate(t *testing.T, h *helmCmd, dir string, args ...string) *rendered {
	t.Helper()
	out, errOut, err := h.run(append([]string{"template", "workloads", dir}, args...)...)
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, errOut)
	}
	scheme := newScheme(t)
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	r := &rendered{objects: map[string]runtime.Object{}}
	for _, doc := range splitDocs(t, []byte(out)) {
		var fields map[string]any
		if err := yaml.Unmarshal(doc, &fields); err != nil {
			t.Fatal(err)
		}
		apiVersion, _ := fields["apiVersion"].(string)
		kind, _ := fields["kind"].(string)
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil || kind == "" {
			t.Fatalf("document without apiVersion/kind:\n%s", doc)
		}
		meta := stringMap(fields, "metadata")
		var obj runtime.Object
		if scheme.Recognizes(gv.WithKind(kind)) {
			obj, _, err = decoder.Decode(doc, nil, nil)
			if err != nil {
				t.Fatalf("decoding %s %s: %v\n%s", kind, meta["name"], err, doc)
			}
		} else {
			obj = &unknownObject{fields: fields}
		}
		k := objKey(kind, meta["namespace"], meta["name"])
		if _, dup := r.objects[k]; dup {
			t.Errorf("%s rendered twice", k)
		}
		r.objects[k] = obj
		r.order = append(r.order, k)
	}
	return r
}

// decodeMaps decodes a multi-document stream into maps keyed by kind,
// namespace and name.
func decodeMaps(t *testing.T, data []byte) map[string]map[string]any {
	t.Helper()
	objs := map[string]map[string]any{}
	for _, doc := range splitDocs(t, data) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatal(err)
		}
		meta := stringMap(m, "metadata")
		objs[objKey(fmt.Sprint(m["kind"]), meta["namespace"], meta["name"])] = m
	}
	return objs
}

// stringMap returns the string values of the map at path.
func stringMap(m map[string]any, path ...string) map[string]string {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = mm[p]
	}
	out := map[string]string{}
	if mm, ok := cur.(map[string]any); ok {
		for k, v := range mm {
			if s, ok := v.(string); ok {
				out[k] = s
			}
		}
	}
	return out
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
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

func secretVolume(t *testing.T, spec *corev1.PodSpec, volume string) string {
	t.Helper()
	for _, v := range spec.Volumes {
		if v.Name == volume && v.Secret != nil {
			return v.Secret.SecretName
		}
	}
	t.Errorf("no Secret volume %q", volume)
	return ""
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
