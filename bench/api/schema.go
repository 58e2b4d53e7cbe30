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
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/generated/openapi"
)

const (
	// CRDGroup and CRDVersion are the group/version of the benchmark's
	// CustomResourceDefinition; its kind is Deployment, its resource
	// deployments.
	CRDGroup   = "bench.workloads.experimental.test"
	CRDVersion = "v1"
	// CRDName is the name of that CustomResourceDefinition.
	CRDName = "deployments." + CRDGroup

	definitionsPrefix = "#/definitions/"

	// quantityPattern is the regular expression a resource.Quantity in string
	// form matches: a signed decimal number with a binary or decimal SI suffix
	// or a decimal exponent.
	quantityPattern = `^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$`
)

// Vendor extensions of the generated definitions that mean the same in a CRD
// schema. The patch-strategy extensions have no CRD equivalent and are dropped.
const (
	extListType     = "x-kubernetes-list-type"
	extListMapKeys  = "x-kubernetes-list-map-keys"
	extMapType      = "x-kubernetes-map-type"
	extPatchMergeKy = "x-kubernetes-patch-merge-key"
)

// DeploymentSchema returns the structural schema of experimental/v1alpha1
// Deployment as a CustomResourceDefinition schema. It is derived from the
// OpenAPI definitions generated in pkg/generated/openapi: every $ref is
// inlined, descriptions are left out (they do not change what is accepted),
// list and map markers (x-kubernetes-list-type, -list-map-keys, -map-type),
// enums, formats and required fields are kept, IntOrString and Quantity become
// x-kubernetes-int-or-string, and x-kubernetes-preserve-unknown-fields appears
// only where the Go type holds free-form data (metav1.FieldsV1,
// runtime.RawExtension). Zero-value defaults ("", 0, false, {}) that the
// generator records for non-pointer fields are dropped; other defaults (e.g. a
// port's protocol TCP) are kept, as upstream's schemas keep them.
//
// The root metadata is "type: object" only: the API server validates
// ObjectMeta of a custom resource itself and forbids a schema for it.
func DeploymentSchema() (*apiextensionsv1.JSONSchemaProps, error) {
	defs := openapi.GetOpenAPIDefinitions(func(name string) spec.Ref {
		return spec.MustCreateRef(definitionsPrefix + name)
	})
	c := &schemaConverter{defs: defs, visiting: map[string]bool{}}
	root, err := c.definition(v1alpha1.Deployment{}.OpenAPIModelName())
	if err != nil {
		return nil, fmt.Errorf("converting the Deployment definition: %w", err)
	}
	if root.Properties == nil {
		return nil, fmt.Errorf("the Deployment definition has no properties")
	}
	root.Properties["metadata"] = apiextensionsv1.JSONSchemaProps{Type: "object"}
	return &root, nil
}

// DeploymentCRD returns the CustomResourceDefinition deployments.<CRDGroup>:
// namespaced, kind Deployment, one served and stored version CRDVersion with
// DeploymentSchema, and status and scale subresources as apps/v1 has them.
func DeploymentCRD() (*apiextensionsv1.CustomResourceDefinition, error) {
	schema, err := DeploymentSchema()
	if err != nil {
		return nil, err
	}
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: CRDName},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: CRDGroup,
			Scope: apiextensionsv1.NamespaceScoped,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural:   "deployments",
				Singular: "deployment",
				Kind:     "Deployment",
				ListKind: "DeploymentList",
			},
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name:    CRDVersion,
				Served:  true,
				Storage: true,
				Schema:  &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: schema},
				Subresources: &apiextensionsv1.CustomResourceSubresources{
					Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
					Scale: &apiextensionsv1.CustomResourceSubresourceScale{
						SpecReplicasPath:   ".spec.replicas",
						StatusReplicasPath: ".status.replicas",
					},
				},
			}},
		},
	}, nil
}

type schemaConverter struct {
	defs map[string]common.OpenAPIDefinition
	// visiting holds the definitions on the current path, to report a
	// recursive type (which a structural schema cannot express) instead of
	// looping.
	visiting map[string]bool
}

