// The ComputeLease a won lease becomes, pure: the spec from the chain's lease and order and the
// manifest the tenant put on chain, the pool it runs on, and the reason a closed lease gives.
import type { ComputeLease, ComputeLeaseSpec } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { gpuModelId, sameAddress } from '../chain/identifiers.js';
import { computeLeaseName } from '../workloads/names.js';
import { verifyLease, type WorkloadPolicy } from '../workloads/verify.js';
import type { ChainLease, LeaseClosing } from './lease-reader.js';
import type { OrderResources } from './order.js';
import { poolPricePerSecond } from './pricing.js';

/** Label on the ComputeLeases the chain made (the others were applied by hand or GitOps). */
export const leaseSourceLabel = 'supercloud.dev/source';
export const chainSource = 'chain';

/** Why a lease closed, as spec.closeRequested.reason says it. */
export const closeReasons = {
  tenant: 'ClosedByTenant',
  provider: 'ClosedByProvider',
  exhausted: 'EscrowExhausted',
} as const;

export interface LeaseSpecParameters {
  readonly leaseId: bigint;
  readonly tenant: string;
  readonly provider: string;
  readonly pool: GpuNodePool;
  readonly resources: OrderResources;
  readonly manifest: WorkloadManifest;
  readonly manifestHash: string;
  readonly pricePerSecond: bigint;
}

/** The spec of the lease on `pool` (the bid engine verifies the one its bid would win). */
export function leaseSpecFor(parameters: LeaseSpecParameters): ComputeLeaseSpec {
  const { leaseId, resources, pool } = parameters;
  return {
    leaseId: leaseId.toString(),
    orderId: leaseId.toString(),
    tenant: parameters.tenant,
    provider: parameters.provider,
    pool: pool.metadata.name ?? '',
    resources: {
      gpus: resources.gpuCount,
      gpuModel: pool.spec.gpu.model,
      gpuMemoryMiB: resources.gpuMemoryMiB,
      cpuMillis: resources.cpuMillicores,
      memoryMiB: resources.memoryMiB,
      storageMiB: resources.storageMiB,
    },
    manifest: parameters.manifest,
    manifestHash: parameters.manifestHash.toLowerCase(),
    pricePerSecond: parameters.pricePerSecond.toString(),
    ingress: { serviceType: 'ClusterIP' },
  };
}

/**
 * The pool a won lease runs on when the bid's choice is not known (after a restart): among the
 * pools with the lease's GPU model that accept it, as the bid engine checked they would, the one
 * whose list price is the lease's price (the pool-price bid it won), else the first by name.
 */
export function choosePool(
  pools: readonly GpuNodePool[],
  lease: Omit<LeaseSpecParameters, 'pool'>,
  policy: WorkloadPolicy,
): GpuNodePool | undefined {
  const fitting = [...pools]
    .filter((pool) => gpuModelId(pool.spec.gpu.model) === lease.resources.gpuModel.toLowerCase())
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .filter((pool) => verifyLease(leaseSpecFor({ ...lease, pool }), pool, policy).verified);
  return (
    fitting.find(
      (pool) => poolPricePerSecond(pool.spec.prices, lease.resources) === lease.pricePerSecond,
    ) ?? fitting[0]
  );
}

/**
 * The ComputeLease of an active lease this provider won. `labels` are the Provider's that the
 * operator's lease selector reads, so a sharded operator reconciles the leases its Providers win.
 */
export function chainComputeLease(
  chain: ChainLease,
  pool: GpuNodePool,
  manifest: WorkloadManifest,
  labels: Readonly<Record<string, string>>,
): ComputeLease {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'ComputeLease',
    metadata: {
      name: computeLeaseName(chain.leaseId.toString()),
      labels: { ...labels, [leaseSourceLabel]: chainSource },
    },
    spec: leaseSpecFor({
      leaseId: chain.leaseId,
      tenant: chain.tenant,
      provider: chain.provider,
      pool,
      resources: chain.resources,
      manifest,
      manifestHash: chain.manifestHash,
      pricePerSecond: chain.pricePerSecond,
    }),
  };
}

/** Why the lease closed: the tenant closed it, the provider did, or its escrow ran out. */
export function closeReason(closing: LeaseClosing | undefined, tenant: string): string {
  if (!closing) return closeReasons.provider;
  if (sameAddress(closing.closedBy, tenant)) return closeReasons.tenant;
  // Closing an exhausted lease refunds nothing; a provider closing early refunds the rest.
  return closing.refund === 0n ? closeReasons.exhausted : closeReasons.provider;
}
