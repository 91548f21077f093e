// What the gateway knows of leases, from an informer cache (no API request per lookup): the
// ComputeLease of a lease id, whether the operator verified it against the chain, and the chain
// and marketplace of its provider (the domain a tenant's signature must be made for).
import { leaseConditionTypes, type ComputeLease } from '../api/computelease.js';
import { ComputeLeaseKind, ProviderKind } from '../api/kinds.js';
import { sameAddress } from '../chain/identifiers.js';
import { isConditionTrue, type Condition } from '../kube/conditions.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { computeLeaseName } from '../workloads/names.js';
import type { LeaseChain } from './auth.js';
import { GatewayError } from './errors.js';

export class LeaseDirectory {
  constructor(private readonly cache: InformerCache) {
    cache.informer(ComputeLeaseKind);
    cache.informer(ProviderKind);
  }

  lease(leaseId: bigint): ComputeLease | undefined {
    return this.cache.get(ComputeLeaseKind, computeLeaseName(leaseId.toString()));
  }

  /** The chain of the Provider that won the lease (its wallet address in the Provider status). */
  chainOf(lease: ComputeLease): LeaseChain | undefined {
    const provider = this.cache
      .list(ProviderKind)
      .find(
        (p) =>
          p.status?.providerAddress && sameAddress(p.status.providerAddress, lease.spec.provider),
      );
    return provider
      ? { chainId: provider.spec.chain.chainId, marketplace: provider.spec.chain.marketplace }
      : undefined;
  }
}

/** Refuses a lease the operator has not verified against the chain (or that was rejected). */
export function requireVerified(lease: ComputeLease): void {
  const conditions = (lease.status?.conditions ?? []) as Condition[];
  if (!isConditionTrue(conditions, leaseConditionTypes.Verified)) {
    throw new GatewayError(
      409,
      'NotVerified',
      `lease ${lease.spec.leaseId} is not verified against the chain (phase ${lease.status?.phase ?? 'Pending'})`,
    );
  }
}

/** Refuses a lease that is closing or closed: its workload is gone or going. */
export function requireOpen(lease: ComputeLease): void {
  if (lease.spec.closeRequested) {
    throw new GatewayError(
      410,
      'LeaseClosed',
      `lease ${lease.spec.leaseId} is closed (${lease.spec.closeRequested.reason})`,
    );
  }
}
