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

package daemonset

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"maps"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	json "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/klog/v2"
	"k8s.io/utils/dump"
	"k8s.io/utils/ptr"

	"github.com/kube-experimental/workloads-apiserver/pkg/apis/experimental/v1alpha1"
	"github.com/kube-experimental/workloads-apiserver/pkg/controllers/internal/controllerutil"
)

// defaultRevisionHistoryLimit applies when the API server did not default
// spec.revisionHistoryLimit.
const defaultRevisionHistoryLimit = 10

// computeHash returns the hash naming a template revision: FNV-32a over the
// template's deep dump, plus the collision count when set, encoded with
// safe characters (the same scheme as apps/v1 controllers).
func computeHash(template *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	_, _ = fmt.Fprint(h, dump.ForHash(*template))
	if collisionCount != nil {
		b := make([]byte, 8)
		binary.LittleEndian.PutUint32(b, uint32(*collisionCount))
		_, _ = h.Write(b)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

// revisionPatch returns the data of a ControllerRevision of ds: a strategic
// merge patch that restores ds's pod template ({"spec":{"template":{...,
// "$patch":"replace"}}}), as apps/v1 DaemonSet revisions store it.
func revisionPatch(ds *v1alpha1.DaemonSet) ([]byte, error) {
	raw, err := json.Marshal(ds.Spec.Template)
	if err != nil {
		return nil, fmt.Errorf("encoding the template of DaemonSet %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	var template map[string]any
	if err := json.Unmarshal(raw, &template); err != nil {
		return nil, err
	}
	template["$patch"] = "replace"
	return json.Marshal(map[string]any{"spec": map[string]any{"template": template}})
}

// revisionMatches reports whether rev stores ds's current template.
func revisionMatches(ds *v1alpha1.DaemonSet, rev *appsv1.ControllerRevision) (bool, error) {
	patch, err := revisionPatch(ds)
	if err != nil {
		return false, err
	}
	return bytes.Equal(patch, rev.Data.Raw), nil
}

// ownedRevisions returns the ControllerRevisions of ds, adopting orphans that
// match its selector and releasing owned ones that stopped matching.
func (c *Controller) ownedRevisions(ctx context.Context, ds *v1alpha1.DaemonSet, selector labels.Selector) ([]*appsv1.ControllerRevision, error) {
	all, err := c.historyLister.ControllerRevisions(ds.Namespace).List(labels.Everything())
	if err != nil {
		return nil, fmt.Errorf("listing ControllerRevisions: %w", err)
	}
	m := controllerutil.NewControllerRevisionControllerRefManager(c.kubeClient, ds, controllerKind, selector, c.canAdopt(ds))
	return m.ClaimControllerRevisions(ctx, all)
}

// constructHistory returns the ControllerRevision of ds's current template
// (creating it, or raising its revision number, as needed) and the older
// ones. It labels revisions missing the hash label and removes duplicates of
// the current revision.
func (c *Controller) constructHistory(ctx context.Context, ds *v1alpha1.DaemonSet, selector labels.Selector, pods []*corev1.Pod) (*appsv1.ControllerRevision, []*appsv1.ControllerRevision, error) {
	revisions, err := c.ownedRevisions(ctx, ds, selector)
	if err != nil {
		return nil, nil, err
	}
	client := c.kubeClient.AppsV1().ControllerRevisions(ds.Namespace)
	var current, old []*appsv1.ControllerRevision
	for _, rev := range revisions {
		if _, ok := rev.Labels[revisionHashLabel]; !ok {
			// The name ends in the hash; labelling with the name avoids
			// recomputing a hash that may have collided.
			toUpdate := rev.DeepCopy()
			if toUpdate.Labels == nil {
				toUpdate.Labels = map[string]string{}
			}
			toUpdate.Labels[revisionHashLabel] = toUpdate.Name
			if rev, err = client.Update(ctx, toUpdate, metav1.UpdateOptions{}); err != nil {
				return nil, nil, fmt.Errorf("labelling ControllerRevision %s/%s: %w", toUpdate.Namespace, toUpdate.Name, err)
			}
		}
		ok, err := revisionMatches(ds, rev)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			current = append(current, rev)
		} else {
			old = append(old, rev)
		}
	}
	next := maxRevision(old) + 1
	if len(current) == 0 {
		cur, err := c.snapshot(ctx, ds, next)
		if err != nil {
			return nil, nil, err
		}
		return cur, old, nil
	}
	cur, err := c.dedupCurrentRevisions(ctx, pods, current)
	if err != nil {
		return nil, nil, err
	}
	if cur.Revision < next {
		// A rollback to an older template: it becomes the newest revision.
		toUpdate := cur.DeepCopy()
		toUpdate.Revision = next
		if cur, err = client.Update(ctx, toUpdate, metav1.UpdateOptions{}); err != nil {
			return nil, nil, fmt.Errorf("raising the revision of ControllerRevision %s/%s to %d: %w", toUpdate.Namespace, toUpdate.Name, next, err)
		}
	}
	return cur, old, nil
}

func maxRevision(revisions []*appsv1.ControllerRevision) int64 {
	var m int64
	for _, r := range revisions {
		m = max(m, r.Revision)
	}
	return m
}

// dedupCurrentRevisions keeps the newest of several revisions storing the
// current template: pods of the others are relabelled to its hash, then the
// others are deleted.
func (c *Controller) dedupCurrentRevisions(ctx context.Context, pods []*corev1.Pod, current []*appsv1.ControllerRevision) (*appsv1.ControllerRevision, error) {
	if len(current) == 1 {
		return current[0], nil
	}
	keep := current[0]
	for _, r := range current[1:] {
		if r.Revision >= keep.Revision {
			keep = r
		}
	}
	keepHash := keep.Labels[revisionHashLabel]
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{revisionHashLabel: keepHash}}})
	if err != nil {
		return nil, err
	}
	for _, pod := range pods {
		if pod.Labels[revisionHashLabel] == keepHash {
			continue
		}
		if _, err := c.kubeClient.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("relabelling pod %s/%s to revision %s: %w", pod.Namespace, pod.Name, keepHash, err)
		}
	}
	for _, r := range current {
		if r.Name == keep.Name {
			continue
		}
		klog.FromContext(ctx).V(2).Info("Deleting duplicate ControllerRevision", "controllerRevision", klog.KObj(r), "kept", klog.KObj(keep))
		if err := c.kubeClient.AppsV1().ControllerRevisions(r.Namespace).Delete(ctx, r.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("deleting duplicate ControllerRevision %s/%s: %w", r.Namespace, r.Name, err)
		}
	}
	return keep, nil
}

