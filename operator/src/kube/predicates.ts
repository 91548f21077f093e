// Predicates on the updates of a controller's primary objects (controller-runtime's
// GenerationChangedPredicate, LabelChangedPredicate and AnnotationChangedPredicate, or-ed).
import { isDeepStrictEqual } from 'node:util';
import type { KubeObject } from './objects.js';

/**
 * True when an update changed what a reconcile reads of its primary beyond the status: the spec
 * (its generation), labels, annotations, finalizers, owner references or the deletion mark.
 * False for a status-only update, such as the one each of the controller's own status writes
 * causes, which would otherwise cost a reconcile that finds nothing to do.
 *
 * @example controller({ name: 'computelease', for: ComputeLeaseKind, updatePredicate: specOrMetadataChanged, reconcile })
 */
export function specOrMetadataChanged(old: KubeObject, object: KubeObject): boolean {
  const before = old.metadata ?? {};
  const after = object.metadata ?? {};
  return (
    before.generation !== after.generation ||
    before.deletionTimestamp !== after.deletionTimestamp ||
    !isDeepStrictEqual(before.labels ?? {}, after.labels ?? {}) ||
    !isDeepStrictEqual(before.annotations ?? {}, after.annotations ?? {}) ||
    !isDeepStrictEqual(before.finalizers ?? [], after.finalizers ?? []) ||
    !isDeepStrictEqual(before.ownerReferences ?? [], after.ownerReferences ?? [])
  );
}
