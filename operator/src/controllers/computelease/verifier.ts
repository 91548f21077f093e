// Whether a lease may run here. The cluster check (the manifest is valid, hashes to
// spec.manifestHash, fits what was bought and the pool) is verifyLease; the chain check (the
// lease is active on chain, belongs to this provider, the hash matches the contract's) is
// another Verifier composed after it by the chain issue.
import type { ComputeLease } from '../../api/computelease.js';
import type { GpuNodePool } from '../../api/gpunodepool.js';
import type { WorkloadManifest } from '../../api/workload-manifest.js';
import { verifyLease, type WorkloadPolicy } from '../../workloads/verify.js';

/** The answer of a Verifier: deployable (with the validated, defaulted manifest) or not, and why. */
export type Verification =
  | { readonly verified: true; readonly manifest: WorkloadManifest }
  | {
      readonly verified: false;
      /** What is wrong, naming the field (`spec.manifest.services[0].image: ...`). */
      readonly reason: string;
    };

/**
 * No answer yet (the chain cannot be asked now): the lease is left as it is, neither deployed
 * nor torn down, and the reason shown in its status.
 */
export interface Undecided {
  readonly undecided: string;
}

/** Decides whether a lease may run on its pool. Deterministic for the same inputs. */
export interface Verifier {
  verify(
    lease: ComputeLease,
    pool: GpuNodePool,
    policy: WorkloadPolicy,
  ): Promise<Verification | Undecided>;
}

/**
 * The cluster-side Verifier: schema, manifest rules, hash, bought resources, pool.
 *
 * @example const verification = await clusterVerifier().verify(lease, pool);
 */
export function clusterVerifier(): Verifier {
  return {
    verify: async (lease, pool, policy) => {
      const result = verifyLease(lease.spec, pool, policy);
      return result.verified
        ? { verified: true, manifest: result.manifest }
        : { verified: false, reason: result.reason };
    },
  };
}
