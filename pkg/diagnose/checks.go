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

package diagnose

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// Check IDs, stable for scripts reading -o json.
const (
	IDAPIService          = "apiservice"
	IDAPIServiceAvailable = "apiservice-available"
	IDService             = "service"
	IDEndpoints           = "endpoints"
	IDCertTrust           = "certificate-trust"
	IDCertNames           = "certificate-names"
	IDCertExpiry          = "certificate-expiry"
	IDServiceAccount      = "serviceaccount"
	IDAuthConfigAccess    = "authentication-config-access"
	IDRequestHeaderCA     = "requestheader-ca"
	IDAuthDelegator       = "auth-delegator"
	IDReadyz              = "readyz"
	IDVersion             = "version"
	IDDiscovery           = "discovery"
	IDLease               = "lease"
	IDAggregateRoles      = "aggregate-roles"
	IDAggregation         = "aggregation"
)

const (
	authConfigNamespace = "kube-system"
	authConfigName      = "extension-apiserver-authentication"
)

// diagnosis carries the state between the checks of one Run.
type diagnosis struct {
	c Clients
	o Options
	r *Report

	as  *apiregistrationv1.APIService
	svc *corev1.Service
	// port is the Service port the APIService names.
	port *corev1.ServicePort
	// endpoint is a ready address:port behind a ClusterIP Service.
	endpoint string
	// server reaches workloads-apiserver for /readyz and /version, via
	// describes how; certAddr is where to dial for the certificate.
	server   Getter
	via      string
	certAddr string
}

// Run runs every check and returns the report. It never stops early: a
// check whose prerequisite failed is reported as Skip.
func Run(ctx context.Context, c Clients, o Options) *Report {
	d := &diagnosis{c: c.withDefaults(), o: o.withDefaults(), r: &Report{}}
	d.apiService(ctx)
	d.service(ctx)
	d.endpoints(ctx)
	d.reach()
	d.certificate(ctx)
	d.serviceAccount(ctx)
	d.authConfigAccess(ctx)
	d.requestHeaderCA(ctx)
	d.authDelegator(ctx)
	d.readyz(ctx)
	d.version(ctx)
	d.discovery(ctx)
	d.lease(ctx)
	d.aggregateRoles(ctx)
	d.aggregation(ctx)
	return d.r
}

func (d *diagnosis) ok(id, check, format string, args ...any) {
	d.r.add(Result{ID: id, Check: check, Status: OK, Message: fmt.Sprintf(format, args...)})
}

func (d *diagnosis) fail(id, check, msg, fix string) {
	d.r.add(Result{ID: id, Check: check, Status: Fail, Message: msg, Fix: fix})
}

func (d *diagnosis) warn(id, check, msg, fix string) {
	d.r.add(Result{ID: id, Check: check, Status: Warn, Message: msg, Fix: fix})
}

func (d *diagnosis) skip(id, check, why string) {
	d.r.add(Result{ID: id, Check: check, Status: Skip, Message: "not checked: " + why})
}

func (d *diagnosis) serviceRef() (ns, name string, port int32) {
	ref := d.as.Spec.Service
	port = 443
	if ref.Port != nil {
		port = *ref.Port
	}
	return ref.Namespace, ref.Name, port
}

// dnsName is the name kube-apiserver verifies the serving certificate for.
func (d *diagnosis) dnsName() string {
	ns, name, _ := d.serviceRef()
	return name + "." + ns + ".svc"
}

func (d *diagnosis) apiService(ctx context.Context) {
	check := "APIService " + d.o.APIServiceName
	as, err := d.c.Aggregator.ApiregistrationV1().APIServices().Get(ctx, d.o.APIServiceName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		d.fail(IDAPIService, check, "not found: kube-apiserver does not serve the experimental group",
			"kubectl apply -k artifacts/deploy (or kubectl apply -f artifacts/deploy/apiservice.yaml with your caBundle)")
		d.skip(IDAPIServiceAvailable, "APIService Available", "no APIService")
		return
	case err != nil:
		d.fail(IDAPIService, check, "reading it: "+err.Error(), "")
		d.skip(IDAPIServiceAvailable, "APIService Available", "no APIService")
		return
	}
	if as.Spec.Service == nil {
		d.fail(IDAPIService, check, "spec.service is empty: the group is served by kube-apiserver itself, not by workloads-apiserver",
			"kubectl apply -f artifacts/deploy/apiservice.yaml (spec.service workloads-system/workloads-apiserver:443)")
	} else {
		d.as = as
		ns, name, port := d.serviceRef()
		switch {
		case as.Spec.InsecureSkipTLSVerify:
			d.warn(IDAPIService, check, fmt.Sprintf("service %s/%s:%d, insecureSkipTLSVerify=true: kube-apiserver does not verify the server", ns, name, port),
				fmt.Sprintf(`kubectl patch apiservice %s --type=merge -p '{"spec":{"insecureSkipTLSVerify":false,"caBundle":"<base64 CA PEM>"}}'`, as.Name))
		case len(as.Spec.CABundle) == 0:
			d.fail(IDAPIService, check, fmt.Sprintf("service %s/%s:%d, caBundle is empty: kube-apiserver cannot verify the serving certificate", ns, name, port),
				caBundlePatch(as.Name))
		default:
			n := len(parsePEMCertificates(as.Spec.CABundle))
			if n == 0 {
				d.fail(IDAPIService, check, fmt.Sprintf("service %s/%s:%d, caBundle holds no PEM certificate", ns, name, port), caBundlePatch(as.Name))
			} else {
				d.ok(IDAPIService, check, "service %s/%s:%d, caBundle of %d certificate(s)", ns, name, port, n)
			}
		}
	}
	d.available(as)
}

