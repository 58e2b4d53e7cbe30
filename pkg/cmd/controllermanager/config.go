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

package controllermanager

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Config is everything Run needs, built from Options.
type Config struct {
	// Options are the completed and validated flags.
	Options *Options
	// RestConfig is the base configuration of every client (QPS and burst
	// set); RestConfigFor derives one per controller.
	RestConfig *rest.Config
	// SecureServing is nil when --secure-port=0.
	SecureServing  *server.SecureServingInfo
	Authentication server.AuthenticationInfo
	Authorization  server.AuthorizationInfo
}

// Config builds the runtime configuration from completed, validated options.
func (o *Options) Config() (*Config, error) {
	restConfig, err := clientcmd.BuildConfigFromFlags(o.Master, o.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("loading the kube-apiserver client configuration: %w", err)
	}
	restConfig.QPS = o.KubeAPIQPS
	restConfig.Burst = int(o.KubeAPIBurst)
	restConfig.ContentType = o.KubeAPIContentType
	restConfig.AcceptContentTypes = o.KubeAPIContentType
	if o.KubeAPIContentType != runtime.ContentTypeJSON {
		restConfig.AcceptContentTypes += "," + runtime.ContentTypeJSON
	}
	c := &Config{Options: o, RestConfig: restConfig}
	if err := o.SecureServing.ApplyTo(&c.SecureServing); err != nil {
		return nil, fmt.Errorf("secure serving: %w", err)
	}
	if c.SecureServing != nil {
		if err := o.Authentication.ApplyTo(&c.Authentication, c.SecureServing, nil); err != nil {
			return nil, fmt.Errorf("delegated authentication: %w", err)
		}
		if err := o.Authorization.ApplyTo(&c.Authorization); err != nil {
			return nil, fmt.Errorf("delegated authorization: %w", err)
		}
	}
	return c, nil
}
