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
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

const (
	// maxVolumeFileMode is the largest mode of a projected file (0777).
	maxVolumeFileMode = 0o777
	// volumeFileModeErrorMsg is the message of a file mode out of range.
	volumeFileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive"
)

var supportedMountPropagations = []corev1.MountPropagationMode{
	corev1.MountPropagationBidirectional, corev1.MountPropagationHostToContainer, corev1.MountPropagationNone,
}

// volumeSourceField is a pointer field of corev1.VolumeSource: one of the
// individual volume sources.
type volumeSourceField struct {
	index int
	name  string
}

// volumeSourceFields lists the sources of corev1.VolumeSource with their
// JSON names, in declaration order.
var volumeSourceFields = func() []volumeSourceField {
	t := reflect.TypeFor[corev1.VolumeSource]()
	fields := make([]volumeSourceField, 0, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if f.Type.Kind() != reflect.Pointer {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields = append(fields, volumeSourceField{index: i, name: name})
	}
	return fields
}()

// validateVolumes validates the volumes of a pod and returns the names of the
// valid ones. Names must be unique DNS labels and every volume must set
// exactly one source.
func validateVolumes(volumes []corev1.Volume, fldPath *field.Path) (sets.Set[string], field.ErrorList) {
	allErrs := field.ErrorList{}
	allNames := sets.New[string]()
	for i := range volumes {
		vol := &volumes[i]
		idxPath := fldPath.Index(i)
		namePath := idxPath.Child("name")
		el := validateVolumeSource(&vol.VolumeSource, idxPath)
		if len(vol.Name) == 0 {
			el = append(el, field.Required(namePath, ""))
		} else {
			el = append(el, validateDNS1123Label(vol.Name, namePath)...)
		}
		if allNames.Has(vol.Name) {
			el = append(el, field.Duplicate(namePath, vol.Name))
		}
		if len(el) == 0 {
			allNames.Insert(vol.Name)
		} else {
			allErrs = append(allErrs, el...)
		}
	}
	return allNames, allErrs
}

// validateVolumeSource validates that exactly one source of a volume is set,
// and the common sources in more detail.
func validateVolumeSource(source *corev1.VolumeSource, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	value := reflect.ValueOf(source).Elem()
	numVolumes := 0
	for _, f := range volumeSourceFields {
		if value.Field(f.index).IsNil() {
			continue
		}
		if numVolumes > 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(f.name), "may not specify more than 1 volume type"))
			continue
		}
		numVolumes++
	}
	if numVolumes == 0 {
		return append(allErrs, field.Required(fldPath, "must specify a volume type"))
	}

	switch {
	case source.EmptyDir != nil:
		if source.EmptyDir.SizeLimit != nil && source.EmptyDir.SizeLimit.Sign() < 0 {
			allErrs = append(allErrs, field.Forbidden(fldPath.Child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"))
		}
	case source.HostPath != nil:
		if len(source.HostPath.Path) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("hostPath", "path"), ""))
		}
	case source.Secret != nil:
		secretPath := fldPath.Child("secret")
		if len(source.Secret.SecretName) == 0 {
			allErrs = append(allErrs, field.Required(secretPath.Child("secretName"), ""))
		}
		allErrs = append(allErrs, validateVolumeFileMode(source.Secret.DefaultMode, secretPath.Child("defaultMode"))...)
		allErrs = append(allErrs, validateKeyToPaths(source.Secret.Items, secretPath.Child("items"))...)
	case source.ConfigMap != nil:
		configMapPath := fldPath.Child("configMap")
		if len(source.ConfigMap.Name) == 0 {
			allErrs = append(allErrs, field.Required(configMapPath.Child("name"), ""))
		}
		allErrs = append(allErrs, validateVolumeFileMode(source.ConfigMap.DefaultMode, configMapPath.Child("defaultMode"))...)
		allErrs = append(allErrs, validateKeyToPaths(source.ConfigMap.Items, configMapPath.Child("items"))...)
	case source.PersistentVolumeClaim != nil:
		if len(source.PersistentVolumeClaim.ClaimName) == 0 {
			allErrs = append(allErrs, field.Required(fldPath.Child("persistentVolumeClaim", "claimName"), ""))
		}
	}
	return allErrs
}

