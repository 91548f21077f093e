// How the runtime reaches the supercloud custom resources (the built-in kinds are in kube/objects.ts).
import { computeLeaseNames, type ComputeLease } from './computelease.js';
import { apiVersion } from './constants.js';
import { gpuNodePoolNames, type GpuNodePool } from './gpunodepool.js';
import { providerNames, type Provider } from './provider.js';
import { resourceKind } from '../kube/objects.js';

export const ComputeLeaseKind = resourceKind<ComputeLease>(
  apiVersion,
  computeLeaseNames.kind,
  computeLeaseNames.plural,
  false,
);

export const GpuNodePoolKind = resourceKind<GpuNodePool>(
  apiVersion,
  gpuNodePoolNames.kind,
  gpuNodePoolNames.plural,
  false,
);

export const ProviderKind = resourceKind<Provider>(
  apiVersion,
  providerNames.kind,
  providerNames.plural,
  false,
);
