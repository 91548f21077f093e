// The operator's controllers, added to a manager in one call.
import { ChannelSource } from '../kube/channel-source.js';
import type { Manager } from '../kube/manager.js';
import { untilAborted } from '../kube/runnable.js';
import { chainVerifier } from './computelease/chain-verifier.js';
import {
  computeLeaseController,
  type ComputeLeaseControllerOptions,
} from './computelease/controller.js';
import { gpuNodePoolController } from './gpunodepool/controller.js';
import { addIndexes } from './indexes.js';
import { providerController } from './provider/controller.js';
import { defaultChainTimings, type ChainTimings } from './provider/session.js';
import { ProviderKind } from '../api/kinds.js';
import { clusterVerifier } from './computelease/verifier.js';

export { clusterVerifier, type Verification, type Verifier } from './computelease/verifier.js';
export { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../api/kinds.js';

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

/**
 * Adds the GpuNodePool, ComputeLease and Provider controllers (and the cache indexes they share),
 * and the runnable that ends the Provider's chain sessions with leadership or the process.
 *
 * @example addControllers(manager, { ingressNamespace: 'supercloud-system' })
 */
export function addControllers(manager: Manager, options: ControllersOptions): void {
  addIndexes(manager.cache);
  manager.add(gpuNodePoolController());
  // Keys of leases whose facts on chain changed: emitted by the chain side, watched by the
  // ComputeLease controller.
  const leaseKeys = new ChannelSource();
  const provider = providerController({
    registry: manager.registry,
    timings: { ...defaultChainTimings, ...options.chainTimings },
    // The lease selector shards Providers too: an operator serves the Providers of its shard,
    // and the leases they win carry the labels it selects.
    ...(options.leaseSelector
      ? { selector: options.leaseSelector, leaseLabels: options.leaseSelector.equalities }
      : {}),
    wakeLease: (name) => leaseKeys.emit({ name }),
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
  manager.add(computeLeaseController({ ...options, verifier, sources: [leaseKeys] }));
  manager.add(provider.spec);
  // A replica that loses the lease stops bidding and sending at once, and the process on SIGTERM
  // only after its chain sessions saved their checkpoints.
  manager.addRunnable({
    name: 'chain-sessions',
    start: async (signal) => {
      await untilAborted(signal);
      await provider.stop();
    },
  });
}
