// Does a manifest fit what the tenant bought, and does the lease fit its pool? Both are fixed
// facts about the lease (a failure rejects it); free capacity, which changes, is capacity.ts.
import type { LeaseResources } from '../api/computelease.js';
import type { GpuNodePoolSpec } from '../api/gpunodepool.js';
import type { ValidationIssue } from '../api/validate.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { normalizeGpuModel } from '../chain/identifiers.js';

type Amount = 'gpus' | 'cpuMillis' | 'memoryMiB' | 'ephemeralStorageMiB';

/** Each per-replica manifest amount and the bought amount that bounds its total. */
const boughtField: Readonly<Record<Amount, keyof LeaseResources>> = {
  gpus: 'gpus',
  cpuMillis: 'cpuMillis',
  memoryMiB: 'memoryMiB',
  ephemeralStorageMiB: 'storageMiB',
};

/**
 * Checks that the services, replicas included, need no more than was bought. An excess is
 * reported at the service where the running total first passes the bought amount.
 * @param manifestPath path of the manifest in issues, e.g. `spec.manifest`.
 */
export function checkManifestFitsResources(
  manifest: WorkloadManifest,
  bought: LeaseResources,
  manifestPath = 'spec.manifest',
  resourcesPath = 'spec.resources',
): ValidationIssue[] {
  return (Object.keys(boughtField) as Amount[]).flatMap((amount) => {
    const limit = bought[boughtField[amount]] as number;
    const perService = manifest.services.map((s) => s.resources[amount] * s.replicas);
    const needed = perService.reduce((sum, n) => sum + n, 0);
    if (needed <= limit) return [];
    let runningTotal = 0;
    const index = perService.findIndex((n) => (runningTotal += n) > limit);
    return [
      {
        path: `${manifestPath}.services[${index}].resources.${amount}`,
        message: `the services need ${needed} ${amount} in all (replicas included) but ${resourcesPath}.${boughtField[amount]} bought ${limit}`,
      },
    ];
  });
}

/**
 * Checks that the GPUs bought are what the pool has. A lease that buys no GPU is not served on a
 * GPU pool: its containers would run on GPU nodes, under the GPU runtime, next to GPUs it did
 * not pay for.
 */
export function checkLeaseFitsPool(
  resources: LeaseResources,
  pool: GpuNodePoolSpec,
  resourcesPath = 'spec.resources',
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (resources.gpus === 0) {
    issues.push({
      path: `${resourcesPath}.gpus`,
      message: `the lease buys no GPU; GPU pools serve only leases that buy GPUs (CPU-only workloads are not run on GPU nodes)`,
    });
  }
  const bought = normalizeGpuModel(resources.gpuModel);
  const offered = normalizeGpuModel(pool.gpu.model);
  if (resources.gpus > 0 && bought !== offered) {
    issues.push({
      path: `${resourcesPath}.gpuModel`,
      message: `the lease bought ${bought} but the pool has ${offered}`,
    });
  }
  if (resources.gpuMemoryMiB > pool.gpu.memoryMiB) {
    issues.push({
      path: `${resourcesPath}.gpuMemoryMiB`,
      message: `the lease needs ${resources.gpuMemoryMiB} MiB per GPU but the pool's GPUs have ${pool.gpu.memoryMiB}`,
    });
  }
  return issues;
}
