// Cache indexes the controllers share, so that a pod event finds its pool's leases, and a pool
// its pods, without scanning every object.
import { leaseReasons, leaseConditionTypes, type ComputeLease } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import { findCondition, type Condition } from '../kube/conditions.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { NodeKind, PodKind, type ObjectKey, type ObjectOf } from '../kube/objects.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../api/kinds.js';
import { poolCountingNode, poolSelectsNode } from '../capacity/pool-gpus.js';

type Pod = ObjectOf<typeof PodKind>;

/** Index names. */
export const indexes = {
  /** Pods by the node they are bound to. */
  podsByNode: 'node',
  /** ComputeLeases by spec.pool. */
  leasesByPool: 'pool',
  /** ComputeLeases waiting for free capacity, by spec.pool. */
  waitingLeasesByPool: 'waiting-pool',
} as const;

/** True when the lease's last status says it waits for free GPUs on its pool. */
export function isWaitingForCapacity(lease: ComputeLease): boolean {
  const available = findCondition(
    lease.status?.conditions as Condition[] | undefined,
    leaseConditionTypes.Available,
  );
  return (
    lease.status?.phase === 'Deploying' && available?.reason === leaseReasons.InsufficientCapacity
  );
}

/** Adds the indexes to the cache (idempotent); call before the controllers start. */
export function addIndexes(cache: InformerCache): void {
  cache.addIndex(PodKind, indexes.podsByNode, (pod) =>
    pod.spec?.nodeName ? [pod.spec.nodeName] : [],
  );
  cache.addIndex(ComputeLeaseKind, indexes.leasesByPool, (lease) =>
    lease.spec?.pool ? [lease.spec.pool] : [],
  );
  cache.addIndex(ComputeLeaseKind, indexes.waitingLeasesByPool, (lease) =>
    lease.spec?.pool && isWaitingForCapacity(lease) ? [lease.spec.pool] : [],
  );
}

/** The pool that counts the node a pod is bound to, if any. */
export function poolOfPod(pod: Pod, cache: InformerCache): GpuNodePool | undefined {
  const nodeName = pod.spec?.nodeName;
  const node = nodeName ? cache.get(NodeKind, nodeName) : undefined;
  return node ? poolCountingNode(cache.list(GpuNodePoolKind), node) : undefined;
}

/** Keys of the leases of a pool, all of them or only those waiting for capacity. */
export function leasesOfPool(
  cache: InformerCache,
  pool: string,
  which: 'all' | 'waiting',
): ObjectKey[] {
  const index = which === 'all' ? indexes.leasesByPool : indexes.waitingLeasesByPool;
  return cache
    .list(ComputeLeaseKind, { name: index, value: pool })
    .map((lease) => ({ name: lease.metadata.name ?? '' }));
}

/** The nodes a pool selects, and the pods bound to them (any namespace). */
export function poolNodesAndPods(
  cache: InformerCache,
  pool: GpuNodePool,
): { nodes: ObjectOf<typeof NodeKind>[]; pods: Pod[] } {
  const nodes = cache.list(NodeKind).filter((node) => poolSelectsNode(pool, node));
  const pods = nodes.flatMap((node) =>
    cache.list(PodKind, { name: indexes.podsByNode, value: node.metadata?.name ?? '' }),
  );
  return { nodes, pods };
}
