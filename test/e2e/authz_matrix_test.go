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

package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	clientset "github.com/kube-experimental/workloads-apiserver/pkg/generated/clientset/versioned"
	"github.com/kube-experimental/workloads-apiserver/test/framework"
)

// authzCase is one request of the RBAC matrix: the attributes kube-apiserver
// is asked about, and the same request made through the aggregation layer.
type authzCase struct {
	name  string
	attrs authorizationv1.ResourceAttributes
	do    func(ctx context.Context) error
}

// testAuthorizationMatrix proves that no authorization decision of
// workloads-apiserver differs from what kube-apiserver's authorizers decide
// (asked with a SubjectAccessReview) across resourceNames, subresources,
// verbs and namespaces, for requests that reach it through the aggregation
// layer (authorized without a review, see --authorization-trust-front-proxy)
// and for requests made to it directly (reviewed).
func testAuthorizationMatrix(t *testing.T, c *framework.Cluster) {
	ctx := context.Background()
	const user = "erin"
	for _, ns := range []string{"matrix", "matrix-other"} {
		createNamespace(t, c, ns, nil)
	}
	adminClient := clientForConfig(t, c.RestConfig())
	for _, name := range []string{"named-ok", "named-no"} {
		if _, err := adminClient.ExperimentalV1alpha1().Deployments("matrix").Create(ctx, newDeployment(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := c.KubeClient().RbacV1().Roles("matrix").Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "matrix"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{framework.WorkloadsGroup}, Resources: []string{"deployments"}, Verbs: []string{"get"}, ResourceNames: []string{"named-ok"}},
			{APIGroups: []string{framework.WorkloadsGroup}, Resources: []string{"deployments/status"}, Verbs: []string{"get", "update"}},
			{APIGroups: []string{framework.WorkloadsGroup}, Resources: []string{"jobs"}, Verbs: []string{"get", "list", "watch"}},
			{APIGroups: []string{framework.WorkloadsGroup}, Resources: []string{"deployments/promote"}, Verbs: []string{"create"}, ResourceNames: []string{"named-ok"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bind(t, c, "matrix", "erin-matrix", user, rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "matrix"})

	erin := clientAs(t, c, user).ExperimentalV1alpha1()
	ra := func(verb, ns, resource, sub, name string) authorizationv1.ResourceAttributes {
		return authorizationv1.ResourceAttributes{Verb: verb, Group: framework.WorkloadsGroup, Version: "v1alpha1",
			Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	getErr := func(_ any, err error) error { return err }
	cases := []authzCase{
		{"get a deployment named in resourceNames", ra("get", "matrix", "deployments", "", "named-ok"),
			func(ctx context.Context) error {
				return getErr(erin.Deployments("matrix").Get(ctx, "named-ok", metav1.GetOptions{}))
			}},
		{"get a deployment not named", ra("get", "matrix", "deployments", "", "named-no"),
			func(ctx context.Context) error {
				return getErr(erin.Deployments("matrix").Get(ctx, "named-no", metav1.GetOptions{}))
			}},
		{"list deployments (resourceNames grant no list)", ra("list", "matrix", "deployments", "", ""),
			func(ctx context.Context) error {
				return getErr(erin.Deployments("matrix").List(ctx, metav1.ListOptions{}))
			}},
		{"delete a deployment named for get only", ra("delete", "matrix", "deployments", "", "named-ok"),
			func(ctx context.Context) error {
				return erin.Deployments("matrix").Delete(ctx, "named-ok", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
			}},
		{"get the status subresource", ra("get", "matrix", "deployments", "status", "named-no"),
			func(ctx context.Context) error {
				return erin.RESTClient().Get().Namespace("matrix").Resource("deployments").Name("named-no").SubResource("status").Do(ctx).Error()
			}},
		{"update the status subresource", ra("update", "matrix", "deployments", "status", "named-no"),
			func(ctx context.Context) error {
				d, err := adminClient.ExperimentalV1alpha1().Deployments("matrix").Get(ctx, "named-no", metav1.GetOptions{})
				if err != nil {
					return fmt.Errorf("admin get: %w", err)
				}
				return getErr(erin.Deployments("matrix").UpdateStatus(ctx, d, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}}))
			}},
		{"get the scale subresource (not granted)", ra("get", "matrix", "deployments", "scale", "named-ok"),
			func(ctx context.Context) error {
				return getErr(erin.Deployments("matrix").GetScale(ctx, "named-ok", metav1.GetOptions{}))
			}},
		{"promote a deployment named for promote", ra("create", "matrix", "deployments", "promote", "named-ok"),
			func(ctx context.Context) error {
				return erin.RESTClient().Post().Namespace("matrix").Resource("deployments").Name("named-ok").SubResource("promote").
					Body(&v1alpha1.DeploymentPromote{}).Do(ctx).Error()
			}},
		{"promote a deployment not named", ra("create", "matrix", "deployments", "promote", "named-no"),
			func(ctx context.Context) error {
				return erin.RESTClient().Post().Namespace("matrix").Resource("deployments").Name("named-no").SubResource("promote").
					Body(&v1alpha1.DeploymentPromote{}).Do(ctx).Error()
			}},
		{"get a job", ra("get", "matrix", "jobs", "", "absent"),
			func(ctx context.Context) error {
				return getErr(erin.Jobs("matrix").Get(ctx, "absent", metav1.GetOptions{}))
			}},
		{"list jobs", ra("list", "matrix", "jobs", "", ""),
			func(ctx context.Context) error { return getErr(erin.Jobs("matrix").List(ctx, metav1.ListOptions{})) }},
		{"list jobs in another namespace", ra("list", "matrix-other", "jobs", "", ""),
			func(ctx context.Context) error {
				return getErr(erin.Jobs("matrix-other").List(ctx, metav1.ListOptions{}))
			}},
		{"get a job in another namespace", ra("get", "matrix-other", "jobs", "", "absent"),
			func(ctx context.Context) error {
				return getErr(erin.Jobs("matrix-other").Get(ctx, "absent", metav1.GetOptions{}))
			}},
		{"delete a job (verb not granted)", ra("delete", "matrix", "jobs", "", "absent"),
			func(ctx context.Context) error {
				return erin.Jobs("matrix").Delete(ctx, "absent", metav1.DeleteOptions{})
			}},
		{"list cronjobs (resource not granted)", ra("list", "matrix", "cronjobs", "", ""),
			func(ctx context.Context) error {
				return getErr(erin.CronJobs("matrix").List(ctx, metav1.ListOptions{}))
			}},
	}

	// kube-apiserver's answers, once the new Role is in its RBAC cache.
	sar := func(ctx context.Context, attrs authorizationv1.ResourceAttributes) (bool, error) {
		r, err := c.KubeClient().AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
			Spec: authorizationv1.SubjectAccessReviewSpec{User: user, Groups: []string{"system:authenticated"}, ResourceAttributes: &attrs},
		}, metav1.CreateOptions{})
		if err != nil {
			return false, err
		}
		return r.Status.Allowed, nil
	}
	poll(t, "kube-apiserver to know the matrix Role", func(ctx context.Context) (bool, error) {
		return sar(ctx, cases[0].attrs)
	})
	want := map[string]bool{}
	allowed, denied := 0, 0
	for _, tc := range cases {
		ok, err := sar(ctx, tc.attrs)
		if err != nil {
			t.Fatal(err)
		}
		want[tc.name] = ok
		if ok {
			allowed++
		} else {
			denied++
		}
	}
	if allowed < 5 || denied < 5 {
		t.Fatalf("the matrix should exercise both answers: %d allowed, %d denied", allowed, denied)
	}

	before := workloadsAPIServerMetrics(t, c)
	for _, tc := range cases {
		err := tc.do(ctx)
		got := !apierrors.IsForbidden(err)
		if got != want[tc.name] {
			t.Errorf("%s: workloads-apiserver allowed=%v (%v), kube-apiserver's authorizers allowed=%v", tc.name, got, err, want[tc.name])
		}
		if apierrors.IsForbidden(err) && !strings.Contains(err.Error(), user) {
			t.Errorf("%s: the Forbidden message does not name the user: %v", tc.name, err)
		}
	}

	// Gets of distinct objects each miss the review cache. Through the
	// aggregation layer none of them costs a SubjectAccessReview.
	const gets = 20
	for i := range gets {
		err := getErr(erin.Jobs("matrix").Get(ctx, fmt.Sprintf("distinct-%d", i), metav1.GetOptions{}))
		if !apierrors.IsNotFound(err) {
			t.Fatalf("get of a missing job as %s: %v, want NotFound", user, err)
		}
	}
	after := workloadsAPIServerMetrics(t, c)
	frontProxy := map[string]string{"source": "front_proxy"}
	trusted := after.Sum("workloads_apiserver_authorization_front_proxy_decisions_total", frontProxy) -
		before.Sum("workloads_apiserver_authorization_front_proxy_decisions_total", frontProxy)
	reviews := after.Sum("apiserver_delegated_authz_request_total", nil) - before.Sum("apiserver_delegated_authz_request_total", nil)
	t.Logf("%d requests through the aggregation layer: %v decided without a review, %v SubjectAccessReviews sent", len(cases)+gets, trusted, reviews)
	if trusted < gets {
		t.Errorf("%v decisions taken without a review, want at least %d", trusted, gets)
	}
	// Denials are answered by kube-apiserver before proxying; what reaches
	// workloads-apiserver needs no review. Allow for a few reviews of other
	// clients (kube-apiserver's availability checks) in the meantime.
	if reviews >= gets/2 {
		t.Errorf("%v SubjectAccessReviews for %d proxied requests: the reviews were not saved", reviews, len(cases)+gets)
	}

	// Direct requests are still reviewed: a ServiceAccount without RBAC is
	// forbidden, and allowed once bound.
	t.Run("direct requests are reviewed", func(t *testing.T) {
		if _, err := c.KubeClient().CoreV1().ServiceAccounts("matrix").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "direct"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := c.KubeClient().CoreV1().ServiceAccounts("matrix").CreateToken(ctx, "direct", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		direct := clientForConfig(t, &rest.Config{
			Host:            c.WorkloadsAPIServerURL,
			BearerToken:     tr.Status.Token,
			TLSClientConfig: rest.TLSClientConfig{CAFile: c.PKI.ServingCACert},
		}).ExperimentalV1alpha1()
		_, err = direct.Jobs("matrix").Get(ctx, "absent", metav1.GetOptions{})
		wantForbidden(t, "direct get by a ServiceAccount without RBAC", err)
		_, err = c.KubeClient().RbacV1().RoleBindings("matrix").Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "direct-matrix"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "direct", Namespace: "matrix"}},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "matrix"},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// The denial above is cached for a while; a job name not asked
		// about before misses that cache.
		i := 0
		poll(t, "the direct ServiceAccount to be allowed", func(ctx context.Context) (bool, error) {
			i++
			_, err := direct.Jobs("matrix").Get(ctx, "absent-"+strconv.Itoa(i), metav1.GetOptions{})
			switch {
			case apierrors.IsForbidden(err):
				return false, nil
			case apierrors.IsNotFound(err):
				return true, nil
			}
			return false, fmt.Errorf("want NotFound once allowed, got %w", err)
		})
		_, err = direct.Deployments("matrix").Get(ctx, "named-no", metav1.GetOptions{})
		wantForbidden(t, "direct get of a deployment not named in resourceNames", err)
	})
}

// workloadsAPIServerMetrics scrapes workloads-apiserver's /metrics directly
// with the admin client certificate.
func workloadsAPIServerMetrics(t *testing.T, c *framework.Cluster) framework.Metrics {
	t.Helper()
	m, err := c.Metrics(context.Background(), framework.ComponentWorkloadsAPIServer)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func clientForConfig(t *testing.T, cfg *rest.Config) clientset.Interface {
	t.Helper()
	client, err := clientset.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return client
}
