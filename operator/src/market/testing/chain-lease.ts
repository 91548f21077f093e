// A lease as the chain reads it, for the unit tests of the lease side: an active one-GPU lease
// of a test tenant, changed by `patch`.
import type { ChainLease } from '../lease-reader.js';

export const testTenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
export const testProvider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** An active lease `leaseId` at 10 units per second; `patch` sets anything else. */
export function chainLease(leaseId: bigint, patch: Partial<ChainLease> = {}): ChainLease {
  return {
    leaseId,
    exists: true,
    tenant: testTenant,
    provider: testProvider,
    active: true,
    pricePerSecond: 10n,
    accrued: 0n,
    remaining: 0n,
    fundedUntil: 0,
    closedAt: 0,
    feeBps: 0,
    manifestHash: `0x${'ab'.repeat(32)}`,
    resources: {
      gpuModel: `0x${'cd'.repeat(32)}`,
      gpuCount: 1,
      gpuMemoryMiB: 0,
      cpuMillicores: 1000,
      memoryMiB: 1024,
      storageMiB: 0,
    },
    ...patch,
  };
}
