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
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Pod annotations understood by the kwok stages in testdata/stages. kwok plays
// the kubelet: these let a test decide what the "containers" of a pod do.
const (
	// AnnotationSucceedAfter (a Go duration, e.g. "2s" or "0s") on a pod owned
	// by a Job (ownerReference kind Job, any API group): once Running, the pod
	// goes to phase Succeeded after that long, containers terminated with exit
	// code 0.
	AnnotationSucceedAfter = "workloads.experimental.test/succeed-after"
	// AnnotationFailAfter (a Go duration) on a pod owned by a Job: once Running,
	// the pod goes to phase Failed after that long, containers terminated with
	// reason Error and exit code 1 (or AnnotationExitCode). Takes precedence
	// over AnnotationSucceedAfter.
	AnnotationFailAfter = "workloads.experimental.test/fail-after"
	// AnnotationExitCode (an integer) sets the exit code used by
	// AnnotationFailAfter.
	AnnotationExitCode = "workloads.experimental.test/exit-code"
	// AnnotationNeverReady (any value) on any pod: the pod runs but never
	// becomes Ready (containers running with ready=false).
	AnnotationNeverReady = "workloads.experimental.test/never-ready"
	// AnnotationIgnoreSIGTERM (any value) on any pod: when the pod is
	// deleted, its containers keep running until the grace period ends
	// (the pod's deletionTimestamp) instead of stopping at once.
	AnnotationIgnoreSIGTERM = "workloads.experimental.test/ignore-sigterm"
	// AnnotationKubeletDown (any value) on a node: the node reports
	// Ready=False, as when its kubelet stops; on a pod: nothing happens to
	// the pod any more (not Ready, a deletion is never confirmed). Set both
	// with Cluster.SetKubeletDown.
	AnnotationKubeletDown = "workloads.experimental.test/kubelet-down"

	// AnnotationUsageCPU is kwok's own annotation for the CPU usage
	// metrics-server reports for each container of the pod (e.g. "250m").
	AnnotationUsageCPU = "kwok.x-k8s.io/usage-cpu"
	// AnnotationUsageMemory is the same for memory (e.g. "64Mi").
	AnnotationUsageMemory = "kwok.x-k8s.io/usage-memory"

	// AnnotationNodeMetricsPath is the node annotation that points kwok's
	// resource-metrics endpoint (used by metrics-server) at a node.
	AnnotationNodeMetricsPath = "metrics.k8s.io/resource-metrics-path"
)

// kwokUpstreamStages are kwok's own stage and metric documents, shipped with its
// module and copied next to the kwok binary by hack/install-tools.sh. kwok's
// fast pod-delete stage is not among them: it removes a deleted pod in
// whatever phase it is, where a kubelet first terminates it
// (testdata/stages/pod-terminate.yaml and pod-delete.yaml replace it).
var kwokUpstreamStages = []string{
	"kustomize/stage/node/fast/node-initialize.yaml",
	"kustomize/stage/node/heartbeat/node-heartbeat.yaml",
	"kustomize/stage/pod/fast/pod-ready.yaml",
	"kustomize/metrics/resource/metrics-resource.yaml",
	"kustomize/metrics/usage/usage-from-annotation.yaml",
}

const (
	// kwokNodeHeartbeatStage is kwok's default node heartbeat: a full node
	// status update every 20 to 45 s per node.
	kwokNodeHeartbeatStage = "kustomize/stage/node/heartbeat/node-heartbeat.yaml"
	// kwokNodeHeartbeatWithLeaseStage is kwok's heartbeat for nodes whose
	// liveness is their Lease: a status update every 10 to 20 min.
	kwokNodeHeartbeatWithLeaseStage = "kustomize/stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml"
)

// ownStages are this package's stages (see the annotations above).
//
//go:embed testdata/stages/*.yaml
var ownStages embed.FS

// kwokUpstreamDir finds the directory holding kwok's stage files: next to the
// real kwok binary (<cache>/kwok-<version>/stages), or else kwok's module
// directory as resolved by the hack/tools/kwok module.
func kwokUpstreamDir(repoRoot, kwokBinary string) (string, error) {
	return kwokUpstreamDirWith(repoRoot, kwokBinary, kwokUpstreamStages[0])
}

// kwokUpstreamDirWith is kwokUpstreamDir for a directory that holds file:
// hack/install-tools.sh copies only kwokUpstreamStages next to the binary,
// so other kwok files come from its module directory.
func kwokUpstreamDirWith(repoRoot, kwokBinary, file string) (string, error) {
	if resolved, err := filepath.EvalSymlinks(kwokBinary); err == nil {
		dir := filepath.Join(filepath.Dir(resolved), "stages")
		if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
			return dir, nil
		}
	}
	// go mod download (not go list -m, which prints an empty directory for a
	// module that is not in the module cache yet) so that a fresh machine works.
	cmd := exec.Command("go", "mod", "download", "-json", "sigs.k8s.io/kwok")
	cmd.Dir = filepath.Join(repoRoot, "hack", "tools", "kwok")
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kwok stage files not found next to %s and `go mod download sigs.k8s.io/kwok` in %s failed (run hack/install-tools.sh): %w",
			kwokBinary, cmd.Dir, err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		return "", fmt.Errorf("no module directory for sigs.k8s.io/kwok in `go mod download -json` output %q: %v", out, err)
	}
	return mod.Dir, nil
}

// writeKwokConfig concatenates every stage document into one multi-document
// file for kwok --config. heartbeatWithLease swaps kwok's node-heartbeat
// stage for its node-heartbeat-with-lease stage.
func writeKwokConfig(path, repoRoot, kwokBinary string, extra []string, heartbeatWithLease bool) error {
	upstream, err := kwokUpstreamDir(repoRoot, kwokBinary)
	if err != nil {
		return err
	}
	dirs := map[string]string{}
	stages := kwokUpstreamStages
	if heartbeatWithLease {
		stages = nil
		for _, f := range kwokUpstreamStages {
			if f == kwokNodeHeartbeatStage {
				f = kwokNodeHeartbeatWithLeaseStage
				dir, err := kwokUpstreamDirWith(repoRoot, kwokBinary, f)
				if err != nil {
					return err
				}
				dirs[f] = dir
			}
			stages = append(stages, f)
		}
	}
	var buf bytes.Buffer
	add := func(name string, data []byte) {
		fmt.Fprintf(&buf, "---\n# %s\n", name)
		buf.Write(bytes.TrimPrefix(data, []byte("---\n")))
		if !bytes.HasSuffix(data, []byte("\n")) {
			buf.WriteByte('\n')
		}
	}
	for _, f := range stages {
		dir := upstream
		if d, ok := dirs[f]; ok {
			dir = d
		}
		data, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return fmt.Errorf("reading kwok stage file: %w", err)
		}
		add("sigs.k8s.io/kwok/"+f, data)
	}
	own, err := ownStages.ReadDir("testdata/stages")
	if err != nil {
		return err
	}
	for _, e := range own {
		data, err := ownStages.ReadFile("testdata/stages/" + e.Name())
		if err != nil {
			return err
		}
		add("test/framework/testdata/stages/"+e.Name(), data)
	}
	for _, f := range extra {
		data, err := os.ReadFile(f)
		if err != nil {
			return fmt.Errorf("reading kwok stage file: %w", err)
		}
		add(f, data)
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
