// One Provider's connection to the chain while its spec and wallet stay the same: the RPC pool,
// the wallet's transaction sender, and (once registered) the event follower driving the bid
// engine. A change of chain settings or key replaces the session.
import type { Wallet } from 'ethers';
import type { Registry } from 'prom-client';
import type { ProviderSpec } from '../../api/provider.js';
import { rpcChainReader } from '../../chain/chain-reader.js';
import { EventFollower, type FollowerStatus } from '../../chain/follower.js';
import { chainMetrics } from '../../chain/metrics.js';
import { RpcPool } from '../../chain/rpc.js';
import { TransactionSender } from '../../chain/tx-sender.js';
import type { KubeClient } from '../../kube/client.js';
import type { InformerCache } from '../../kube/informer-cache.js';
import type { Logger } from '../../logging/logger.js';
import type { BiddingPolicy } from '../../market/decide.js';
import { BidEngine } from '../../market/engine.js';
import { rpcMarketReader, type MarketReader } from '../../market/market-reader.js';
import { marketMetrics } from '../../market/metrics.js';
import type { PricingStrategy } from '../../market/pricing.js';
import { ProviderCheckpointStore } from './checkpoint-store.js';
import { poolViews } from './pools.js';

/** Timings of the chain side, shorter in tests. */
export interface ChainTimings {
  /** Follower head polls. Default 2 s. */
  readonly pollIntervalMs: number;
  /** How often auctions past their deadline are checked. Default 15 s. */
  readonly sweepIntervalMs: number;
}

export const defaultChainTimings: ChainTimings = { pollIntervalMs: 2_000, sweepIntervalMs: 15_000 };

export interface ChainSessionOptions {
  readonly name: string;
  readonly chain: ProviderSpec['chain'];
  readonly wallet: Wallet;
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly registry: Registry;
  /** The Provider's pricing strategy and bidding policy now (read at each decision). */
  readonly strategy: () => PricingStrategy;
  readonly policy: () => BiddingPolicy;
  readonly timings: ChainTimings;
  readonly logger: Logger;
}

/** What identifies a session: a Provider whose key changes gets a new one. */
export function sessionKey(chain: ProviderSpec['chain'], address: string): string {
  return JSON.stringify({ ...chain, address: address.toLowerCase() });
}

export class ChainSession {
  readonly key: string;
  readonly rpc: RpcPool;
  readonly sender: TransactionSender;
  readonly reader: MarketReader;
  private follower: EventFollower | undefined;
  private engine: BidEngine | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private starting: Promise<void> | undefined;

  constructor(private readonly options: ChainSessionOptions) {
    const { chain, wallet, registry, logger } = options;
    this.key = sessionKey(chain, wallet.address);
    this.rpc = new RpcPool({
      urls: chain.rpcUrls.filter((url) => /^https?:/.test(url)),
      chainId: chain.chainId,
    });
    this.sender = new TransactionSender({
      rpc: this.rpc,
      signer: wallet,
      chainId: chain.chainId,
      metrics: chainMetrics(registry),
      logger,
    });
    this.reader = rpcMarketReader(this.rpc, chain.marketplace);
  }

  get address(): string {
    return this.options.wallet.address;
  }

  /** The follower's state; undefined until the market started. */
  followerStatus(): FollowerStatus | undefined {
    return this.follower?.status();
  }

  /**
   * Starts following the chain and bidding (once; later calls return the first start). The
   * reservations of bids already live are rebuilt first, so no order is bid on twice.
   */
  startMarket(): Promise<void> {
    this.starting ??= this.doStartMarket().catch((error: unknown) => {
      this.starting = undefined; // the next reconcile tries again
      throw error;
    });
    return this.starting;
  }

  private async doStartMarket(): Promise<void> {
    const { chain, client, cache, registry, strategy, policy, timings, logger, name } =
      this.options;
    const metrics = marketMetrics(registry);
    const engine = new BidEngine({
      reader: this.reader,
      sender: this.sender,
      marketplace: chain.marketplace,
      provider: this.address,
      pools: () => poolViews(cache),
      policy,
      strategy,
      metrics,
      logger,
    });
    await engine.rebuild(chain.startBlock);
    this.engine = engine;
    const wsUrls = chain.rpcUrls.filter((url) => /^wss?:/.test(url));
    this.follower = new EventFollower({
      reader: rpcChainReader(this.rpc),
      contracts: { marketplace: chain.marketplace, registry: chain.registry },
      startBlock: chain.startBlock,
      confirmations: chain.confirmations,
      checkpoints: new ProviderCheckpointStore(client, cache, name),
      handlers: [(events) => engine.handle(events)],
      pollIntervalMs: timings.pollIntervalMs,
      ...(wsUrls.length > 0 ? { newHeadsUrls: wsUrls } : {}),
      metrics: chainMetrics(registry),
      logger,
    });
    this.follower.start();
    this.sweepTimer = setInterval(() => {
      engine.sweep().catch((error: unknown) =>
        logger.warn('checking finished auctions failed; trying again later', {
          error: error instanceof Error ? error.message : String(error),
        }),
      );
    }, timings.sweepIntervalMs);
    this.sweepTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.starting?.catch(() => undefined);
    await this.follower?.stop();
    this.sender.stop();
    this.rpc.destroy();
  }
}
