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
	"testing"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/apiserver"
)

// storedDeployment is a defaulted Deployment in the internal version, as
// the registry hands it to storage.
func storedDeployment(t testing.TB) *experimental.Deployment {
	t.Helper()
	d := &v1alpha1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", UID: "web-uid", Labels: map[string]string{"app": "web"}},
		Spec: v1alpha1.DeploymentSpec{
			Replicas: ptr.To[int32](3),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name: "app", Image: "nginx:1.27", Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}},
				}}},
			},
		},
	}
	apiserver.Scheme.Default(d)
	out := &experimental.Deployment{}
	if err := apiserver.Scheme.Convert(d, out, nil); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestStorageCodecWritesItsMediaTypeAndReadsEvery(t *testing.T) {
	want := storedDeployment(t)
	protobuf, err := storageCodec(runtime.ContentTypeProtobuf)
	if err != nil {
		t.Fatal(err)
	}
	json, err := storageCodec(runtime.ContentTypeJSON)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := runtime.Encode(protobuf, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(pb, []byte("k8s\x00")) {
		t.Errorf("protobuf storage wrote %.20q, want the protobuf magic", pb)
	}
	js, err := runtime.Encode(json, want)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(js, []byte(`{"kind":"Deployment","apiVersion":"experimental/v1alpha1"`)) {
		t.Errorf("JSON storage wrote %.60q", js)
	}
	// Either codec reads what either wrote, into the internal version.
	for _, c := range []runtime.Codec{protobuf, json} {
		for _, data := range [][]byte{pb, js} {
			got, err := runtime.Decode(c, data)
			if err != nil {
				t.Fatalf("decoding %.20q: %v", data, err)
			}
			if !apiequality.Semantic.DeepEqual(got, want) {
				t.Errorf("decoded %#v, want %#v", got, want)
			}
		}
	}
	if _, err := storageCodec("application/cbor"); err == nil {
		t.Error("no error for a media type the server cannot store")
	}
}

// BenchmarkStorageCodec measures what every write and watch event costs in
// etcd encoding: encode then decode one Deployment, per media type
// (protobuf is the default; JSON was before it).
func BenchmarkStorageCodec(b *testing.B) {
	for _, mediaType := range []string{runtime.ContentTypeJSON, runtime.ContentTypeProtobuf} {
		b.Run(mediaType, func(b *testing.B) {
			codec, err := storageCodec(mediaType)
			if err != nil {
				b.Fatal(err)
			}
			obj := storedDeployment(b)
			b.ReportAllocs()
			for b.Loop() {
				data, err := runtime.Encode(codec, obj)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := runtime.Decode(codec, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
