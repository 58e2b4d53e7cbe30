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

package controllerutil

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
)

// Event reasons of PodControl, as apps/v1 controllers emit them.
const (
	EventSuccessfulCreate = "SuccessfulCreate"
	EventFailedCreate     = "FailedCreate"
	EventSuccessfulDelete = "SuccessfulDelete"
	EventFailedDelete     = "FailedDelete"
)

// PodControl creates and deletes the pods of a controller object and records
// events on that object.
type PodControl interface {
	// CreatePods creates one pod from template in namespace, controlled by
	// owner through controllerRef.
	CreatePods(ctx context.Context, namespace string, template *corev1.PodTemplateSpec, owner runtime.Object, controllerRef *metav1.OwnerReference) error
	// DeletePod deletes pod, only if it still has the same UID.
	DeletePod(ctx context.Context, pod *corev1.Pod, owner runtime.Object) error
}

// RealPodControl is the PodControl that talks to the API server.
type RealPodControl struct {
	Client   kubernetes.Interface
	Recorder record.EventRecorder
}

var _ PodControl = RealPodControl{}

// PodFromTemplate builds the pod CreatePods would create: generateName
// "<owner>-", the template's labels, annotations, finalizers and spec, and
// controllerRef (controller and blockOwnerDeletion true) as its only owner.
func PodFromTemplate(template *corev1.PodTemplateSpec, owner metav1.Object, controllerRef *metav1.OwnerReference) (*corev1.Pod, error) {
	if controllerRef == nil {
		return nil, fmt.Errorf("creating a pod for %s/%s: missing controllerRef", owner.GetNamespace(), owner.GetName())
	}
	ref := *controllerRef
	ref.Controller = ptrTo(true)
	ref.BlockOwnerDeletion = ptrTo(true)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName:    owner.GetName() + "-",
			Labels:          copyMap(template.Labels),
			Annotations:     copyMap(template.Annotations),
			Finalizers:      append([]string(nil), template.Finalizers...),
			OwnerReferences: []metav1.OwnerReference{ref},
		},
	}
	pod.Spec = *template.Spec.DeepCopy()
	return pod, nil
}

// CreatePods implements PodControl.
func (r RealPodControl) CreatePods(ctx context.Context, namespace string, template *corev1.PodTemplateSpec, owner runtime.Object, controllerRef *metav1.OwnerReference) error {
	meta, err := metaOf(owner)
	if err != nil {
		return err
	}
	pod, err := PodFromTemplate(template, meta, controllerRef)
	if err != nil {
		return err
	}
	created, err := r.Client.CoreV1().Pods(namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		// Creates in a terminating namespace fail by design; no event for them.
		if !apierrors.HasStatusCause(err, corev1.NamespaceTerminatingCause) {
			r.Recorder.Eventf(owner, corev1.EventTypeWarning, EventFailedCreate, "Error creating: %v", err)
		}
		return err
	}
	klog.FromContext(ctx).V(4).Info("Created pod", "pod", klog.KObj(created), "owner", klog.KObj(meta))
	r.Recorder.Eventf(owner, corev1.EventTypeNormal, EventSuccessfulCreate, "Created pod: %v", created.Name)
	return nil
}

// DeletePod implements PodControl. A pod that is already gone is reported as
// NotFound to the caller, without an event.
func (r RealPodControl) DeletePod(ctx context.Context, pod *corev1.Pod, owner runtime.Object) error {
	uid := pod.UID
	err := r.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err != nil {
		if apierrors.IsNotFound(err) {
			return err
		}
		r.Recorder.Eventf(owner, corev1.EventTypeWarning, EventFailedDelete, "Error deleting: %v", err)
		return fmt.Errorf("deleting pod %s/%s: %w", pod.Namespace, pod.Name, err)
	}
	klog.FromContext(ctx).V(4).Info("Deleted pod", "pod", klog.KObj(pod))
	r.Recorder.Eventf(owner, corev1.EventTypeNormal, EventSuccessfulDelete, "Deleted pod: %v", pod.Name)
	return nil
}

func metaOf(obj runtime.Object) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no object metadata", obj)
	}
	return m, nil
}

func copyMap(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }
