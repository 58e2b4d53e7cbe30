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

package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/kube-experimental/workloads-apiserver/pkg/diagnose"
)

// DiagnoseClients is implemented by Clients that can run `diagnose`: it
// needs the aggregator client and raw HTTP access to kube-apiserver besides
// the clientsets.
type DiagnoseClients interface {
	DiagnoseClients() (diagnose.Clients, error)
}

func (c *configClients) DiagnoseClients() (diagnose.Clients, error) {
	cfg, err := c.flags.ToRESTConfig()
	if err != nil {
		return diagnose.Clients{}, fmt.Errorf("loading the client configuration: %w", err)
	}
	return diagnose.NewClients(cfg)
}

func newDiagnoseCommand(streams genericiooptions.IOStreams, clients Clients) *cobra.Command {
	o := diagnose.DefaultOptions()
	var output string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "diagnose",
		Short: "Check every link between kube-apiserver and workloads-apiserver",
		Long: `Check every link of the chain that serves the experimental API group and print
one line per check: ✓ when it works, ✗ with the cause and the command or
manifest change that fixes it, ! for a warning, - when a check was skipped
because a link before it is broken. Exits non-zero when a check fails.

Checks: the APIService and its Available condition; the Service it names and
that Service's ready EndpointSlice addresses (or its ExternalName); the serving
certificate against the APIService caBundle, its DNS names and expiry; that the
server's ServiceAccount may read kube-system/extension-apiserver-authentication
and holds system:auth-delegator (SubjectAccessReviews on its behalf); the
requestheader CA in that ConfigMap; the server's /readyz and /version; the
discovery latency of /apis/experimental/v1alpha1 through kube-apiserver; the
controller manager's leader-election Lease; the aggregated RBAC ClusterRoles
and their aggregation into view, edit and admin.

Reaching the server: with --server-address the certificate, /readyz and
/version checks dial that address directly (e.g. the local end of kubectl
port-forward). Without it, an ExternalName Service is dialled at its external
name, as kube-apiserver does; for other Services /readyz and /version go
through kube-apiserver's service proxy and the certificate is fetched from a
ready endpoint address, which is often unreachable from outside the cluster:
then the certificate check warns and says which port-forward to run.`,
		Example: `  # Check the installation of artifacts/deploy
  kubectl experimental diagnose

  # Fetch the serving certificate through a port-forward
  kubectl -n workloads-system port-forward svc/workloads-apiserver 8443:443 &
  kubectl experimental diagnose --server-address=127.0.0.1:8443

  # For scripts: the failed checks' ids
  kubectl experimental diagnose -o json | jq -r '.checks[] | select(.status=="fail") | .id'`,
		Args: cobra.NoArgs,
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if output != "" && output != "json" {
			return fmt.Errorf("--output must be json or empty, got %q", output)
		}
		dc, ok := clients.(DiagnoseClients)
		if !ok {
			return fmt.Errorf("diagnose is not supported by these clients")
		}
		c, err := dc.DiagnoseClients()
		if err != nil {
			return err
		}
		ctx := ctxOf(cmd)
		if timeout > 0 {
			var cancel func()
			ctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		report := diagnose.Run(ctx, c, o)
		if output == "json" {
			enc := json.NewEncoder(streams.Out)
			enc.SetIndent("", "  ")
			if err := enc.Encode(report); err != nil {
				return err
			}
		} else if err := report.Write(streams.Out); err != nil {
			return err
		}
		if report.Failed > 0 {
			return fmt.Errorf("diagnose: %d of %d checks failed", report.Failed, len(report.Checks))
		}
		return nil
	}
	f := cmd.Flags()
	f.StringVarP(&output, "output", "o", "", "Output format: empty for one line per check, or json.")
	f.StringVar(&o.APIServiceName, "apiservice", o.APIServiceName, "Name of the APIService of the experimental group.")
	f.StringVar(&o.ServiceAccountNamespace, "server-namespace", o.ServiceAccountNamespace, "Namespace of workloads-apiserver's ServiceAccount.")
	f.StringVar(&o.ServiceAccountName, "server-service-account", o.ServiceAccountName, "ServiceAccount workloads-apiserver runs as; the RBAC checks ask kube-apiserver on its behalf.")
	f.StringVar(&o.LeaseNamespace, "lease-namespace", o.LeaseNamespace, "Namespace of the controller manager's leader-election Lease (its --leader-elect-resource-namespace).")
	f.StringVar(&o.LeaseName, "lease-name", o.LeaseName, "Name of that Lease (its --leader-elect-resource-name).")
	f.StringVar(&o.ServerAddress, "server-address", "", "HOST:PORT where workloads-apiserver can be dialled directly for the certificate, /readyz and /version checks (e.g. a kubectl port-forward).")
	f.DurationVar(&timeout, "timeout", time.Minute, "Bound on the whole diagnosis (0: none).")
	return cmd
}
