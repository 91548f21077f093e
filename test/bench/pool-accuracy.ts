// Is a GpuNodePool's status true? Its GPU figures and lease count recomputed from a fresh list of
// the nodes it selects and the pods bound to them (straight from the API server, not from the
// operator's cache), and compared with what the operator wrote.
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../operator/src/api/kinds.js';
import { podRequest } from '../../operator/src/capacity/pool-gpus.js';
import { NodeKind, PodKind, type KubeClient } from '../../operator/src/kube/index.js';
import { poolLabel } from '../stack/nodes.js';

/** One pool's figures: as its status says, and as the nodes and pods say. */
export interface PoolAccuracy {
  readonly pool: string;
  readonly status: PoolFigures;
  readonly cluster: PoolFigures;
  readonly accurate: boolean;
}

export interface PoolFigures {
  readonly nodes: number;
  readonly capacity: number;
  readonly allocated: number;
  readonly free: number;
  readonly activeLeases: number;
}

const gpus = (quantity: string | undefined): number => Number(quantity ?? 0) || 0;

/**
 * The figures of the pools (each selecting the nodes labelled `supercloud.dev/pool=<name>`, as
 * the bench's pools do) from nodes, pods and leases, beside their status.
 */
export async function poolAccuracy(
  client: KubeClient,
  pools: readonly string[],
): Promise<PoolAccuracy[]> {
  const [nodes, pods, leases] = await Promise.all([
    client.list(NodeKind, { labelSelector: `${poolLabel} in (${pools.join(',')})` }),
    client.list(PodKind),
    client.list(ComputeLeaseKind),
  ]);
  return Promise.all(
    pools.map(async (name) => {
      const pool = await client.get(GpuNodePoolKind, name);
      if (!pool) throw new Error(`GpuNodePool ${name} is gone`);
      const resource = pool.spec.extendedResourceName;
      const own = nodes.items.filter((node) => node.metadata?.labels?.[poolLabel] === name);
      const names = new Set(own.map((node) => node.metadata?.name));
      const allocatedOn = new Map<string, number>();
      for (const pod of pods.items) {
        const node = pod.spec?.nodeName;
        if (!node || !names.has(node)) continue;
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
        allocatedOn.set(node, (allocatedOn.get(node) ?? 0) + podRequest(pod, resource));
      }
      const ready = own.filter(
        (node) =>
          node.spec?.unschedulable !== true &&
          node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      );
      const freeOnReady = ready.reduce(
        (sum, node) =>
          sum +
          Math.max(
            0,
            gpus(node.status?.allocatable?.[resource]) -
              (allocatedOn.get(node.metadata?.name ?? '') ?? 0),
          ),
        0,
      );
      const cluster: PoolFigures = {
        nodes: own.length,
        capacity: own.reduce((sum, node) => sum + gpus(node.status?.capacity?.[resource]), 0),
        allocated: [...allocatedOn.values()].reduce((sum, n) => sum + n, 0),
        free: Math.max(0, freeOnReady - pool.spec.reservedGpus),
        activeLeases: leases.items.filter(
          (lease) =>
            lease.spec.pool === name && !['Closed', 'Rejected'].includes(lease.status?.phase ?? ''),
        ).length,
      };
      const status = statusFigures(pool);
      const accurate = (Object.keys(cluster) as (keyof PoolFigures)[]).every(
        (key) => cluster[key] === status[key],
      );
      return { pool: name, status, cluster, accurate };
    }),
  );
}

function statusFigures(pool: GpuNodePool): PoolFigures {
  const status = pool.status;
  return {
    nodes: status?.nodes ?? NaN,
    capacity: status?.gpus?.capacity ?? NaN,
    allocated: status?.gpus?.allocated ?? NaN,
    free: status?.gpus?.free ?? NaN,
    activeLeases: status?.activeLeases ?? NaN,
  };
}
