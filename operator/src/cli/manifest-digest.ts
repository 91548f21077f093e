// `supercloud manifest hash` and `supercloud manifest canonical`: a workload manifest's canonical
// form (the bytes `order create` puts on chain) and its keccak256 (what the chain stores and a
// ComputeLease's spec.manifestHash must hold). No chain, no settings: the file only.
import yaml from 'js-yaml';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { ManifestError, parseManifestYaml } from '../workloads/parse.js';

export interface ManifestDigestReturnType {
  /** The canonical manifest: JSON with the defaults filled in, keys sorted, no whitespace. */
  readonly canonical: string;
  /** keccak256 of `canonical` (UTF-8): the manifest hash on chain and in a ComputeLease. */
  readonly manifestHash: `0x${string}`;
  /** The size of `canonical` in bytes, as it travels in the `createOrder` calldata. */
  readonly bytes: number;
  /** For a ComputeLease file: the `spec.manifestHash` it carries (undefined when it has none). */
  readonly leaseManifestHash?: string;
}

/**
 * Parses and validates a workload manifest (YAML or JSON) as `order create` and the operator do,
 * and returns its canonical form and hash. A ComputeLease file (`kind: ComputeLease`) gives the
 * digest of its `spec.manifest`, and the `spec.manifestHash` it carries to compare.
 *
 * @throws ManifestError naming the field (or the YAML line) at fault.
 *
 * @example manifestDigest(readFileSync('examples/workloads/llm-inference.yaml', 'utf8')).manifestHash
 */
export function manifestDigest(text: string): ManifestDigestReturnType {
  const lease = computeLeaseSpec(text);
  if (lease && lease.manifest === undefined) {
    throw new ManifestError([{ path: 'spec.manifest', message: 'required field is missing' }]);
  }
  // A lease's manifest goes through the same parser as a manifest file, as JSON (a YAML subset).
  const manifest = parseManifestYaml(lease ? JSON.stringify(lease.manifest) : text);
  const canonical = canonicalManifest(manifest);
  const leaseManifestHash = lease?.manifestHash;
  return {
    canonical,
    manifestHash: canonicalManifestHash(manifest),
    bytes: Buffer.byteLength(canonical, 'utf8'),
    ...(typeof leaseManifestHash === 'string' ? { leaseManifestHash } : {}),
  };
}

/** The spec of a ComputeLease document; undefined for anything else (a manifest, bad YAML). */
function computeLeaseSpec(text: string): Record<string, unknown> | undefined {
  let document: unknown;
  try {
    document = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch {
    return undefined; // parseManifestYaml reports what is wrong with the YAML
  }
  if (!isRecord(document) || document.kind !== 'ComputeLease') return undefined;
  return isRecord(document.spec) ? document.spec : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
