// The operator's controllers, added to a manager in one call.
import type { ComputeLease } from '../api/computelease.js';
import type { Controller } from '../kube/controller.js';
import type { Manager } from '../kube/manager.js';
import { chainVerifier } from './computelease/chain-verifier.js';
import {
  computeLeaseController,
  type ComputeLeaseControllerOptions,
} from './computelease/controller.js';
import { gpuNodePoolController } from './gpunodepool/controller.js';
import { addIndexes } from './indexes.js';
import { providerController } from './provider/controller.js';
import { defaultChainTimings, type ChainTimings } from './provider/session.js';
import { ProviderKind } from './kinds.js';
import { clusterVerifier } from './computelease/verifier.js';

export { clusterVerifier, type Verification, type Verifier } from './computelease/verifier.js';
export { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from './kinds.js';

export interface ControllersOptions extends Omit<ComputeLeaseControllerOptions, 'verifier'> {
  /**
   * What a ComputeLease must pass to run: `chain` (default) checks the cluster rules and the
   * lease on chain; `cluster` only the cluster rules (a cluster without a chain, e.g. tests of
   * the workload objects).
   */
  readonly verification?: 'chain' | 'cluster';
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
 * @example const running = addControllers(manager, { ingressNamespace: 'supercloud-system' })
 */
export function addControllers(manager: Manager, options: ControllersOptions): RunningControllers {
  addIndexes(manager.cache);
  manager.add(gpuNodePoolController());
  // The Provider sessions and the lease controller need each other: the chain verifier reads
  // leases through the sessions, the lease sync wakes the lease controller.
  const leases: { controller?: Controller<ComputeLease> } = {};
  const provider = providerController({
    registry: manager.registry,
    timings: { ...defaultChainTimings, ...options.chainTimings },
    // The lease selector shards Providers too: an operator serves the Providers of its shard,
    // and the leases they win carry the labels it selects.
    ...(options.leaseSelector
      ? { selector: options.leaseSelector, leaseLabels: options.leaseSelector.equalities }
      : {}),
    wakeLease: (name) => leases.controller?.trigger({ name }),
  });
  const verifier =
    options.verification === 'cluster'
      ? clusterVerifier()
      : chainVerifier({
          cluster: clusterVerifier(),
          sourceOf: provider.sessionOf,
          providers: () => {
            const providers = manager.cache
              .list(ProviderKind)
              .filter(
                (p) => !options.leaseSelector || options.leaseSelector.matches(p.metadata.labels),
              );
            const addresses = providers.flatMap((p) => p.status?.providerAddress ?? []);
            return {
              addresses,
              allLoaded:
                addresses.length === providers.length &&
                addresses.every((address) => provider.sessionOf(address) !== undefined),
            };
          },
        });
  leases.controller = manager.add(computeLeaseController({ ...options, verifier }));
  manager.add(provider.spec);
  // A replica that loses the lease must stop bidding and sending at once, not at shutdown.
  manager.onStoppedLeading(provider.stop);
  return { stop: provider.stop };
}
