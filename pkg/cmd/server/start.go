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

// Package server holds the command line of workloads-apiserver: its flags,
// their validation, and turning them into a running server.
package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	serverstorage "k8s.io/apiserver/pkg/server/storage"
	"k8s.io/apiserver/pkg/util/compatibility"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	"k8s.io/client-go/kubernetes"
	cliflag "k8s.io/component-base/cli/flag"
	basecompatibility "k8s.io/component-base/compatibility"
	logsapi "k8s.io/component-base/logs/api/v1"
	"k8s.io/component-base/term"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
	netutils "k8s.io/utils/net"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/apiserver"
	"github.com/kube-experimental/workloads-apiserver/pkg/embeddedetcd"
	generatedopenapi "github.com/kube-experimental/workloads-apiserver/pkg/generated/openapi"
	"github.com/kube-experimental/workloads-apiserver/pkg/registry/registryutil"
)

func init() {
	// The logging flags consult feature gates such as ContextualLogging.
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// EtcdPathPrefix is where the server keeps its objects in etcd.
const EtcdPathPrefix = "/registry/experimental"

// DefaultEtcdDataDir is where the embedded etcd keeps its data when neither
// --etcd-servers nor --etcd-data-dir is given.
const DefaultEtcdDataDir = "workloads-apiserver.etcd"

// Graceful termination defaults. They differ from k8s.io/apiserver's (which
// stop listening the moment the process is told to stop) so that a rolling
// restart of several replicas behind a Service is invisible to clients:
//
//   - for DefaultShutdownDelay after SIGTERM the server keeps serving every
//     request while /readyz fails, so the endpoints and the load balancer
//     stop sending it new traffic;
//   - then each HTTP/2 connection gets a first GOAWAY that refuses nothing
//     (see Serve), so kube-apiserver's aggregation proxy moves to a new
//     connection, and requests that still arrive get 429 with Retry-After
//     (--shutdown-send-retry-after) instead of a refused connection, which
//     client-go retries on another replica;
//   - open watches are ended at that point, within at most
//     DefaultShutdownWatchTerminationGracePeriod, so watchers re-establish
//     them elsewhere and the process exits promptly instead of waiting for
//     the watches' own timeouts.
//
// A pod's terminationGracePeriodSeconds must exceed the delay plus the
// watch grace period plus the longest non-watch request (--request-timeout).
const (
	DefaultShutdownDelay                       = 5 * time.Second
	DefaultShutdownWatchTerminationGracePeriod = 5 * time.Second
)

// Options holds every flag of workloads-apiserver.
type Options struct {
	RecommendedOptions *genericoptions.RecommendedOptions
	// ServerRun holds the request limits, timeouts and graceful
	// termination settings of the generic server.
	ServerRun     *genericoptions.ServerRunOptions
	APIEnablement *genericoptions.APIEnablementOptions
	Logs          *logsapi.LoggingConfiguration
	// ComponentGlobalsRegistry holds the effective version and feature gates.
	ComponentGlobalsRegistry basecompatibility.ComponentGlobalsRegistry

	// EtcdDataDir is the data directory of the embedded etcd, used when no
	// --etcd-servers are given.
	EtcdDataDir string
	// AlternateDNS are extra names for the self-signed serving certificate.
	AlternateDNS []string
	// AuthorizationTrustFrontProxy answers resource requests kube-apiserver
	// authorized before proxying them without a SubjectAccessReview.
	AuthorizationTrustFrontProxy bool

	StdOut io.Writer
	StdErr io.Writer

	embeddedEtcd *embeddedetcd.Server
}

// NewOptions returns the default options.
func NewOptions(out, errOut io.Writer) *Options {
	o := &Options{
		RecommendedOptions: genericoptions.NewRecommendedOptions(
			EtcdPathPrefix,
			apiserver.Codecs.LegacyCodec(v1alpha1.SchemeGroupVersion),
		),
		ServerRun:                genericoptions.NewServerRunOptions(),
		APIEnablement:            genericoptions.NewAPIEnablementOptions(),
		Logs:                     logsapi.NewLoggingConfiguration(),
		ComponentGlobalsRegistry: compatibility.DefaultComponentGlobalsRegistry,
		StdOut:                   out,
		StdErr:                   errOut,

		AuthorizationTrustFrontProxy: true,
	}
	o.ServerRun.ComponentGlobalsRegistry = o.ComponentGlobalsRegistry
	o.ServerRun.ShutdownDelayDuration = DefaultShutdownDelay
	o.ServerRun.ShutdownSendRetryAfter = true
	o.ServerRun.ShutdownWatchTerminationGracePeriod = DefaultShutdownWatchTerminationGracePeriod
	o.RecommendedOptions.Etcd.StorageConfig.EncodeVersioner = runtime.NewMultiGroupVersioner(
		v1alpha1.SchemeGroupVersion, schema.GroupKind{Group: v1alpha1.GroupName})
	// As kube-apiserver: protobuf in etcd (--storage-media-type) is smaller
	// and cheaper to decode than JSON.
	o.RecommendedOptions.Etcd.DefaultStorageMediaType = runtime.ContentTypeProtobuf
	return o
}

// Flags returns the flags grouped into sections for --help.
func (o *Options) Flags() cliflag.NamedFlagSets {
	var fss cliflag.NamedFlagSets
	ro := o.RecommendedOptions

	o.addServerRunFlags(fss.FlagSet("generic"))

	etcdFlags := fss.FlagSet("etcd")
	ro.Etcd.AddFlags(etcdFlags)
	if f := etcdFlags.Lookup("etcd-servers-overrides"); f != nil {
		f.Usage += " The resources are experimental/<resource>; for example " +
			"experimental/jobs#https://etcd-jobs-0:2379;https://etcd-jobs-1:2379 keeps Jobs in an etcd cluster of their own, " +
			"reached with the same TLS flags as --etcd-servers."
	}
	etcdFlags.StringVar(&o.EtcdDataDir, "etcd-data-dir", o.EtcdDataDir, ""+
		"Directory of the embedded single-member etcd that is started when --etcd-servers is empty. "+
		"For development; use an etcd cluster in production. Default: "+DefaultEtcdDataDir+" in the working directory.")

	servingFlags := fss.FlagSet("secure serving")
	ro.SecureServing.AddFlags(servingFlags)
	servingFlags.StringSliceVar(&o.AlternateDNS, "alternate-dns", o.AlternateDNS,
		"Extra DNS names for the self-signed serving certificate generated when no --tls-cert-file is given.")

	ro.Authentication.AddFlags(fss.FlagSet("authentication"))
	authzFlags := fss.FlagSet("authorization")
	ro.Authorization.AddFlags(authzFlags)
	authzFlags.BoolVar(&o.AuthorizationTrustFrontProxy, "authorization-trust-front-proxy", o.AuthorizationTrustFrontProxy, ""+
		"Allow a resource request that kube-apiserver's aggregation layer proxied, identified by a front-proxy "+
		"certificate whose common name is in requestheader-allowed-names, without asking kube-apiserver again with "+
		"a SubjectAccessReview: kube-apiserver's authorizers already allowed exactly this user and these attributes "+
		"before proxying it. Requests with other credentials, impersonation, other attributes and non-resource paths "+
		"are still authorized with SubjectAccessReviews, and so is every request when requestheader-allowed-names "+
		"is empty (any certificate of the front-proxy CA accepted). Set to false to review every request.")
	ro.Audit.AddFlags(fss.FlagSet("auditing"))
	ro.Features.AddFlags(fss.FlagSet("features"))
	ro.CoreAPI.AddFlags(fss.FlagSet("kube-apiserver connection"))
	ro.Admission.AddFlags(fss.FlagSet("admission"))
	ro.EgressSelector.AddFlags(fss.FlagSet("egress selector"))
	ro.Traces.AddFlags(fss.FlagSet("traces"))
	o.APIEnablement.AddFlags(fss.FlagSet("API enablement"))
	o.ComponentGlobalsRegistry.AddFlags(fss.FlagSet("feature gates"))
	logsapi.AddFlags(o.Logs, fss.FlagSet("logs"))
	return fss
}

// addServerRunFlags adds the flags of the generic server (request limits,
// timeouts, graceful termination) to fs. ServerRunOptions also registers the
// component-globals flags (--feature-gates, --emulated-version, ...), which
// this command lists in their own section, so those are left out here.
func (o *Options) addServerRunFlags(fs *pflag.FlagSet) {
	all := pflag.NewFlagSet("generic", pflag.ContinueOnError)
	o.ServerRun.AddUniversalFlags(all)
	componentGlobals := pflag.NewFlagSet("component globals", pflag.ContinueOnError)
	o.ComponentGlobalsRegistry.AddFlags(componentGlobals)
	all.VisitAll(func(f *pflag.Flag) {
		if componentGlobals.Lookup(f.Name) == nil {
			fs.AddFlag(f)
		}
	})
	if f := fs.Lookup("goaway-chance"); f != nil {
		f.Usage += " workloads-apiserver sends the first GOAWAY of a two-phase HTTP/2 shutdown, which refuses no " +
			"request in flight, and kube-apiserver's pooled connection moves to another replica. Keep it at 0 " +
			"behind kube-apiserver all the same: its HTTP/2 client fails a request it had just assigned to the " +
			"connection when the GOAWAY arrived (measured: at 0.01, one failed write in two of ten rolling restarts)."
	}
	if f := fs.Lookup("shutdown-delay-duration"); f != nil {
		f.Usage += fmt.Sprintf(" workloads-apiserver defaults to %s so that a replica leaves the Service endpoints "+
			"before it stops accepting requests.", DefaultShutdownDelay)
	}
	if f := fs.Lookup("shutdown-send-retry-after"); f != nil {
		f.Usage += " workloads-apiserver defaults to true: requests that reach a stopping replica are retried by clients instead of failing."
	}
	if f := fs.Lookup("shutdown-watch-termination-grace-period"); f != nil {
		f.Usage += fmt.Sprintf(" Watches are ended when the shutdown delay has passed, so that clients re-establish them on "+
			"another replica. workloads-apiserver defaults to %s; 0 keeps k8s.io/apiserver's behaviour of not ending them.",
			DefaultShutdownWatchTerminationGracePeriod)
	}
}

// NewCommand returns the workloads-apiserver command.
func NewCommand(ctx context.Context, o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "workloads-apiserver",
		Short: "Serve the experimental/v1alpha1 workload APIs",
		Long: `workloads-apiserver serves DaemonSets, ReplicaSets, Deployments, Jobs, CronJobs and
HorizontalPodAutoscalers in the API group experimental/v1alpha1, stored in its own etcd.
Register it into a cluster with an APIService. The group is alpha and off by default:
enable it with --runtime-config=experimental/v1alpha1=true.`,
		SilenceUsage: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return o.ComponentGlobalsRegistry.Set()
		},
		RunE: func(c *cobra.Command, args []string) error {
			if err := logsapi.ValidateAndApply(o.Logs, o.ComponentGlobalsRegistry.FeatureGateFor(basecompatibility.DefaultKubeComponent)); err != nil {
				return err
			}
			if err := o.Complete(c.Context()); err != nil {
				return err
			}
			defer o.Stop()
			if err := o.Validate(args); err != nil {
				return err
			}
			return o.Run(c.Context())
		},
	}
	cmd.SetContext(ctx)

	fss := o.Flags()
	fs := cmd.Flags()
	for _, f := range fss.FlagSets {
		fs.AddFlagSet(f)
	}
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, fss, cols)
	return cmd
}

