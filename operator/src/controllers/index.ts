// The operator's controllers, added to a manager in one call.
import type { Manager } from '../kube/manager.js';
import {
  computeLeaseController,
  type ComputeLeaseControllerOptions,
} from './computelease/controller.js';
import { gpuNodePoolController } from './gpunodepool/controller.js';
import { addIndexes } from './indexes.js';

export { clusterVerifier, type Verification, type Verifier } from './computelease/verifier.js';
export { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from './kinds.js';

export type ControllersOptions = ComputeLeaseControllerOptions;

/**
 * Adds the GpuNodePool and ComputeLease controllers (and the cache indexes they share).
 *
 * @example addControllers(manager, { verifier: clusterVerifier(), ingressNamespace: 'supercloud-system' })
 */
export function addControllers(manager: Manager, options: ControllersOptions): void {
  addIndexes(manager.cache);
  manager.add(gpuNodePoolController());
  manager.add(computeLeaseController(options));
}
