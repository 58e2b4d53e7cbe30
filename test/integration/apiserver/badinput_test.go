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
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
)

const (
	contentJSON     = "application/json"
	contentYAML     = "application/yaml"
	contentProtobuf = "application/vnd.kubernetes.protobuf"
	contentApply    = "application/apply-patch+yaml"
)

// rawRequest is one malformed request.
type rawRequest struct {
	method, path, contentType string
	query                     string
	body                      []byte
}

func (r rawRequest) String() string {
	body := string(r.body)
	if len(body) > 80 {
		body = body[:80] + "..."
	}
	s := r.method + " " + r.path
	if r.query != "" {
		s += "?" + r.query
	}
	if r.contentType != "" {
		s += fmt.Sprintf(" (%s) %q", r.contentType, body)
	}
	return s
}

// response is what the server answered.
type response struct {
	code   int
	status metav1.Status
	body   string
}

// do sends r and returns the answer. Watches are cut off once the status
// line is in.
func do(ctx context.Context, client *http.Client, host string, r rawRequest) (response, error) {
	url := host + r.path
	if r.query != "" {
		url += "?" + r.query
	}
	req, err := http.NewRequestWithContext(ctx, r.method, url, bytes.NewReader(r.body))
	if err != nil {
		return response{}, fmt.Errorf("%s: %w", r, err)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", contentJSON)
	resp, err := client.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s: %w", r, err)
	}
	defer resp.Body.Close()
	out := response{code: resp.StatusCode}
	if strings.Contains(resp.Header.Get("Content-Type"), "stream=watch") {
		return out, nil
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return out, fmt.Errorf("%s: reading the response: %w", r, err)
	}
	out.body = string(data)
	_ = json.Unmarshal(data, &out.status)
	return out, nil
}

