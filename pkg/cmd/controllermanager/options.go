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
	"errors"
	"fmt"
	"net"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	componentbaseconfig "k8s.io/component-base/config"
	componentbaseoptions "k8s.io/component-base/config/options"
	logsapi "k8s.io/component-base/logs/api/v1"
	cmoptions "k8s.io/controller-manager/options"
	netutils "k8s.io/utils/net"
)

func init() {
	// The logging flags consult feature gates such as ContextualLogging.
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// Defaults of the flags that differ from kube-controller-manager's.
const (
	// DefaultSecurePort serves /healthz, /readyz, /livez and /metrics.
	DefaultSecurePort = 10361
	// DefaultLeaseNamespace and DefaultLeaseName locate the leader-election
	// Lease.
	DefaultLeaseNamespace = "workloads-system"
	DefaultLeaseName      = "workloads-controller-manager"
	// UserAgentPrefix starts the user agent of every client; each controller
	// appends "/<controller name>".
	UserAgentPrefix = "workloads-controller-manager"
)

// Options holds every flag of workloads-controller-manager.
type Options struct {
	// Kubeconfig and Master locate kube-apiserver; both empty means the
	// in-cluster configuration.
	Kubeconfig string
	Master     string
	// KubeAPIQPS and KubeAPIBurst limit each client's requests.
	KubeAPIQPS   float32
	KubeAPIBurst int32
	// KubeAPIContentType is the content type of requests; responses are
	// accepted in it or JSON.
	KubeAPIContentType string
	// Controllers lists the controllers to run: "*", "name" or "-name".
	Controllers []string
	// MinResyncPeriod: informers resync at a random period between it and
	// twice it.
	MinResyncPeriod metav1.Duration
	// ControllerOptions holds the options of each controller (its
	// --concurrent-*-syncs flag and any other), by controller name, as its
	// descriptor's NewOptions made them.
	ControllerOptions map[string]ControllerOptions

	LeaderElection componentbaseconfig.LeaderElectionConfiguration
	SecureServing  *genericoptions.SecureServingOptions
	Authentication *genericoptions.DelegatingAuthenticationOptions
	Authorization  *genericoptions.DelegatingAuthorizationOptions
	Logs           *logsapi.LoggingConfiguration
	// Debugging enables /debug/pprof (and block profiling) on the secure
	// port, as kube-controller-manager's --profiling does.
	Debugging *cmoptions.DebuggingOptions
}

// NewOptions returns the defaults.
func NewOptions() *Options {
	o := &Options{
		KubeAPIQPS:         20,
		KubeAPIBurst:       30,
		KubeAPIContentType: runtime.ContentTypeProtobuf,
		Controllers:        []string{"*"},
		MinResyncPeriod:    metav1.Duration{Duration: 12 * time.Hour},
		ControllerOptions:  map[string]ControllerOptions{},
		LeaderElection: componentbaseconfig.LeaderElectionConfiguration{
			LeaderElect:       true,
			LeaseDuration:     metav1.Duration{Duration: 15 * time.Second},
			RenewDeadline:     metav1.Duration{Duration: 10 * time.Second},
			RetryPeriod:       metav1.Duration{Duration: 2 * time.Second},
			ResourceLock:      "leases",
			ResourceName:      DefaultLeaseName,
			ResourceNamespace: DefaultLeaseNamespace,
		},
		SecureServing:  genericoptions.NewSecureServingOptions(),
		Authentication: genericoptions.NewDelegatingAuthenticationOptions(),
		Authorization:  genericoptions.NewDelegatingAuthorizationOptions(),
		Logs:           logsapi.NewLoggingConfiguration(),
		Debugging:      cmoptions.RecommendedDebuggingOptions(),
	}
	for _, d := range controllerDescriptors {
		if d.NewOptions != nil {
			o.ControllerOptions[d.Name] = d.NewOptions()
		}
	}
	o.SecureServing.BindPort = DefaultSecurePort
	// No certificate directory: without --tls-cert-file a self-signed
	// certificate is generated in memory, as kube-controller-manager does.
	o.SecureServing.ServerCert.CertDirectory = ""
	o.SecureServing.ServerCert.PairName = "workloads-controller-manager"
	// Like kube-controller-manager, the probes and metrics can be served
	// without delegated authentication; see Complete for the default.
	o.Authentication.RemoteKubeConfigFileOptional = true
	o.Authorization.RemoteKubeConfigFileOptional = true
	return o
}

// Flags returns the flags grouped into sections for --help.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	generic := fss.FlagSet("generic")
	generic.StringVar(&o.Kubeconfig, "kubeconfig", o.Kubeconfig, "Path to a kubeconfig file for kube-apiserver. Empty with --master empty: the in-cluster configuration.")
	generic.StringVar(&o.Master, "master", o.Master, "The address of kube-apiserver (overrides the server in --kubeconfig).")
	generic.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "QPS of each client talking to kube-apiserver.")
	generic.Int32Var(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of each client talking to kube-apiserver.")
	generic.StringVar(&o.KubeAPIContentType, "kube-api-content-type", o.KubeAPIContentType,
		"Content type of requests sent to kube-apiserver: application/vnd.kubernetes.protobuf or application/json. Responses are accepted in it or in JSON.")
	generic.DurationVar(&o.MinResyncPeriod.Duration, "min-resync-period", o.MinResyncPeriod.Duration,
		"Informers resync at a random period between min-resync-period and twice that.")
	generic.StringSliceVar(&o.Controllers, "controllers", o.Controllers, fmt.Sprintf(""+
		"A list of controllers to enable. '*' enables all, 'foo' enables the controller named 'foo', "+
		"'-foo' disables the controller named 'foo'. Controllers whose resources the API server does not serve "+
		"are skipped.\nAll controllers: %v", KnownControllers()))

	c := fss.FlagSet("controllers")
	for _, d := range controllerDescriptors {
		if opts := o.ControllerOptions[d.Name]; opts != nil {
			opts.AddFlags(c)
		}
	}

	componentbaseoptions.BindLeaderElectionFlags(&o.LeaderElection, fss.FlagSet("leader election"))
	o.SecureServing.AddFlags(fss.FlagSet("secure serving"))
	o.Authentication.AddFlags(fss.FlagSet("authentication"))
	o.Authorization.AddFlags(fss.FlagSet("authorization"))
	o.Debugging.AddFlags(fss.FlagSet("debugging"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logs"))
	return fss
}

// Complete fills in defaults that depend on other flags: delegated
// authentication and authorization of the secure port use --kubeconfig when
// no --authentication-kubeconfig / --authorization-kubeconfig is given, so
// /metrics needs a token or certificate that kube-apiserver accepts and
// authorizes (SubjectAccessReview on the non-resource URL), while
// --authorization-always-allow-paths (default /healthz, /readyz, /livez) are
// served to anyone.
func (o *Options) Complete() error {
	if o.Authentication.RemoteKubeConfigFile == "" {
		o.Authentication.RemoteKubeConfigFile = o.Kubeconfig
	}
	if o.Authorization.RemoteKubeConfigFile == "" {
		o.Authorization.RemoteKubeConfigFile = o.Kubeconfig
	}
	if o.SecureServing.BindPort != 0 {
		if err := o.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
			return fmt.Errorf("creating a self-signed serving certificate: %w", err)
		}
	}
	return nil
}

// Validate checks the flags.
func (o *Options) Validate() error {
	var errs []error
	if _, err := EnabledControllers(o.Controllers); err != nil {
		errs = append(errs, err)
	}
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst <= 0 {
		errs = append(errs, errors.New("--kube-api-qps and --kube-api-burst must be positive"))
	}
	if o.KubeAPIContentType != runtime.ContentTypeProtobuf && o.KubeAPIContentType != runtime.ContentTypeJSON {
		errs = append(errs, fmt.Errorf("--kube-api-content-type must be %s or %s, got %q", runtime.ContentTypeProtobuf, runtime.ContentTypeJSON, o.KubeAPIContentType))
	}
	for _, d := range controllerDescriptors {
		if opts := o.ControllerOptions[d.Name]; opts != nil {
			errs = append(errs, opts.Validate()...)
		}
	}
	if le := o.LeaderElection; le.LeaderElect {
		if le.ResourceLock != "leases" {
			errs = append(errs, fmt.Errorf("--leader-elect-resource-lock must be \"leases\", got %q", le.ResourceLock))
		}
		if le.LeaseDuration.Duration <= le.RenewDeadline.Duration {
			errs = append(errs, errors.New("--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline"))
		}
		if le.RenewDeadline.Duration <= le.RetryPeriod.Duration {
			errs = append(errs, errors.New("--leader-elect-renew-deadline must be greater than --leader-elect-retry-period"))
		}
		if le.ResourceName == "" || le.ResourceNamespace == "" {
			errs = append(errs, errors.New("--leader-elect-resource-name and --leader-elect-resource-namespace must not be empty"))
		}
	}
	errs = append(errs, o.SecureServing.Validate()...)
	errs = append(errs, o.Authentication.Validate()...)
	errs = append(errs, o.Authorization.Validate()...)
	return utilerrors.NewAggregate(errs)
}
