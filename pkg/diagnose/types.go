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

package diagnose

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	aggregatorclient "k8s.io/kube-aggregator/pkg/client/clientset_generated/clientset"
)

// Status is the outcome of one check.
type Status string

const (
	// OK: the link works.
	OK Status = "ok"
	// Warn: the link works but needs attention soon (or could not be
	// checked from here).
	Warn Status = "warn"
	// Fail: the link is broken.
	Fail Status = "fail"
	// Skip: not checked because a link it depends on is broken.
	Skip Status = "skip"
)

// Symbol is how Status is printed at the start of a line.
func (s Status) Symbol() string {
	switch s {
	case OK:
		return "✓"
	case Warn:
		return "!"
	case Fail:
		return "✗"
	default:
		return "-"
	}
}

// Result is the outcome of one check.
type Result struct {
	// ID is a stable identifier for scripts (e.g. "apiservice-available").
	ID string `json:"id"`
	// Check names the link checked, with the object it looked at.
	Check  string `json:"check"`
	Status Status `json:"status"`
	// Message is what was found: the state when OK, the cause otherwise.
	Message string `json:"message"`
	// Fix is the command or manifest change that repairs a Warn or Fail.
	Fix string `json:"fix,omitempty"`
}

// Line formats r as one line: "<symbol> <check>: <message>[; fix: <fix>]".
func (r Result) Line() string {
	s := r.Status.Symbol() + " " + r.Check + ": " + r.Message
	if r.Fix != "" {
		s += "; fix: " + r.Fix
	}
	return s
}

// Report is the outcome of all checks, in the order they ran.
type Report struct {
	Checks   []Result `json:"checks"`
	Failed   int      `json:"failed"`
	Warnings int      `json:"warnings"`
}

func (r *Report) add(res Result) {
	r.Checks = append(r.Checks, res)
	switch res.Status {
	case Fail:
		r.Failed++
	case Warn:
		r.Warnings++
	}
}

// Find returns the result with the given ID.
func (r *Report) Find(id string) (Result, bool) {
	for _, c := range r.Checks {
		if c.ID == id {
			return c, true
		}
	}
	return Result{}, false
}

