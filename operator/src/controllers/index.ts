// The operator's controllers and its chain side, added to a manager in one call.
import { ChainSide } from '../chain-side/chain-side.js';
import { defaultChainTimings, type ChainTimings } from '../chain-side/session.js';
import { podAccountingView } from '../capacity/pool-gpus.js';
import type { Manager } from '../kube/manager.js';
import { PodKind } from '../kube/objects.js';
import { chainVerifier } from './computelease/chain-verifier.js';
import {
  computeLeaseController,
  type ComputeLeaseControllerOptions,
} from './computelease/controller.js';
import { registerLeaseGauges } from './computelease/lease-gauges.js';
import { clusterVerifier } from './computelease/verifier.js';
import { gpuNodePoolController } from './gpunodepool/controller.js';
import { addIndexes } from './indexes.js';
import { providerController } from './provider/controller.js';

export { clusterVerifier, type Verification, type Verifier } from './computelease/verifier.js';
export { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../api/kinds.js';

export interface ControllersOptions extends Omit<
  ComputeLeaseControllerOptions,
  'verifier' | 'registry'
> {
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
 * Adds the GpuNodePool, ComputeLease and Provider controllers (and the cache indexes they share)
 * and the chain side: the Provider controller opens a chain session per Provider in it, the
 * sessions emit the keys of leases whose facts on chain changed, the ComputeLease controller
 * watches them; and the lease gauges (leases by phase, escrow and earnings of the running ones).
 *
 * @example addControllers(manager, { ingressNamespace: 'supercloud-system' })
 */
export function addControllers(manager: Manager, options: ControllersOptions): void {
  // Pods are the most numerous objects cached and only their GPU accounting is read.
  manager.cache.setTransform(PodKind, podAccountingView);
  addIndexes(manager.cache);
  const chainSide = new ChainSide({
    client: manager.client,
    cache: manager.cache,
    events: manager.events,
    registry: manager.registry,
    timings: { ...defaultChainTimings, ...options.chainTimings },
    // The lease selector shards Providers too: an operator serves the Providers of its shard,
    // and the leases they win carry the labels it selects.
    ...(options.leaseSelector ? { selector: options.leaseSelector } : {}),
    logger: manager.logger.child({ component: 'chain-side' }),
  });
  manager.addRunnable(chainSide);
  manager.add(gpuNodePoolController());
  manager.add(
    providerController({
      registry: manager.registry,
      chainSide,
      ...(options.leaseSelector ? { selector: options.leaseSelector } : {}),
    }),
  );
  const verifier =
    options.verification === 'cluster'
      ? clusterVerifier()
      : chainVerifier({ cluster: clusterVerifier(), chain: chainSide });
  manager.add(
    computeLeaseController({
      ...options,
      verifier,
      registry: manager.registry,
      sources: [chainSide.leaseKeys],
    }),
  );
  registerLeaseGauges({
    registry: manager.registry,
    cache: manager.cache,
    ...(options.leaseSelector ? { selector: options.leaseSelector } : {}),
  });
}