// validateVolumeFileMode validates an optional file mode of a projected file.
func validateVolumeFileMode(mode *int32, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if mode != nil && (*mode > maxVolumeFileMode || *mode < 0) {
		allErrs = append(allErrs, field.Invalid(fldPath, *mode, volumeFileModeErrorMsg))
	}
	return allErrs
}

// validateKeyToPaths validates the items projected from a ConfigMap or Secret.
func validateKeyToPaths(items []corev1.KeyToPath, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	for i, item := range items {
		idxPath := fldPath.Index(i)
		if len(item.Key) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("key"), ""))
		}
		if len(item.Path) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("path"), ""))
		} else {
			allErrs = append(allErrs, validateLocalDescendingPath(item.Path, idxPath.Child("path"))...)
		}
		allErrs = append(allErrs, validateVolumeFileMode(item.Mode, idxPath.Child("mode"))...)
	}
	return allErrs
}

// validateLocalDescendingPath validates that a path is relative and does not
// contain a '..' element.
func validateLocalDescendingPath(targetPath string, fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	if strings.HasPrefix(targetPath, "/") {
		allErrs = append(allErrs, field.Invalid(fldPath, targetPath, "must be a relative path"))
	}
	for _, item := range strings.Split(targetPath, "/") {
		if item == ".." {
			allErrs = append(allErrs, field.Invalid(fldPath, targetPath, "must not contain '..'"))
			break
		}
	}
	return allErrs
}

// validateVolumeMounts validates the volume mounts of a container: each must
// reference a volume of the pod and mount it on a unique, non-empty path.
func validateVolumeMounts(mounts []corev1.VolumeMount, devices []corev1.VolumeDevice, volumes sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	deviceNames := sets.New[string]()
	devicePaths := sets.New[string]()
	for _, dev := range devices {
		deviceNames.Insert(dev.Name)
		devicePaths.Insert(dev.DevicePath)
	}
	mountPoints := sets.New[string]()
	for i, mnt := range mounts {
		idxPath := fldPath.Index(i)
		if len(mnt.Name) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else if !volumes.Has(mnt.Name) {
			allErrs = append(allErrs, field.NotFound(idxPath.Child("name"), mnt.Name))
		}
		if len(mnt.MountPath) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("mountPath"), ""))
		}
		if mountPoints.Has(mnt.MountPath) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("mountPath"), mnt.MountPath, "must be unique"))
		}
		mountPoints.Insert(mnt.MountPath)
		if deviceNames.Has(mnt.Name) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), mnt.Name, "must not already exist in volumeDevices"))
		}
		if devicePaths.Has(mnt.MountPath) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("mountPath"), mnt.MountPath, "must not already exist as a path in volumeDevices"))
		}
		if len(mnt.SubPath) > 0 {
			allErrs = append(allErrs, validateLocalDescendingPath(mnt.SubPath, idxPath.Child("subPath"))...)
		}
		if len(mnt.SubPathExpr) > 0 {
			if len(mnt.SubPath) > 0 {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("subPathExpr"), mnt.SubPathExpr, "subPathExpr and subPath are mutually exclusive"))
			}
			allErrs = append(allErrs, validateLocalDescendingPath(mnt.SubPathExpr, idxPath.Child("subPathExpr"))...)
		}
		if mnt.MountPropagation != nil {
			allErrs = append(allErrs, validateOptionalEnum(*mnt.MountPropagation, supportedMountPropagations, idxPath.Child("mountPropagation"))...)
		}
	}
	return allErrs
}

// validateVolumeDevices validates the raw block devices of a container: each
// must reference a volume of the pod and use a unique, non-empty path.
func validateVolumeDevices(devices []corev1.VolumeDevice, volumes sets.Set[string], fldPath *field.Path) field.ErrorList {
	allErrs := field.ErrorList{}
	devicePaths := sets.New[string]()
	deviceNames := sets.New[string]()
	for i, dev := range devices {
		idxPath := fldPath.Index(i)
		if len(dev.Name) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else if !volumes.Has(dev.Name) {
			allErrs = append(allErrs, field.NotFound(idxPath.Child("name"), dev.Name))
		}
		if deviceNames.Has(dev.Name) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), dev.Name, "must be unique"))
		}
		deviceNames.Insert(dev.Name)
		if len(dev.DevicePath) == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("devicePath"), ""))
		}
		if devicePaths.Has(dev.DevicePath) {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("devicePath"), dev.DevicePath, "must be unique"))
		}
		devicePaths.Insert(dev.DevicePath)
	}
	return allErrs
}
