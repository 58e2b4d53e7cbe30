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

package api

import (
	"context"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
)

// InstallCRD creates DeploymentCRD and waits until it is established.
func InstallCRD(ctx context.Context, client apiextensionsclient.Interface, timeout time.Duration) error {
	crd, err := DeploymentCRD()
	if err != nil {
		return err
	}
	if _, err := client.ApiextensionsV1().CustomResourceDefinitions().Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating CRD %s: %w", crd.Name, err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		got, err := client.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crd.Name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		for _, c := range got.Status.Conditions {
			switch {
			case c.Type == apiextensionsv1.NamesAccepted && c.Status == apiextensionsv1.ConditionFalse:
				return false, fmt.Errorf("names not accepted: %s", c.Message)
			case c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue:
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("waiting for CRD %s to be established: %w", crd.Name, err)
	}
	return nil
}

// CreateNamespaces creates the namespaces of the targets.
func CreateNamespaces(ctx context.Context, client kubernetes.Interface, targets []*Target) error {
	for _, t := range targets {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: t.Namespace, Labels: map[string]string{LabelBench: "api"}}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating namespace %s: %w", t.Namespace, err)
		}
	}
	return nil
}

// WaitServed waits until every target answers a list of its namespace, e.g.
// a new CRD's handler or an APIService that just became available.
func WaitServed(ctx context.Context, targets []*Target, timeout time.Duration) error {
	for _, t := range targets {
		var lastErr error
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
			_, _, err := t.client.list(ctx, metav1.ListOptions{Limit: 1})
			if err != nil && ctx.Err() == nil {
				lastErr = err
			}
			return err == nil, nil
		})
		if err != nil {
			return fmt.Errorf("target %s (%s) not served: %w (last error: %v)", t.Key, t.GVR, err, lastErr)
		}
	}
	return nil
}

// Non-admin identity of the "-sa" targets.
const (
	IdentityNamespace      = "bench-identity"
	IdentityServiceAccount = "bench-editor"
)

// SetupEditor waits until the aggregated edit ClusterRole grants writes on
// apps/v1 and experimental Deployments (kube-controller-manager's
// clusterrole-aggregation controller fills it, the experimental rules coming
// from the product's workloads-experimental-edit ClusterRole), creates the
// ServiceAccount IdentityNamespace/IdentityServiceAccount, binds it in each
// of namespaces to edit and to a Role that grants the same on the CRD's
// Deployments, and returns a client configuration that authenticates with a
// token of that ServiceAccount.
func SetupEditor(ctx context.Context, client kubernetes.Interface, base *rest.Config, namespaces []string) (*rest.Config, error) {
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		edit, err := client.RbacV1().ClusterRoles().Get(ctx, "edit", metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		return grants(edit.Rules, "apps", "deployments", "create") &&
			grants(edit.Rules, v1alpha1.SchemeGroupVersion.Group, "deployments", "create"), nil
	})
	if err != nil {
		return nil, fmt.Errorf("waiting for the edit ClusterRole to grant apps and experimental Deployments: %w", err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: IdentityNamespace, Labels: map[string]string{LabelBench: "api"}}}
	if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating namespace %s: %w", IdentityNamespace, err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: IdentityServiceAccount}}
	if _, err := client.CoreV1().ServiceAccounts(IdentityNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating service account: %w", err)
	}
	subject := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: IdentityServiceAccount, Namespace: IdentityNamespace}
	for _, n := range namespaces {
		target := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: n, Labels: map[string]string{LabelBench: "api"}}}
		if _, err := client.CoreV1().Namespaces().Create(ctx, target, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating namespace %s: %w", n, err)
		}
		role := &rbacv1.Role{
			ObjectMeta: metav1.ObjectMeta{Name: "bench-deployments-edit"},
			Rules: []rbacv1.PolicyRule{{
				APIGroups: []string{CRDGroup},
				Resources: []string{"deployments", "deployments/scale", "deployments/status"},
				Verbs:     []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"},
			}},
		}
		if _, err := client.RbacV1().Roles(n).Create(ctx, role, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("creating role in %s: %w", n, err)
		}
		bindings := []*rbacv1.RoleBinding{
			{
				ObjectMeta: metav1.ObjectMeta{Name: "bench-edit"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
				Subjects:   []rbacv1.Subject{subject},
			},
			{
				ObjectMeta: metav1.ObjectMeta{Name: "bench-deployments-edit"},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
				Subjects:   []rbacv1.Subject{subject},
			},
		}
		for _, b := range bindings {
			if _, err := client.RbacV1().RoleBindings(n).Create(ctx, b, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("creating role binding %s in %s: %w", b.Name, n, err)
			}
		}
	}
	tr, err := client.CoreV1().ServiceAccounts(IdentityNamespace).CreateToken(ctx, IdentityServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](6 * 3600)}},
		metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("requesting a token for %s/%s: %w", IdentityNamespace, IdentityServiceAccount, err)
	}
	cfg := rest.AnonymousClientConfig(base)
	cfg.BearerToken = tr.Status.Token
	return cfg, nil
}

func grants(rules []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, r := range rules {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}
