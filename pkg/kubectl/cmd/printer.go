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
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned/scheme"
)

// printer prints the result of a change the way kubectl does: by default
// "<resource>.experimental/<name> <operation>", or the object with -o.
type printer struct {
	flags *genericclioptions.PrintFlags
}

func newPrinter(cmd *cobra.Command) *printer {
	p := &printer{flags: genericclioptions.NewPrintFlags("").WithTypeSetter(scheme.Scheme)}
	p.flags.AddFlags(cmd)
	return p
}

// print writes obj after the operation (e.g. "image updated").
func (p *printer) print(out io.Writer, obj runtime.Object, operation string) error {
	p.flags.NamePrintFlags.Operation = operation
	pr, err := p.flags.ToPrinter()
	if err != nil {
		return err
	}
	if err := pr.PrintObj(obj, out); err != nil {
		return fmt.Errorf("printing the result: %w", err)
	}
	return nil
}
