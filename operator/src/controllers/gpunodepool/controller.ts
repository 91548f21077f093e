// The GpuNodePool controller, declared: nodes wake the pools that select them, pods the pool of
// their node, leases their pool, and a pool's spec change every pool (selectors can start or
// stop overlapping) — each only when it changed what the pool's accounting reads (a node's
// heartbeat, a pod's condition timestamps or a lease's escrow figures wake nothing).
import type { GpuNodePool } from '../../api/gpunodepool.js';
import { controller, type ControllerSpec } from '../../kube/controller.js';
import { NodeKind, PodKind } from '../../kube/objects.js';
import { poolOfPod } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../api/kinds.js';
import { onGenerationChange } from '../watch-filters.js';
import {
  nodeAccountingChanged,
  podAccountingChanged,
  poolSelectsNode,
} from '../../capacity/pool-gpus.js';
import type { ComputeLease } from '../../api/computelease.js';
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
        updatePredicate: nodeAccountingChanged,
      },
      {
        kind: PodKind,
        map: (pod, cache) => poolKey(poolOfPod(pod, cache)?.metadata.name),
        updatePredicate: podAccountingChanged,
      },
      {
        kind: ComputeLeaseKind,
        map: (lease) => poolKey(lease.spec?.pool),
        // The status counts a pool's open leases: their pool and phase, not the settlement's figures.
        updatePredicate: (old: ComputeLease, lease: ComputeLease) =>
          old.spec?.pool !== lease.spec?.pool || old.status?.phase !== lease.status?.phase,
      },
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
