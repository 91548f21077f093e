// The operator's controllers, added to a manager in one call.
import type { Manager } from '../kube/manager.js';
import {
  computeLeaseController,
  type ComputeLeaseControllerOptions,
} from './computelease/controller.js';
import { gpuNodePoolController } from './gpunodepool/controller.js';
import { addIndexes } from './indexes.js';
import { providerController } from './provider/controller.js';
import { defaultChainTimings, type ChainTimings } from './provider/session.js';

export { clusterVerifier, type Verification, type Verifier } from './computelease/verifier.js';
export { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from './kinds.js';

export interface ControllersOptions extends ComputeLeaseControllerOptions {
  /** Chain polling of the Provider controller (default: defaultChainTimings). */
  readonly chainTimings?: Partial<ChainTimings>;
}

/** What the controllers hold outside the cluster: the Provider's chain sessions. */
export interface RunningControllers {
  /** Stops the chain followers and transaction senders; call once the manager stopped. */
  stop(): Promise<void>;
}

/**
 * Adds the GpuNodePool, ComputeLease and Provider controllers (and the cache indexes they share).
 *
 * @example const running = addControllers(manager, { verifier: clusterVerifier(), ingressNamespace: 'supercloud-system' })
 */
export function addControllers(manager: Manager, options: ControllersOptions): RunningControllers {
  addIndexes(manager.cache);
  manager.add(gpuNodePoolController());
  manager.add(computeLeaseController(options));
  const provider = providerController({
    registry: manager.registry,
    timings: { ...defaultChainTimings, ...options.chainTimings },
    // The lease selector shards Providers too: an operator serves the Providers of its shard.
    ...(options.leaseSelector ? { selector: options.leaseSelector } : {}),
  });
  manager.add(provider.spec);
  // A replica that loses the lease must stop bidding and sending at once, not at shutdown.
  manager.onStoppedLeading(provider.stop);
  return { stop: provider.stop };
}