func caBundlePatch(name string) string {
	return fmt.Sprintf(`set spec.caBundle to the CA that issued the serving certificate: kubectl patch apiservice %s --type=merge -p "{\"spec\":{\"caBundle\":\"$(base64 -w0 ca.crt)\"}}"`, name)
}

func (d *diagnosis) available(as *apiregistrationv1.APIService) {
	const check = "APIService Available"
	var cond *apiregistrationv1.APIServiceCondition
	for i := range as.Status.Conditions {
		if as.Status.Conditions[i].Type == apiregistrationv1.Available {
			cond = &as.Status.Conditions[i]
		}
	}
	if cond == nil {
		d.fail(IDAPIServiceAvailable, check, "no Available condition yet: kube-apiserver's availability controller has not looked at it",
			"wait a few seconds; if it stays, check kube-apiserver's log for the APIService")
		return
	}
	msg := fmt.Sprintf("%s (%s)", cond.Status, cond.Reason)
	if cond.Message != "" {
		msg += ": " + cond.Message
	}
	if cond.Status == apiregistrationv1.ConditionTrue {
		d.ok(IDAPIServiceAvailable, check, "%s", msg)
		return
	}
	d.fail(IDAPIServiceAvailable, check, msg, availableFix(as, cond))
}

// availableFix turns the availability controller's reason and message into
// the likely repair.
func availableFix(as *apiregistrationv1.APIService, cond *apiregistrationv1.APIServiceCondition) string {
	ref := "the Service"
	if s := as.Spec.Service; s != nil {
		ref = "Service " + s.Namespace + "/" + s.Name
	}
	m := strings.ToLower(cond.Message)
	switch cond.Reason {
	case "ServiceNotFound":
		return "create " + ref + " (artifacts/deploy/apiserver.yaml)"
	case "ServicePortError":
		return "spec.service.port of the APIService must be a port of " + ref
	case "MissingEndpoints", "EndpointsNotFound":
		return "no ready workloads-apiserver pod behind " + ref + ": see the endpoints and /readyz checks"
	case "FailedDiscoveryCheck":
		switch {
		case strings.Contains(m, "x509") || strings.Contains(m, "certificate"):
			return "the serving certificate does not verify against spec.caBundle: see the certificate checks"
		case strings.Contains(m, "connection refused") || strings.Contains(m, "no route") ||
			strings.Contains(m, "i/o timeout") || strings.Contains(m, "dial tcp"):
			return "kube-apiserver cannot connect to workloads-apiserver: is it running? see the /readyz check"
		case strings.Contains(m, "401") || strings.Contains(m, "403"):
			return "workloads-apiserver rejects kube-apiserver's front-proxy client: see the requestheader and auth checks"
		case strings.Contains(m, "timeout") || strings.Contains(m, "deadline"):
			return "discovery took longer than 5s: see the discovery check"
		}
		return "see the checks below"
	}
	return "see the checks below"
}

func (d *diagnosis) service(ctx context.Context) {
	if d.as == nil {
		d.skip(IDService, "Service", "no usable APIService")
		return
	}
	ns, name, port := d.serviceRef()
	check := "Service " + ns + "/" + name
	svc, err := d.c.Kube.CoreV1().Services(ns).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		d.fail(IDService, check, "not found", "kubectl apply -f artifacts/deploy/apiserver.yaml (Service "+name+" in namespace "+ns+")")
		return
	case err != nil:
		d.fail(IDService, check, "reading it: "+err.Error(), "")
		return
	}
	d.svc = svc
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			d.port = &svc.Spec.Ports[i]
		}
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		// The aggregator dials externalName:<APIService port>; ports are
		// not required on an ExternalName Service.
		d.ok(IDService, check, "ExternalName %s, port %d", svc.Spec.ExternalName, port)
		return
	}
	if d.port == nil {
		var ports []string
		for _, p := range svc.Spec.Ports {
			ports = append(ports, strconv.Itoa(int(p.Port)))
		}
		d.fail(IDService, check, fmt.Sprintf("has no port %d (ports: %s)", port, strings.Join(ports, ", ")),
			fmt.Sprintf("set spec.service.port of APIService %s to a port of the Service, or add port %d to the Service", d.as.Name, port))
		return
	}
	d.ok(IDService, check, "%s %s, port %d → %s", svc.Spec.Type, svc.Spec.ClusterIP, port, d.port.TargetPort.String())
}

