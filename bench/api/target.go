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

package api

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
)

// ClientOptions are the client settings every target uses alike.
type ClientOptions struct {
	// QPS and Burst of the client-side rate limiter; set them high enough
	// that the limiter is not what is measured.
	QPS   float32
	Burst int
	// UserAgent prefixes the user agent of every client ("<agent>/<key>").
	UserAgent string
	// Protobuf makes the target's clients typed clients that send and
	// accept application/vnd.kubernetes.protobuf (apps/v1 and
	// experimental/v1alpha1 only: CRDs serve no protobuf); lists then read
	// the protobuf response. Otherwise the dynamic client speaks JSON.
	Protobuf bool
}

// Target is one way of serving Deployments, with the clients that talk to it.
type Target struct {
	// Key is the short key ("a" .. "d", with "-sa" for the non-admin and
	// "-pb" for the protobuf variants), Name a description for the table.
	Key, Name string
	// Encoding is "json" or "protobuf".
	Encoding string
	// GVR is the resource, APIVersion the objects' apiVersion, Namespace where
	// the target's objects live.
	GVR        schema.GroupVersionResource
	APIVersion string
	Namespace  string

	// client performs the measured requests; watcher holds the watch on a
	// connection of its own, so events never wait behind requests.
	client  objectClient
	watcher objectClient
	// http and listURL serve the list measurement, which reads the raw
	// response over client's connection; accept is its Accept header.
	http    *http.Client
	listURL string
	accept  string
	// watchHTTP is watcher's HTTP client, for the raw watches of the fan-out.
	watchHTTP *http.Client

	// TerminatedWatchers, when set, reads the serving API server's count of
	// the watchers of GVR its watch cache closed for falling behind
	// (apiserver_terminated_watchers_total).
	TerminatedWatchers func(ctx context.Context) (float64, error)

	// State of a run.
	created []runtime.Object
	present int
}

// NewTarget builds the clients of a target from a rest.Config for its API
// server (kube-apiserver or workloads-apiserver). Each client gets its own
// transport and connection: a custom dialer keeps client-go from sharing a
// cached transport between them.
func NewTarget(key, name string, cfg *rest.Config, gvr schema.GroupVersionResource, namespace string, opts ClientOptions) (*Target, error) {
	apiVersion := gvr.Version
	if gvr.Group != "" {
		apiVersion = gvr.Group + "/" + gvr.Version
	}
	t := &Target{Key: key, Name: name, GVR: gvr, APIVersion: apiVersion, Namespace: namespace,
		Encoding: "json", accept: "application/json"}
	if opts.Protobuf {
		t.Encoding, t.accept = "protobuf", runtime.ContentTypeProtobuf
	}

	clientCfg := tuneConfig(cfg, opts, key)
	httpClient, err := rest.HTTPClientFor(clientCfg)
	if err != nil {
		return nil, fmt.Errorf("target %s: HTTP client: %w", key, err)
	}
	if t.client, err = newObjectClient(clientCfg, httpClient, gvr, namespace, opts.Protobuf); err != nil {
		return nil, fmt.Errorf("target %s: client: %w", key, err)
	}
	t.http = httpClient

	watchCfg := tuneConfig(cfg, opts, key+"-watch")
	watchHTTP, err := rest.HTTPClientFor(watchCfg)
	if err != nil {
		return nil, fmt.Errorf("target %s: watch HTTP client: %w", key, err)
	}
	if t.watcher, err = newObjectClient(watchCfg, watchHTTP, gvr, namespace, opts.Protobuf); err != nil {
		return nil, fmt.Errorf("target %s: watch client: %w", key, err)
	}
	t.watchHTTP = watchHTTP

	base, err := url.Parse(clientCfg.Host)
	if err != nil {
		return nil, fmt.Errorf("target %s: host %q: %w", key, clientCfg.Host, err)
	}
	prefix := "/apis"
	if gvr.Group == "" {
		prefix = "/api"
	}
	base.Path = path.Join(base.Path, prefix, apiVersion, "namespaces", namespace, gvr.Resource)
	t.listURL = base.String()
	return t, nil
}

func newObjectClient(cfg *rest.Config, hc *http.Client, gvr schema.GroupVersionResource, ns string, typed bool) (objectClient, error) {
	if !typed {
		c, err := dynamic.NewForConfigAndClient(cfg, hc)
		if err != nil {
			return nil, err
		}
		return newDynamicClient(c, gvr, ns), nil
	}
	switch gvr.Group {
	case "apps":
		c, err := kubernetes.NewForConfigAndClient(cfg, hc)
		if err != nil {
			return nil, err
		}
		return &appsClient{c: c, ns: ns}, nil
	case v1alpha1.SchemeGroupVersion.Group:
		c, err := clientset.NewForConfigAndClient(cfg, hc)
		if err != nil {
			return nil, err
		}
		return &experimentalClient{c: c, ns: ns, apiVersion: v1alpha1.SchemeGroupVersion.String()}, nil
	}
	return nil, fmt.Errorf("no typed (protobuf) client for %s", gvr)
}

func tuneConfig(in *rest.Config, opts ClientOptions, agent string) *rest.Config {
	cfg := rest.CopyConfig(in)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	// JSON unless the target is a protobuf variant: the dynamic client
	// speaks JSON and CRDs serve no protobuf.
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	if opts.Protobuf {
		cfg.ContentType = runtime.ContentTypeProtobuf
		cfg.AcceptContentTypes = runtime.ContentTypeProtobuf
	}
	cfg.UserAgent = opts.UserAgent + "/" + agent
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	cfg.Dial = dialer.DialContext
	return cfg
}

// listRaw lists the target's namespace and reads the whole response
// without decoding it, returning its size.
func (t *Target) listRaw(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.listURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", t.accept)
	resp, err := t.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return n, fmt.Errorf("reading the list response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return n, fmt.Errorf("list %s: HTTP %d", t.listURL, resp.StatusCode)
	}
	return n, nil
}
