// The operator's chain side: one leader-only runnable holding a chain session per Provider (its
// RPC pool, wallet sender, follower, bid engine, lease sync and settlement). The Provider
// reconciler opens and ends sessions; the sessions emit the keys of leases whose facts on chain
// changed into `leaseKeys`, which the ComputeLease controller watches; the chain verifier reads
// leases through `sourceOf`, and a new session wakes the leases it answered "no Provider connected
// yet" (nothing on chain changed for them, so no fact would). Losing leadership or SIGTERM ends
// every session (checkpoints saved).
import type { Registry } from 'prom-client';
import type { Provider } from '../api/provider.js';
import { ComputeLeaseKind, ProviderKind } from '../api/kinds.js';
import { verifiedBefore } from '../controllers/computelease/chain-verifier.js';
import { sameAddress } from '../chain/identifiers.js';
import type { ProviderSigner } from '../chain/provider-signer.js';
import type { LabelSelector } from '../config/label-selector.js';
import { ChannelSource } from '../kube/channel-source.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { untilAborted, type Runnable } from '../kube/runnable.js';
import type { Logger } from '../logging/logger.js';
import {
  biddingPolicy,
  pricingStrategy,
  settlementPolicy,
} from '../controllers/provider/policy.js';
import { ChainSession, sessionKey, type ChainTimings } from './session.js';

export interface ChainSideOptions {
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly events: EventRecorder;
  readonly registry: Registry;
  readonly timings: ChainTimings;
  /**
   * The operator's shard: only Providers it matches are served, and the leases they win carry
   * its equality labels (what the operator's lease selector asks for).
   */
  readonly selector?: LabelSelector;
  readonly logger: Logger;
}

/** The Providers of this operator's shard and whether each has its session. */
export interface ConnectedProviders {
  readonly addresses: readonly string[];
  readonly allLoaded: boolean;
}

/**
 * @example
 * const chainSide = new ChainSide({ client, cache, events, registry, timings, logger });
 * manager.addRunnable(chainSide);
 * manager.add(computeLeaseController({ verifier, sources: [chainSide.leaseKeys] }));
 */
export class ChainSide implements Runnable {
  readonly name = 'chain-side';
  /** Keys of ComputeLeases whose facts on chain changed (watched by the ComputeLease controller). */
  readonly leaseKeys = new ChannelSource();
  /** Keys of Providers whose signer started or stopped failing (watched by the Provider controller). */
  readonly providerKeys = new ChannelSource();
  private readonly sessions = new Map<string, ChainSession>();
  private stopped = false;

  constructor(private readonly options: ChainSideOptions) {}

  /** Runs until leadership is lost or the process ends, then ends every session. */
  async start(signal: AbortSignal): Promise<void> {
    this.stopped = false;
    await untilAborted(signal);
    this.stopped = true;
    await Promise.all([...this.sessions.keys()].map((name) => this.end(name)));
  }

  /**
   * The session of the Provider for `signer`: the current one while its chain settings and signer
   * stay the same, else a new one (the old one ended first).
   */
  async session(provider: Provider, signer: ProviderSigner): Promise<ChainSession> {
    if (this.stopped) throw new Error('the chain side is stopped: this replica is not leading');
    const name = provider.metadata.name ?? '';
    const current = this.sessions.get(name);
    if (current?.key === sessionKey(provider.spec.chain, signer)) return current;
    await this.end(name);
    const { client, cache, events, registry, timings, selector, logger } = this.options;
    const session = new ChainSession({
      name,
      chain: provider.spec.chain,
      signer,
      client,
      cache,
      registry,
      strategy: () => pricingStrategy(cache.get(ProviderKind, name)),
      policy: () => biddingPolicy(cache.get(ProviderKind, name)),
      settlementPolicy: () => settlementPolicy(cache.get(ProviderKind, name)),
      timings,
      events,
      leaseLabels: selector?.equalities ?? {},
      leaseKeys: this.leaseKeys,
      providerKeys: this.providerKeys,
      logger: logger.child({ provider: name, wallet: signer.address }),
    });
    this.sessions.set(name, session);
    this.wakeUnverifiedLeases();
    return session;
  }

  /** Wakes the leases not verified at their generation: a new session may now answer them. */
  private wakeUnverifiedLeases(): void {
    for (const lease of this.options.cache.list(ComputeLeaseKind)) {
      if (!verifiedBefore(lease)) this.leaseKeys.emit({ name: lease.metadata.name ?? '' });
    }
  }

  /** Ends the session of the Provider `name` (its key is gone, or the Provider deleted). */
  async end(name: string): Promise<void> {
    const session = this.sessions.get(name);
    this.sessions.delete(name);
    await session?.stop();
  }

  /** The session of the Provider whose wallet is `address`, once its key is loaded. */
  sourceOf(address: string): ChainSession | undefined {
    return [...this.sessions.values()].find((s) => sameAddress(s.address, address));
  }

  /** The addresses of the shard's Providers (from their status) and whether all have a session. */
  providers(): ConnectedProviders {
    const { cache, selector } = this.options;
    const providers = cache
      .list(ProviderKind)
      .filter((p) => !selector || selector.matches(p.metadata.labels));
    const addresses = providers.flatMap((p) => p.status?.providerAddress ?? []);
    return {
      addresses,
      allLoaded:
        addresses.length === providers.length &&
        addresses.every((address) => this.sourceOf(address) !== undefined),
    };
  }
}
