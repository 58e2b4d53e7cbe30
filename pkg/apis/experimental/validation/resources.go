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

package validation

import (
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/sets"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// hugePagesPrefix is the prefix of huge page resource names.
	hugePagesPrefix = corev1.ResourceHugePagesPrefix
	// defaultResourceNamespace is the namespace of native resources.
	defaultResourceNamespace = "kubernetes.io/"
	// resourceRequestsPrefix is the prefix of quota resource names for requests.
	resourceRequestsPrefix = corev1.DefaultResourceRequestsPrefix
	// isNotIntegerErrorMsg is the message of a fractional quantity of an
	// integer resource.
	isNotIntegerErrorMsg = "must be an integer"
)

// standardContainerResources are the unprefixed resources a container may request.
var standardContainerResources = sets.New(corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage)

// isHugePageResourceName reports whether name is a huge page resource.
func isHugePageResourceName(name corev1.ResourceName) bool {
	return strings.HasPrefix(string(name), hugePagesPrefix)
}

// isNativeResource reports whether name is in the kubernetes.io namespace;
// unprefixed names are implicitly native.
func isNativeResource(name corev1.ResourceName) bool {
	return !strings.Contains(string(name), "/") || strings.Contains(string(name), defaultResourceNamespace)
}

// isExtendedResourceName reports whether name is an extended (non-native,
// fully qualified) resource.
func isExtendedResourceName(name corev1.ResourceName) bool {
	if isNativeResource(name) || strings.HasPrefix(string(name), resourceRequestsPrefix) {
		return false
	}
	return len(utilvalidation.IsQualifiedName(resourceRequestsPrefix+string(name))) == 0
}

// isOvercommitAllowed reports whether requests of the resource may be lower
// than its limit.
func isOvercommitAllowed(name corev1.ResourceName) bool {
	return isNativeResource(name) && !isHugePageResourceName(name)
}

// validateContainerResourceName validates the name of a resource a container
// (or a pod) may request: a standard container resource, a huge page size
// or an extended resource.
func validateContainerResourceName(name corev1.ResourceName, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, msg := range utilvalidation.IsQualifiedName(string(name)) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, msg))
	}
	if len(allErrs) != 0 {
		return allErrs
	}
	if !strings.Contains(string(name), "/") {
		if !standardContainerResources.Has(name) && !isHugePageResourceName(name) {
			allErrs = append(allErrs, field.Invalid(fldPath, name, "must be a standard resource for containers"))
		}
	} else if !isNativeResource(name) && !isExtendedResourceName(name) {
		allErrs = append(allErrs, field.Invalid(fldPath, name, "doesn't follow extended resource name standard"))
	}
	return allErrs
}

// validateResourceQuantityValue validates that a quantity is not negative and
// is a whole number for extended resources.
func validateResourceQuantityValue(name corev1.ResourceName, value resource.Quantity, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if value.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, value.String(), isNegativeErrorMsg))
	}
	if isExtendedResourceName(name) && value.MilliValue()%1000 != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, value.String(), isNotIntegerErrorMsg))
	}
	return allErrs
}

// validateHugePageValue validates that a huge page quantity is a multiple of
// the page size named by the resource.
func validateHugePageValue(name corev1.ResourceName, value resource.Quantity, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	pageSize, err := resource.ParseQuantity(strings.TrimPrefix(string(name), hugePagesPrefix))
	if err != nil || pageSize.Sign() <= 0 || pageSize.MilliValue()%1000 != 0 || value.Value()%pageSize.Value() != 0 {
		allErrs = append(allErrs, field.Invalid(fldPath, value.String(), fmt.Sprintf("%s is not positive integer multiple of %s", value.String(), name)))
	}
	return allErrs
}

// sortedResourceNames returns the names of a resource list in a stable order.
func sortedResourceNames(list corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(list))
	for name := range list {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return names[i] < names[j] })
	return names
}

// validateResourceList validates the names and quantities of a resource list.
func validateResourceList(list corev1.ResourceList, nameFn func(corev1.ResourceName, *field.Path) field.ErrorList, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for _, name := range sortedResourceNames(list) {
		keyPath := fldPath.Key(string(name))
		allErrs = append(allErrs, nameFn(name, keyPath)...)
		allErrs = append(allErrs, validateResourceQuantityValue(name, list[name], keyPath)...)
	}
	return allErrs
}

