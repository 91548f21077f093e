// The GpuNodePool controller, declared: nodes wake the pools that select them, pods the pool of
// their node, leases their pool, and a pool's spec change every pool (selectors can start or
// stop overlapping).
import type { GpuNodePool } from '../../api/gpunodepool.js';
import { controller, type ControllerSpec } from '../../kube/controller.js';
import { NodeKind, PodKind } from '../../kube/objects.js';
import { poolOfPod } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../api/kinds.js';
import { onGenerationChange } from '../watch-filters.js';
import { poolSelectsNode } from '../../capacity/pool-gpus.js';
import { gpuNodePoolReconciler } from './reconciler.js';

/** Name of the controller in metrics and logs. */
export const gpuNodePoolControllerName = 'gpunodepool';

/** @example manager.add(gpuNodePoolController()) */
export function gpuNodePoolController(): ControllerSpec<GpuNodePool> {
  const poolKey = (name: string | undefined) => (name ? [{ name }] : []);
  return controller<GpuNodePool>({
    name: gpuNodePoolControllerName,
    for: GpuNodePoolKind,
    watches: [
      {
        kind: NodeKind,
        map: (node, cache) =>
          cache
            .list(GpuNodePoolKind)
            .filter((pool) => poolSelectsNode(pool, node))
            .map((pool) => ({ name: pool.metadata.name ?? '' })),
      },
      { kind: PodKind, map: (pod, cache) => poolKey(poolOfPod(pod, cache)?.metadata.name) },
      { kind: ComputeLeaseKind, map: (lease) => poolKey(lease.spec?.pool) },
      {
        kind: GpuNodePoolKind,
        map: onGenerationChange((_pool, cache) =>
          cache.list(GpuNodePoolKind).map((pool) => ({ name: pool.metadata.name ?? '' })),
        ),
      },
    ],
    reconcile: gpuNodePoolReconciler(),
  });
}