// definition converts the named definition, resolving the types whose JSON
// form is not described by their Go structure.
func (c *schemaConverter) definition(name string) (apiextensionsv1.JSONSchemaProps, error) {
	switch name {
	case intstr.IntOrString{}.OpenAPIModelName():
		return intOrString(""), nil
	case resource.Quantity{}.OpenAPIModelName():
		return intOrString(quantityPattern), nil
	case runtime.RawExtension{}.OpenAPIModelName():
		return apiextensionsv1.JSONSchemaProps{
			Type:                   "object",
			XEmbeddedResource:      true,
			XPreserveUnknownFields: ptr.To(true),
		}, nil
	}
	if c.visiting[name] {
		return apiextensionsv1.JSONSchemaProps{}, fmt.Errorf("recursive definition %s", name)
	}
	def, ok := c.defs[name]
	if !ok {
		return apiextensionsv1.JSONSchemaProps{}, fmt.Errorf("no definition %s", name)
	}
	c.visiting[name] = true
	defer delete(c.visiting, name)
	s := def.Schema
	// Types with a custom JSON form carry their OpenAPI v2 form (a plain type
	// and format) as an extension next to a v3 oneOf.
	if v2, ok := s.Extensions[common.ExtensionV2Schema].(spec.Schema); ok {
		s = v2
	}
	out, err := c.convert(&s)
	if err != nil {
		return out, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}

func intOrString(pattern string) apiextensionsv1.JSONSchemaProps {
	return apiextensionsv1.JSONSchemaProps{
		XIntOrString: true,
		AnyOf:        []apiextensionsv1.JSONSchemaProps{{Type: "integer"}, {Type: "string"}},
		Pattern:      pattern,
	}
}

func (c *schemaConverter) convert(s *spec.Schema) (apiextensionsv1.JSONSchemaProps, error) {
	if ref := s.Ref.String(); ref != "" {
		if !strings.HasPrefix(ref, definitionsPrefix) {
			return apiextensionsv1.JSONSchemaProps{}, fmt.Errorf("unsupported $ref %q", ref)
		}
		// Siblings of a $ref in the generated definitions are a description
		// and a zero-value default, neither of which is kept.
		return c.definition(strings.TrimPrefix(ref, definitionsPrefix))
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || len(s.AllOf) > 0 || s.Not != nil {
		return apiextensionsv1.JSONSchemaProps{}, fmt.Errorf("unsupported oneOf/anyOf/allOf/not")
	}
	var out apiextensionsv1.JSONSchemaProps
	switch len(s.Type) {
	case 0:
	case 1:
		out.Type = s.Type[0]
	default:
		return out, fmt.Errorf("several types %v", s.Type)
	}
	out.Format = s.Format
	out.Nullable = s.Nullable
	out.Pattern = s.Pattern
	out.Maximum, out.Minimum = s.Maximum, s.Minimum
	out.ExclusiveMaximum, out.ExclusiveMinimum = s.ExclusiveMaximum, s.ExclusiveMinimum
	out.MaxLength, out.MinLength = s.MaxLength, s.MinLength
	out.MaxItems, out.MinItems = s.MaxItems, s.MinItems
	out.MaxProperties, out.MinProperties = s.MaxProperties, s.MinProperties
	if len(s.Required) > 0 {
		out.Required = append([]string(nil), s.Required...)
	}
	for _, v := range s.Enum {
		raw, err := json.Marshal(v)
		if err != nil {
			return out, fmt.Errorf("enum value %v: %w", v, err)
		}
		out.Enum = append(out.Enum, apiextensionsv1.JSON{Raw: raw})
	}
	if d, ok := meaningfulDefault(s.Default); ok {
		raw, err := json.Marshal(d)
		if err != nil {
			return out, fmt.Errorf("default %v: %w", d, err)
		}
		out.Default = &apiextensionsv1.JSON{Raw: raw}
	}
	if err := copyExtensions(s.Extensions, &out); err != nil {
		return out, err
	}

	if len(s.Properties) > 0 {
		out.Properties = make(map[string]apiextensionsv1.JSONSchemaProps, len(s.Properties))
		names := make([]string, 0, len(s.Properties))
		for name := range s.Properties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			prop := s.Properties[name]
			p, err := c.convert(&prop)
			if err != nil {
				return out, fmt.Errorf(".%s: %w", name, err)
			}
			out.Properties[name] = p
		}
	}
	if s.Items != nil {
		if s.Items.Schema == nil || len(s.Items.Schemas) > 0 {
			return out, fmt.Errorf("tuple items are not supported")
		}
		items, err := c.convert(s.Items.Schema)
		if err != nil {
			return out, fmt.Errorf("[]: %w", err)
		}
		if out.XListType != nil && *out.XListType == "map" {
			if err := c.defaultListMapKeys(s.Items.Schema, &items, out.XListMapKeys); err != nil {
				return out, fmt.Errorf("[]: %w", err)
			}
		}
		out.Items = &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &items}
	}
	if ap := s.AdditionalProperties; ap != nil {
		switch {
		case ap.Schema != nil:
			v, err := c.convert(ap.Schema)
			if err != nil {
				return out, fmt.Errorf("{}: %w", err)
			}
			out.AdditionalProperties = &apiextensionsv1.JSONSchemaPropsOrBool{Allows: true, Schema: &v}
		case ap.Allows:
			out.XPreserveUnknownFields = ptr.To(true)
		}
	}

	switch {
	case out.Type == "object" && len(out.Properties) == 0 && out.AdditionalProperties == nil:
		// A struct serialized as free-form JSON (metav1.FieldsV1): without
		// this, pruning would empty it.
		out.XPreserveUnknownFields = ptr.To(true)
	case out.Type == "":
		return out, fmt.Errorf("no type")
	case out.Type == "array" && out.Items == nil:
		return out, fmt.Errorf("array without items")
	}
	return out, nil
}

