// Filters for the kinds a controller watches: most of their events are status updates that the
// controller does not read, and waking every lease of a pool each time the pool's status is
// written would cost a reconcile per lease per write.
import type { MapFunction } from '../kube/controller.js';
import { objectKey, type KubeObject } from '../kube/objects.js';

/**
 * Wraps a map function so that it maps an object only when it is first seen or its
 * `metadata.generation` changed (a spec change); status-only updates, resyncs and the old side of
 * an update map to nothing. Deleting an object maps to nothing either: what it shaped stays.
 *
 * @example { kind: GpuNodePoolKind, map: onGenerationChange((pool, cache) => leasesOfPool(cache, pool.metadata.name, 'all')) }
 */
export function onGenerationChange<T extends KubeObject>(map: MapFunction<T>): MapFunction<T> {
  const generations = new Map<string, number | undefined>();
  return (object, cache) => {
    const id = object.metadata?.uid ?? objectKey(object);
    const generation = object.metadata?.generation;
    if (generations.has(id) && generations.get(id) === generation) return [];
    generations.set(id, generation);
    return map(object, cache);
  };
}
