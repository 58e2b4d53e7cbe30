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
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/rest"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

const pollInterval = 100 * time.Millisecond

// poll calls cond every pollInterval until it returns true, returns an error,
// the cluster's start timeout passes or ctx ends. A non-nil p that exits fails
// the wait at once, with the tail of its log.
func (c *Cluster) poll(ctx context.Context, what string, p *process, cond func(ctx context.Context) (bool, error)) error {
	var last error
	var exited <-chan struct{}
	var exitErr func() error
	if p != nil {
		exited, exitErr = p.exited()
	}
	err := wait.PollUntilContextTimeout(ctx, pollInterval, c.opts.StartTimeout, true, func(ctx context.Context) (bool, error) {
		if exited != nil {
			select {
			case <-exited:
				return false, fmt.Errorf("%s exited (%v) while waiting for %s; last log lines:\n%s",
					p.name, exitErr(), what, p.tail(30))
			default:
			}
		}
		ok, err := cond(ctx)
		if err != nil {
			last = err
			return false, nil
		}
		return ok, nil
	})
	if err != nil {
		if last != nil {
			return fmt.Errorf("waiting for %s: %w (last error: %v)", what, err, last)
		}
		return fmt.Errorf("waiting for %s: %w", what, err)
	}
	return nil
}

// probe GETs url with client and reports whether it answered 200.
func probe(ctx context.Context, client *http.Client, url string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("%s: %s: %s", url, resp.Status, body)
	}
	return true, nil
}

func (c *Cluster) waitHTTP(p *process, url string) error {
	client := &http.Client{}
	return c.poll(c.ctx, p.name+" "+url, p, func(ctx context.Context) (bool, error) {
		return probe(ctx, client, url)
	})
}

func (c *Cluster) waitHTTPS(p *process, path string, cfg *rest.Config) error {
	rt, err := rest.TransportFor(cfg)
	if err != nil {
		return err
	}
	client := &http.Client{Transport: rt}
	url := cfg.Host + path
	return c.poll(c.ctx, p.name+" "+url, p, func(ctx context.Context) (bool, error) {
		return probe(ctx, client, url)
	})
}

func (c *Cluster) waitEtcd(p *process, clientURL string) error {
	return c.waitHTTP(p, clientURL+"/health")
}

// insecureProbeConfig probes a component's own serving endpoint (self-signed
// certificate, anonymous access to /healthz).
func insecureProbeConfig(host string) *rest.Config {
	return &rest.Config{Host: host, TLSClientConfig: rest.TLSClientConfig{Insecure: true}}
}

// servingProbeConfig probes an aggregated API server directly: verified with
// the serving CA, authenticated with the admin client certificate.
func (c *Cluster) servingProbeConfig(host string) *rest.Config {
	return &rest.Config{Host: host, TLSClientConfig: rest.TLSClientConfig{
		CAFile:   c.PKI.ServingCACert,
		CertFile: c.PKI.AdminCert,
		KeyFile:  c.PKI.AdminKey,
	}}
}

func (c *Cluster) waitDefaultServiceAccount() error {
	return c.poll(c.ctx, "ServiceAccount default/default", c.process(ComponentKubeControllerManager), func(ctx context.Context) (bool, error) {
		_, err := c.kubeClient.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		return err == nil, err
	})
}

// RegisterWorkloadsAPIService creates (or updates) the ExternalName Service
// and APIService v1alpha1.experimental pointing at a workloads-apiserver
// serving on 127.0.0.1:port with the framework's serving certificate
// (PKI.WorkloadsServingCert/Key). Tests that run the server in-process use it
// with WorkloadsAPIServerPort; it does not wait for availability
// (see WaitForAPIServiceAvailable).
func (c *Cluster) RegisterWorkloadsAPIService(ctx context.Context, port int) error {
	return c.registerAPIService(ctx, WorkloadsAPIServiceName, WorkloadsGroup, WorkloadsVersion,
		c.opts.WorkloadsNamespace, WorkloadsServiceName, port, 1000, 15)
}

// RegisterAPIService creates (or updates) an ExternalName Service
// namespace/service for localhost:port and APIService name for
// group/version behind it, with the framework's serving CA as caBundle: for
// aggregated servers a test runs itself, with a serving certificate from
// the framework PKI.
func (c *Cluster) RegisterAPIService(ctx context.Context, name, group, version, namespace, service string, port int, groupPriority, versionPriority int32) error {
	return c.registerAPIService(ctx, name, group, version, namespace, service, port, groupPriority, versionPriority)
}

func (c *Cluster) registerAPIService(ctx context.Context, name, group, version, namespace, service string, port int, groupPriority, versionPriority int32) error {
	caBundle, err := os.ReadFile(c.PKI.ServingCACert)
	if err != nil {
		return err
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}
	if _, err := c.kubeClient.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", namespace, err)
	}

	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: service, Namespace: namespace},
		Spec: corev1.ServiceSpec{
			Type:         corev1.ServiceTypeExternalName,
			ExternalName: "localhost",
			Ports: []corev1.ServicePort{{
				Name:       "https",
				Protocol:   corev1.ProtocolTCP,
				Port:       int32(port),
				TargetPort: intstr.FromInt32(int32(port)),
			}},
		},
	}
	services := c.kubeClient.CoreV1().Services(namespace)
	if existing, err := services.Get(ctx, service, metav1.GetOptions{}); err == nil {
		existing.Spec = svc.Spec
		if _, err := services.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating Service %s/%s: %w", namespace, service, err)
		}
	} else if _, err := services.Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating Service %s/%s: %w", namespace, service, err)
	}

	p := int32(port)
	as := &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: apiregistrationv1.APIServiceSpec{
			Service:              &apiregistrationv1.ServiceReference{Namespace: namespace, Name: service, Port: &p},
			Group:                group,
			Version:              version,
			CABundle:             caBundle,
			GroupPriorityMinimum: groupPriority,
			VersionPriority:      versionPriority,
		},
	}
	apiServices := c.aggregatorClient.ApiregistrationV1().APIServices()
	if existing, err := apiServices.Get(ctx, name, metav1.GetOptions{}); err == nil {
		existing.Spec = as.Spec
		if _, err := apiServices.Update(ctx, existing, metav1.UpdateOptions{}); err != nil {
			return fmt.Errorf("updating APIService %s: %w", name, err)
		}
	} else if _, err := apiServices.Create(ctx, as, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("creating APIService %s: %w", name, err)
	}
	return nil
}

// WaitForAPIServiceAvailable waits until APIService name reports
// Available=True.
func (c *Cluster) WaitForAPIServiceAvailable(ctx context.Context, name string) error {
	return c.waitAPIServiceAvailable(ctx, name, nil)
}

func (c *Cluster) waitAPIServiceAvailable(ctx context.Context, name string, p *process) error {
	return c.poll(ctx, "APIService "+name+" Available", p, func(ctx context.Context) (bool, error) {
		as, err := c.aggregatorClient.ApiregistrationV1().APIServices().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, cond := range as.Status.Conditions {
			if cond.Type == apiregistrationv1.Available {
				if cond.Status == apiregistrationv1.ConditionTrue {
					return true, nil
				}
				return false, fmt.Errorf("%s: %s", cond.Reason, cond.Message)
			}
		}
		return false, nil
	})
}
