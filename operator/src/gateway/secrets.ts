// PUT/GET /v1/leases/{id}/secrets: the tenant's secret values (environment variables a manifest
// names with `secret:`) and registry credentials (for `imagePullSecret: true`). They become the
// Secrets tenant-secrets and tenant-registry in the lease namespace; the namespace's annotations
// list what was delivered (names only), which is what the operator waits on and what GET answers.
// The gateway can write these Secrets but never read one back; no value is logged or returned.
import type { ComputeLease } from '../api/computelease.js';
import { annotations, labels } from '../api/constants.js';
import { secretNamePattern } from '../api/workload-manifest.js';
import type { KubeClient } from '../kube/client.js';
import { isNotFound, KubeApiError } from '../kube/errors.js';
import { SecretKind } from '../kube/objects.js';
import { tenantRegistrySecretName, tenantSecretName } from '../workloads/names.js';
import { GatewayError } from './errors.js';
import { readLeaseNamespace, updateLeaseAnnotations } from './lease-namespace.js';

/** Bounds of one delivery (the request body is bounded before this too). */
export const secretLimits = { values: 64, nameLength: 253, valueLength: 32 * 1024 } as const;

/** What a tenant sends. */
export interface SecretsRequest {
  readonly values?: Readonly<Record<string, string>>;
  readonly registry?: {
    readonly server: string;
    readonly username: string;
    readonly password: string;
  };
}

/** What the gateway answers: the names delivered, never a value. */
export interface SecretsAnswer {
  readonly names: readonly string[];
  readonly registry: boolean;
}

const secretName = new RegExp(secretNamePattern);
/** A registry host[:port], as an image reference names it. */
const registryServer = /^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?(:[0-9]{1,5})?$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function bad(message: string): GatewayError {
  return new GatewayError(400, 'BadSecrets', message);
}

/** Checks the body of a PUT; every refusal names the field. */
export function parseSecretsRequest(body: unknown): SecretsRequest {
  if (!isRecord(body))
    throw bad('the body must be a JSON object {"values": {...}, "registry": {...}}');
  const unknown = Object.keys(body).filter((key) => key !== 'values' && key !== 'registry');
  if (unknown.length > 0) throw bad(`unknown field ${JSON.stringify(unknown[0])}`);
  const values: Record<string, string> = {};
  if (body.values !== undefined) {
    if (!isRecord(body.values)) throw bad('values must be an object of name: value');
    const entries = Object.entries(body.values);
    if (entries.length > secretLimits.values)
      throw bad(`at most ${secretLimits.values} values at once`);
    for (const [name, value] of entries) {
      if (name.length > secretLimits.nameLength || !secretName.test(name)) {
        throw bad(
          `values: ${JSON.stringify(name.slice(0, 64))} is not a secret name (letters, digits, - . _)`,
        );
      }
      if (typeof value !== 'string' || value.length > secretLimits.valueLength) {
        throw bad(`values.${name}: a string of at most ${secretLimits.valueLength} characters`);
      }
      values[name] = value;
    }
  }
  let registry: SecretsRequest['registry'];
  if (body.registry !== undefined) {
    const r = body.registry;
    if (
      !isRecord(r) ||
      typeof r.server !== 'string' ||
      typeof r.username !== 'string' ||
      typeof r.password !== 'string'
    ) {
      throw bad('registry must be {"server", "username", "password"}, all strings');
    }
    if (!registryServer.test(r.server))
      throw bad('registry.server must be a registry host[:port], e.g. ghcr.io');
    if (r.username.length > 1024 || r.password.length > secretLimits.valueLength) {
      throw bad('registry.username or registry.password is too long');
    }
    registry = { server: r.server, username: r.username, password: r.password };
  }
  if (Object.keys(values).length === 0 && !registry)
    throw bad('nothing to deliver: give values or registry');
  return {
    ...(Object.keys(values).length > 0 ? { values } : {}),
    ...(registry ? { registry } : {}),
  };
}

function namesIn(annotation: string | undefined): string[] {
  return (annotation ?? '').split(',').filter((name) => name.length > 0);
}

/** Creates the Secret, or merges `stringData` into it when it exists. */
async function writeSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  type: string,
  stringData: Record<string, string>,
): Promise<void> {
  const metadata = {
    name,
    namespace,
    labels: { [labels.managedBy]: 'supercloud-gateway' },
  };
  try {
    await client.create(SecretKind, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata,
      type,
      stringData,
    });
  } catch (error) {
    if (!(error instanceof KubeApiError) || error.code !== 409) throw error;
    await client.patch(SecretKind, name, 'merge', { stringData }, { namespace });
  }
}

/** Delivers the tenant's secrets into the lease namespace; answers the names now delivered. */
export async function putSecrets(
  client: KubeClient,
  lease: ComputeLease,
  request: SecretsRequest,
): Promise<SecretsAnswer> {
  const namespace = await readLeaseNamespace(client, lease.spec.leaseId);
  const name = namespace.metadata?.name ?? '';
  if (request.values) {
    await writeSecret(client, name, tenantSecretName, 'Opaque', { ...request.values });
  }
  if (request.registry) {
    const { server, username, password } = request.registry;
    const auth = Buffer.from(`${username}:${password}`).toString('base64');
    await writeSecret(client, name, tenantRegistrySecretName, 'kubernetes.io/dockerconfigjson', {
      '.dockerconfigjson': JSON.stringify({ auths: { [server]: { username, password, auth } } }),
    });
  }
  // Names only: what the operator waits on. Written after the values, so it never runs ahead,
  // and added to the names as they are then: a delivery made meanwhile (on any replica) keeps
  // its names.
  const written = await updateLeaseAnnotations(client, lease.spec.leaseId, (current) => {
    const names = [
      ...new Set([
        ...namesIn(current[annotations.tenantSecrets]),
        ...Object.keys(request.values ?? {}),
      ]),
    ].sort();
    const registry =
      request.registry !== undefined || current[annotations.tenantRegistry] === 'true';
    return {
      [annotations.tenantSecrets]: names.join(','),
      ...(registry ? { [annotations.tenantRegistry]: 'true' } : {}),
    };
  });
  return {
    names: namesIn(written[annotations.tenantSecrets]),
    registry: written[annotations.tenantRegistry] === 'true',
  };
}

/** The names of the secrets delivered to the lease, never their values. */
export async function listSecrets(client: KubeClient, lease: ComputeLease): Promise<SecretsAnswer> {
  try {
    const namespace = await readLeaseNamespace(client, lease.spec.leaseId);
    const delivered = namespace.metadata?.annotations ?? {};
    return {
      names: namesIn(delivered[annotations.tenantSecrets]),
      registry: delivered[annotations.tenantRegistry] === 'true',
    };
  } catch (error) {
    if (isNotFound(error)) return { names: [], registry: false };
    throw error;
  }
}
