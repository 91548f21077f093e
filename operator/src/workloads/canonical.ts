// The canonical serialization of a workload manifest: the bytes the tenant puts on chain and both
// sides hash. JSON with defaults applied, object keys sorted, arrays in order, no whitespace, so
// `replicas: 1` written or left out, or keys in another order, give the same bytes.
import { WorkloadManifest } from '../api/workload-manifest.js';
import { withDefaults } from '../api/validate.js';
import { manifestHash } from '../chain/identifiers.js';

/**
 * JSON with object keys sorted (by UTF-16 code units, as Array.prototype.sort does) at every
 * level and no whitespace. Only JSON values: numbers must be finite.
 *
 * @example canonicalJson({ b: 1, a: [true, null] }) // '{"a":[true,null],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') {
    return JSON.stringify(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`canonical JSON has no form for ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, member]) => member !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, member]) => `${JSON.stringify(key)}:${canonicalJson(member)}`).join(',')}}`;
  }
  throw new Error(`canonical JSON has no form for a ${typeof value}`);
}

/**
 * The canonical manifest: defaults of the manifest schema applied, then `canonicalJson`.
 * Works on any JSON value so that a hash can be computed before validation.
 *
 * @example canonicalManifest({ services: [{ name: 'a', image: 'busybox', resources: { cpuMillis: 100, memoryMiB: 64 } }] })
 */
export function canonicalManifest(manifest: unknown): string {
  return canonicalJson(withDefaults(WorkloadManifest, manifest));
}

/** keccak256 of the canonical manifest: what `createOrder` stores as the manifest hash. */
export function canonicalManifestHash(manifest: unknown): `0x${string}` {
  return manifestHash(canonicalManifest(manifest));
}
