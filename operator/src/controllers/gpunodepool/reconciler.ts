// The GpuNodePool reconcile: count the pool's nodes and the GPUs its pods hold (pool-status.ts),
// write the status when it changed, and record an Event for each node that became NotReady,
// became Ready or left the pool since the last reconcile.
import {
  poolConditionTypes,
  type GpuNodePool,
  type GpuNodePoolStatus,
} from '../../api/gpunodepool.js';
import { applyStatus } from '../../kube/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../kube/controller.js';
import { setCondition, type Condition } from '../../kube/conditions.js';
import { isNotFound } from '../../kube/errors.js';
import { indexes, poolNodesAndPods } from '../indexes.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../api/kinds.js';
import { jsonEqual } from '../semantic.js';
import {
  gpuIsolationCondition,
  gpuRuntimeObservationTtlMs,
  gpuRuntimeObserver,
  type GpuRuntimeObservation,
} from './gpu-isolation.js';
import {
  computePoolStatus,
  countedNodeReadiness,
  nodeTransitions,
  type PoolNodeEvent,
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
  let observeRuntime: (() => Promise<GpuRuntimeObservation>) | undefined;

  return async ({ name }: ReconcileRequest, { cache, client, events, log }: ReconcileContext) => {
    const pool = cache.get(GpuNodePoolKind, name);
    if (!pool || pool.metadata.deletionTimestamp) {
      lastReadiness.delete(name);
      return;
    }
    observeRuntime ??= gpuRuntimeObserver(client);
    const inputs = poolInputs(pool, cache);
    const status = withGpuIsolation(
      pool,
      computePoolStatus(inputs, now()),
      await observeRuntime(),
      now(),
    );
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
    const transitions = [
      ...(before ? nodeTransitions(before, readiness) : []),
      ...isolationLost(pool, status),
    ];
    for (const event of transitions) {
      events.record(GpuNodePoolKind, pool, { ...event, action: 'Observe' });
      log.log(event.type === 'Warning' ? 'warn' : 'info', event.note, {
        pool: name,
        reason: event.reason,
      });
    }
    // The GPU runtime's configuration has no watch: look again when the observation expires.
    return { requeueAfterMs: gpuRuntimeObservationTtlMs };
  };
}

/** A Warning when GpuIsolation turns False: a tenant could choose its GPUs on this pool. */
function isolationLost(pool: GpuNodePool, status: GpuNodePoolStatus): PoolNodeEvent[] {
  const type = poolConditionTypes.GpuIsolation;
  const was = pool.status?.conditions?.find((c) => c.type === type);
  const now = status.conditions?.find((c) => c.type === type);
  if (now?.status !== 'False' || was?.status === 'False') return [];
  return [{ type: 'Warning', reason: now.reason, note: now.message }];
}

/** The pool status with its GpuIsolation condition, from what the cluster shows. */
function withGpuIsolation(
  pool: GpuNodePool,
  status: GpuNodePoolStatus,
  observed: GpuRuntimeObservation,
  at: Date,
): GpuNodePoolStatus {
  const update = {
    ...gpuIsolationCondition(pool, observed),
    ...(pool.metadata.generation === undefined
      ? {}
      : { observedGeneration: pool.metadata.generation }),
  };
  const conditions = setCondition((status.conditions ?? []) as Condition[], update, at);
  return { ...status, conditions };
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
