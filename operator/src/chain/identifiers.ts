import { getBytes, keccak256, toUtf8Bytes } from 'ethers';

/**
 * Hash of a workload manifest as the Marketplace stores it: keccak256 over the exact bytes
 * that travel in `createOrder` calldata. Pass the canonical serialization (see
 * `workloads/canonical.ts`) so that tenant and provider hash the same bytes.
 *
 * @example manifestHash(canonicalManifestBytes) // '0x…' (32 bytes)
 */
export function manifestHash(manifest: Uint8Array | string): `0x${string}` {
  const bytes = typeof manifest === 'string' ? toUtf8Bytes(manifest) : getBytes(manifest);
  return keccak256(bytes) as `0x${string}`;
}

/**
 * Normalizes a GPU model name the way NVIDIA's GPU feature discovery labels nodes
 * (`nvidia.com/gpu.product`): trimmed, upper case, runs of spaces or underscores as one dash.
 *
 * @example normalizeGpuModel(' nvidia h100 80gb ') // 'NVIDIA-H100-80GB'
 */
export function normalizeGpuModel(model: string): string {
  return model
    .trim()
    .toUpperCase()
    .replace(/[\s_]+/g, '-');
}

/**
 * On-chain identifier of a GPU model: keccak256 of its normalized name. Tenants put it in an
 * order's resources and providers compare it with their pools' models, so both derive it here.
 *
 * @example gpuModelId('NVIDIA-H100-80GB')
 */
export function gpuModelId(model: string): `0x${string}` {
  return keccak256(toUtf8Bytes(normalizeGpuModel(model))) as `0x${string}`;
}

/** True when two addresses are the same, whatever their checksum casing. */
export function sameAddress(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