func (d *diagnosis) endpoints(ctx context.Context) {
	const check = "Service endpoints"
	if d.svc == nil {
		d.skip(IDEndpoints, check, "no Service")
		return
	}
	if d.svc.Spec.Type == corev1.ServiceTypeExternalName {
		d.ok(IDEndpoints, check, "none needed: ExternalName %s", d.svc.Spec.ExternalName)
		return
	}
	if d.port == nil {
		d.skip(IDEndpoints, check, "no matching Service port")
		return
	}
	slices, err := d.c.Kube.DiscoveryV1().EndpointSlices(d.svc.Namespace).List(ctx, metav1.ListOptions{
		LabelSelector: discoveryv1.LabelServiceName + "=" + d.svc.Name,
	})
	if err != nil {
		d.fail(IDEndpoints, check, "listing EndpointSlices: "+err.Error(), "")
		return
	}
	var ready, notReady []string
	for _, s := range slices.Items {
		var port *int32
		for _, p := range s.Ports {
			if p.Name != nil && *p.Name == d.port.Name && p.Port != nil {
				port = p.Port
			}
		}
		if port == nil {
			continue
		}
		for _, ep := range s.Endpoints {
			for _, a := range ep.Addresses {
				addr := net.JoinHostPort(a, strconv.Itoa(int(*port)))
				if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
					ready = append(ready, addr)
				} else {
					notReady = append(notReady, addr)
				}
			}
		}
	}
	sort.Strings(ready)
	if len(ready) == 0 {
		msg := "no ready address"
		if len(notReady) > 0 {
			msg += fmt.Sprintf(" (%d not ready: %s)", len(notReady), strings.Join(notReady, ", "))
		}
		selector := labelsString(d.svc.Spec.Selector)
		d.fail(IDEndpoints, check, msg,
			fmt.Sprintf("kubectl -n %s get pods -l %s; kubectl -n %s describe deployment workloads-apiserver", d.svc.Namespace, selector, d.svc.Namespace))
		return
	}
	d.endpoint = ready[0]
	d.ok(IDEndpoints, check, "%d ready: %s", len(ready), strings.Join(ready, ", "))
}