// validateResourceRequirements validates the requests and limits of a
// container or pod: valid names and non-negative quantities, requests not
// above limits (equal for resources that cannot be overcommitted) and claims
// that reference one of claimNames, the resource claims of the pod.
func validateResourceRequirements(req *corev1.ResourceRequirements, claimNames sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	limPath := fldPath.Child("limits")
	reqPath := fldPath.Child("requests")
	hasCPUOrMemory := false
	hasHugePages := false

	for _, name := range sortedResourceNames(req.Limits) {
		quantity := req.Limits[name]
		keyPath := limPath.Key(string(name))
		allErrs = append(allErrs, validateContainerResourceName(name, keyPath)...)
		allErrs = append(allErrs, validateResourceQuantityValue(name, quantity, keyPath)...)
		if isHugePageResourceName(name) {
			hasHugePages = true
			allErrs = append(allErrs, validateHugePageValue(name, quantity, keyPath)...)
		}
		if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
			hasCPUOrMemory = true
		}
	}
	for _, name := range sortedResourceNames(req.Requests) {
		quantity := req.Requests[name]
		keyPath := reqPath.Key(string(name))
		allErrs = append(allErrs, validateContainerResourceName(name, keyPath)...)
		allErrs = append(allErrs, validateResourceQuantityValue(name, quantity, keyPath)...)
		if limit, ok := req.Limits[name]; ok {
			if quantity.Cmp(limit) != 0 && !isOvercommitAllowed(name) {
				allErrs = append(allErrs, field.Invalid(reqPath, quantity.String(), fmt.Sprintf("must be equal to %s limit of %s", name, limit.String())))
			} else if quantity.Cmp(limit) > 0 {
				allErrs = append(allErrs, field.Invalid(reqPath, quantity.String(), fmt.Sprintf("must be less than or equal to %s limit of %s", name, limit.String())))
			}
		} else if !isOvercommitAllowed(name) {
			allErrs = append(allErrs, field.Required(limPath, "Limit must be set for non overcommitable resources"))
		}
		if isHugePageResourceName(name) {
			hasHugePages = true
			allErrs = append(allErrs, validateHugePageValue(name, quantity, keyPath)...)
		}
		if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
			hasCPUOrMemory = true
		}
	}
	if hasHugePages && !hasCPUOrMemory {
		allErrs = append(allErrs, field.Forbidden(fldPath, "HugePages require cpu or memory"))
	}
	allErrs = append(allErrs, validateResourceClaimNames(req.Claims, claimNames, fldPath.Child("claims"))...)
	return allErrs
}

// validateResourceClaimNames validates that the claims of a container are
// unique and reference claims of the pod.
func validateResourceClaimNames(claims []corev1.ResourceClaim, podClaimNames sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	seen := sets.New[string]()
	for i, claim := range claims {
		idxPath := fldPath.Index(i)
		if claim.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath, ""))
			continue
		}
		key := claim.Name
		if claim.Request != "" {
			allErrs = append(allErrs, validateDNS1123Label(claim.Request, idxPath.Child("request"))...)
			key += "/" + claim.Request
		}
		if seen.Has(key) || (claim.Request == "" && seen.Has(claim.Name)) {
			allErrs = append(allErrs, field.Duplicate(idxPath, key))
		}
		seen.Insert(key)
		if !podClaimNames.Has(claim.Name) {
			allErrs = append(allErrs, field.NotFound(idxPath, claim.Name))
		}
	}
	return allErrs
}

// validatePodResourceClaims validates the resource claims of a pod and
// returns the names of the valid ones.
func validatePodResourceClaims(claims []corev1.PodResourceClaim, fldPath *field.Path) (sets.Set[string], field.ErrorList) {
	allErrs := field.ErrorList{}
	names := sets.New[string]()
	for i, claim := range claims {
		idxPath := fldPath.Index(i)
		if claim.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else if names.Has(claim.Name) {
			allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), claim.Name))
		} else {
			nameErrs := validateDNS1123Label(claim.Name, idxPath.Child("name"))
			if len(nameErrs) == 0 {
				names.Insert(claim.Name)
			}
			allErrs = append(allErrs, nameErrs...)
		}
		switch {
		case claim.ResourceClaimName != nil && claim.ResourceClaimTemplateName != nil:
			allErrs = append(allErrs, field.Invalid(idxPath, claim, "at most one of `resourceClaimName` or `resourceClaimTemplateName` may be specified"))
		case claim.ResourceClaimName == nil && claim.ResourceClaimTemplateName == nil:
			allErrs = append(allErrs, field.Invalid(idxPath, claim, "must specify one of: `resourceClaimName`, `resourceClaimTemplateName`"))
		}
		if claim.ResourceClaimName != nil {
			allErrs = append(allErrs, validateDNS1123Subdomain(*claim.ResourceClaimName, idxPath.Child("resourceClaimName"))...)
		}
		if claim.ResourceClaimTemplateName != nil {
			allErrs = append(allErrs, validateDNS1123Subdomain(*claim.ResourceClaimTemplateName, idxPath.Child("resourceClaimTemplateName"))...)
		}
	}
	return names, allErrs
}
