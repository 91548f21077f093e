// What a workload waits for before its pods can start: the secrets its manifest names (env
// entries with `secret:`, `imagePullSecret: true`) that the tenant has not delivered through the
// gateway yet. The gateway lists what it delivered in the lease namespace's annotations, so this
// is known without reading any Secret.
import { annotations } from '../api/constants.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';

/** A service that cannot start yet, and what it lacks. */
export interface ServiceAwaitingSecrets {
  readonly service: string;
  /** Secret names not delivered, in manifest order. */
  readonly secrets: readonly string[];
  /** True when it pulls with registry credentials that are not delivered. */
  readonly registry: boolean;
}

/** The services of `manifest` that lack a secret, given the lease namespace's annotations. */
export function servicesAwaitingSecrets(
  manifest: WorkloadManifest,
  namespaceAnnotations: Readonly<Record<string, string>> | undefined,
): ServiceAwaitingSecrets[] {
  const delivered = new Set(
    (namespaceAnnotations?.[annotations.tenantSecrets] ?? '').split(',').filter(Boolean),
  );
  const registryDelivered = namespaceAnnotations?.[annotations.tenantRegistry] === 'true';
  return manifest.services.flatMap((service) => {
    const secrets = service.env.flatMap(({ secret }) =>
      secret !== undefined && !delivered.has(secret) ? [secret] : [],
    );
    const registry = service.imagePullSecret === true && !registryDelivered;
    return secrets.length > 0 || registry ? [{ service: service.name, secrets, registry }] : [];
  });
}

/** "api needs hf-token, db-password; worker needs registry credentials" */
export function describeAwaitingSecrets(awaiting: readonly ServiceAwaitingSecrets[]): string {
  return awaiting
    .map(({ service, secrets, registry }) => {
      const needs = [...secrets, ...(registry ? ['registry credentials'] : [])];
      return `${service} needs ${needs.join(', ')}`;
    })
    .join('; ');
}