// Complete fills in what the flags left open: it starts the embedded etcd
// when no --etcd-servers were given.
func (o *Options) Complete(ctx context.Context) error {
	logger := klog.FromContext(ctx)
	etcd := o.RecommendedOptions.Etcd
	if len(etcd.StorageConfig.Transport.ServerList) > 0 {
		if o.EtcdDataDir != "" {
			return fmt.Errorf("--etcd-data-dir is for the embedded etcd and cannot be combined with --etcd-servers")
		}
		return nil
	}
	dir := o.EtcdDataDir
	if dir == "" {
		dir = DefaultEtcdDataDir
	}
	logger.Info("No --etcd-servers given: starting an embedded single-member etcd (for development only)", "dataDir", dir)
	server, err := embeddedetcd.Start(ctx, dir)
	if err != nil {
		return err
	}
	o.embeddedEtcd = server
	etcd.StorageConfig.Transport.ServerList = []string{server.ClientURL}
	return nil
}

// Stop releases what Complete started.
func (o *Options) Stop() {
	if o.embeddedEtcd != nil {
		o.embeddedEtcd.Stop()
		o.embeddedEtcd = nil
	}
}

// Validate checks the flags.
func (o *Options) Validate(args []string) error {
	var errs []error
	if len(args) > 0 {
		errs = append(errs, fmt.Errorf("unexpected arguments %v: workloads-apiserver takes only flags", args))
	}
	if o.RecommendedOptions.CoreAPI != nil && o.RecommendedOptions.CoreAPI.CoreAPIKubeconfigPath == "" && os.Getenv("KUBERNETES_SERVICE_HOST") == "" {
		errs = append(errs, fmt.Errorf("--kubeconfig is required when not running in a cluster: "+
			"workloads-apiserver reads namespaces and delegates authentication and authorization to kube-apiserver"))
	}
	errs = append(errs, o.RecommendedOptions.Validate()...)
	// ServerRun also validates the component globals (feature gates and
	// emulated version).
	errs = append(errs, o.ServerRun.Validate()...)
	errs = append(errs, o.APIEnablement.Validate(apiserver.Scheme)...)
	if _, err := parseEtcdServersOverrides(o.RecommendedOptions.Etcd.EtcdServersOverrides); err != nil {
		errs = append(errs, err)
	}
	return utilerrors.NewAggregate(errs)
}

