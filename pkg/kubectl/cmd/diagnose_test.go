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

package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	kubefake "k8s.io/client-go/kubernetes/fake"
	aggregatorfake "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset/fake"

	"github.com/kube-experimental/workloads-apiserver/pkg/diagnose"
)

// diagnoseFakes adds DiagnoseClients to the fakes: an empty cluster, where
// kube-apiserver answers 404 to every raw path.
type diagnoseFakes struct {
	*fakeClients
}

func (d diagnoseFakes) DiagnoseClients() (diagnose.Clients, error) {
	return diagnose.Clients{
		Kube:       kubefake.NewClientset(),
		Aggregator: aggregatorfake.NewSimpleClientset(),
		KubeAPI: diagnose.GetterFunc(func(context.Context, string) (int, []byte, error) {
			return 404, []byte(`{"kind":"Status","message":"the server could not find the requested resource"}`), nil
		}),
		Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) },
	}, nil
}

func runDiagnose(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := NewCommandWithClients(genericiooptions.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut}, diagnoseFakes{newFakes()})
	cmd.SetArgs(append([]string{"diagnose"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestDiagnoseEmptyCluster(t *testing.T) {
	out, err := runDiagnose(t, "--lease-name=cm", "--server-service-account=srv")
	if err == nil || !strings.Contains(err.Error(), "diagnose: ") || !strings.Contains(err.Error(), "of 17 checks failed") {
		t.Errorf("error %v, want one counting the failed checks", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 18 {
		t.Fatalf("%d lines, want 17 checks and a summary:\n%s", len(lines), out)
	}
	for _, want := range []string{
		"✗ APIService v1alpha1.experimental: not found: kube-apiserver does not serve the experimental group; fix: kubectl apply -k artifacts/deploy",
		"- APIService Available: not checked: no APIService",
		"✗ ServiceAccount workloads-system/srv: not found",
		"✗ Lease workloads-system/cm: not found",
		"✗ Discovery /apis/experimental/v1alpha1: HTTP 404 from kube-apiserver after",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasPrefix(lines[17], "17 checks: ") {
		t.Errorf("summary line %q", lines[17])
	}
}

func TestDiagnoseJSON(t *testing.T) {
	out, err := runDiagnose(t, "-o", "json")
	if err == nil {
		t.Error("no error for a broken cluster")
	}
	var r diagnose.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(r.Checks) != 17 || r.Failed == 0 {
		t.Fatalf("report %+v", r)
	}
	c := r.Checks[0]
	if c.ID != "apiservice" || c.Status != diagnose.Fail || c.Fix == "" {
		t.Errorf("first check %+v", c)
	}
	if !strings.Contains(out, `"status": "fail"`) || !strings.Contains(out, `"id": "lease"`) {
		t.Errorf("JSON field names changed:\n%s", out)
	}
}

func TestDiagnoseBadOutput(t *testing.T) {
	if _, err := runDiagnose(t, "-o", "yaml"); err == nil || !strings.Contains(err.Error(), "--output must be json") {
		t.Errorf("error %v", err)
	}
}
