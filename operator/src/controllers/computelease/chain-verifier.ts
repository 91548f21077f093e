// The chain check of a lease, composed after the cluster check: the lease exists on chain, is
// active, was won by this cluster's provider, for this tenant, and the manifest hashes to the hash
// on chain. Applies to every ComputeLease, made by the lease sync or applied by hand. When the
// chain cannot be read, the last answer stands (a running lease is not torn down by an outage);
// with none, the lease waits. The last answer is this process's last read, else the lease's own
// Verified condition: a replica that just took over, with no session or read yet, keeps a
// verified workload as it is instead of calling it Pending.
import { leaseConditionTypes, type ComputeLease } from '../../api/computelease.js';
import { sameAddress } from '../../chain/identifiers.js';
import { describeError } from '../../chain/rpc.js';
import type { ChainLease } from '../../market/lease-reader.js';
import { chainSource, leaseSourceLabel } from '../../market/lease-spec.js';
import type { Undecided, Verification, Verifier } from './verifier.js';

/** Where the chain verifier reads leases: the chain session of one of this cluster's Providers. */
export interface ChainLeaseSource {
  /** The lease, from a read at most `maxAgeMs` old. */
  chainLease(leaseId: bigint, maxAgeMs: number): Promise<ChainLease>;
  /** The last read of the lease, however old. */
  lastKnownLease(leaseId: bigint): ChainLease | undefined;
}

/** The chain side as the verifier sees it: a lease source per Provider wallet. */
export interface ChainLeaseSources {
  /** The source of the Provider whose wallet is `address`; undefined when none is loaded. */
  sourceOf(address: string): ChainLeaseSource | undefined;
  /** Addresses of this cluster's Providers now, and whether every one has its session. */
  providers(): { readonly addresses: readonly string[]; readonly allLoaded: boolean };
}

export interface ChainVerifierOptions {
  /** The cluster check (schema, manifest, hash, resources, pool), run first. */
  readonly cluster: Verifier;
  readonly chain: ChainLeaseSources;
  /** How old a chain read may be to answer a reconcile. Default 15 s. */
  readonly maxAgeMs?: number;
}

/**
 * @example const verifier = chainVerifier({ cluster: clusterVerifier(), chain: chainSide });
 */
export function chainVerifier(options: ChainVerifierOptions): Verifier {
  const maxAgeMs = options.maxAgeMs ?? 15_000;
  return {
    async verify(lease, pool, policy) {
      const local = await options.cluster.verify(lease, pool, policy);
      if ('undecided' in local || !local.verified) return local;
      const { provider, leaseId } = lease.spec;
      const source = options.chain.sourceOf(provider);
      if (!source) {
        const { addresses, allLoaded } = options.chain.providers();
        if (!allLoaded || addresses.length === 0) {
          if (verifiedBefore(lease)) return local;
          return { undecided: 'no Provider of this cluster is connected to the chain yet' };
        }
        return rejected(
          `spec.provider: ${provider} is not a provider of this cluster (${addresses.join(', ')})`,
        );
      }
      let chain: ChainLease;
      try {
        chain = await source.chainLease(BigInt(leaseId), maxAgeMs);
      } catch (error) {
        const last = source.lastKnownLease(BigInt(leaseId));
        if (!last && verifiedBefore(lease)) return local;
        if (!last) return { undecided: `the chain cannot be read now: ${describeError(error)}` };
        chain = last;
      }
      return checkAgainstChain(lease, chain, local);
    },
  };
}

function checkAgainstChain(
  lease: ComputeLease,
  chain: ChainLease,
  verified: Verification,
): Verification | Undecided {
  const { spec } = lease;
  if (!chain.exists) {
    return rejected(
      `spec.leaseId: there is no lease ${spec.leaseId} on chain (its order is open, cancelled or unknown)`,
    );
  }
  if (!sameAddress(chain.provider, spec.provider)) {
    return rejected(
      `spec.leaseId: lease ${spec.leaseId} was won by ${chain.provider}, not by ${spec.provider}`,
    );
  }
  if (!sameAddress(chain.tenant, spec.tenant)) {
    return rejected(
      `spec.tenant: lease ${spec.leaseId} is paid by ${chain.tenant}, not ${spec.tenant}`,
    );
  }
  // A lease the sync made is set closing, or given the new manifest, by the sync: until then
  // it is left as it is, not rejected (which would tear a running workload down).
  const synced = lease.metadata.labels?.[leaseSourceLabel] === chainSource;
  if (chain.manifestHash !== spec.manifestHash.toLowerCase()) {
    if (synced) {
      return {
        undecided: `the manifest of lease ${spec.leaseId} changed on chain; the lease sync is updating the spec`,
      };
    }
    return rejected(
      `spec.manifestHash: ${spec.manifestHash} is not the manifest hash of lease ${spec.leaseId} on chain (${chain.manifestHash})`,
    );
  }
  if (!chain.active) {
    if (synced) {
      return {
        undecided: `lease ${spec.leaseId} closed on chain; the lease sync closes it once the close is confirmed`,
      };
    }
    return rejected(`spec.leaseId: lease ${spec.leaseId} is closed on chain`);
  }
  return verified;
}

/**
 * True when the lease's status says it was verified at its current generation (a status only the
 * operator writes: the status subresource is not the tenant's).
 */
export function verifiedBefore(lease: ComputeLease): boolean {
  return (lease.status?.conditions ?? []).some(
    (c) =>
      c.type === leaseConditionTypes.Verified &&
      c.status === 'True' &&
      c.observedGeneration === lease.metadata.generation,
  );
}

function rejected(reason: string): Verification {
  return { verified: false, reason };
}
