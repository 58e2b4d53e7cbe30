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
	"strings"

	"github.com/spf13/cobra"
)

// completeResource completes "TYPE NAME" and "TYPE/NAME" arguments: resource
// types first, then the names of the objects of that type in the namespace.
func completeResource(clients Clients, kinds ...Kind) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		switch {
		case len(args) == 0 && strings.Contains(toComplete, "/"):
			t, _, _ := strings.Cut(toComplete, "/")
			return slashNames(cmd.Context(), clients, t, kinds), cobra.ShellCompDirectiveNoFileComp
		case len(args) == 0:
			var out []string
			for _, k := range kinds {
				out = append(out, k.Resource())
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		case len(args) == 1 && !strings.Contains(args[0], "/"):
			k, err := ParseKind(args[0])
			if err != nil || !contains(kinds, k) {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return objectNames(cmd.Context(), clients, k), cobra.ShellCompDirectiveNoFileComp
		}
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeTypeSlashName completes a first argument of the form TYPE/NAME.
func completeTypeSlashName(clients Clients, kinds ...Kind) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		if t, _, ok := strings.Cut(toComplete, "/"); ok {
			return slashNames(cmd.Context(), clients, t, kinds), cobra.ShellCompDirectiveNoFileComp
		}
		var out []string
		for _, k := range kinds {
			out = append(out, k.Resource()+"/")
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

func slashNames(ctx context.Context, clients Clients, t string, kinds []Kind) []string {
	k, err := ParseKind(t)
	if err != nil || !contains(kinds, k) {
		return nil
	}
	var out []string
	for _, n := range objectNames(ctx, clients, k) {
		out = append(out, t+"/"+n)
	}
	return out
}

// objectNames lists names for completion; errors mean no suggestions.
func objectNames(ctx context.Context, clients Clients, k Kind) []string {
	if ctx == nil {
		ctx = context.Background()
	}
	c, err := clients.Experimental()
	if err != nil {
		return nil
	}
	ns, err := clients.Namespace()
	if err != nil {
		return nil
	}
	names, err := listNames(ctx, c, ns, k)
	if err != nil {
		return nil
	}
	return names
}

func contains(kinds []Kind, k Kind) bool {
	for _, x := range kinds {
		if x == k {
			return true
		}
	}
	return false
}