// mustDo is do for the test goroutine.
func mustDo(ctx context.Context, t *testing.T, client *http.Client, host string, r rawRequest) response {
	t.Helper()
	resp, err := do(ctx, client, host, r)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// malformedBodies are bodies no resource accepts, by content type.
var malformedBodies = map[string][]string{
	contentJSON: {
		``, `{`, `not json`, `null`, `[]`, `5`, `"x"`, `{"kind":5}`,
		`{"apiVersion":"experimental/v1alpha1","kind":"Wrong","metadata":{"name":"target"}}`,
		`{"apiVersion":"v9/v9","kind":"Deployment"}`,
		`{"metadata":{"name":5}}`, `{"metadata":"x"}`, `{"metadata":{"labels":"x"}}`,
		`{"spec":"x"}`, `{"spec":{"replicas":"abc"}}`, `{"spec":{"template":5}}`, `{"status":[]}`,
		`{"metadata":{"name":"target"}, "spec":{"template":{"spec":{"containers":"x"}}}}`,
		strings.Repeat(`[`, 20000) + strings.Repeat(`]`, 20000),
		strings.Repeat(`{"a":`, 20000) + `1` + strings.Repeat(`}`, 20000),
		"{\"metadata\":{\"name\":\"\xff\xfe\"}}",
	},
	contentYAML: {
		`: : :`, `a: [`, `- 1`, "\t- x", `spec: 5`, `metadata: {name: [1]}`, `{{{`, "%YAML 9.9\n---\n",
		"a: &a [*a]", "spec:\n  replicas: abc",
	},
	contentProtobuf: {
		"", "\x00\x01\x02\x03", "k8s\x00", "k8s\x00\x0a\xff\xff\xff\xff\x0f", "k8s\x00\x0a\x02\x0a\x00\x12\x05hello",
		"garbage", strings.Repeat("\xff", 64),
	},
}

// malformedPatches are patch bodies no resource accepts, by patch type.
var malformedPatches = map[types.PatchType][]string{
	types.JSONPatchType: {
		``, `{`, `{}`, `5`, `[5]`, `[{"op":"bogus","path":"/spec"}]`, `[{"op":"add"}]`,
		`[{"op":"replace","path":"/spec/replicas","value":"abc"}]`, `[{"op":"replace","path":"/spec","value":5}]`,
		`[{"op":"remove","path":"/nope/x"}]`, `[{"op":"test","path":"/metadata/name","value":"other"}]`,
		`[{"op":"add","path":"spec","value":1}]`, `[{"op":"move","from":"/nope","path":"/spec"}]`,
		`[{"op":"copy","from":"/metadata","path":"/metadata/labels"}]`, `[{"op":"replace","path":"/metadata/name","value":5}]`,
	},
	types.MergePatchType: {
		``, `{`, `[]`, `5`, `null`, `{"spec":5}`, `{"spec":{"replicas":"abc"}}`, `{"metadata":{"labels":"x"}}`,
		`{"metadata":{"name":"other"}}`, `{"apiVersion":"v9/v9"}`, `{"kind":"Wrong"}`, `{"status":"x"}`,
	},
	types.StrategicMergePatchType: {
		``, `{`, `[]`, `5`, `{"spec":5}`, `{"spec":{"replicas":"abc"}}`,
		`{"$patch":"explode"}`, `{"spec":{"$patch":"explode"}}`, `{"$patch":5}`,
		`{"spec":{"template":{"spec":{"containers":[{"$patch":"delete"}]}}}}`,
		`{"spec":{"template":{"spec":{"containers":[{"$patch":"explode","name":"main"}]}}}}`,
		`{"spec":{"template":{"spec":{"$setElementOrder/containers":"garbage"}}}}`,
		`{"spec":{"template":{"spec":{"$setElementOrder/containers":[5]}}}}`,
		`{"$setElementOrder/spec":[{"a":1}]}`, `{"spec":{"$retainKeys":5}}`, `{"spec":{"$retainKeys":["nope"]}}`,
		`{"spec":{"template":{"spec":{"$deleteFromPrimitiveList/containers":[{"name":"main"}]}}}}`,
		`{"metadata":{"$deleteFromPrimitiveList/finalizers":5}}`, `{"metadata":{"$patch":"replace","name":5}}`,
		`{"spec":{"template":{"spec":{"containers":{"$patch":"delete"}}}}}`,
	},
	types.ApplyYAMLPatchType: {
		``, `{`, `: :`, `5`, `[]`, `spec: 5`, `apiVersion: experimental/v1alpha1`,
		"apiVersion: experimental/v1alpha1\nkind: Wrong\nmetadata:\n  name: target",
		"apiVersion: v9/v9\nkind: Deployment\nmetadata:\n  name: target",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: other",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec: 5",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec:\n  replicas: abc",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\n  labels: x",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec:\n  template:\n    spec:\n      containers: 5",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec:\n  template:\n    spec:\n      containers:\n      - image: x",
		"apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec:\n  unknownField: 1",
	},
}

// malformedQueries are list, watch and get query strings with bad values.
var malformedQueries = []string{
	"resourceVersion=abc", "resourceVersion=-1", "resourceVersion=1.5", "resourceVersion=99999999999999999999",
	"resourceVersionMatch=Bogus", "resourceVersionMatch=Exact", "resourceVersionMatch=NotOlderThan",
	"resourceVersion=0&resourceVersionMatch=Exact", "resourceVersion=abc&resourceVersionMatch=Exact",
	"limit=abc", "limit=-5", "limit=1.5", "limit=99999999999999999999",
	"continue=garbage", "continue=abc&limit=1", "continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiLi4vIn0&limit=1",
	"continue=eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJ4In0&resourceVersion=0",
	"labelSelector=a%20in%20(", "labelSelector=!!", "labelSelector=a%3D%3D%3Db", "labelSelector=" + strings.Repeat("a", 400) + "%3Db",
	"fieldSelector=bogus%3D1", "fieldSelector=metadata.name", "fieldSelector=spec.replicas%3D1", "fieldSelector=%3D%3D",
	"timeoutSeconds=abc", "timeoutSeconds=-1", "timeoutSeconds=1.5",
	"allowWatchBookmarks=abc", "sendInitialEvents=abc", "sendInitialEvents=true", "watch=abc&timeoutSeconds=1",
	"pretty=abc", "includeObject=bogus", "fieldValidation=Bogus", "dryRun=bogus",
}

// resourceCase is one resource and a valid object of it to aim at.
type resourceCase struct {
	resource     string
	subresources []string
	create       func(ctx context.Context, s *testServer) error
}

func badInputResources() []resourceCase {
	ns := metav1.NamespaceDefault
	return []resourceCase{
		{"daemonsets", []string{"status"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().DaemonSets(ns).Create(ctx, newDaemonSet("target"), metav1.CreateOptions{})
			return err
		}},
		{"replicasets", []string{"status", "scale"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().ReplicaSets(ns).Create(ctx, newReplicaSet("target"), metav1.CreateOptions{})
			return err
		}},
		{"deployments", []string{"status", "scale", "rollback"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().Deployments(ns).Create(ctx, newDeployment("target"), metav1.CreateOptions{})
			return err
		}},
		{"jobs", []string{"status"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().Jobs(ns).Create(ctx, newJob("target"), metav1.CreateOptions{})
			return err
		}},
		{"cronjobs", []string{"status"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().CronJobs(ns).Create(ctx, newCronJob("target"), metav1.CreateOptions{})
			return err
		}},
		{"horizontalpodautoscalers", []string{"status"}, func(ctx context.Context, s *testServer) error {
			_, err := s.Client.ExperimentalV1alpha1().HorizontalPodAutoscalers(ns).Create(ctx, newHPA("target"), metav1.CreateOptions{})
			return err
		}},
	}
}

// badInputCorpus returns every malformed request for one resource.
func badInputCorpus(resource string, subresources []string) []rawRequest {
	collection := "/apis/experimental/v1alpha1/namespaces/default/" + resource
	item := collection + "/target"
	var reqs []rawRequest
	for contentType, bodies := range malformedBodies {
		for _, body := range bodies {
			reqs = append(reqs,
				rawRequest{method: http.MethodPost, path: collection, contentType: contentType, body: []byte(body)},
				rawRequest{method: http.MethodPut, path: item, contentType: contentType, body: []byte(body)},
				// A DeleteOptions body replaces the query, dryRun included:
				// aim at an object that does not exist.
				rawRequest{method: http.MethodDelete, path: collection + "/absent", contentType: contentType, body: []byte(body)},
			)
			for _, sub := range subresources {
				method := http.MethodPut
				if sub == "rollback" {
					method = http.MethodPost
				}
				reqs = append(reqs, rawRequest{method: method, path: item + "/" + sub, contentType: contentType, body: []byte(body)})
			}
		}
	}
	for pt, bodies := range malformedPatches {
		query := ""
		if pt == types.ApplyYAMLPatchType {
			query = "fieldManager=bad-input-test"
		}
		for _, body := range bodies {
			for _, path := range append([]string{item}, subresourcePaths(item, subresources)...) {
				reqs = append(reqs, rawRequest{method: http.MethodPatch, path: path, contentType: string(pt), body: []byte(body), query: query})
			}
		}
	}
	reqs = append(reqs,
		rawRequest{method: http.MethodPatch, path: item, contentType: "application/bogus-patch", body: []byte(`{}`)},
		rawRequest{method: http.MethodPatch, path: item, contentType: contentApply, body: []byte(`spec: {}`)},
		rawRequest{method: http.MethodPatch, path: item, contentType: contentApply, body: []byte(`spec: {}`), query: "fieldManager=" + strings.Repeat("x", 200)},
		rawRequest{method: http.MethodPatch, path: item, contentType: contentApply, body: []byte(`spec: {}`), query: "fieldManager=a&force=abc"},
	)
	for _, q := range malformedQueries {
		reqs = append(reqs,
			rawRequest{method: http.MethodGet, path: collection, query: q},
			rawRequest{method: http.MethodGet, path: collection, query: q + "&watch=true&timeoutSeconds=1"},
			rawRequest{method: http.MethodGet, path: item, query: q},
			rawRequest{method: http.MethodDelete, path: collection, query: q + "&dryRun=All"},
		)
		for _, sub := range subresources {
			if sub != "rollback" {
				reqs = append(reqs, rawRequest{method: http.MethodGet, path: item + "/" + sub, query: q})
			}
		}
	}
	return reqs
}

func subresourcePaths(item string, subresources []string) []string {
	var paths []string
	for _, sub := range subresources {
		if sub != "rollback" {
			paths = append(paths, item+"/"+sub)
		}
	}
	return paths
}

// TestBadInputNeverAnswers5xx sends a broad corpus of malformed requests
// to every resource and subresource and checks that none is answered with
// a server error, and that the server is healthy afterwards.
func TestBadInputNeverAnswers5xx(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	ctx := t.Context()
	client, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	client.Timeout = 30 * time.Second
	var corpus []rawRequest
	for _, rc := range badInputResources() {
		if err := rc.create(ctx, s); err != nil {
			t.Fatalf("creating the target %s: %v", rc.resource, err)
		}
		corpus = append(corpus, badInputCorpus(rc.resource, rc.subresources)...)
	}
	// A few at a time: accepted watches answer only after a second.
	requests := make(chan rawRequest)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for r := range requests {
				resp, err := do(ctx, client, s.Config.Host, r)
				switch {
				case err != nil:
					t.Errorf("%v", err)
				case resp.code >= 500:
					t.Errorf("%s: %d %s", r, resp.code, resp.body)
				}
			}
		})
	}
	for _, r := range corpus {
		requests <- r
	}
	close(requests)
	wg.Wait()
	t.Logf("sent %d malformed requests", len(corpus))

	// The server is still healthy and the targets are intact.
	if resp := mustDo(ctx, t, client, s.Config.Host, rawRequest{method: http.MethodGet, path: "/readyz"}); resp.code != http.StatusOK {
		t.Errorf("/readyz answers %d after the malformed requests: %s", resp.code, resp.body)
	}
	for _, rc := range badInputResources() {
		resp := mustDo(ctx, t, client, s.Config.Host, rawRequest{method: http.MethodGet, path: "/apis/experimental/v1alpha1/namespaces/default/" + rc.resource + "/target"})
		if resp.code != http.StatusOK {
			t.Errorf("reading the target %s after the malformed requests: %d %s", rc.resource, resp.code, resp.body)
		}
	}
}

