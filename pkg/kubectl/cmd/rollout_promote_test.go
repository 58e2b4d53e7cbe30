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
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	clienttesting "k8s.io/client-go/testing"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// canaryDeployment is paused at step 1 of 3 with 2 of 10 pods updated.
func canaryDeployment() *v1alpha1.Deployment {
	d := deployment("web", 10)
	twenty := intstr.FromString("20%")
	d.Spec.Strategy.Canary = &v1alpha1.CanaryStrategy{Steps: []v1alpha1.CanaryStep{
		{Replicas: &twenty}, {Pause: &v1alpha1.CanaryPause{}}, {Replicas: &twenty},
	}}
	d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.AvailableReplicas = 10, 2, 10
	d.Status.Canary = &v1alpha1.CanaryStatus{CurrentStepIndex: 1, PauseStartTime: &metav1.Time{}}
	return d
}

func TestRolloutPromote(t *testing.T) {
	f := newFakes(canaryDeployment())
	var seen []*v1alpha1.DeploymentPromote
	conflicts := 1
	f.x.PrependReactor("create", "deployments", func(a clienttesting.Action) (bool, runtime.Object, error) {
		create := a.(clienttesting.CreateActionImpl)
		if create.GetSubresource() != "promote" {
			return false, nil, nil
		}
		if conflicts > 0 {
			conflicts--
			return true, nil, apierrors.NewConflict(v1alpha1.Resource("deployments"), create.Name,
				errString(`the deployment controller has not observed generation 2 of deployment "web" yet; retry`))
		}
		p := create.GetObject().(*v1alpha1.DeploymentPromote)
		seen = append(seen, p)
		d := canaryDeployment()
		d.Status.Canary.CurrentStepIndex, d.Status.Canary.PauseStartTime = 2, nil
		if p.Full {
			d.Status.Canary.CurrentStepIndex = 3
		}
		return true, d, nil
	})
	if out := mustRun(t, f, "rollout", "promote", "deployment/web"); out != "deployment.experimental/web promoted to canary step 2 of 3\n" {
		t.Errorf("output: %q", out)
	}
	if out := mustRun(t, f, "rollout", "promote", "xdeploy", "web", "--full"); out != "deployment.experimental/web promoted past its last canary step\n" {
		t.Errorf("output with --full: %q", out)
	}
	if len(seen) != 2 || seen[0].Full || !seen[1].Full {
		t.Errorf("promote requests %+v, want one step then full", seen)
	}
	if _, _, err := run(t, f, "rollout", "promote", "ds/agent"); err == nil {
		t.Error("rollout promote of a DaemonSet succeeded")
	}
}

func TestRolloutStatusAtCanaryStep(t *testing.T) {
	f := newFakes(canaryDeployment())
	out := mustRun(t, f, "rollout", "status", "deployment/web", "--watch=false")
	if !strings.Contains(out, `deployment "web" rollout: paused at canary step 1 of 3 until promoted`) || !strings.Contains(out, "2 of 10 pods updated") {
		t.Errorf("rollout status --watch=false at a pause: %q", out)
	}
	d := canaryDeployment()
	d.Status.Canary.PauseStartTime = nil
	d.Status.Canary.CurrentStepIndex = 2
	if msg, done, err := DeploymentStatus(d); done || err != nil || !strings.Contains(msg, "canary step 2 of 3; 2 of 10 pods updated, 10 available") {
		t.Errorf("DeploymentStatus moving to a step = %q, %v, %v", msg, done, err)
	}
}

func TestDescribeCanary(t *testing.T) {
	f := newFakes(canaryDeployment())
	out := mustRun(t, f, "describe", "deployment/web")
	for _, want := range []string{"CanarySteps:", "20% -> pause -> 20%", "Current step:", "1/3 (pause)", "when promoted"} {
		if !strings.Contains(out, want) {
			t.Errorf("describe lacks %q:\n%s", want, out)
		}
	}
}