func labelsString(m map[string]string) string {
	var parts []string
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// reach decides how to talk to workloads-apiserver: directly to
// --server-address, directly to an ExternalName (as kube-apiserver does), or
// through kube-apiserver's service proxy.
func (d *diagnosis) reach() {
	switch {
	case d.o.ServerAddress != "":
		d.server = d.c.Direct(d.o.ServerAddress, d.dnsNameOr(""), d.o.DialTimeout)
		d.via = d.o.ServerAddress
		d.certAddr = d.o.ServerAddress
	case d.svc != nil && d.svc.Spec.Type == corev1.ServiceTypeExternalName:
		_, _, port := d.serviceRef()
		addr := net.JoinHostPort(d.svc.Spec.ExternalName, strconv.Itoa(int(port)))
		d.server = d.c.Direct(addr, d.dnsName(), d.o.DialTimeout)
		d.via = addr
		d.certAddr = addr
	case d.svc != nil && d.port != nil:
		ns, name, port := d.serviceRef()
		prefix := fmt.Sprintf("/api/v1/namespaces/%s/services/https:%s:%d/proxy", ns, name, port)
		d.server = GetterFunc(func(ctx context.Context, path string) (int, []byte, error) {
			return d.c.KubeAPI.Get(ctx, prefix+path)
		})
		d.via = "kube-apiserver's service proxy"
		d.certAddr = d.endpoint
	}
}

func (d *diagnosis) dnsNameOr(def string) string {
	if d.as == nil {
		return def
	}
	return d.dnsName()
}

func (d *diagnosis) portForwardFix() string {
	ns, name, port := DefaultNamespace, "workloads-apiserver", int32(443)
	if d.as != nil {
		ns, name, port = d.serviceRef()
	}
	return fmt.Sprintf("kubectl -n %s port-forward svc/%s 8443:%d, then rerun with --server-address=127.0.0.1:8443", ns, name, port)
}

func (d *diagnosis) certificate(ctx context.Context) {
	const (
		trust  = "Serving certificate trust"
		names  = "Serving certificate names"
		expiry = "Serving certificate expiry"
	)
	skipAll := func(why string) {
		d.skip(IDCertTrust, trust, why)
		d.skip(IDCertNames, names, why)
		d.skip(IDCertExpiry, expiry, why)
	}
	if d.as == nil {
		skipAll("no usable APIService")
		return
	}
	if d.certAddr == "" {
		d.warn(IDCertTrust, trust, "no address to dial from here", d.portForwardFix())
		d.skip(IDCertNames, names, "no certificate")
		d.skip(IDCertExpiry, expiry, "no certificate")
		return
	}
	chain, err := d.c.FetchCertificates(ctx, d.certAddr, d.dnsName(), d.o.DialTimeout)
	if err != nil || len(chain) == 0 {
		msg := fmt.Sprintf("cannot fetch it from %s: %v", d.certAddr, err)
		if d.o.ServerAddress != "" || d.svc.Spec.Type == corev1.ServiceTypeExternalName {
			// The address kube-apiserver uses (or the user's) does not
			// answer: the server is down, which /readyz reports too.
			d.fail(IDCertTrust, trust, msg, "start workloads-apiserver (see the /readyz check)")
		} else {
			// Pod addresses are often unreachable from outside the cluster.
			d.warn(IDCertTrust, trust, msg, d.portForwardFix())
		}
		d.skip(IDCertNames, names, "no certificate")
		d.skip(IDCertExpiry, expiry, "no certificate")
		return
	}
	for _, res := range CheckCertificate(chain, d.as.Spec.CABundle, d.as.Name, d.dnsName(), d.c.Now(), d.o.CertificateWarning) {
		d.r.add(res)
	}
}

// CheckCertificate checks a serving certificate chain (leaf first) as
// kube-apiserver will: against caBundle, for dnsName, at now. It returns the
// trust, names and expiry results. Trust is checked inside the leaf's
// validity period so that an expired certificate is reported once, by the
// expiry check.
func CheckCertificate(chain []*x509.Certificate, caBundle []byte, apiService, dnsName string, now time.Time, warnBefore time.Duration) []Result {
	const (
		trust  = "Serving certificate trust"
		names  = "Serving certificate names"
		expiry = "Serving certificate expiry"
	)
	leaf := chain[0]
	var out []Result
	subject := "subject " + strconv.Quote(leaf.Subject.String()) + ", issuer " + strconv.Quote(leaf.Issuer.String())

	roots := x509.NewCertPool()
	var inter *x509.CertPool
	if len(chain) > 1 {
		inter = x509.NewCertPool()
		for _, c := range chain[1:] {
			inter.AddCert(c)
		}
	}
	at := now
	if at.After(leaf.NotAfter) {
		at = leaf.NotAfter
	}
	if at.Before(leaf.NotBefore) {
		at = leaf.NotBefore
	}
	switch {
	case len(caBundle) == 0:
		out = append(out, Result{ID: IDCertTrust, Check: trust, Status: Fail,
			Message: subject + ": the APIService has no caBundle", Fix: caBundlePatch(apiService)})
	case !roots.AppendCertsFromPEM(caBundle):
		out = append(out, Result{ID: IDCertTrust, Check: trust, Status: Fail,
			Message: subject + ": caBundle holds no PEM certificate", Fix: caBundlePatch(apiService)})
	default:
		_, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
		if err != nil {
			bundle := parsePEMCertificates(caBundle)
			var cas []string
			for _, c := range bundle {
				cas = append(cas, strconv.Quote(c.Subject.String()))
			}
			out = append(out, Result{ID: IDCertTrust, Check: trust, Status: Fail,
				Message: fmt.Sprintf("%s does not verify against the caBundle of APIService %s (%s): %v", subject, apiService, strings.Join(cas, ", "), err),
				Fix:     caBundlePatch(apiService) + fmt.Sprintf(" where ca.crt is the certificate of %q", leaf.Issuer.String())})
		} else {
			out = append(out, Result{ID: IDCertTrust, Check: trust, Status: OK,
				Message: subject + ": verifies against the APIService caBundle"})
		}
	}

	if err := leaf.VerifyHostname(dnsName); err != nil {
		out = append(out, Result{ID: IDCertNames, Check: names, Status: Fail,
			Message: fmt.Sprintf("%s not covered (DNS names: %s)", dnsName, strings.Join(leaf.DNSNames, ", ")),
			Fix:     "reissue the serving certificate with DNS name " + dnsName + " (go run ./hack/deploy-certs, or your certificate manager)"})
	} else {
		out = append(out, Result{ID: IDCertNames, Check: names, Status: OK, Message: dnsName + " covered"})
	}

	left := leaf.NotAfter.Sub(now)
	days := int(left.Hours() / 24)
	date := leaf.NotAfter.UTC().Format(time.RFC3339)
	renew := "renew the serving certificate (go run ./hack/deploy-certs, or your certificate manager) and restart workloads-apiserver"
	switch {
	case left <= 0:
		out = append(out, Result{ID: IDCertExpiry, Check: expiry, Status: Fail,
			Message: fmt.Sprintf("expired on %s (%d days ago)", date, -days), Fix: renew})
	case now.Before(leaf.NotBefore):
		out = append(out, Result{ID: IDCertExpiry, Check: expiry, Status: Fail,
			Message: "not valid before " + leaf.NotBefore.UTC().Format(time.RFC3339) + " (clock skew?)", Fix: "check the clocks, or reissue the certificate"})
	case left < warnBefore:
		out = append(out, Result{ID: IDCertExpiry, Check: expiry, Status: Warn,
			Message: fmt.Sprintf("expires on %s, in %d days", date, days), Fix: renew})
	default:
		out = append(out, Result{ID: IDCertExpiry, Check: expiry, Status: OK,
			Message: fmt.Sprintf("expires on %s, in %d days", date, days)})
	}
	return out
}

func parsePEMCertificates(data []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			return out
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		if c, err := x509.ParseCertificate(b.Bytes); err == nil {
			out = append(out, c)
		}
	}
}

