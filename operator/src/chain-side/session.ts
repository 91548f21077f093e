// One Provider's connection to the chain while its spec and wallet stay the same: the RPC pool,
// the wallet's transaction sender, the lease sync, and (once registered) the event follower
// driving the bid engine and the lease sync, and the settlement loop. A change of chain settings,
// key or signer (URL, address, credentials) replaces the session.
import type { Registry } from 'prom-client';
import type { ProviderSpec } from '../api/provider.js';
import { rpcChainReader } from '../chain/chain-reader.js';
import { EventFollower, type FollowerStatus } from '../chain/follower.js';
import { SignerError } from '../chain/errors.js';
import { chainMetrics } from '../chain/metrics.js';
import type { ProviderSigner } from '../chain/provider-signer.js';
import { RpcPool, describeError } from '../chain/rpc.js';
import { TransactionSender, type TransactionSigner } from '../chain/tx-sender.js';
import type { ChannelSource } from '../kube/channel-source.js';
import type { KubeClient } from '../kube/client.js';
import type { EventRecorder } from '../kube/events.js';
import type { InformerCache } from '../kube/informer-cache.js';
import type { Logger } from '../logging/logger.js';
import type { BiddingPolicy } from '../market/decide.js';
import { BidEngine } from '../market/engine.js';
import { rpcLeaseReader, type ChainLease, type LeaseReader } from '../market/lease-reader.js';
import { LeaseFacts } from '../market/lease-facts.js';
import { LeaseSync } from '../market/lease-sync.js';
import { computeLeaseName } from '../workloads/names.js';
import { rpcMarketReader, type MarketReader } from '../market/market-reader.js';
import { marketMetrics } from '../market/metrics.js';
import type { PricingStrategy } from '../market/pricing.js';
import { Settlement } from '../market/settlement.js';
import type { SettlementPolicy } from '../market/settlement-status.js';
import { ProviderBidPools } from './bid-pool-store.js';
import { ProviderCheckpointStore } from './checkpoint-store.js';
import { leaseObjects } from './lease-objects.js';
import { poolViews } from './pool-views.js';

/** Timings of the chain side, shorter in tests. */
export interface ChainTimings {
  /** Follower head polls. Default 2 s. */
  readonly pollIntervalMs: number;
  /** How often auctions past their deadline are checked and leases resynced. Default 15 s. */
  readonly sweepIntervalMs: number;
  /** How often the settlement reads the leases (withdrawals follow the Provider's schedule). Default 30 s. */
  readonly settlementIntervalMs: number;
}

export const defaultChainTimings: ChainTimings = {
  pollIntervalMs: 2_000,
  sweepIntervalMs: 15_000,
  settlementIntervalMs: 30_000,
};

export interface ChainSessionOptions {
  readonly name: string;
  readonly chain: ProviderSpec['chain'];
  /** What signs the Provider's transactions: its key from the Secret, or a remote signer. */
  readonly signer: ProviderSigner;
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly registry: Registry;
  /** The Provider's pricing strategy and bidding policy now (read at each decision). */
  readonly strategy: () => PricingStrategy;
  readonly policy: () => BiddingPolicy;
  readonly settlementPolicy: () => SettlementPolicy;
  readonly timings: ChainTimings;
  readonly events: EventRecorder;
  /** Labels of the ComputeLeases the lease sync makes (the operator's lease selector's). */
  readonly leaseLabels: Readonly<Record<string, string>>;
  /** Where the keys of leases whose state on chain changed go (the ComputeLease controller). */
  readonly leaseKeys: ChannelSource;
  /**
   * Where the Provider's key goes when its signer starts or stops failing (the Provider
   * controller, whose WalletReady condition says so).
   */
  readonly providerKeys: ChannelSource;
  readonly logger: Logger;
}

/**
 * What identifies a session: a Provider whose key or signer configuration changes gets a new one.
 * The signer's identity holds no secret in clear.
 */
export function sessionKey(chain: ProviderSpec['chain'], signer: ProviderSigner): string {
  return JSON.stringify({
    ...chain,
    address: signer.address.toLowerCase(),
    signer: signer.identity,
  });
}

export class ChainSession {
  readonly key: string;
  readonly rpc: RpcPool;
  readonly sender: TransactionSender;
  readonly reader: MarketReader;
  readonly leases: LeaseSync;
  /** The signer the sender signs with (its `check` feeds the Provider's WalletReady condition). */
  readonly signer: ProviderSigner;
  private readonly facts: LeaseFacts;
  private readonly bidPools: ProviderBidPools;
  private readonly leaseReader: LeaseReader;
  private readonly objects: ReturnType<typeof leaseObjects>;
  private engine: BidEngine | undefined;
  private follower: EventFollower | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private starting: Promise<void> | undefined;

