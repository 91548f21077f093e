// Whether a pool has room for a lease right now. Unlike a misfit (workloads/fit.ts), a lack of room is
// temporary: the lease waits in Deploying and starts when capacity frees up.
import type { GpuNodePoolStatus } from '../api/gpunodepool.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { manifestTotals } from '../workloads/totals.js';

/**
 * Why the pool cannot start the workload now, or undefined when it can. Ask before the
 * workload's pods exist: once they run, their GPUs count as allocated.
 *
 * @example waitForCapacityReason(manifest, pool.status) // 'needs 16 GPUs, the pool has 8 free'
 */
export function waitForCapacityReason(
  manifest: WorkloadManifest,
  poolStatus: GpuNodePoolStatus | undefined,
): string | undefined {
  const totals = manifestTotals(manifest);
  if (totals.gpus === 0) return undefined;
  const gpus = poolStatus?.gpus;
  if (!gpus) return 'the pool has not reported its GPUs yet';
  if (totals.gpus > gpus.free) {
    return `needs ${totals.gpus} GPUs, the pool has ${gpus.free} free`;
  }
  if (totals.maxGpusPerReplica > gpus.largestFreeOnNode) {
    return `a replica needs ${totals.maxGpusPerReplica} GPUs on one node, the most free on a node is ${gpus.largestFreeOnNode}`;
  }
  return undefined;
}
