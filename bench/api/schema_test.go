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
	"strings"
	"testing"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestDeploymentCRDIsValid(t *testing.T) {
	crd, err := DeploymentCRD()
	if err != nil {
		t.Fatal(err)
	}
	var internal apiextensions.CustomResourceDefinition
	if err := apiextensionsv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, &internal, nil); err != nil {
		t.Fatalf("converting to the internal version: %v", err)
	}
	// Set by the API server once the CRD is stored.
	internal.Status.StoredVersions = []string{CRDVersion}
	if errs := validation.ValidateCustomResourceDefinition(context.Background(), &internal); len(errs) > 0 {
		for _, e := range errs {
			t.Error(e)
		}
	}
}

func TestDeploymentSchemaIsStructural(t *testing.T) {
	schema, err := DeploymentSchema()
	if err != nil {
		t.Fatal(err)
	}
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(schema, &internal, nil); err != nil {
		t.Fatal(err)
	}
	s, err := structuralschema.NewStructural(&internal)
	if err != nil {
		t.Fatalf("not structural: %v", err)
	}
	if errs := structuralschema.ValidateStructural(field.NewPath("openAPIV3Schema"), s); len(errs) > 0 {
		t.Fatalf("structural validation: %v", errs.ToAggregate())
	}
}

func TestDeploymentSchemaShape(t *testing.T) {
	schema, err := DeploymentSchema()
	if err != nil {
		t.Fatal(err)
	}
	// Not a free-form blob: the preserve-unknown marker appears only below
	// the free-form types of the pod template's embedded metadata.
	var preserved []string
	walkSchema("", schema, func(path string, s *apiextensionsv1.JSONSchemaProps) {
		if s.XPreserveUnknownFields != nil && *s.XPreserveUnknownFields {
			preserved = append(preserved, path)
		}
	})
	for _, p := range preserved {
		if !strings.HasSuffix(p, ".fieldsV1") {
			t.Errorf("unexpected x-kubernetes-preserve-unknown-fields at %s", p)
		}
	}

	containers := lookup(t, schema, "spec", "template", "spec", "containers")
	if containers.XListType == nil || *containers.XListType != "map" || strings.Join(containers.XListMapKeys, ",") != "name" {
		t.Errorf("containers: list type %v keys %v, want map keyed by name", containers.XListType, containers.XListMapKeys)
	}
	ports := containers.Items.Schema.Properties["ports"]
	if strings.Join(ports.XListMapKeys, ",") != "containerPort,protocol" {
		t.Errorf("container ports keys %v, want containerPort,protocol", ports.XListMapKeys)
	}
	if d := ports.Items.Schema.Properties["protocol"].Default; d == nil || string(d.Raw) != `"TCP"` {
		t.Errorf("port protocol default %v, want \"TCP\"", d)
	}
	cpu := containers.Items.Schema.Properties["resources"].Properties["limits"].AdditionalProperties.Schema
	if !cpu.XIntOrString || cpu.Pattern == "" {
		t.Errorf("resource quantities are not int-or-string with a pattern: %+v", cpu)
	}
	maxSurge := lookup(t, schema, "spec", "strategy", "rollingUpdate", "maxSurge")
	if !maxSurge.XIntOrString || len(maxSurge.AnyOf) != 2 {
		t.Errorf("maxSurge is not int-or-string: %+v", maxSurge)
	}
	if got := lookup(t, schema, "metadata"); got.Type != "object" || len(got.Properties) > 0 {
		t.Errorf("root metadata is %+v, want a bare object", got)
	}
	if got := lookup(t, schema, "spec", "template", "metadata", "labels"); got.AdditionalProperties == nil {
		t.Errorf("pod template labels are not a string map: %+v", got)
	}
	if got := lookup(t, schema, "spec"); !contains(got.Required, "selector") || !contains(got.Required, "template") {
		t.Errorf("spec.required = %v, want selector and template", got.Required)
	}
}

func lookup(t *testing.T, s *apiextensionsv1.JSONSchemaProps, path ...string) apiextensionsv1.JSONSchemaProps {
	t.Helper()
	cur := *s
	for i, p := range path {
		next, ok := cur.Properties[p]
		if !ok {
			t.Fatalf("no property %s", strings.Join(path[:i+1], "."))
		}
		cur = next
	}
	return cur
}

func walkSchema(path string, s *apiextensionsv1.JSONSchemaProps, fn func(string, *apiextensionsv1.JSONSchemaProps)) {
	fn(path, s)
	for name, p := range s.Properties {
		walkSchema(path+"."+name, &p, fn)
	}
	if s.Items != nil && s.Items.Schema != nil {
		walkSchema(path+"[]", s.Items.Schema, fn)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		walkSchema(path+"{}", s.AdditionalProperties.Schema, fn)
	}
}