func (d *diagnosis) saUser() string {
	return "system:serviceaccount:" + d.o.ServiceAccountNamespace + ":" + d.o.ServiceAccountName
}

func (d *diagnosis) serviceAccount(ctx context.Context) {
	check := "ServiceAccount " + d.o.ServiceAccountNamespace + "/" + d.o.ServiceAccountName
	_, err := d.c.Kube.CoreV1().ServiceAccounts(d.o.ServiceAccountNamespace).Get(ctx, d.o.ServiceAccountName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		d.fail(IDServiceAccount, check, "not found",
			"kubectl apply -f artifacts/deploy/serviceaccounts.yaml, or pass --server-namespace/--server-service-account naming the identity workloads-apiserver runs as")
	case err != nil:
		d.fail(IDServiceAccount, check, "reading it: "+err.Error(), "")
	default:
		d.ok(IDServiceAccount, check, "exists")
	}
}

// can asks kube-apiserver whether the server's ServiceAccount may do each
// of attrs, and returns the ones denied.
func (d *diagnosis) can(ctx context.Context, attrs []authorizationv1.ResourceAttributes) ([]string, error) {
	var denied []string
	for _, a := range attrs {
		sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User: d.saUser(),
			Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + d.o.ServiceAccountNamespace,
				"system:authenticated"},
			ResourceAttributes: &a,
		}}
		res, err := d.c.Kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		if err != nil {
			return nil, err
		}
		if !res.Status.Allowed {
			desc := a.Verb + " " + a.Resource
			if a.Group != "" {
				desc += "." + a.Group
			}
			if a.Name != "" {
				desc += "/" + a.Name
			}
			if a.Namespace != "" {
				desc += " in " + a.Namespace
			}
			denied = append(denied, desc)
		}
	}
	return denied, nil
}

func (d *diagnosis) authConfigAccess(ctx context.Context) {
	check := "Read " + authConfigNamespace + "/" + authConfigName
	var attrs []authorizationv1.ResourceAttributes
	for _, verb := range []string{"get", "list", "watch"} {
		attrs = append(attrs, authorizationv1.ResourceAttributes{Namespace: authConfigNamespace, Verb: verb,
			Resource: "configmaps", Name: authConfigName})
	}
	denied, err := d.can(ctx, attrs)
	switch {
	case err != nil:
		d.fail(IDAuthConfigAccess, check, "SubjectAccessReview: "+err.Error(), "")
	case len(denied) > 0:
		d.fail(IDAuthConfigAccess, check, d.saUser()+" may not "+strings.Join(denied, ", ")+
			": workloads-apiserver cannot load the client and requestheader CAs",
			fmt.Sprintf("kubectl -n kube-system create rolebinding workloads-apiserver-auth-reader --role=extension-apiserver-authentication-reader --serviceaccount=%s:%s (artifacts/deploy/rbac-apiserver.yaml)",
				d.o.ServiceAccountNamespace, d.o.ServiceAccountName))
	default:
		d.ok(IDAuthConfigAccess, check, "%s may get, list and watch it", d.saUser())
	}
}