  constructor(private readonly options: ChainSessionOptions) {
    const { chain, signer, registry, logger } = options;
    this.key = sessionKey(chain, signer);
    this.signer = signer;
    const { rpcRequests, rpcErrors } = chainMetrics(registry);
    this.rpc = new RpcPool({
      urls: chain.rpcUrls.filter((url) => /^https?:/.test(url)),
      chainId: chain.chainId,
      onRequest: (method) => rpcRequests.inc({ method }),
      onTransportError: () => rpcErrors.inc(),
    });
    this.sender = new TransactionSender({
      rpc: this.rpc,
      signer: watchSigning(signer, () => options.providerKeys.emit({ name: options.name })),
      chainId: chain.chainId,
      // Receipts polled as often as the chain's head (at most every second): on a chain of short
      // blocks a batch of bids is seen mined, and the next one sent, within the block after it.
      pollIntervalMs: Math.min(1_000, options.timings.pollIntervalMs),
      metrics: chainMetrics(registry),
      logger,
      // A reorg within the confirmations dropped one of our mined transactions (nothing else can
      // see it): place again the bids the chain lacks, as after a reorg the follower notices.
      onNonceGap: () =>
        void this.engine?.recheckAfterReorg().catch((error: unknown) =>
          logger.warn('re-checking our bids after a dropped transaction failed', {
            error: describeError(error),
          }),
        ),
    });
    this.reader = rpcMarketReader(this.rpc, chain.marketplace);
    this.leaseReader = rpcLeaseReader(this.rpc, chain.marketplace, chain.startBlock);
    this.objects = leaseObjects({
      client: options.client,
      cache: options.cache,
      events: options.events,
      labels: options.leaseLabels,
    });
    this.bidPools = new ProviderBidPools(options.client, options.cache, options.name);
    this.facts = new LeaseFacts({
      reader: this.leaseReader,
      onChange: (leaseId) => options.leaseKeys.emit({ name: computeLeaseName(leaseId.toString()) }),
    });
    this.leases = new LeaseSync({
      reader: this.leaseReader,
      facts: this.facts,
      objects: this.objects,
      provider: signer.address,
      startBlock: chain.startBlock,
      confirmations: chain.confirmations,
      bidPools: this.bidPools,
      workloadPolicy: () => options.policy().workloads,
      logger,
    });
  }

  /** The lease on chain, from a read at most `maxAgeMs` old (for the chain verifier). */
  async chainLease(leaseId: bigint, maxAgeMs: number): Promise<ChainLease> {
    return this.facts.cached(leaseId, maxAgeMs) ?? (await this.facts.read(leaseId));
  }

  /** The last read of the lease, however old (when the chain cannot be read now). */
  lastKnownLease(leaseId: bigint): ChainLease | undefined {
    return this.facts.cached(leaseId, Number.POSITIVE_INFINITY);
  }

  get address(): string {
    return this.options.signer.address;
  }

  /** The follower's state; undefined until the market started. */
  followerStatus(): FollowerStatus | undefined {
    return this.follower?.status();
  }

  /**
   * Starts following the chain, bidding and settling (once; later calls return the first start).
   * The reservations of bids already live are rebuilt and the leases resynced first, so no order
   * is bid on twice and a lease won while the operator was down is found.
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
      bidPools: this.bidPools,
      metrics,
      logger,
    });
    await engine.rebuild(chain.startBlock);
    this.engine = engine;
    await this.leases.resync();
    const settlement = new Settlement({
      reader: this.leaseReader,
      sync: this.leases,
      facts: this.facts,
      sender: this.sender,
      objects: this.objects,
      marketplace: chain.marketplace,
      provider: this.address,
      policy: this.options.settlementPolicy,
      metrics,
      logger,
    });
    const wsUrls = chain.rpcUrls.filter((url) => /^wss?:/.test(url));
    this.follower = new EventFollower({
      reader: rpcChainReader(this.rpc),
      contracts: { marketplace: chain.marketplace, registry: chain.registry },
      startBlock: chain.startBlock,
      confirmations: chain.confirmations,
      checkpoints: new ProviderCheckpointStore(client, cache, name),
      // The engine first: its bids (and their pools' records) precede the leases they win.
      handlers: [(events) => engine.handle(events), (events) => this.leases.handle(events)],
      // A deeper reorg may have dropped our transactions: count nonces from the chain again,
      // place again the bids the new fork lacks, forget what was read of the old fork and make
      // anew the leases whose close it took back.
      onReorg: async ({ ancestor }) => {
        this.sender.rederiveNonce();
        settlement.afterReorg();
        await engine.recheckAfterReorg();
        await this.leases.afterReorg(ancestor.number);
      },
      pollIntervalMs: timings.pollIntervalMs,
      ...(wsUrls.length > 0 ? { newHeadsUrls: wsUrls } : {}),
      metrics: chainMetrics(registry),
      logger,
    });
    this.follower.start();
    this.every(
      timings.sweepIntervalMs,
      'checking finished auctions and resyncing leases',
      async () => {
        await engine.sweep();
        await this.leases.resync();
      },
    );
    this.every(timings.settlementIntervalMs, 'settling leases', () => settlement.tick());
  }

  /** Runs `task` every `intervalMs`, one run at a time; a failure is logged and retried next time. */
  private every(intervalMs: number, what: string, task: () => Promise<void>): void {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error: unknown) =>
          this.options.logger.warn(`${what} failed; trying again later`, {
            error: describeError(error),
          }),
        )
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    await this.starting?.catch(() => undefined);
    await this.follower?.stop();
    this.sender.stop();
    this.rpc.destroy();
  }
}

/**
 * The signer as the sender sees it, telling `wake` when a signature fails (a remote signer down,
 * refusing, or returning another transaction) and when one succeeds again: the Provider's status
 * and Events say so at once rather than at the next resync (the work queue folds repeated wakes).
 */
function watchSigning(signer: ProviderSigner, wake: () => void): TransactionSigner {
  let failed = false;
  return {
    address: signer.address,
    signTransaction: async (transaction) => {
      try {
        const signed = await signer.signTransaction(transaction);
        if (failed) wake();
        failed = false;
        return signed;
      } catch (error) {
        if (error instanceof SignerError) {
          failed = true;
          wake();
        }
        throw error;
      }
    },
  };
}