// defaultListMapKeys restores the zero-value default of a list-map key that
// is not required (e.g. the name of an imagePullSecrets entry): a CRD schema
// requires one or the other for every key.
func (c *schemaConverter) defaultListMapKeys(raw *spec.Schema, items *apiextensionsv1.JSONSchemaProps, keys []string) error {
	for raw.Ref.String() != "" {
		def, ok := c.defs[strings.TrimPrefix(raw.Ref.String(), definitionsPrefix)]
		if !ok {
			return fmt.Errorf("no definition for %s", raw.Ref.String())
		}
		raw = &def.Schema
	}
	for _, key := range keys {
		prop, ok := items.Properties[key]
		if !ok {
			return fmt.Errorf("list map key %q is not a property", key)
		}
		if contains(items.Required, key) || prop.Default != nil {
			continue
		}
		d := raw.Properties[key].Default
		if d == nil {
			return fmt.Errorf("list map key %q is neither required nor defaulted", key)
		}
		b, err := json.Marshal(d)
		if err != nil {
			return fmt.Errorf("default of list map key %q: %w", key, err)
		}
		prop.Default = &apiextensionsv1.JSON{Raw: b}
		items.Properties[key] = prop
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// meaningfulDefault reports whether a generated default is worth keeping: the
// generator records the zero value of every non-pointer field as its default,
// which is what omitting the field means anyway, and which an enum or a
// required property of the defaulted struct would reject.
func meaningfulDefault(d any) (any, bool) {
	switch v := d.(type) {
	case nil:
		return nil, false
	case string:
		return v, v != ""
	case bool:
		return v, v
	case int:
		return v, v != 0
	case int32:
		return v, v != 0
	case int64:
		return v, v != 0
	case float64:
		return v, v != 0
	case map[string]any:
		return v, len(v) > 0
	case []any:
		return v, len(v) > 0
	default:
		// Typed string constants of the API packages (e.g. a protocol).
		raw, err := json.Marshal(v)
		if err != nil {
			return nil, false
		}
		var generic any
		if err := json.Unmarshal(raw, &generic); err != nil {
			return nil, false
		}
		return meaningfulDefault(generic)
	}
}

func copyExtensions(ext spec.Extensions, out *apiextensionsv1.JSONSchemaProps) error {
	if v, ok := ext[extListType]; ok {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is %T, not a string", extListType, v)
		}
		out.XListType = ptr.To(s)
	}
	if v, ok := ext[extListMapKeys]; ok {
		keys, err := stringSlice(v)
		if err != nil {
			return fmt.Errorf("%s: %w", extListMapKeys, err)
		}
		out.XListMapKeys = keys
	} else if out.XListType != nil && *out.XListType == "map" {
		// Older markers name a single key through the patch merge key.
		if k, ok := ext[extPatchMergeKy].(string); ok {
			out.XListMapKeys = []string{k}
		}
	}
	if v, ok := ext[extMapType]; ok {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%s is %T, not a string", extMapType, v)
		}
		out.XMapType = ptr.To(s)
	}
	return nil
}

func stringSlice(v any) ([]string, error) {
	switch t := v.(type) {
	case []string:
		return append([]string(nil), t...), nil
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("element %v is %T, not a string", e, e)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("%T is not a list of strings", v)
}
