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
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// StartCluster starts a cluster for a test or benchmark and stops it when the
// test ends. When the test failed, the component logs (and a dump of the
// cluster's objects) are kept under _output/logs/<TestName>/.
func StartCluster(t testing.TB, opts Options) *Cluster {
	t.Helper()
	c := &Cluster{}
	if err := c.start(context.Background(), opts, t); err != nil {
		if c.LogDir != "" {
			if dst, cerr := c.keepLogs(t.Name()); cerr == nil {
				t.Logf("framework: logs kept in %s", dst)
			}
			c.removeTempRunDir()
		}
		t.Fatalf("framework: starting the cluster: %v", err)
	}
	t.Cleanup(func() {
		failed := t.Failed()
		if failed {
			c.dumpState()
		}
		keep := c.opts.KeepRunDir
		c.opts.KeepRunDir = true
		if err := c.Stop(); err != nil {
			t.Errorf("framework: stopping the cluster: %v", err)
		}
		c.opts.KeepRunDir = keep
		if exits := c.UnexpectedExits(); len(exits) > 0 && !failed {
			t.Logf("framework: components exited unexpectedly during the test: %s", strings.Join(exits, ", "))
		}
		if failed {
			if dst, err := c.keepLogs(t.Name()); err != nil {
				t.Logf("framework: keeping logs: %v", err)
			} else {
				t.Logf("framework: logs kept in %s", dst)
			}
		}
		if !keep {
			c.removeTempRunDir()
		}
	})
	return c
}

// SkipIfNoControlPlane skips the test when the upstream binaries are not built
// (hack/install-tools.sh links them into _output/bin). Under CI (CI=true),
// where make test builds them first, a missing binary fails the test instead.
func SkipIfNoControlPlane(t testing.TB) {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "_output", "bin", "kube-apiserver")
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found under CI; make test runs hack/install-tools.sh first", bin)
		}
		t.Skipf("skipping: %s not found; run hack/install-tools.sh to build the local control plane", bin)
	}
}

func (c *Cluster) removeTempRunDir() {
	if c.tempRunDir && c.RunDir != "" {
		_ = os.RemoveAll(c.RunDir)
	}
}

// keepLogs copies the log dir and the kwok stage file to
// <repo>/_output/logs/<test name>/ and returns that directory.
func (c *Cluster) keepLogs(testName string) (string, error) {
	dst := filepath.Join(c.RepoRoot, "_output", "logs", sanitizeTestName(testName))
	if err := os.RemoveAll(dst); err != nil {
		return "", err
	}
	if err := copyDir(c.LogDir, dst); err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(c.RunDir, "kwok-stages.yaml")); err == nil {
		_ = copyFile(filepath.Join(c.RunDir, "kwok-stages.yaml"), filepath.Join(dst, "kwok-stages.yaml"))
	}
	return dst, nil
}

// dumpState writes what the cluster holds into the log dir (best effort).
func (c *Cluster) dumpState() {
	if c.process(ComponentKubeAPIServer) == nil || !c.Running(ComponentKubeAPIServer) {
		return
	}
	f, err := os.Create(filepath.Join(c.LogDir, "cluster-state.txt"))
	if err != nil {
		return
	}
	defer f.Close()
	for _, args := range [][]string{
		{"get", "nodes", "-o", "wide"},
		{"get", "all,events", "-A", "-o", "wide"},
		{"get", "apiservices"},
		{"get", "experimental", "-A", "-o", "wide"},
		{"get", "pods", "-A", "-o", "yaml"},
	} {
		out, errOut, err := c.Kubectl(args...)
		_, _ = io.WriteString(f, "### kubectl "+strings.Join(args, " ")+"\n"+out)
		if err != nil {
			_, _ = io.WriteString(f, errOut+"\n")
		}
		_, _ = io.WriteString(f, "\n")
	}
}

// sanitizeTestName keeps subtests as nested directories and replaces
// characters that are awkward in paths.
func sanitizeTestName(name string) string {
	name = strings.ReplaceAll(name, "..", "__")
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.', r == '/':
			return r
		}
		return '_'
	}, name)
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		return copyFile(path, target)
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