func (d *diagnosis) requestHeaderCA(ctx context.Context) {
	const check = "Requestheader CA"
	cm, err := d.c.Kube.CoreV1().ConfigMaps(authConfigNamespace).Get(ctx, authConfigName, metav1.GetOptions{})
	fix := "start kube-apiserver with --requestheader-client-ca-file, --requestheader-allowed-names and --proxy-client-cert-file/--proxy-client-key-file; it writes them into " +
		authConfigNamespace + "/" + authConfigName
	switch {
	case apierrors.IsNotFound(err):
		d.fail(IDRequestHeaderCA, check, authConfigNamespace+"/"+authConfigName+" not found", fix)
		return
	case err != nil:
		d.fail(IDRequestHeaderCA, check, "reading "+authConfigNamespace+"/"+authConfigName+": "+err.Error(), "")
		return
	}
	ca := cm.Data["requestheader-client-ca-file"]
	n := len(parsePEMCertificates([]byte(ca)))
	if n == 0 {
		d.fail(IDRequestHeaderCA, check, "requestheader-client-ca-file missing from "+authConfigNamespace+"/"+authConfigName+
			": kube-apiserver's proxied requests cannot be authenticated", fix)
		return
	}
	allowed := "any name"
	var names []string
	if err := json.Unmarshal([]byte(cm.Data["requestheader-allowed-names"]), &names); err == nil && len(names) > 0 {
		allowed = strings.Join(names, ", ")
	}
	d.ok(IDRequestHeaderCA, check, "%d certificate(s), allowed names: %s", n, allowed)
}

func (d *diagnosis) authDelegator(ctx context.Context) {
	const check = "system:auth-delegator"
	denied, err := d.can(ctx, []authorizationv1.ResourceAttributes{
		{Group: "authentication.k8s.io", Resource: "tokenreviews", Verb: "create"},
		{Group: "authorization.k8s.io", Resource: "subjectaccessreviews", Verb: "create"},
	})
	switch {
	case err != nil:
		d.fail(IDAuthDelegator, check, "SubjectAccessReview: "+err.Error(), "")
	case len(denied) > 0:
		d.fail(IDAuthDelegator, check, d.saUser()+" may not "+strings.Join(denied, ", ")+
			": workloads-apiserver cannot authenticate or authorize requests",
			fmt.Sprintf("kubectl create clusterrolebinding workloads-apiserver:system:auth-delegator --clusterrole=system:auth-delegator --serviceaccount=%s:%s (artifacts/deploy/rbac-apiserver.yaml)",
				d.o.ServiceAccountNamespace, d.o.ServiceAccountName))
	default:
		d.ok(IDAuthDelegator, check, "%s may create tokenreviews and subjectaccessreviews", d.saUser())
	}
}

func (d *diagnosis) serverFix() string {
	ns := DefaultNamespace
	if d.svc != nil {
		ns = d.svc.Namespace
	}
	if d.svc != nil && d.svc.Spec.Type == corev1.ServiceTypeExternalName || d.o.ServerAddress != "" {
		return "start workloads-apiserver listening on " + d.via + ", or fix the address"
	}
	return fmt.Sprintf("kubectl -n %s get pods -l app.kubernetes.io/name=workloads-apiserver; kubectl -n %s logs deployment/workloads-apiserver", ns, ns)
}

func (d *diagnosis) readyz(ctx context.Context) {
	const check = "Server /readyz"
	if d.server == nil {
		d.skip(IDReadyz, check, "no way to reach the server")
		return
	}
	code, body, err := d.server.Get(ctx, "/readyz?verbose")
	if err != nil {
		d.fail(IDReadyz, check, fmt.Sprintf("via %s: %v", d.via, err), d.serverFix())
		return
	}
	var passed int
	var failed []string
	for _, l := range strings.Split(string(body), "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "[+]"):
			passed++
		case strings.HasPrefix(l, "[-]"):
			failed = append(failed, strings.TrimPrefix(l, "[-]"))
		}
	}
	if code != 200 {
		msg := fmt.Sprintf("via %s: HTTP %d", d.via, code)
		if len(failed) > 0 {
			msg += ", failing: " + strings.Join(failed, "; ")
		} else if s := firstLine(body); s != "" {
			msg += ": " + s
		}
		d.fail(IDReadyz, check, msg, d.serverFix())
		return
	}
	d.ok(IDReadyz, check, "ok via %s (%d checks passed)", d.via, passed)
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

