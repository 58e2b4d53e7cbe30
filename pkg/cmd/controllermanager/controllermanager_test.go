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

package controllermanager

import (
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
)

func TestEnabledControllers(t *testing.T) {
	all := []string{"replicaset", "deployment", "daemonset", "job", "cronjob", "horizontalpodautoscaling", "ttl-after-finished"}
	tests := []struct {
		flag    []string
		want    []string
		wantErr string
	}{
		{flag: []string{"*"}, want: all},
		{flag: []string{"replicaset"}, want: []string{"replicaset"}},
		{flag: []string{"*", "-job", "-ttl-after-finished"}, want: []string{"replicaset", "deployment", "daemonset", "cronjob", "horizontalpodautoscaling"}},
		{flag: []string{"replicaset", "-replicaset"}, want: nil},
		{flag: []string{"daemonset", "deployment"}, want: []string{"deployment", "daemonset"}},
		{flag: []string{}, want: nil},
		{flag: []string{"*", "statefulset"}, wantErr: `unknown controllers ["statefulset"]`},
		{flag: []string{"-bogus"}, wantErr: `unknown controllers ["-bogus"]`},
	}
	for _, tc := range tests {
		got, err := EnabledControllers(tc.flag)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%v: error %v, want %q", tc.flag, err, tc.wantErr)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%v: got %v, %v; want %v", tc.flag, got, err, tc.want)
		}
	}
}

func TestDiscoveryBasedEnabling(t *testing.T) {
	client := kubefake.NewClientset()
	disco := client.Discovery().(*fakediscovery.FakeDiscovery)
	// Served like workloads-apiserver with --runtime-config=experimental/v1alpha1/replicasets=false.
	disco.Resources = []*metav1.APIResourceList{{
		GroupVersion: "experimental/v1alpha1",
		APIResources: []metav1.APIResource{
			{Name: "deployments"}, {Name: "deployments/status"}, {Name: "deployments/scale"},
			{Name: "jobs"}, {Name: "jobs/status"},
		},
	}}
	available, err := experimentalResources(disco)
	if err != nil {
		t.Fatal(err)
	}
	if got := sets.List(available); fmt.Sprint(got) != "[deployments jobs]" {
		t.Fatalf("available resources = %v", got)
	}

	start, skipped := controllersToStart(controllerDescriptors, []string{"replicaset", "deployment", "job"}, available)
	if names := descriptorNames(start); fmt.Sprint(names) != "[job]" {
		t.Errorf("started %v; want only job (the others lack replicasets)", names)
	}
	for name, missing := range map[string]string{"replicaset": "replicasets", "deployment": "replicasets"} {
		if !strings.Contains(skipped[name], "does not serve experimental/v1alpha1 "+missing) {
			t.Errorf("%s skipped because %q", name, skipped[name])
		}
	}

	start, skipped = controllersToStart(controllerDescriptors, []string{"replicaset"}, sets.New("replicasets", "jobs"))
	if len(start) != 1 || start[0].Name != "replicaset" || len(skipped) != 0 {
		t.Errorf("start %v skipped %v; want replicaset started", start, skipped)
	}

	// A known controller without an implementation is skipped, not started.
	planned := []Descriptor{{Name: "planned", Resources: []string{"jobs"}}}
	start, skipped = controllersToStart(planned, []string{"planned"}, available)
	if len(start) != 0 || skipped["planned"] != "not implemented in this release" {
		t.Errorf("start %v skipped %v; want planned skipped as not implemented", start, skipped)
	}

	// A group that is not served at all is an error (Run keeps waiting).
	disco.Resources = nil
	if _, err := experimentalResources(disco); err == nil {
		t.Error("no error for a group that is not served")
	}
}

func TestOptionsValidate(t *testing.T) {
	o := NewOptions()
	if err := o.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if o.SecureServing.BindPort != 10361 || o.LeaderElection.ResourceNamespace != "workloads-system" ||
		o.LeaderElection.ResourceName != "workloads-controller-manager" || !o.LeaderElection.LeaderElect ||
		o.Concurrency.ReplicaSet != 5 || o.Concurrency.DaemonSet != 2 || o.Concurrency.CronJob != 10 || o.KubeAPIContentType != "application/vnd.kubernetes.protobuf" {
		t.Errorf("unexpected defaults: %+v", o)
	}
	o.Controllers = []string{"nope"}
	o.Concurrency.ReplicaSet = 0
	o.LeaderElection.RenewDeadline = o.LeaderElection.LeaseDuration
	o.KubeAPIContentType = "application/yaml"
	err := o.Validate()
	for _, want := range []string{"unknown controllers", "--concurrent-replicaset-syncs must be at least 1", "lease-duration must be greater",
		`--kube-api-content-type must be application/vnd.kubernetes.protobuf or application/json, got "application/yaml"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to mention %q", err, want)
		}
	}
}

func TestPerControllerUserAgent(t *testing.T) {
	cc := ControllerContext{restConfig: restConfigFor(mustConfig(t), "base")}
	if ua := cc.RestConfig("replicaset").UserAgent; ua != "workloads-controller-manager/replicaset" {
		t.Errorf("user agent = %q", ua)
	}
}

func mustConfig(t *testing.T) *rest.Config {
	t.Helper()
	return &rest.Config{Host: "https://127.0.0.1:6443"}
}

func descriptorNames(ds []Descriptor) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, d.Name)
	}
	return out
}
