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
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/serializer"
	genericapiserver "k8s.io/apiserver/pkg/server"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
)

func TestValidate(t *testing.T) {
	testCases := []struct {
		desc    string
		args    []string
		flags   []string
		wantErr string
	}{
		{
			desc:  "kubeconfig and enabled group",
			flags: []string{"--kubeconfig=/dev/null", "--runtime-config=experimental/v1alpha1=true"},
		},
		{
			desc:  "per-resource switch",
			flags: []string{"--kubeconfig=/dev/null", "--runtime-config=experimental/v1alpha1=true,experimental/v1alpha1/jobs=false"},
		},
		{
			desc:    "no kubeconfig outside a cluster",
			flags:   []string{"--runtime-config=experimental/v1alpha1=true"},
			wantErr: "--kubeconfig is required",
		},
		{
			desc:    "unknown group in runtime-config",
			flags:   []string{"--kubeconfig=/dev/null", "--runtime-config=apps/v1=true"},
			wantErr: "unknown api groups apps/v1",
		},
		{
			desc:  "graceful termination tuned",
			flags: []string{"--kubeconfig=/dev/null", "--shutdown-delay-duration=20s", "--shutdown-send-retry-after=false", "--shutdown-watch-termination-grace-period=0s", "--goaway-chance=0"},
		},
		{
			desc:    "negative shutdown delay",
			flags:   []string{"--kubeconfig=/dev/null", "--shutdown-delay-duration=-1s"},
			wantErr: "--shutdown-delay-duration can not be negative",
		},
		{
			desc:    "negative watch termination grace period",
			flags:   []string{"--kubeconfig=/dev/null", "--shutdown-watch-termination-grace-period=-1s"},
			wantErr: "shutdown-watch-termination-grace-period, if provided, can not be a negative value",
		},
		{
			desc:    "goaway chance above the maximum",
			flags:   []string{"--kubeconfig=/dev/null", "--goaway-chance=0.5"},
			wantErr: "--goaway-chance can not be less than 0 or greater than 0.02",
		},
		{
			desc:    "negative request timeout",
			flags:   []string{"--kubeconfig=/dev/null", "--request-timeout=-1s"},
			wantErr: "--request-timeout can not be negative",
		},
		{
			desc:    "negative in-flight limit",
			flags:   []string{"--kubeconfig=/dev/null", "--max-mutating-requests-inflight=-1"},
			wantErr: "--max-mutating-requests-inflight can not be negative",
		},
		{
			desc:  "jobs in an etcd of their own",
			flags: []string{"--kubeconfig=/dev/null", "--etcd-servers-overrides=experimental/jobs#https://etcd-jobs-0:2379;https://etcd-jobs-1:2379"},
		},
		{
			desc:    "etcd override of a resource this server does not have",
			flags:   []string{"--kubeconfig=/dev/null", "--etcd-servers-overrides=apps/deployments#https://etcd-apps:2379"},
			wantErr: `"deployments.apps" is not a resource of this server`,
		},
		{
			desc:    "malformed etcd override",
			flags:   []string{"--kubeconfig=/dev/null", "--etcd-servers-overrides=experimental/jobs"},
			wantErr: "--etcd-servers-overrides invalid",
		},
		{
			desc:    "positional arguments",
			args:    []string{"serve"},
			flags:   []string{"--kubeconfig=/dev/null"},
			wantErr: "takes only flags",
		},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			t.Setenv("KUBERNETES_SERVICE_HOST", "")
			o := NewOptions(&bytes.Buffer{}, &bytes.Buffer{})
			fss := o.Flags()
			fs := fss.FlagSet("all")
			for _, f := range fss.FlagSets {
				fs.AddFlagSet(f)
			}
			if err := fs.Parse(tc.flags); err != nil {
				t.Fatalf("parsing flags: %v", err)
			}
			// Validate needs an etcd server list; Complete would start one.
			o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{"http://127.0.0.1:1"}
			err := o.Validate(tc.args)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Errorf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

// parseFlags returns options with flags applied.
func parseFlags(t *testing.T, flags ...string) *Options {
	t.Helper()
	o := NewOptions(&bytes.Buffer{}, &bytes.Buffer{})
	fss := o.Flags()
	fs := fss.FlagSet("all")
	for _, f := range fss.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(flags); err != nil {
		t.Fatalf("parsing flags: %v", err)
	}
	return o
}

// runSettings are the server run settings TestServerRunDefaults checks.
type runSettings struct {
	ShutdownDelay       time.Duration
	SendRetryAfter      bool
	WatchGracePeriod    time.Duration
	GoawayChance        float64
	RequestTimeout      time.Duration
	MinRequestTimeout   int
	MaxRequestsInFlight int
	MaxMutatingInFlight int
}

func TestServerRunDefaults(t *testing.T) {
	testCases := []struct {
		desc  string
		flags []string
		want  runSettings
	}{
		{
			desc: "defaults make a graceful restart invisible behind a load balancer",
			want: runSettings{
				ShutdownDelay:       5 * time.Second,
				SendRetryAfter:      true,
				WatchGracePeriod:    5 * time.Second,
				GoawayChance:        0,
				RequestTimeout:      time.Minute,
				MinRequestTimeout:   1800,
				MaxRequestsInFlight: 400,
				MaxMutatingInFlight: 200,
			},
		},
		{
			desc: "flags override the defaults",
			flags: []string{"--shutdown-delay-duration=30s", "--shutdown-send-retry-after=false",
				"--shutdown-watch-termination-grace-period=0s", "--goaway-chance=0.02", "--request-timeout=2m",
				"--min-request-timeout=300", "--max-requests-inflight=10", "--max-mutating-requests-inflight=5"},
			want: runSettings{
				ShutdownDelay:       30 * time.Second,
				GoawayChance:        0.02,
				RequestTimeout:      2 * time.Minute,
				MinRequestTimeout:   300,
				MaxRequestsInFlight: 10,
				MaxMutatingInFlight: 5,
			},
		},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			o := parseFlags(t, tc.flags...)
			c := genericapiserver.NewConfig(serializer.CodecFactory{})
			if err := o.ServerRun.ApplyTo(c); err != nil {
				t.Fatalf("applying: %v", err)
			}
			got := runSettings{
				ShutdownDelay:       c.ShutdownDelayDuration,
				SendRetryAfter:      c.ShutdownSendRetryAfter,
				WatchGracePeriod:    c.ShutdownWatchTerminationGracePeriod,
				GoawayChance:        c.GoawayChance,
				RequestTimeout:      c.RequestTimeout,
				MinRequestTimeout:   c.MinRequestTimeout,
				MaxRequestsInFlight: c.MaxRequestsInFlight,
				MaxMutatingInFlight: c.MaxMutatingRequestsInFlight,
			}
			if got != tc.want {
				t.Errorf("applied config\n got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestCompleteRejectsDataDirWithServers(t *testing.T) {
	o := NewOptions(&bytes.Buffer{}, &bytes.Buffer{})
	o.RecommendedOptions.Etcd.StorageConfig.Transport.ServerList = []string{"http://127.0.0.1:2379"}
	o.EtcdDataDir = t.TempDir()
	err := o.Complete(context.Background())
	if err == nil || !strings.Contains(err.Error(), "--etcd-data-dir") {
		t.Fatalf("error = %v, want one about --etcd-data-dir", err)
	}
}

func TestHelpIsGrouped(t *testing.T) {
	out := &bytes.Buffer{}
	cmd := NewCommand(context.Background(), NewOptions(out, out))
	cmd.SetOut(out)
	cmd.SetArgs([]string{"--help"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"Etcd flags:", "Secure serving flags:", "Authentication flags:", "API enablement flags:", "--runtime-config", "--etcd-data-dir",
		"Generic flags:", "--shutdown-delay-duration", "--shutdown-send-retry-after", "--shutdown-watch-termination-grace-period",
		"--request-timeout", "--max-requests-inflight", "--max-mutating-requests-inflight", "--goaway-chance", "--min-request-timeout",
		"two-phase HTTP/2", "--feature-gates", "experimental/jobs#https://etcd-jobs-0:2379"} {
		if !strings.Contains(out.String(), section) {
			t.Errorf("--help output lacks %q", section)
		}
	}
}

func TestLoggingFlagsApply(t *testing.T) {
	o := NewOptions(&bytes.Buffer{}, &bytes.Buffer{})
	if err := logsapi.ValidateAndApply(o.Logs, o.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)); err != nil {
		t.Fatalf("applying the default logging configuration: %v", err)
	}
}
