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

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
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
	syncs := func(name string) *SyncOptions { return o.ControllerOptions[name].(*SyncOptions) }
	if o.SecureServing.BindPort != 10361 || o.LeaderElection.ResourceNamespace != "workloads-system" ||
		o.LeaderElection.ResourceName != "workloads-controller-manager" || !o.LeaderElection.LeaderElect ||
		syncs("replicaset").ConcurrentSyncs != 5 || syncs("daemonset").ConcurrentSyncs != 2 || syncs("cronjob").ConcurrentSyncs != 10 || o.KubeAPIContentType != "application/vnd.kubernetes.protobuf" {
		t.Errorf("unexpected defaults: %+v", o)
	}
	o.Controllers = []string{"nope"}
	syncs("replicaset").ConcurrentSyncs = 0
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

// The per-controller flags are user-facing API: each controller's
// descriptor owns its flags, and their names, defaults and validation
// messages stay as they are.
func TestControllerFlags(t *testing.T) {
	fss := NewOptions().Flags()
	fs := fss.FlagSet("controllers")
	want := map[string]string{
		"concurrent-replicaset-syncs":                         "5",
		"concurrent-deployment-syncs":                         "5",
		"concurrent-daemonset-syncs":                          "2",
		"concurrent-job-syncs":                                "5",
		"concurrent-cron-job-syncs":                           "10",
		"concurrent-horizontal-pod-autoscaler-syncs":          "5",
		"concurrent-ttl-after-finished-syncs":                 "5",
		"horizontal-pod-autoscaler-sync-period":               "15s",
		"horizontal-pod-autoscaler-tolerance":                 "0.1",
		"horizontal-pod-autoscaler-downscale-stabilization":   "5m0s",
		"horizontal-pod-autoscaler-cpu-initialization-period": "5m0s",
		"horizontal-pod-autoscaler-initial-readiness-delay":   "30s",
	}
	got := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) { got[f.Name] = f.DefValue })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("controller flags and defaults (-want +got):\n%s", diff)
	}

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--concurrent-replicaset-syncs=0"}, "--concurrent-replicaset-syncs must be at least 1, got 0"},
		{[]string{"--concurrent-deployment-syncs=0"}, "--concurrent-deployment-syncs must be at least 1, got 0"},
		{[]string{"--concurrent-daemonset-syncs=-1"}, "--concurrent-daemonset-syncs must be at least 1, got -1"},
		{[]string{"--concurrent-job-syncs=0"}, "--concurrent-job-syncs must be at least 1, got 0"},
		{[]string{"--concurrent-cron-job-syncs=0"}, "--concurrent-cron-job-syncs must be at least 1, got 0"},
		{[]string{"--concurrent-horizontal-pod-autoscaler-syncs=0"}, "--concurrent-horizontal-pod-autoscaler-syncs must be at least 1, got 0"},
		{[]string{"--concurrent-ttl-after-finished-syncs=0"}, "--concurrent-ttl-after-finished-syncs must be at least 1, got 0"},
		{[]string{"--horizontal-pod-autoscaler-sync-period=0s"},
			"--horizontal-pod-autoscaler-sync-period must be positive, and the other --horizontal-pod-autoscaler-* settings must not be negative"},
		{[]string{"--horizontal-pod-autoscaler-tolerance=-0.1"},
			"--horizontal-pod-autoscaler-sync-period must be positive, and the other --horizontal-pod-autoscaler-* settings must not be negative"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			// setup
			o := NewOptions()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			for _, f := range o.Flags().FlagSets {
				fs.AddFlagSet(f)
			}
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			// execute
			err := o.Validate()
			// assert
			if err == nil || err.Error() != tc.want {
				t.Errorf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}

// Each descriptor builds its controller from its own options: the HPA's
// flags reach the options its InitFunc gets.
func TestDescriptorsOwnTheirOptions(t *testing.T) {
	o := NewOptions()
	for _, d := range controllerDescriptors {
		if d.NewOptions == nil || o.ControllerOptions[d.Name] == nil {
			t.Errorf("controller %s has no options", d.Name)
		}
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	for _, f := range o.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse([]string{"--horizontal-pod-autoscaler-tolerance=0.2", "--concurrent-horizontal-pod-autoscaler-syncs=3"}); err != nil {
		t.Fatal(err)
	}
	hpa := o.ControllerOptions["horizontalpodautoscaling"].(*HorizontalPodAutoscalerOptions)
	if hpa.Config.Tolerance != 0.2 || hpa.ConcurrentSyncs != 3 {
		t.Errorf("HPA options after parsing: %+v", hpa)
	}
	// Another controller's options given to an InitFunc are an error, not
	// a panic.
	for _, d := range controllerDescriptors {
		if d.Name != "horizontalpodautoscaling" {
			continue
		}
		if _, err := d.Init(t.Context(), ControllerContext{}, o.ControllerOptions["job"]); err == nil {
			t.Error("HPA InitFunc accepted the job controller's options")
		}
	}
}
