// The GpuNodePool reconcile: count the pool's nodes and the GPUs its pods hold (pool-status.ts),
// write the status when it changed, and record an Event for each node that became NotReady,
// became Ready or left the pool since the last reconcile.
import type { GpuNodePool } from '../../api/gpunodepool.js';
import { applyStatus } from '../../kube/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../kube/controller.js';
import { isNotFound } from '../../kube/errors.js';
import { indexes, poolNodesAndPods } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../kinds.js';
import { jsonEqual } from '../semantic.js';
import {
  computePoolStatus,
  countedNodeReadiness,
  nodeTransitions,
  type PoolStatusInputs,
} from './pool-status.js';

/**
 * The reconcile function of the GpuNodePool controller. Node readiness from the previous
 * reconcile is kept in memory: after a restart the first reconcile of each pool records no
 * Event (its NodesReady condition still tells the state).
 *
 * @example manager.add(controller({ name: 'gpunodepool', for: GpuNodePoolKind, reconcile: gpuNodePoolReconciler() }))
 */
export function gpuNodePoolReconciler(now: () => Date = () => new Date()): Reconciler {
  const lastReadiness = new Map<string, ReadonlyMap<string, boolean>>();

  return async ({ name }: ReconcileRequest, { cache, client, events, log }: ReconcileContext) => {
    const pool = cache.get(GpuNodePoolKind, name);
    if (!pool || pool.metadata.deletionTimestamp) {
      lastReadiness.delete(name);
      return;
    }
    const inputs = poolInputs(pool, cache);
    const status = computePoolStatus(inputs, now());
    const readiness = countedNodeReadiness(inputs);
    const before = lastReadiness.get(name);
    if (!jsonEqual(status, pool.status ?? {})) {
      try {
        await applyStatus(client, GpuNodePoolKind, pool, status);
      } catch (error) {
        if (isNotFound(error)) return; // deleted meanwhile
        throw error;
      }
    }
    lastReadiness.set(name, readiness);
    for (const event of before ? nodeTransitions(before, readiness) : []) {
      events.record(GpuNodePoolKind, pool, { ...event, action: 'Observe' });
      log.log(event.type === 'Warning' ? 'warn' : 'info', event.note, {
        pool: name,
        reason: event.reason,
      });
    }
  };
}

function poolInputs(pool: GpuNodePool, cache: ReconcileContext['cache']): PoolStatusInputs {
  return {
    pool,
    pools: cache.list(GpuNodePoolKind),
    ...poolNodesAndPods(cache, pool),
    leases: cache.list(ComputeLeaseKind, {
      name: indexes.leasesByPool,
      value: pool.metadata.name ?? '',
    }),
  };
}