// storageCodec writes objects to etcd as experimental/v1alpha1 in mediaType
// and reads every media type the server knows, so objects written in
// another one (JSON, before protobuf was the default) stay readable and are
// rewritten on their next update.
func storageCodec(mediaType string) (runtime.Codec, error) {
	codec, _, err := serverstorage.NewStorageCodec(serverstorage.StorageCodecConfig{
		StorageMediaType:  mediaType,
		StorageSerializer: apiserver.Codecs,
		StorageVersion:    v1alpha1.SchemeGroupVersion,
		MemoryVersion:     schema.GroupVersion{Group: v1alpha1.GroupName, Version: runtime.APIVersionInternal},
	})
	return codec, err
}

// Config turns the options into the server configuration.
func (o *Options) Config() (*apiserver.Config, error) {
	if err := o.RecommendedOptions.SecureServing.MaybeDefaultWithSelfSignedCerts(
		"localhost", o.AlternateDNS, []net.IP{netutils.ParseIPSloppy("127.0.0.1")}); err != nil {
		return nil, fmt.Errorf("creating self-signed certificates: %w", err)
	}

	serverConfig := genericapiserver.NewRecommendedConfig(apiserver.Codecs)
	namer := openapi.NewDefinitionNamer(apiserver.OpenAPIScheme)
	serverConfig.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(generatedopenapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIConfig.Info.Title = "workloads-apiserver"
	serverConfig.OpenAPIConfig.Info.Version = v1alpha1.SchemeGroupVersion.Version
	serverConfig.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(generatedopenapi.GetOpenAPIDefinitions, namer)
	serverConfig.OpenAPIV3Config.Info.Title = "workloads-apiserver"
	serverConfig.OpenAPIV3Config.Info.Version = v1alpha1.SchemeGroupVersion.Version

	// ServerRun also sets the feature gate and effective version from the
	// component globals.
	if err := o.ServerRun.ApplyTo(&serverConfig.Config); err != nil {
		return nil, err
	}

	codec, err := storageCodec(o.RecommendedOptions.Etcd.DefaultStorageMediaType)
	if err != nil {
		return nil, fmt.Errorf("--storage-media-type: %w", err)
	}
	o.RecommendedOptions.Etcd.StorageConfig.Codec = codec
	if err := o.RecommendedOptions.ApplyTo(serverConfig); err != nil {
		return nil, err
	}
	// Replace the REST options of the recommended options, which store
	// everything in --etcd-servers, with ones that honour
	// --etcd-servers-overrides and answer errors the client caused with 4xx.
	overrides, err := parseEtcdServersOverrides(o.RecommendedOptions.Etcd.EtcdServersOverrides)
	if err != nil {
		return nil, err
	}
	storageConfig := o.RecommendedOptions.Etcd.StorageConfig
	if storageConfig.StorageObjectCountTracker == nil {
		storageConfig.StorageObjectCountTracker = serverConfig.StorageObjectCountTracker
	}
	serverConfig.RESTOptionsGetter = registryutil.WithClientErrors(o.RecommendedOptions.Etcd.CreateRESTOptionsGetter(
		newStorageFactory(storageConfig, overrides), serverConfig.ResourceTransformers))
	if err := o.APIEnablement.ApplyTo(&serverConfig.Config, apiserver.DefaultAPIResourceConfig(), apiserver.Scheme); err != nil {
		return nil, err
	}
	if rh := serverConfig.Authentication.RequestHeaderConfig; rh != nil && serverConfig.Authentication.Authenticator != nil {
		serverConfig.Authentication.Authenticator = withCachingFrontProxy(serverConfig.Authentication.Authenticator, rh, clock.RealClock{})
	}
	markFrontProxy := false
	if rh := serverConfig.Authentication.RequestHeaderConfig; o.AuthorizationTrustFrontProxy && rh != nil &&
		serverConfig.Authentication.Authenticator != nil && serverConfig.Authorization.Authorizer != nil {
		trust := &frontProxyTrust{usernameHeaders: rh.UsernameHeaders, allowedNames: rh.AllowedClientNames}
		serverConfig.Authentication.Authenticator = trust.wrapAuthenticator(serverConfig.Authentication.Authenticator)
		serverConfig.Authorization.Authorizer = &frontProxyAuthorizer{delegate: serverConfig.Authorization.Authorizer}
		markFrontProxy = true
	}
	var ready authenticationReadyChecker
	if serverConfig.ClientConfig != nil && serverConfig.SecureServing != nil {
		client, err := kubernetes.NewForConfig(serverConfig.ClientConfig)
		if err != nil {
			return nil, fmt.Errorf("creating the kube-apiserver client: %w", err)
		}
		var requestHeaderCA dynamiccertificates.CAContentProvider
		if rh := serverConfig.Authentication.RequestHeaderConfig; rh != nil {
			requestHeaderCA = rh.CAContentProvider
		}
		authnReadiness := newAuthenticationReadiness(client, serverConfig.SecureServing.ClientCA, requestHeaderCA)
		serverConfig.AddReadyzChecks(authnReadiness.ReadyzCheck())
		ready = authnReadiness
	}
	serverConfig.BuildHandlerChainFunc = buildHandlerChain(ready, markFrontProxy)
	return &apiserver.Config{GenericConfig: serverConfig}, nil
}

// Run starts the server and blocks until ctx is done.
func (o *Options) Run(ctx context.Context) error {
	config, err := o.Config()
	if err != nil {
		return err
	}
	server, err := config.Complete().New()
	if err != nil {
		return err
	}
	return Serve(ctx, server.GenericAPIServer)
}
