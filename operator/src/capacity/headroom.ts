// GPUs a pool can still give a new lease. The pool's status lags behind (its controller writes it
// after the pods exist), so the ComputeLease controller computes it from its cache: the pool
// accounting of pool-gpus.ts, less what leases already admitted will use but whose pods are not
// bound to a node yet. Without that second part, two leases reconciled a moment apart would both
// see the same free GPUs, both start, and one would sit Pending forever.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { Wire } from '../kube/objects.js';
import { podRequest, poolAccounting, type PoolGpus } from './pool-gpus.js';

/** A lease whose workload was applied to the pool: its namespace and the GPUs its manifest asks. */
export interface AdmittedLease {
  readonly namespace: string;
  readonly gpus: number;
}

export interface PoolHeadroomInputs {
  readonly pool: GpuNodePool;
  /** Every GpuNodePool (a node selected by several is counted by one). */
  readonly pools: readonly GpuNodePool[];
  readonly nodes: readonly Wire<V1Node>[];
  /** Pods bound to the pool's nodes, any namespace. */
  readonly pods: readonly Wire<V1Pod>[];
  /** Other leases applied to this pool (the one being decided is not among them). */
  readonly admitted: readonly AdmittedLease[];
}

/** What a new lease can use now: the input of `waitForCapacityReason`. */
export type PoolHeadroom = PoolGpus;

/**
 * The pool's GPU accounting with admitted leases' unbound replicas counted as allocated.
 *
 * @example waitForCapacityReason(manifest, { gpus: poolHeadroom(inputs) })
 */
export function poolHeadroom(inputs: PoolHeadroomInputs): PoolHeadroom {
  const { pool, pods, admitted } = inputs;
  const bound = poolAccounting(inputs).gpus;
  const resource = pool.spec.extendedResourceName;
  const boundByNamespace = new Map<string, number>();
  for (const pod of pods) {
    const namespace = pod.metadata?.namespace ?? '';
    if (!pod.spec?.nodeName || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed')
      continue;
    boundByNamespace.set(
      namespace,
      (boundByNamespace.get(namespace) ?? 0) + podRequest(pod, resource),
    );
  }
  const unbound = admitted.reduce(
    (sum, lease) => sum + Math.max(0, lease.gpus - (boundByNamespace.get(lease.namespace) ?? 0)),
    0,
  );
  const free = Math.max(0, bound.free - unbound);
  return {
    ...bound,
    allocated: bound.allocated + unbound,
    free,
    largestFreeOnNode: Math.min(bound.largestFreeOnNode, free),
  };
}
