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
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// pluginBinary is the kubectl plugin that `kubectl experimental` runs.
const pluginBinary = "kubectl-experimental"

// Plugin runs `kubectl experimental args...` with the pinned kubectl, which
// finds the built plugin in BinDir (see PluginKubectl), until the cluster
// stops. Pass the namespace in args, e.g. Plugin(t, "-n", ns, "rollout",
// "status", "deployment/web"). It fails t when the plugin is not built, so
// a test that expects the plugin to fail cannot pass without running it.
func (c *Cluster) Plugin(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if _, err := os.Stat(c.binary(pluginBinary)); err != nil {
		t.Fatalf("%s not built: run `make build` first (%v)", pluginBinary, err)
	}
	return c.PluginKubectl(c.ctx, nil, append([]string{"experimental"}, args...)...)
}

// PluginKubectl runs the pinned kubectl with args as a user who installed
// the plugin does: BinDir, then pathDirs (e.g. a directory with the
// plugin's completion helper), first on PATH, so that `kubectl experimental`
// resolves to the built plugin, and the cluster's admin kubeconfig in
// KUBECONFIG. Unlike Kubectl it passes no --kubeconfig flag: kubectl
// refuses flags before a plugin's name. HOME is a directory of the run, so
// no kubeconfig or plugin of the machine's user is read.
func (c *Cluster) PluginKubectl(ctx context.Context, pathDirs []string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.CommandContext(ctx, c.KubectlPath(), args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	path := append(append([]string{c.BinDir}, pathDirs...), os.Getenv("PATH"))
	cmd.Env = append(os.Environ(),
		"PATH="+strings.Join(path, string(os.PathListSeparator)),
		"KUBECONFIG="+c.KubeconfigPath,
		"HOME="+filepath.Join(c.RunDir, "home"),
	)
	if err := cmd.Run(); err != nil {
		return out.String(), errb.String(), fmt.Errorf("kubectl %s: %w", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), nil
}

// ClientAs returns an experimental clientset that talks to kube-apiserver
// with the admin's credentials, impersonating user as a member of groups.
func (c *Cluster) ClientAs(user string, groups ...string) (clientset.Interface, error) {
	cfg := c.RestConfig()
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user, Groups: groups}
	return clientset.NewForConfig(cfg)
}