// TestBadInputSpecificErrors checks the answers to malformed requests that
// k8s.io/apiserver alone answers with 500 (kube-apiserver does so for
// apps/v1 too): each gets a 4xx that names the problem.
func TestBadInputSpecificErrors(t *testing.T) {
	s := startServer(t, map[string]string{"experimental/v1alpha1": "true"})
	ctx := t.Context()
	client, err := rest.HTTPClientFor(s.Config)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Client.ExperimentalV1alpha1().Deployments(metav1.NamespaceDefault).Create(ctx, newDeployment("target"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const deployments = "/apis/experimental/v1alpha1/namespaces/default/deployments"
	const target = deployments + "/target"
	huge := newDeployment("huge")
	for i := 0; i < 20; i++ {
		huge.Spec.Template.Spec.Containers[0].Args = append(huge.Spec.Template.Spec.Containers[0].Args, strings.Repeat("x", 100*1024))
	}
	hugeJSON, err := json.Marshal(huge)
	if err != nil {
		t.Fatal(err)
	}
	hugePatch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
		"containers": []any{map[string]any{"name": "main", "args": huge.Spec.Template.Spec.Containers[0].Args}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	testCases := []struct {
		desc        string
		req         rawRequest
		wantCode    int
		wantReason  metav1.StatusReason
		wantMessage []string
	}{
		{
			desc:        "strategic merge patch with an unknown $patch directive",
			req:         rawRequest{method: http.MethodPatch, path: target, contentType: string(types.StrategicMergePatchType), body: []byte(`{"spec":{"$patch":"explode"}}`)},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{"explode"},
		},
		{
			desc:        "strategic merge patch deleting a list element without its merge key",
			req:         rawRequest{method: http.MethodPatch, path: target, contentType: string(types.StrategicMergePatchType), body: []byte(`{"spec":{"template":{"spec":{"containers":[{"$patch":"delete"}]}}}}`)},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{"name"},
		},
		{
			desc:        "strategic merge patch with a garbage $setElementOrder",
			req:         rawRequest{method: http.MethodPatch, path: target, contentType: string(types.StrategicMergePatchType), body: []byte(`{"spec":{"template":{"spec":{"$setElementOrder/containers":"garbage"}}}}`)},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{"setElementOrder"},
		},
		{
			desc:        "server-side apply of a spec that is not an object",
			req:         rawRequest{method: http.MethodPatch, path: target, query: "fieldManager=test", contentType: contentApply, body: []byte("apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec: 5")},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{".spec"},
		},
		{
			desc:        "server-side apply of replicas that are not a number",
			req:         rawRequest{method: http.MethodPatch, path: target, query: "fieldManager=test", contentType: contentApply, body: []byte("apiVersion: experimental/v1alpha1\nkind: Deployment\nmetadata:\n  name: target\nspec:\n  replicas: abc")},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{".spec.replicas"},
		},
		{
			desc:        "watch from a resourceVersion that is not one",
			req:         rawRequest{method: http.MethodGet, path: deployments, query: "watch=true&resourceVersion=abc"},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{"resourceVersion", "abc"},
		},
		{
			desc:        "get at a resourceVersion that is not one",
			req:         rawRequest{method: http.MethodGet, path: target, query: "resourceVersion=abc"},
			wantCode:    http.StatusBadRequest,
			wantReason:  metav1.StatusReasonBadRequest,
			wantMessage: []string{"resourceVersion", "abc"},
		},
		{
			desc:        "an object larger than etcd accepts",
			req:         rawRequest{method: http.MethodPost, path: deployments, contentType: contentJSON, body: hugeJSON},
			wantCode:    http.StatusRequestEntityTooLarge,
			wantReason:  metav1.StatusReasonRequestEntityTooLarge,
			wantMessage: []string{"deployments.experimental", "larger than etcd accepts"},
		},
		{
			desc:        "an update that makes the object larger than etcd accepts",
			req:         rawRequest{method: http.MethodPatch, path: target, contentType: string(types.StrategicMergePatchType), body: hugePatch},
			wantCode:    http.StatusRequestEntityTooLarge,
			wantReason:  metav1.StatusReasonRequestEntityTooLarge,
			wantMessage: []string{"deployments.experimental", "larger than etcd accepts"},
		},
	}
	for _, tc := range testCases {
		t.Run(tc.desc, func(t *testing.T) {
			resp := mustDo(ctx, t, client, s.Config.Host, tc.req)
			if resp.code != tc.wantCode || resp.status.Reason != tc.wantReason {
				t.Fatalf("%s: %d %s, want %d with reason %s", tc.req, resp.code, resp.body, tc.wantCode, tc.wantReason)
			}
			for _, want := range tc.wantMessage {
				if !strings.Contains(resp.status.Message, want) {
					t.Errorf("message %q does not name %q", resp.status.Message, want)
				}
			}
		})
	}
}
