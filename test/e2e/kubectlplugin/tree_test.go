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

package kubectlplugin

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// treeRows returns the rows of a tree (the header left out) as fields, with
// the tree drawing removed from the name.
func treeRows(out string) [][]string {
	var rows [][]string
	for i, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if i == 0 {
			continue
		}
		rows = append(rows, strings.Fields(strings.TrimLeft(line, "├└│─ ")))
	}
	return rows
}

func rowsStartingWith(rows [][]string, prefix string) [][]string {
	var out [][]string
	for _, r := range rows {
		if strings.HasPrefix(r[0], prefix) {
			out = append(out, r)
		}
	}
	return out
}

// TestTree draws the trees of a Deployment through a rollout, a DaemonSet
// and a CronJob's Job on the cluster, and redraws a watched Deployment as
// it scales.
func TestTree(t *testing.T) {
	e := sharedEnv(t)
	t.Parallel()
	ns := e.namespace(t, "plugin-tree")

	e.newDeployment(t, ns, "web", 2, nil)
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	e.plugin(t, ns, "set", "image", "deployment/web", "main=registry.example/app:2.0")
	e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
	// The old pods may still be terminating right after the rollout.
	var out string
	poll(t, "the tree of web to show revision 2 with 2 pods and an empty revision 1", func(ctx context.Context) (bool, error) {
		var errOut string
		var err error
		out, errOut, err = e.pluginErr(ns, "tree", "deployment/web")
		if err != nil {
			return false, fmt.Errorf("%w: %s", err, errOut)
		}
		rows := treeRows(out)
		return len(rows) == 5 && len(rowsStartingWith(rows, "pod/")) == 2, nil
	})
	t.Logf("tree deployment/web:\n%s", out)
	rows := treeRows(out)
	if r := rows[0]; r[0] != "deployment.experimental/web" || r[1] != "2/2" || r[2] != "Complete" {
		t.Errorf("deployment row %v, want web 2/2 Complete", r)
	}
	rss := rowsStartingWith(rows, "replicaset.experimental/web-")
	if len(rss) != 2 || strings.Join(rss[0][1:4], " ") != "2/2 revision 2" || strings.Join(rss[1][1:4], " ") != "0/0 revision 1" {
		t.Errorf("replicaset rows %v, want revision 2 with 2/2 first and revision 1 with 0/0", rss)
	}
	if !strings.Contains(out, "images registry.example/app:2.0") || !strings.Contains(out, "images registry.example/app:1.0") {
		t.Errorf("the tree does not show the images of both revisions:\n%s", out)
	}
	// The pods are listed under revision 2, running and ready on kwok nodes.
	lines := strings.Split(out, "\n")
	// lines[0] is the header, lines[1] the Deployment.
	if !strings.Contains(lines[2], "revision 2") || !strings.HasPrefix(lines[3], "│  ├─ pod/") || !strings.HasPrefix(lines[4], "│  └─ pod/") || !strings.HasPrefix(lines[5], "└─ replicaset") {
		t.Errorf("the pods are not drawn under revision 2:\n%s", out)
	}
	pods, err := e.c.KubeClient().CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "app=web"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rowsStartingWith(rows, "pod/") {
		var found *corev1.Pod
		for i := range pods.Items {
			if "pod/"+pods.Items[i].Name == r[0] {
				found = &pods.Items[i]
			}
		}
		if found == nil {
			t.Errorf("tree shows %s, which is not a pod of web", r[0])
			continue
		}
		if r[1] != "1/1" || r[2] != "Running" || !strings.Contains(strings.Join(r, " "), "node "+found.Spec.NodeName+",") {
			t.Errorf("pod row %v, want 1/1 Running on node %s", r, found.Spec.NodeName)
		}
	}

	t.Run("daemonset", func(t *testing.T) {
		e.newDaemonSet(t, ns, "agent")
		e.plugin(t, ns, "rollout", "status", "daemonset/agent", "--timeout=2m")
		out := e.plugin(t, ns, "tree", "xds/agent")
		rows := treeRows(out)
		nodeRows := rowsStartingWith(rows, "node/")
		if len(nodeRows) != nodes || len(rowsStartingWith(rows, "pod/agent-")) != nodes {
			t.Fatalf("want %d nodes with one pod each:\n%s", nodes, out)
		}
		for _, r := range nodeRows {
			if r[1] != "1/1" {
				t.Errorf("node row %v, want 1/1", r)
			}
		}
	})

	t.Run("cronjob", func(t *testing.T) {
		cj := &v1alpha1.CronJob{
			ObjectMeta: metav1.ObjectMeta{Name: "nightly", Namespace: ns},
			Spec: v1alpha1.CronJobSpec{
				Schedule: "0 3 * * *",
				Suspend:  ptr.To(true),
				JobTemplate: v1alpha1.JobTemplateSpec{Spec: v1alpha1.JobSpec{
					Completions: ptr.To[int32](2),
					Template: corev1.PodTemplateSpec{
						ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{"workloads.experimental.test/succeed-after": "1s"}},
						Spec: corev1.PodSpec{
							RestartPolicy: corev1.RestartPolicyNever,
							Containers:    []corev1.Container{{Name: "main", Image: "registry.example/report:1.0"}},
						},
					},
				}},
			},
		}
		if _, err := e.client.ExperimentalV1alpha1().CronJobs(ns).Create(context.Background(), cj, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		e.plugin(t, ns, "create", "job", "nightly-manual", "--from=cronjob/nightly")
		var out string
		poll(t, "the tree of the CronJob to show its Job complete with 2 succeeded pods", func(ctx context.Context) (bool, error) {
			var errOut string
			var err error
			out, errOut, err = e.pluginErr(ns, "tree", "cronjob", "nightly")
			if err != nil {
				return false, fmt.Errorf("%w: %s", err, errOut)
			}
			rows := treeRows(out)
			// The CronJob drops the finished Job from its active list
			// after the Job completes.
			return len(rows) == 4 && strings.Join(rows[1][:3], " ") == "job.experimental/nightly-manual 2/2 Complete" &&
				rows[2][2] == "Succeeded" && rows[3][2] == "Succeeded" &&
				strings.Join(rows[0][:4], " ") == "cronjob.experimental/nightly 0 active Suspended", nil
		})
		t.Logf("tree cronjob nightly:\n%s", out)
		if r := treeRows(out)[0]; strings.Join(r[:4], " ") != "cronjob.experimental/nightly 0 active Suspended" {
			t.Errorf("cronjob row %v", r)
		}
	})

	t.Run("watch", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		cmd := exec.CommandContext(ctx, e.c.KubectlPath(), "experimental", "-n", ns, "tree", "deployment/web", "--watch", "--interval=300ms")
		cmd.Env = append(os.Environ(),
			"PATH="+e.c.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"),
			"KUBECONFIG="+e.c.KubeconfigPath,
			"HOME="+filepath.Join(e.c.RunDir, "home"),
		)
		var buf syncBuffer
		cmd.Stdout, cmd.Stderr = &buf, &buf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()

		poll(t, "the first frame", func(context.Context) (bool, error) {
			return strings.Contains(buf.String(), "deployment.experimental/web"), nil
		})
		e.plugin(t, ns, "rollout", "status", "deployment/web", "--timeout=2m")
		if _, _, err := e.c.Kubectl("scale", "deployments.experimental/web", "--replicas=3", "-n", ns); err != nil {
			t.Fatal(err)
		}
		redraw := regexp.MustCompile(`\x1b\[\d+A\x1b\[J`)
		var last string
		defer func() {
			if t.Failed() {
				t.Logf("last frame:\n%s", last)
			}
		}()
		// The Deployment's status counts the third pod a little after the pod
		// runs: wait for a frame that shows both.
		poll(t, "a redrawn frame with web 3/3 and 3 running pods", func(context.Context) (bool, error) {
			frames := redraw.Split(buf.String(), -1)
			last = frames[len(frames)-1]
			if len(frames) < 2 || !strings.HasSuffix(last, "\n") {
				return false, nil
			}
			running := 0
			for _, r := range rowsStartingWith(treeRows(last), "pod/") {
				if len(r) > 2 && r[2] == "Running" {
					running++
				}
			}
			rows := treeRows(last)
			return running == 3 && len(rows) > 0 && len(rows[0]) > 1 &&
				rows[0][0] == "deployment.experimental/web" && rows[0][1] == "3/3", nil
		})
		t.Logf("last frame:\n%s", last)
	})
}

// syncBuffer is a bytes.Buffer safe for a process writing and a test
// reading.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
