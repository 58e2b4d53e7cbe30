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

package controllertest

import (
	"slices"

	"k8s.io/apimachinery/pkg/runtime"
	clienttesting "k8s.io/client-go/testing"
)

// Actions returns the actions of verb on resource (any subresource), list
// by list in the order given.
func Actions(verb, resource string, lists ...[]clienttesting.Action) []clienttesting.Action {
	var out []clienttesting.Action
	for _, list := range lists {
		for _, a := range list {
			if a.GetVerb() == verb && a.GetResource().Resource == resource {
				out = append(out, a)
			}
		}
	}
	return out
}

// Created returns the objects of the creates of resource in lists, in
// order. It panics on an object that is not a T: a test asks for the type
// its resource has.
func Created[T runtime.Object](resource string, lists ...[]clienttesting.Action) []T {
	var out []T
	for _, a := range Actions("create", resource, lists...) {
		out = append(out, a.(clienttesting.CreateAction).GetObject().(T))
	}
	return out
}

// DeletedNames returns the names of the deletes of resource in lists,
// sorted.
func DeletedNames(resource string, lists ...[]clienttesting.Action) []string {
	var out []string
	for _, a := range Actions("delete", resource, lists...) {
		out = append(out, a.(clienttesting.DeleteAction).GetName())
	}
	slices.Sort(out)
	return out
}

// StatusUpdates returns the objects written through the status subresource
// in actions, in order. It panics on an object that is not a T.
func StatusUpdates[T runtime.Object](actions []clienttesting.Action) []T {
	var out []T
	for _, a := range actions {
		if u, ok := a.(clienttesting.UpdateAction); ok && a.GetSubresource() == "status" {
			out = append(out, u.GetObject().(T))
		}
	}
	return out
}
