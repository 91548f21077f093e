// What the gateway knows of leases, from an informer cache (no API request per lookup): the
// ComputeLease of a lease id, whether the operator verified it against the chain, and the chain
// and marketplace of its provider (the domain a tenant's signature must be made for).
import { leaseConditionTypes, type ComputeLease } from '../api/computelease.js';
import { ComputeLeaseKind, ProviderKind } from '../api/kinds.js';
import type { Provider } from '../api/provider.js';
import { sameAddress } from '../chain/identifiers.js';
import { isConditionTrue, type Condition } from '../kube/conditions.js';
import type { InformerCache } from '../kube/informer-cache.js';
import type { LeaseChain } from './auth.js';
import { GatewayError } from './errors.js';

/** Index of ComputeLeases by spec.leaseId (a hand-applied lease may have any name). */
const leasesById = 'lease-id';

export class LeaseDirectory {
  constructor(private readonly cache: InformerCache) {
    cache.addIndex(ComputeLeaseKind, leasesById, (lease) =>
      lease.spec?.leaseId ? [lease.spec.leaseId] : [],
    );
    cache.informer(ProviderKind);
  }

  /**
   * The ComputeLease of a lease id: the verified one when several objects name it (only one can
   * be, the others are rejected as duplicates), else any.
   */
  lease(leaseId: bigint): ComputeLease | undefined {
    const named = this.cache.list(ComputeLeaseKind, {
      name: leasesById,
      value: leaseId.toString(),
    });
    return named.find(isVerified) ?? named[0];
  }

  /** The Provider that won the lease: its wallet address is in the Provider status. */
  providerOf(lease: ComputeLease): Provider | undefined {
    return this.cache
      .list(ProviderKind)
      .find(
        (p) =>
          p.status?.providerAddress && sameAddress(p.status.providerAddress, lease.spec.provider),
      );
  }

  /** The chain of the Provider that won the lease. */
  chainOf(lease: ComputeLease): LeaseChain | undefined {
    const provider = this.providerOf(lease);
    return provider
      ? { chainId: provider.spec.chain.chainId, marketplace: provider.spec.chain.marketplace }
      : undefined;
  }
}

function isVerified(lease: ComputeLease): boolean {
  return isConditionTrue(
    (lease.status?.conditions ?? []) as Condition[],
    leaseConditionTypes.Verified,
  );
}

/** Refuses a lease the operator has not verified against the chain (or that was rejected). */
export function requireVerified(lease: ComputeLease): void {
  if (!isVerified(lease)) {
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