// snapshot creates the ControllerRevision <ds>-<hash> for ds's template. On
// a name collision with a revision of another template it raises
// status.collisionCount (so the next hash differs) and returns an error to
// retry.
func (c *Controller) snapshot(ctx context.Context, ds *v1alpha1.DaemonSet, revision int64) (*appsv1.ControllerRevision, error) {
	logger := klog.FromContext(ctx)
	patch, err := revisionPatch(ds)
	if err != nil {
		return nil, err
	}
	hash := computeHash(&ds.Spec.Template, ds.Status.CollisionCount)
	revLabels := maps.Clone(ds.Spec.Template.Labels)
	if revLabels == nil {
		revLabels = map[string]string{}
	}
	revLabels[revisionHashLabel] = hash
	rev := &appsv1.ControllerRevision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            ds.Name + "-" + hash,
			Namespace:       ds.Namespace,
			Labels:          revLabels,
			Annotations:     maps.Clone(ds.Annotations),
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
		},
		Data:     runtime.RawExtension{Raw: patch},
		Revision: revision,
	}
	client := c.kubeClient.AppsV1().ControllerRevisions(ds.Namespace)
	created, err := client.Create(ctx, rev, metav1.CreateOptions{})
	if err == nil {
		logger.V(2).Info("Created ControllerRevision", "controllerRevision", klog.KObj(created), "revision", revision)
		return created, nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating ControllerRevision %s/%s: %w", rev.Namespace, rev.Name, err)
	}
	existing, getErr := client.Get(ctx, rev.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, fmt.Errorf("reading existing ControllerRevision %s/%s: %w", rev.Namespace, rev.Name, getErr)
	}
	if ok, err := revisionMatches(ds, existing); err != nil {
		return nil, err
	} else if ok && metav1.IsControlledBy(existing, ds) {
		return existing, nil // created by an earlier sync whose watch event is late
	}
	// A different template (or another owner) holds the name: bump the
	// collision count, read fresh so a stale count is not bumped twice.
	dsClient := c.client.ExperimentalV1alpha1().DaemonSets(ds.Namespace)
	fresh, getErr := dsClient.Get(ctx, ds.Name, metav1.GetOptions{})
	if getErr != nil {
		return nil, fmt.Errorf("re-reading DaemonSet %s/%s after a revision name collision: %w", ds.Namespace, ds.Name, getErr)
	}
	if !apiequality.Semantic.DeepEqual(fresh.Status.CollisionCount, ds.Status.CollisionCount) {
		return nil, fmt.Errorf("DaemonSet %s/%s has collisionCount %d, the cache has %d; retrying with the fresh value",
			ds.Namespace, ds.Name, ptr.Deref(fresh.Status.CollisionCount, 0), ptr.Deref(ds.Status.CollisionCount, 0))
	}
	fresh.Status.CollisionCount = ptr.To(ptr.Deref(fresh.Status.CollisionCount, 0) + 1)
	if _, err := dsClient.UpdateStatus(ctx, fresh, metav1.UpdateOptions{}); err != nil {
		return nil, fmt.Errorf("raising collisionCount of DaemonSet %s/%s: %w", ds.Namespace, ds.Name, err)
	}
	logger.V(2).Info("ControllerRevision name collision, raised collisionCount", "controllerRevision", rev.Name, "collisionCount", *fresh.Status.CollisionCount)
	return nil, fmt.Errorf("ControllerRevision %s/%s exists with another template (hash collision); collisionCount raised to %d, retrying",
		rev.Namespace, rev.Name, *fresh.Status.CollisionCount)
}

// cleanupHistory deletes the oldest revisions beyond
// spec.revisionHistoryLimit, never one that a pod of ds still runs.
func (c *Controller) cleanupHistory(ctx context.Context, ds *v1alpha1.DaemonSet, pods []*corev1.Pod, old []*appsv1.ControllerRevision) error {
	limit := int(ptr.Deref(ds.Spec.RevisionHistoryLimit, defaultRevisionHistoryLimit))
	toKill := len(old) - limit
	if toKill <= 0 {
		return nil
	}
	live := map[string]bool{}
	for _, p := range pods {
		if h := p.Labels[revisionHashLabel]; h != "" {
			live[h] = true
		}
	}
	sorted := append([]*appsv1.ControllerRevision(nil), old...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Revision < sorted[j].Revision })
	for _, rev := range sorted {
		if toKill <= 0 {
			break
		}
		if live[rev.Labels[revisionHashLabel]] {
			continue
		}
		klog.FromContext(ctx).V(2).Info("Deleting old ControllerRevision", "controllerRevision", klog.KObj(rev), "revision", rev.Revision)
		if err := c.kubeClient.AppsV1().ControllerRevisions(rev.Namespace).Delete(ctx, rev.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting ControllerRevision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		toKill--
	}
	return nil
}
