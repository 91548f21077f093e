// Values for the unit tests of the chain side (not shipped: testing/ folders are left out of dist).
import type { MarketplaceResources } from '../marketplace/read-order.js';
import { gpuModelId } from '../identifiers.js';

/** What a two-H100 order asks for, as the contract encodes it and the decoders return it. */
export const twoH100Resources: MarketplaceResources = {
  gpuModel: gpuModelId('NVIDIA-H100-80GB-HBM3'),
  gpuCount: 2n,
  gpuMemoryMiB: 81_559n,
  cpuMillicores: 8_000n,
  memoryMiB: 65_536n,
  storageMiB: 0n,
};
