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

package install

import (
	"math/rand"
	"reflect"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apitestingfuzzer "k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/apitesting/roundtrip"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental"
	experimentalfuzzer "github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/fuzzer"
	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// TestRoundTripTypes fuzzes every internal kind of the scheme, round trips it
// through JSON in every external version and checks that nothing is lost.
func TestRoundTripTypes(t *testing.T) {
	roundtrip.RoundTripTestForAPIGroup(t, Install, experimentalfuzzer.Funcs)
}

// TestRoundTripProtobuf does the same through protobuf
// (application/vnd.kubernetes.protobuf, generated.pb.go), which the
// controller manager sends and etcd stores.
func TestRoundTripProtobuf(t *testing.T) {
	roundtrip.RoundTripProtobufTestForAPIGroup(t, Install, experimentalfuzzer.Funcs)
}

// experimentalKinds lists the top-level kinds of the group.
var experimentalKinds = []string{
	"DaemonSet", "DaemonSetList",
	"ReplicaSet", "ReplicaSetList",
	"Deployment", "DeploymentList", "DeploymentRollback",
	"Job", "JobList",
	"CronJob", "CronJobList",
	"HorizontalPodAutoscaler", "HorizontalPodAutoscalerList",
}

func newScheme(t *testing.T) (*runtime.Scheme, serializer.CodecFactory) {
	t.Helper()
	scheme := runtime.NewScheme()
	Install(scheme)
	return scheme, serializer.NewCodecFactory(scheme)
}

func TestInstallRegistersAllKinds(t *testing.T) {
	scheme, _ := newScheme(t)
	for _, kind := range experimentalKinds {
		for _, gv := range []schema.GroupVersion{experimental.SchemeGroupVersion, v1alpha1.SchemeGroupVersion} {
			if !scheme.Recognizes(gv.WithKind(kind)) {
				t.Errorf("%s is not registered", gv.WithKind(kind))
			}
		}
	}
	if got := scheme.PrioritizedVersionsForGroup(v1alpha1.GroupName); len(got) != 1 || got[0] != v1alpha1.SchemeGroupVersion {
		t.Errorf("prioritized versions = %v, want [%v]", got, v1alpha1.SchemeGroupVersion)
	}
}

// TestConvertEveryKind converts fuzzed (and therefore fully defaulted)
// v1alpha1 objects to the internal version and back with scheme.Convert, and
// checks that the result matches the original.
func TestConvertEveryKind(t *testing.T) {
	scheme, codecs := newScheme(t)
	f := apitestingfuzzer.FuzzerFor(
		apitestingfuzzer.MergeFuzzerFuncs(metafuzzer.Funcs, experimentalfuzzer.Funcs),
		rand.NewSource(rand.Int63()), codecs)

	for _, kind := range experimentalKinds {
		t.Run(kind, func(t *testing.T) {
			for i := 0; i < 20; i++ {
				// Fuzz the internal object so that the fuzzer functions apply,
				// then take its v1alpha1 form as the starting point.
				internal, err := scheme.New(experimental.SchemeGroupVersion.WithKind(kind))
				if err != nil {
					t.Fatal(err)
				}
				f.Fill(internal)
				internal.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})

				external, err := scheme.New(v1alpha1.SchemeGroupVersion.WithKind(kind))
				if err != nil {
					t.Fatal(err)
				}
				if err := scheme.Convert(internal, external, nil); err != nil {
					t.Fatalf("internal -> v1alpha1: %v", err)
				}
				original := external.DeepCopyObject()

				internal2, err := scheme.New(experimental.SchemeGroupVersion.WithKind(kind))
				if err != nil {
					t.Fatal(err)
				}
				if err := scheme.Convert(external, internal2, nil); err != nil {
					t.Fatalf("v1alpha1 -> internal: %v", err)
				}
				if !apiequality.Semantic.DeepEqual(internal, internal2) {
					t.Fatalf("internal object changed by a v1alpha1 round trip:\n%#v\n%#v", internal, internal2)
				}

				external2, err := scheme.New(v1alpha1.SchemeGroupVersion.WithKind(kind))
				if err != nil {
					t.Fatal(err)
				}
				if err := scheme.Convert(internal2, external2, nil); err != nil {
					t.Fatalf("internal -> v1alpha1: %v", err)
				}
				if !apiequality.Semantic.DeepEqual(original, external2) {
					t.Fatalf("v1alpha1 object changed by an internal round trip:\n%#v\n%#v", original, external2)
				}
			}
		})
	}
}

