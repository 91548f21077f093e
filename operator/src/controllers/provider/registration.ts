// What the provider publishes in the ProviderRegistry, and whether the chain already says it.
import type { GpuNodePool } from '../../api/gpunodepool.js';
import type { Provider } from '../../api/provider.js';
import { normalizeGpuModel } from '../../chain/identifiers.js';

/** The attribute listing the GPU models of the provider's pools, comma-separated, sorted. */
export const gpuModelsAttribute = 'gpu.models';

export interface Attribute {
  readonly key: string;
  readonly value: string;
}

/** What the registry should hold for this provider. */
export interface Registration {
  readonly gatewayUrl: string;
  readonly attributes: readonly Attribute[];
}

/**
 * The registration the spec and the pools call for: the spec's attributes and `gpu.models`
 * (the pools' models, normalized, sorted, deduplicated), sorted by key so that comparing with the
 * chain is exact.
 *
 * @example desiredRegistration(provider, pools).attributes // [{ key: 'gpu.models', value: 'NVIDIA-A100-SXM4-40GB,NVIDIA-H100-80GB-HBM3' }, { key: 'region', value: 'eu-west' }]
 */
export function desiredRegistration(
  provider: Provider,
  pools: readonly GpuNodePool[],
): Registration {
  const models = [...new Set(pools.map((pool) => normalizeGpuModel(pool.spec.gpu.model)))].sort();
  const attributes: Record<string, string> = { ...provider.spec.attributes };
  if (models.length > 0) attributes[gpuModelsAttribute] = models.join(',');
  return {
    gatewayUrl: provider.spec.gatewayUrl,
    attributes: Object.entries(attributes)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
  };
}

/** Whether the chain's registration is the desired one (attribute order does not matter). */
export function sameRegistration(onChain: Registration, desired: Registration): boolean {
  if (onChain.gatewayUrl !== desired.gatewayUrl) return false;
  if (onChain.attributes.length !== desired.attributes.length) return false;
  const chainValues = new Map(onChain.attributes.map(({ key, value }) => [key, value]));
  return desired.attributes.every(({ key, value }) => chainValues.get(key) === value);
}

/** What differs, for the log and the Event: the gateway URL and the attribute keys. */
export function registrationDifference(onChain: Registration, desired: Registration): string {
  const changes: string[] = [];
  if (onChain.gatewayUrl !== desired.gatewayUrl) changes.push('gatewayUrl');
  const chainValues = new Map(onChain.attributes.map(({ key, value }) => [key, value]));
  const desiredKeys = new Set(desired.attributes.map(({ key }) => key));
  for (const { key, value } of desired.attributes) {
    if (chainValues.get(key) !== value) changes.push(`attributes.${key}`);
  }
  for (const key of chainValues.keys())
    if (!desiredKeys.has(key)) changes.push(`attributes.${key}`);
  return changes.join(', ');
}
