import type { GpuNodePoolStatus } from '../api/gpunodepool.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { validManifest } from '../workloads/testing/corpus.js';
import { validateManifest } from '../workloads/validate-manifest.js';
import { waitForCapacityReason } from './wait-reason.js';

function manifest(value: unknown = validManifest()): WorkloadManifest {
  const result = validateManifest(value);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.manifest;
}

describe('waitForCapacityReason', () => {
  const status = (free: number, largestFreeOnNode: number): GpuNodePoolStatus => ({
    gpus: { capacity: 32, allocatable: 32, allocated: 32 - free, free, largestFreeOnNode },
  });

  it('lets a lease start when the pool has the GPUs on one node', () => {
    expect(waitForCapacityReason(manifest(), status(2, 2))).toBeUndefined();
  });

  it('waits when the pool has too few GPUs free', () => {
    expect(waitForCapacityReason(manifest(), status(1, 1))).toBe(
      'needs 2 GPUs, the pool has 1 free',
    );
  });

  it('waits when the free GPUs are spread over nodes too thinly for one replica', () => {
    expect(waitForCapacityReason(manifest(), status(4, 1))).toMatch(
      /a replica needs 2 GPUs on one node/,
    );
  });

  it('waits for a pool that has not reported yet, but never for a CPU-only workload', () => {
    expect(waitForCapacityReason(manifest(), undefined)).toMatch(/not reported/);
    const cpuOnly = validManifest();
    (cpuOnly.services as { resources: Record<string, number> }[])[0]!.resources.gpus = 0;
    expect(waitForCapacityReason(manifest(cpuOnly), undefined)).toBeUndefined();
  });
});
