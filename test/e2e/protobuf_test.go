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

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// protobufPrefix starts every object Kubernetes encodes as protobuf.
var protobufPrefix = []byte("k8s\x00")

// testProtobuf drives the API through kube-apiserver with a client that
// sends and accepts only application/vnd.kubernetes.protobuf (a server that
// cannot encode it answers 406), and checks that etcd holds protobuf.
func testProtobuf(t *testing.T, c *framework.Cluster) {
	ctx := context.Background()
	cfg := c.RestConfig()
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf
	client, err := clientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const ns = "protobuf"
	createNamespace(t, c, ns, nil)
	jobs := client.ExperimentalV1alpha1().Jobs(ns)

	w, err := jobs.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch as protobuf: %v", err)
	}
	defer w.Stop()
	job := &v1alpha1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pb", Labels: map[string]string{"encoding": "protobuf"}},
		Spec: v1alpha1.JobSpec{
			Suspend:     ptr.To(true),
			Completions: ptr.To[int32](3),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "c", Image: "busybox", Args: []string{"echo", "ok"}}},
			}},
		},
	}
	created, err := jobs.Create(ctx, job, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create as protobuf: %v", err)
	}
	if ptr.Deref(created.Spec.Parallelism, 0) != 1 || created.Spec.Template.Spec.Containers[0].Args[1] != "ok" {
		t.Errorf("created Job spec %+v: defaults or fields lost", created.Spec)
	}
	select {
	case ev := <-w.ResultChan():
		if got, ok := ev.Object.(*v1alpha1.Job); ev.Type != watch.Added || !ok || got.UID != created.UID {
			t.Errorf("watch event %s %T, want ADDED of the created Job", ev.Type, ev.Object)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no watch event for the created Job")
	}
	got, err := jobs.Get(ctx, "pb", metav1.GetOptions{})
	if err != nil || got.Labels["encoding"] != "protobuf" || got.UID != created.UID {
		t.Fatalf("get as protobuf: %v, %+v", err, got)
	}
	got.Spec.Suspend = ptr.To(false)
	if _, err := jobs.Update(ctx, got, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update as protobuf: %v", err)
	}
	if list, err := jobs.List(ctx, metav1.ListOptions{}); err != nil || len(list.Items) != 1 {
		t.Fatalf("list as protobuf: %v, %v", err, list)
	}

	// A Deployment's scale subresource (autoscaling/v1 Scale) as protobuf.
	deployments := client.ExperimentalV1alpha1().Deployments(ns)
	if _, err := deployments.Create(ctx, &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "pb"},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pb"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pb"}},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
			},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create Deployment as protobuf: %v", err)
	}
	scale, err := deployments.GetScale(ctx, "pb", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale as protobuf: %v", err)
	}
	scale.Spec.Replicas = 2
	if scale, err = deployments.UpdateScale(ctx, "pb", scale, metav1.UpdateOptions{}); err != nil || scale.Spec.Replicas != 2 {
		t.Fatalf("update scale as protobuf: %v, %+v", err, scale)
	}

	// etcd holds both objects as protobuf.
	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{c.WorkloadsEtcdURL}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	resp, err := etcd.Get(ctx, server.EtcdPathPrefix+"/", clientv3.WithPrefix())
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, kv := range resp.Kvs {
		key := string(kv.Key)
		if !strings.HasSuffix(key, "/"+ns+"/pb") {
			continue
		}
		found++
		if !bytes.HasPrefix(kv.Value, protobufPrefix) {
			t.Errorf("etcd key %s is not protobuf: %.40q", key, kv.Value)
		}
	}
	if found != 2 {
		t.Errorf("found %d etcd keys for the Job and the Deployment, want 2", found)
	}

	// A Job stored as JSON (by a server with --storage-media-type
	// application/json, or before protobuf was the default) is served, and
	// stored as protobuf once updated.
	legacy := created.DeepCopy()
	legacy.TypeMeta = metav1.TypeMeta{APIVersion: v1alpha1.SchemeGroupVersion.String(), Kind: "Job"}
	legacy.Name, legacy.UID, legacy.ResourceVersion = "legacy", "legacy-uid", ""
	legacy.ManagedFields = nil
	data, err := json.Marshal(legacy)
	if err != nil {
		t.Fatal(err)
	}
	key := server.EtcdPathPrefix + "/experimental/jobs/" + ns + "/legacy"
	if _, err := etcd.Put(ctx, key, string(data)); err != nil {
		t.Fatal(err)
	}
	var served *v1alpha1.Job
	poll(t, "the JSON-stored Job to be served", func(ctx context.Context) (bool, error) {
		served, err = jobs.Get(ctx, "legacy", metav1.GetOptions{ResourceVersion: "0"})
		return err == nil, nil
	})
	if served.UID != "legacy-uid" || served.Labels["encoding"] != "protobuf" {
		t.Fatalf("JSON-stored Job served as %+v", served.ObjectMeta)
	}
	served.Labels["encoding"] = "rewritten"
	if _, err := jobs.Update(ctx, served, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("updating the JSON-stored Job: %v", err)
	}
	if resp, err := etcd.Get(ctx, key); err != nil || len(resp.Kvs) != 1 || !bytes.HasPrefix(resp.Kvs[0].Value, protobufPrefix) {
		t.Errorf("the updated Job is not stored as protobuf: %v %v", err, resp)
	}
}
