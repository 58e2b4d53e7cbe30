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

package apiserver

import (
	"context"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2/ktesting"

	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
	"github.com/kube-experimental/workloads-apiserver/pkg/embeddedetcd"
)

// etcdKeys returns the keys under prefix in the etcd at url.
func etcdKeys(ctx context.Context, t *testing.T, url, prefix string) []string {
	t.Helper()
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{url}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("connecting to etcd at %s: %v", url, err)
	}
	defer client.Close()
	resp, err := client.Get(ctx, prefix, clientv3.WithPrefix(), clientv3.WithKeysOnly())
	if err != nil {
		t.Fatalf("reading %s from etcd at %s: %v", prefix, url, err)
	}
	var keys []string
	for _, kv := range resp.Kvs {
		keys = append(keys, string(kv.Key))
	}
	return keys
}

// TestEtcdServersOverrides stores Jobs in an etcd of their own with
// --etcd-servers-overrides and checks, by reading both etcds directly,
// that Jobs are there and only there while other kinds stay in the main
// etcd.
func TestEtcdServersOverrides(t *testing.T) {
	_, ctx := ktesting.NewTestContext(t)
	jobsEtcd, err := embeddedetcd.Start(ctx, t.TempDir())
	if err != nil {
		t.Fatalf("starting the etcd for jobs: %v", err)
	}
	t.Cleanup(jobsEtcd.Stop)

	s := startServerWithOptions(t, map[string]string{"experimental/v1alpha1": "true"}, func(o *server.Options) {
		o.RecommendedOptions.Etcd.EtcdServersOverrides = []string{"experimental/jobs#" + jobsEtcd.ClientURL}
	})
	if s.EtcdURL == jobsEtcd.ClientURL {
		t.Fatal("the server's etcd is the jobs etcd")
	}

	ns := metav1.NamespaceDefault
	if _, err := s.Client.ExperimentalV1alpha1().Jobs(ns).Create(ctx, newJob("split"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a job: %v", err)
	}
	if _, err := s.Client.ExperimentalV1alpha1().Deployments(ns).Create(ctx, newDeployment("split"), metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating a deployment: %v", err)
	}
	// Reads go to the right etcd too.
	if _, err := s.Client.ExperimentalV1alpha1().Jobs(ns).Get(ctx, "split", metav1.GetOptions{}); err != nil {
		t.Fatalf("reading the job back: %v", err)
	}

	const jobKey = server.EtcdPathPrefix + "/experimental/jobs/default/split"
	const deploymentKey = server.EtcdPathPrefix + "/experimental/deployments/default/split"
	for _, tc := range []struct {
		etcd, url, key string
		want           bool
	}{
		{"jobs etcd", jobsEtcd.ClientURL, jobKey, true},
		{"jobs etcd", jobsEtcd.ClientURL, deploymentKey, false},
		{"main etcd", s.EtcdURL, jobKey, false},
		{"main etcd", s.EtcdURL, deploymentKey, true},
	} {
		keys := etcdKeys(ctx, t, tc.url, tc.key)
		if got := len(keys) == 1 && keys[0] == tc.key; got != tc.want {
			t.Errorf("%s has %s: %t, want %t (keys under it: %v)", tc.etcd, tc.key, got, tc.want, keys)
		}
	}
	if keys := etcdKeys(ctx, t, jobsEtcd.ClientURL, server.EtcdPathPrefix+"/"); len(keys) != 1 {
		t.Errorf("the jobs etcd holds %v, want only the job", keys)
	}
}
