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

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// ClientOptions are the client settings every target uses alike.
type ClientOptions struct {
	// QPS and Burst of the client-side rate limiter; set them high enough
	// that the limiter is not what is measured.
	QPS   float32
	Burst int
	// UserAgent prefixes the user agent of every client ("<agent>/<key>").
	UserAgent string
}

// Target is one way of serving Deployments, with the clients that talk to it.
type Target struct {
	// Key is the short key ("a" .. "d"), Name a description for the table.
	Key, Name string
	// GVR is the resource, APIVersion the objects' apiVersion, Namespace where
	// the target's objects live.
	GVR        schema.GroupVersionResource
	APIVersion string
	Namespace  string

	// client performs the measured requests; watcher holds the watch on a
	// connection of its own, so events never wait behind requests.
	client  dynamic.Interface
	watcher dynamic.Interface
	// http and listURL serve the list measurement, which reads the raw
	// response over client's connection.
	http    *http.Client
	listURL string

	// State of a run.
	created []*unstructured.Unstructured
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
	t := &Target{Key: key, Name: name, GVR: gvr, APIVersion: apiVersion, Namespace: namespace}

	clientCfg := tuneConfig(cfg, opts, key)
	httpClient, err := rest.HTTPClientFor(clientCfg)
	if err != nil {
		return nil, fmt.Errorf("target %s: HTTP client: %w", key, err)
	}
	if t.client, err = dynamic.NewForConfigAndClient(clientCfg, httpClient); err != nil {
		return nil, fmt.Errorf("target %s: dynamic client: %w", key, err)
	}
	t.http = httpClient

	watchCfg := tuneConfig(cfg, opts, key+"-watch")
	if t.watcher, err = dynamic.NewForConfig(watchCfg); err != nil {
		return nil, fmt.Errorf("target %s: watch client: %w", key, err)
	}

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

func tuneConfig(in *rest.Config, opts ClientOptions, agent string) *rest.Config {
	cfg := rest.CopyConfig(in)
	cfg.QPS, cfg.Burst = opts.QPS, opts.Burst
	// JSON everywhere, so every target is measured the same way: the
	// dynamic client speaks JSON and CRDs serve no protobuf.
	cfg.ContentType = "application/json"
	cfg.AcceptContentTypes = "application/json"
	cfg.UserAgent = opts.UserAgent + "/" + agent
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	cfg.Dial = dialer.DialContext
	return cfg
}

func (t *Target) resource() dynamic.ResourceInterface {
	return t.client.Resource(t.GVR).Namespace(t.Namespace)
}

func (t *Target) watchResource() dynamic.ResourceInterface {
	return t.watcher.Resource(t.GVR).Namespace(t.Namespace)
}

// listRaw lists the target's namespace and reads the whole JSON response
// without decoding it, returning its size.
func (t *Target) listRaw(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.listURL, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Accept", "application/json")
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
