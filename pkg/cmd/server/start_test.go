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
	for _, section := range []string{"Etcd flags:", "Secure serving flags:", "Authentication flags:", "API enablement flags:", "--runtime-config", "--etcd-data-dir"} {
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