// Write prints one line per check and a summary line.
func (r *Report) Write(w io.Writer) error {
	for _, c := range r.Checks {
		if _, err := fmt.Fprintln(w, c.Line()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "%d checks: %d failed, %d warnings\n", len(r.Checks), r.Failed, r.Warnings)
	return err
}

// Defaults matching artifacts/deploy.
const (
	DefaultAPIServiceName = "v1alpha1.experimental"
	DefaultNamespace      = "workloads-system"
	DefaultServiceAccount = "workloads-apiserver"
	DefaultLeaseNamespace = "workloads-system"
	DefaultLeaseName      = "workloads-controller-manager"
)

// DefaultAggregateRoles maps each built-in aggregate ClusterRole to the
// ClusterRole of artifacts/deploy/rbac-aggregate.yaml aggregated into it.
func DefaultAggregateRoles() map[string]string {
	return map[string]string{
		"view":  "workloads-experimental-view",
		"edit":  "workloads-experimental-edit",
		"admin": "workloads-experimental-admin",
	}
}

// Options says what to check.
type Options struct {
	// APIServiceName is the APIService of the group (v1alpha1.experimental).
	APIServiceName string
	// ServiceAccountNamespace and ServiceAccountName are the identity
	// workloads-apiserver runs as; the authentication and authorization
	// checks ask kube-apiserver about it.
	ServiceAccountNamespace string
	ServiceAccountName      string
	// LeaseNamespace and LeaseName locate the controller manager's
	// leader-election Lease.
	LeaseNamespace string
	LeaseName      string
	// ServerAddress (host:port), when set, is dialled directly for the
	// serving certificate and the /readyz and /version checks, e.g. the
	// local end of `kubectl port-forward svc/workloads-apiserver 8443:443`.
	ServerAddress string
	// AggregateRoles maps view/edit/admin to our ClusterRoles aggregated
	// into them (DefaultAggregateRoles when nil).
	AggregateRoles map[string]string
	// CertificateWarning warns when the serving certificate expires sooner
	// (default 30 days).
	CertificateWarning time.Duration
	// DiscoveryWarning and DiscoveryFailure bound the discovery latency
	// (default 1s and 5s: kube-apiserver's discovery check gives up after 5s).
	DiscoveryWarning time.Duration
	DiscoveryFailure time.Duration
	// DialTimeout bounds each direct connection to the server (default 5s).
	DialTimeout time.Duration
}

// DefaultOptions are the defaults matching artifacts/deploy.
func DefaultOptions() Options {
	return Options{
		APIServiceName:          DefaultAPIServiceName,
		ServiceAccountNamespace: DefaultNamespace,
		ServiceAccountName:      DefaultServiceAccount,
		LeaseNamespace:          DefaultLeaseNamespace,
		LeaseName:               DefaultLeaseName,
	}
}

func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.APIServiceName == "" {
		o.APIServiceName = d.APIServiceName
	}
	if o.ServiceAccountNamespace == "" {
		o.ServiceAccountNamespace = d.ServiceAccountNamespace
	}
	if o.ServiceAccountName == "" {
		o.ServiceAccountName = d.ServiceAccountName
	}
	if o.LeaseNamespace == "" {
		o.LeaseNamespace = d.LeaseNamespace
	}
	if o.LeaseName == "" {
		o.LeaseName = d.LeaseName
	}
	if o.AggregateRoles == nil {
		o.AggregateRoles = DefaultAggregateRoles()
	}
	if o.CertificateWarning <= 0 {
		o.CertificateWarning = 30 * 24 * time.Hour
	}
	if o.DiscoveryWarning <= 0 {
		o.DiscoveryWarning = time.Second
	}
	if o.DiscoveryFailure <= 0 {
		o.DiscoveryFailure = 5 * time.Second
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	return o
}

// Getter fetches a path (with query) over HTTP and returns the status code
// and body. err is set only when no response arrived.
type Getter interface {
	Get(ctx context.Context, path string) (status int, body []byte, err error)
}

// GetterFunc adapts a function to Getter.
type GetterFunc func(ctx context.Context, path string) (int, []byte, error)

// Get calls f.
func (f GetterFunc) Get(ctx context.Context, path string) (int, []byte, error) { return f(ctx, path) }

// Clients are what the checks talk to.
type Clients struct {
	Kube       kubernetes.Interface
	Aggregator aggregatorclient.Interface
	// KubeAPI fetches paths from kube-apiserver as the user: the aggregated
	// discovery document and the service proxy.
	KubeAPI Getter
	// FetchCertificates returns the certificate chain presented at addr
	// (nil: a TLS dial).
	FetchCertificates func(ctx context.Context, addr, serverName string, timeout time.Duration) ([]*x509.Certificate, error)
	// Direct returns a Getter for https://addr (nil: net/http).
	Direct func(addr, serverName string, timeout time.Duration) Getter
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// NewClients builds Clients from a client configuration for kube-apiserver.
func NewClients(cfg *rest.Config) (Clients, error) {
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	agg, err := aggregatorclient.NewForConfig(cfg)
	if err != nil {
		return Clients{}, err
	}
	rc := kube.Discovery().RESTClient()
	return Clients{
		Kube:       kube,
		Aggregator: agg,
		KubeAPI: GetterFunc(func(ctx context.Context, path string) (int, []byte, error) {
			var code int
			res := rc.Get().RequestURI(path).Do(ctx)
			res.StatusCode(&code)
			body, err := res.Raw()
			if code == 0 && err != nil {
				return 0, nil, err
			}
			return code, body, nil
		}),
	}, nil
}

func (c Clients) withDefaults() Clients {
	if c.FetchCertificates == nil {
		c.FetchCertificates = dialCertificates
	}
	if c.Direct == nil {
		c.Direct = directGetter
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// dialCertificates completes a TLS handshake with addr, sending serverName
// as SNI, and returns the certificates presented. It does not verify them:
// the checks do, against the APIService caBundle.
func dialCertificates(ctx context.Context, addr, serverName string, timeout time.Duration) ([]*x509.Certificate, error) {
	d := &tls.Dialer{
		NetDialer: &net.Dialer{Timeout: timeout},
		Config:    &tls.Config{ServerName: serverName, InsecureSkipVerify: true}, //nolint:gosec // verified by the caller
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	defer func() { _ = conn.Close() }()
	return conn.(*tls.Conn).ConnectionState().PeerCertificates, nil
}

// directGetter talks HTTPS to addr without verifying the certificate: the
// health checks test health, the certificate checks test trust.
func directGetter(addr, serverName string, timeout time.Duration) Getter {
	client := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{ServerName: serverName, InsecureSkipVerify: true}, //nolint:gosec // see above
		},
	}
	return GetterFunc(func(ctx context.Context, path string) (int, []byte, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+path, nil)
		if err != nil {
			return 0, nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			return resp.StatusCode, nil, err
		}
		return resp.StatusCode, body, nil
	})
}
