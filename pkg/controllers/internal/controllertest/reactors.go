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
	"fmt"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/clock"
)

// Reactor is a fake clientset (both client-go's and the generated one).
type Reactor interface {
	PrependReactor(verb, resource string, reaction clienttesting.ReactionFunc)
}

// Fill says what OnCreate fills in on a created object, as the API server
// does and the fake clientsets do not.
type Fill struct {
	// GenerateName names an object without a name from its generateName:
	// the prefix and a counter (1, 2, ...) that the resource's reactor
	// keeps.
	GenerateName bool
	// UID sets metadata.uid to "<name>-uid".
	UID bool
	// CreationTimestamp, when not nil, sets metadata.creationTimestamp to
	// its Now().
	CreationTimestamp clock.PassiveClock
}

// OnCreate makes the creates of resource on c fill in what fill says before
// the fake stores the object. The reactor goes first and lets the default
// (or later-prepended) reactors handle the create.
func OnCreate(c Reactor, resource string, fill Fill) {
	var generated atomic.Int32
	c.PrependReactor("create", resource, func(a clienttesting.Action) (bool, runtime.Object, error) {
		obj, err := meta.Accessor(a.(clienttesting.CreateAction).GetObject())
		if err != nil {
			return true, nil, fmt.Errorf("create of %s: %w", resource, err)
		}
		if fill.GenerateName && obj.GetName() == "" && obj.GetGenerateName() != "" {
			obj.SetName(fmt.Sprintf("%s%d", obj.GetGenerateName(), generated.Add(1)))
		}
		if fill.UID {
			obj.SetUID(types.UID(obj.GetName() + "-uid"))
		}
		if fill.CreationTimestamp != nil {
			obj.SetCreationTimestamp(metav1.NewTime(fill.CreationTimestamp.Now()))
		}
		return false, nil, nil
	})
}