// TestDecodeToInternalVersion decodes v1alpha1 JSON the way the API server
// does (defaulting, then conversion to the internal version) and encodes the
// result back to v1alpha1.
func TestDecodeToInternalVersion(t *testing.T) {
	_, codecs := newScheme(t)
	data := []byte(`{"apiVersion":"experimental/v1alpha1","kind":"Deployment",` +
		`"metadata":{"name":"web","namespace":"default"},` +
		`"spec":{"selector":{"matchLabels":{"app":"web"}},` +
		`"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx"}]}}}}`)

	obj, gvk, err := codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := v1alpha1.SchemeGroupVersion.WithKind("Deployment"); *gvk != want {
		t.Errorf("decoded kind %v, want %v", gvk, want)
	}
	d, ok := obj.(*experimental.Deployment)
	if !ok {
		t.Fatalf("decoded %T, want *experimental.Deployment", obj)
	}
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 1 {
		t.Errorf("replicas = %v, want defaulted to 1", d.Spec.Replicas)
	}
	if got := d.Spec.Template.Spec.Containers[0].ImagePullPolicy; got != "Always" {
		t.Errorf("imagePullPolicy = %q, want defaulted to Always", got)
	}

	out, err := runtimeEncode(codecs, v1alpha1.SchemeGroupVersion, d)
	if err != nil {
		t.Fatal(err)
	}
	back, _, err := codecs.UniversalDeserializer().Decode(out, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	vd, ok := back.(*v1alpha1.Deployment)
	if !ok {
		t.Fatalf("encoded form decodes to %T, want *v1alpha1.Deployment", back)
	}
	if vd.APIVersion != "experimental/v1alpha1" || vd.Kind != "Deployment" || vd.Name != "web" {
		t.Errorf("unexpected encoded object %s", out)
	}
}

func runtimeEncode(codecs serializer.CodecFactory, gv schema.GroupVersion, obj runtime.Object) ([]byte, error) {
	return runtime.Encode(codecs.LegacyCodec(gv), obj)
}

// TestScaleDecodesToInternal checks the scale subresource wiring: the
// autoscaling/v1 Scale is also registered as the internal autoscaling Scale,
// so decoding it to the internal version yields a copy of the same Go type,
// and encoding an internal Scale produces autoscaling/v1.
func TestScaleDecodesToInternal(t *testing.T) {
	scheme, codecs := newScheme(t)

	internalGVK := schema.GroupVersionKind{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal, Kind: "Scale"}
	for _, gvk := range []schema.GroupVersionKind{autoscalingv1.SchemeGroupVersion.WithKind("Scale"), internalGVK} {
		if got := scheme.AllKnownTypes()[gvk]; got != reflect.TypeOf(autoscalingv1.Scale{}) {
			t.Errorf("%v is registered as %v, want autoscalingv1.Scale", gvk, got)
		}
	}

	data := []byte(`{"apiVersion":"autoscaling/v1","kind":"Scale",` +
		`"metadata":{"name":"web","namespace":"default","resourceVersion":"7"},` +
		`"spec":{"replicas":3},"status":{"replicas":2,"selector":"app=web"}}`)
	want := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "default", ResourceVersion: "7"},
		Spec:       autoscalingv1.ScaleSpec{Replicas: 3},
		Status:     autoscalingv1.ScaleStatus{Replicas: 2, Selector: "app=web"},
	}

	obj, gvk, err := codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		t.Fatalf("decoding autoscaling/v1 Scale to the internal version: %v", err)
	}
	if want := autoscalingv1.SchemeGroupVersion.WithKind("Scale"); *gvk != want {
		t.Errorf("decoded kind %v, want %v", gvk, want)
	}
	scale, ok := obj.(*autoscalingv1.Scale)
	if !ok {
		t.Fatalf("decoded %T, want *autoscalingv1.Scale", obj)
	}
	// Internal objects carry no type information.
	if !scale.GetObjectKind().GroupVersionKind().Empty() {
		t.Errorf("internal Scale has type meta %v, want none", scale.GetObjectKind().GroupVersionKind())
	}
	if !apiequality.Semantic.DeepEqual(scale, want) {
		t.Errorf("decoded %#v, want %#v", scale, want)
	}

	// Decoding into an existing internal object, as the API server does with
	// request bodies, works as well. The serializer fills the object directly
	// (the internal and external types are the same), so unlike a conversion
	// it keeps the autoscaling/v1 type meta.
	into := &autoscalingv1.Scale{}
	if _, _, err := codecs.UniversalDecoder(schema.GroupVersion{Group: autoscalingv1.GroupName, Version: runtime.APIVersionInternal}).Decode(data, nil, into); err != nil {
		t.Fatalf("decoding into an internal Scale: %v", err)
	}
	if got := into.GroupVersionKind(); got != autoscalingv1.SchemeGroupVersion.WithKind("Scale") {
		t.Errorf("decoded into a Scale with kind %v", got)
	}
	into.TypeMeta = metav1.TypeMeta{}
	if !apiequality.Semantic.DeepEqual(into, want) {
		t.Errorf("decoded into %#v, want %#v", into, want)
	}

	// Converting between the two registrations is a plain copy.
	converted, err := scheme.ConvertToVersion(scale, autoscalingv1.SchemeGroupVersion)
	if err != nil {
		t.Fatalf("converting internal Scale to autoscaling/v1: %v", err)
	}
	if converted == runtime.Object(scale) {
		t.Errorf("ConvertToVersion returned the input instead of a copy")
	}
	if got := converted.GetObjectKind().GroupVersionKind(); got != autoscalingv1.SchemeGroupVersion.WithKind("Scale") {
		t.Errorf("converted Scale has kind %v", got)
	}

	out, err := runtimeEncode(codecs, autoscalingv1.SchemeGroupVersion, scale)
	if err != nil {
		t.Fatalf("encoding internal Scale as autoscaling/v1: %v", err)
	}
	back, _, err := codecs.UniversalDeserializer().Decode(out, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	backScale, ok := back.(*autoscalingv1.Scale)
	if !ok {
		t.Fatalf("encoded Scale decodes to %T", back)
	}
	if backScale.APIVersion != "autoscaling/v1" || backScale.Kind != "Scale" {
		t.Errorf("encoded Scale has type meta %v/%v: %s", backScale.APIVersion, backScale.Kind, out)
	}
	backScale.TypeMeta = metav1.TypeMeta{}
	if !apiequality.Semantic.DeepEqual(backScale, want) {
		t.Errorf("re-decoded %#v, want %#v", backScale, want)
	}
}
