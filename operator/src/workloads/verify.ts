// The cluster-side verification of a lease: its spec matches the schema, its manifest is valid,
// hashes to spec.manifestHash, fits what was bought and fits the pool. The chain-side check (the
// lease is active and ours) is a separate step the controller adds.
import { ComputeLeaseSpec } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import { formatIssues, validate, type ValidationIssue } from '../api/validate.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { canonicalManifestHash } from './canonical.js';
import { checkLeaseFitsPool, checkManifestFitsResources } from './fit.js';
import { imageRegistryRefusal } from './image-registry.js';
import { explainForbiddenField, validateManifest } from './validate-manifest.js';

/** What the Provider allows a workload beyond the fixed rules (Provider.spec.tenantIsolation). */
export interface WorkloadPolicy {
  /** Registries images may come from; empty: any public registry (see image-registry.ts). */
  readonly allowedRegistries: readonly string[];
}

/** The policy of a cluster whose Provider says nothing: public registries only. */
export const defaultWorkloadPolicy: WorkloadPolicy = { allowedRegistries: [] };

export type VerifyLeaseReturnType =
  | { verified: true; spec: ComputeLeaseSpec; manifest: WorkloadManifest }
  | { verified: false; issues: ValidationIssue[]; reason: string };

/**
 * Verifies a lease against its pool. Deterministic: the same lease and pool spec always give
 * the same answer, so a rejection is final until the spec changes.
 *
 * @param leaseSpec `ComputeLease.spec` as read from the API (or built by the chain follower).
 * @param pool the GpuNodePool named by `spec.pool`; the caller decides what a missing pool means.
 * @param policy the Provider's workload policy (allowed registries).
 * @example
 * const result = verifyLease(lease.spec, pool, defaultWorkloadPolicy);
 * if (!result.verified) setRejected(lease, result.reason);
 */
export function verifyLease(
  leaseSpec: unknown,
  pool: GpuNodePool,
  policy: WorkloadPolicy,
): VerifyLeaseReturnType {
  const checked = validate(ComputeLeaseSpec, leaseSpec, 'spec');
  if (!checked.ok) return rejected(checked.issues.map(explainForbiddenField));
  const spec = checked.value;

  const manifest = validateManifest(spec.manifest, 'spec.manifest');
  if (!manifest.ok) return rejected(manifest.issues);

  const hash = canonicalManifestHash(spec.manifest);
  if (hash !== spec.manifestHash) {
    return rejected([
      {
        path: 'spec.manifestHash',
        message: `${spec.manifestHash} is not the hash of spec.manifest, whose canonical form hashes to ${hash}`,
      },
    ]);
  }

  const issues = [
    ...(spec.pool === pool.metadata.name
      ? []
      : [{ path: 'spec.pool', message: `is ${spec.pool}, not the pool ${pool.metadata.name}` }]),
    ...checkManifestFitsResources(manifest.manifest, spec.resources),
    ...checkLeaseFitsPool(spec.resources, pool.spec),
    ...checkImageRegistries(manifest.manifest, policy),
  ];
  if (issues.length > 0) return rejected(issues);
  return { verified: true, spec, manifest: manifest.manifest };
}

function checkImageRegistries(
  manifest: WorkloadManifest,
  policy: WorkloadPolicy,
): ValidationIssue[] {
  return manifest.services.flatMap(({ image }, index) => {
    const refusal = imageRegistryRefusal(image, policy.allowedRegistries);
    return refusal
      ? [{ path: `spec.manifest.services[${index}].image`, message: `${image} ${refusal}` }]
      : [];
  });
}

function rejected(issues: ValidationIssue[]): VerifyLeaseReturnType {
  // formatIssues bounds the reason: it goes into the lease status message, an Event and the log.
  return { verified: false, issues, reason: formatIssues(issues) };
}
