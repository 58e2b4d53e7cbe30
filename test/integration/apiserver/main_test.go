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
	"os"
	"testing"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/cli"

	"github.com/kube-experimental/workloads-apiserver/pkg/cmd/server"
)

// serverProcessEnv, when set in the environment of this test binary, makes it
// run workloads-apiserver instead of the tests: tests that need a real
// process (one that receives SIGTERM and exits) start the test binary
// again with this variable and the server's flags as arguments.
const serverProcessEnv = "WORKLOADS_APISERVER_INTEGRATION_SERVER_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(serverProcessEnv) != "" {
		os.Exit(runServerProcess(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// runServerProcess runs the workloads-apiserver command as main does, with
// delegated authentication, authorization and admission off as in
// startServer, so it needs no kube-apiserver.
func runServerProcess(args []string) int {
	ctx := genericapiserver.SetupSignalContext()
	o := server.NewOptions(os.Stdout, os.Stderr)
	o.RecommendedOptions.Authentication = nil
	o.RecommendedOptions.Authorization = nil
	o.RecommendedOptions.CoreAPI = nil
	o.RecommendedOptions.Admission = nil
	cmd := server.NewCommand(ctx, o)
	cmd.SetArgs(args)
	return cli.Run(cmd)
}