func (d *diagnosis) version(ctx context.Context) {
	const check = "Server /version"
	if d.server == nil {
		d.skip(IDVersion, check, "no way to reach the server")
		return
	}
	code, body, err := d.server.Get(ctx, "/version")
	if err != nil {
		d.fail(IDVersion, check, fmt.Sprintf("via %s: %v", d.via, err), d.serverFix())
		return
	}
	if code != 200 {
		d.fail(IDVersion, check, fmt.Sprintf("via %s: HTTP %d: %s", d.via, code, firstLine(body)), d.serverFix())
		return
	}
	var v struct {
		GitVersion string `json:"gitVersion"`
		GoVersion  string `json:"goVersion"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		d.fail(IDVersion, check, "not a version document: "+firstLine(body), "")
		return
	}
	d.ok(IDVersion, check, "%s (%s)", v.GitVersion, v.GoVersion)
}

func (d *diagnosis) discovery(ctx context.Context) {
	group, version := "experimental", "v1alpha1"
	if d.as != nil {
		group, version = d.as.Spec.Group, d.as.Spec.Version
	}
	path := "/apis/" + group + "/" + version
	check := "Discovery " + path
	start := time.Now()
	code, body, err := d.c.KubeAPI.Get(ctx, path)
	took := time.Since(start)
	if err != nil {
		d.fail(IDDiscovery, check, err.Error(), "")
		return
	}
	if code != 200 {
		msg := firstLine(body)
		var st metav1.Status
		if json.Unmarshal(body, &st) == nil && st.Message != "" {
			msg = st.Message
		}
		d.fail(IDDiscovery, check, fmt.Sprintf("HTTP %d from kube-apiserver after %s: %s", code, took.Round(time.Millisecond), msg),
			"see the APIService Available check")
		return
	}
	var list metav1.APIResourceList
	if err := json.Unmarshal(body, &list); err != nil {
		d.fail(IDDiscovery, check, "not an APIResourceList: "+firstLine(body), "")
		return
	}
	msg := fmt.Sprintf("%d resources in %s", len(list.APIResources), took.Round(time.Millisecond))
	switch {
	case took >= d.o.DiscoveryFailure:
		d.fail(IDDiscovery, check, msg+fmt.Sprintf(", over %s: kube-apiserver marks the APIService unavailable", d.o.DiscoveryFailure), d.serverFix())
	case took >= d.o.DiscoveryWarning:
		d.warn(IDDiscovery, check, msg+fmt.Sprintf(", over %s (kube-apiserver gives up at 5s)", d.o.DiscoveryWarning),
			"check workloads-apiserver's CPU and the latency between kube-apiserver and it")
	default:
		d.ok(IDDiscovery, check, "%s", msg)
	}
}

func (d *diagnosis) lease(ctx context.Context) {
	check := "Lease " + d.o.LeaseNamespace + "/" + d.o.LeaseName
	logs := fmt.Sprintf("kubectl -n %s get pods -l app.kubernetes.io/component=controller-manager; kubectl -n %s logs deployment/workloads-controller-manager",
		d.o.LeaseNamespace, d.o.LeaseNamespace)
	l, err := d.c.Kube.CoordinationV1().Leases(d.o.LeaseNamespace).Get(ctx, d.o.LeaseName, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		d.fail(IDLease, check, "not found: no workloads-controller-manager has led here",
			"kubectl apply -f artifacts/deploy/controller-manager.yaml, or pass --lease-namespace/--lease-name matching its --leader-elect-resource-namespace/-name")
		return
	case err != nil:
		d.fail(IDLease, check, "reading it: "+err.Error(), "")
		return
	}
	holder := ""
	if l.Spec.HolderIdentity != nil {
		holder = *l.Spec.HolderIdentity
	}
	if holder == "" {
		d.fail(IDLease, check, "no holder: the last leader released it and no controller manager took over", logs)
		return
	}
	if l.Spec.RenewTime == nil {
		d.fail(IDLease, check, "held by "+holder+" but never renewed", logs)
		return
	}
	dur := 15 * time.Second
	if l.Spec.LeaseDurationSeconds != nil {
		dur = time.Duration(*l.Spec.LeaseDurationSeconds) * time.Second
	}
	age := d.c.Now().Sub(l.Spec.RenewTime.Time)
	shown := age.Round(time.Second)
	if age < 10*time.Second {
		shown = age.Round(100 * time.Millisecond)
	}
	msg := fmt.Sprintf("held by %s, renewed %s ago (lease duration %s)", holder, shown, dur)
	if age > dur {
		d.fail(IDLease, check, msg+": the leader stopped renewing, controllers are not running", logs)
		return
	}
	d.ok(IDLease, check, "%s", msg)
}

func (d *diagnosis) sortedTargets() []string {
	order := map[string]int{"view": 0, "edit": 1, "admin": 2}
	var targets []string
	for t := range d.o.AggregateRoles {
		targets = append(targets, t)
	}
	sort.Slice(targets, func(i, j int) bool {
		oi, iok := order[targets[i]]
		oj, jok := order[targets[j]]
		if iok && jok {
			return oi < oj
		}
		if iok != jok {
			return iok
		}
		return targets[i] < targets[j]
	})
	return targets
}

func (d *diagnosis) aggregateRoles(ctx context.Context) {
	const check = "Aggregated ClusterRoles"
	var found, problems []string
	for _, target := range d.sortedTargets() {
		name := d.o.AggregateRoles[target]
		cr, err := d.c.Kube.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			problems = append(problems, name+" not found")
			continue
		case err != nil:
			problems = append(problems, name+": "+err.Error())
			continue
		}
		label := "rbac.authorization.k8s.io/aggregate-to-" + target
		if cr.Labels[label] != "true" {
			problems = append(problems, name+" lacks label "+label+"=true")
			continue
		}
		found = append(found, name)
	}
	if len(problems) > 0 {
		d.fail(IDAggregateRoles, check, strings.Join(problems, "; "), "kubectl apply -f artifacts/deploy/rbac-aggregate.yaml")
		return
	}
	d.ok(IDAggregateRoles, check, "%s", strings.Join(found, ", "))
}

// canonicalRule is what each built-in aggregate role must grant on the
// group when our ClusterRole for it cannot be read.
var canonicalRule = map[string]string{"view": "list", "edit": "create", "admin": "create"}

func (d *diagnosis) aggregation(ctx context.Context) {
	group := "experimental"
	if d.as != nil {
		group = d.as.Spec.Group
	}
	targets := d.sortedTargets()
	check := "ClusterRoles " + strings.Join(targets, "/")
	var problems []string
	for _, target := range targets {
		cr, err := d.c.Kube.RbacV1().ClusterRoles().Get(ctx, target, metav1.GetOptions{})
		if err != nil {
			problems = append(problems, target+" ("+errString(err)+")")
			continue
		}
		// The rules the target must cover: those of our ClusterRole, or
		// a canonical one when it is gone (the target may still hold
		// rules of a role aggregated into it, e.g. view into edit).
		var want []rbacv1.PolicyRule
		if src, err := d.c.Kube.RbacV1().ClusterRoles().Get(ctx, d.o.AggregateRoles[target], metav1.GetOptions{}); err == nil {
			want = src.Rules
		} else if verb, ok := canonicalRule[target]; ok {
			want = []rbacv1.PolicyRule{{APIGroups: []string{group}, Resources: []string{"deployments"}, Verbs: []string{verb}}}
		}
		if missing := uncovered(cr.Rules, want); len(missing) > 0 {
			more := ""
			if len(missing) > 3 {
				more = fmt.Sprintf(" and %d more", len(missing)-3)
				missing = missing[:3]
			}
			problems = append(problems, target+" lacks "+strings.Join(missing, ", ")+more)
		}
	}
	if len(problems) > 0 {
		d.fail(IDAggregation, check, strings.Join(problems, "; ")+": users bound to them cannot use the "+group+" kinds",
			"kube-controller-manager's clusterrole-aggregation controller merges the ClusterRoles labelled rbac.authorization.k8s.io/aggregate-to-<role>=true: check it runs (--controllers), and kubectl apply -f artifacts/deploy/rbac-aggregate.yaml")
		return
	}
	d.ok(IDAggregation, check, "grant the %s rules of %s", group, strings.Join(d.sourceNames(targets), ", "))
}

func (d *diagnosis) sourceNames(targets []string) []string {
	var out []string
	for _, t := range targets {
		out = append(out, d.o.AggregateRoles[t])
	}
	return out
}

// uncovered lists "verb resource.group" of want that no rule of have
// grants (non-resource rules are ignored).
func uncovered(have, want []rbacv1.PolicyRule) []string {
	var out []string
	for _, w := range want {
		for _, g := range w.APIGroups {
			for _, r := range w.Resources {
				for _, v := range w.Verbs {
					if !covered(have, g, r, v) {
						out = append(out, v+" "+r+"."+g)
					}
				}
			}
		}
	}
	return out
}

func covered(have []rbacv1.PolicyRule, group, resource, verb string) bool {
	for _, h := range have {
		if len(h.ResourceNames) > 0 {
			continue
		}
		if (slices.Contains(h.APIGroups, group) || slices.Contains(h.APIGroups, "*")) &&
			(slices.Contains(h.Resources, resource) || slices.Contains(h.Resources, "*")) &&
			(slices.Contains(h.Verbs, verb) || slices.Contains(h.Verbs, "*")) {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if apierrors.IsNotFound(err) {
		return "not found"
	}
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		return st.Status().Message
	}
	return err.Error()
}
