// The bid engine: woken by the chain follower's events, it decides from contract state whether
// to bid on each open order, holds the capacity a live bid promises, and lets it go when the
// auction ends. Level-based: a replayed event, or a restart, leads to no second bid.
import { marketplaceAbi, orderStatus } from '../chain/abi/index.js';
import { TransactionRevertedError } from '../chain/errors.js';
import type { ChainEvent } from '../chain/events.js';
import { contractCall, type TransactionIntent } from '../chain/intent.js';
import { describeError } from '../chain/rpc.js';
import type { SendResult } from '../chain/tx-sender.js';
import { gpuModelId, sameAddress } from '../chain/identifiers.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { decideBid, type BiddingPolicy, type PoolCandidate } from './decide.js';
import type { MarketReader, OrderState } from './market-reader.js';
import type { MarketMetrics } from './metrics.js';
import { orderFromEvent, type MarketOrder, type OrderCreatedArgs } from './order.js';
import type { PricingStrategy } from './pricing.js';
import type { BidPools } from './bid-pools.js';
import { ReservationBook, type Reservation } from './reservations.js';

/** A pool as the engine is handed it: reservations are the engine's to add. */
export type PoolView = Omit<PoolCandidate, 'reservedGpus'>;

export interface BidEngineOptions {
  readonly reader: MarketReader;
  readonly sender: { send(intent: TransactionIntent): Promise<SendResult> };
  readonly marketplace: string;
  /** The provider wallet's address. */
  readonly provider: string;
  /** The pools now (from the informer cache). */
  readonly pools: () => readonly PoolView[];
  /** The Provider's bidding policy now. */
  readonly policy: () => BiddingPolicy;
  /** The pricing strategy now (the Provider may change it). */
  readonly strategy: () => PricingStrategy;
  /** Where the pool of each bid is recorded before the bid is sent. */
  readonly bidPools: BidPools;
  readonly metrics?: MarketMetrics;
  readonly logger?: Logger;
}

/** How an auction we bid in ended, for the metrics and the log. */
type Outcome = 'won' | 'lost' | 'cancelled';

/** A bid decided on (its capacity held), not sent yet. */
interface DecidedBid {
  readonly orderId: bigint;
  readonly pool: string;
  readonly pricePerSecond: bigint;
  readonly orderBlock: number;
  readonly log: Logger;
}

/**
 * Bids on the orders the provider can serve.
 *
 * @example
 * const engine = new BidEngine({ reader, sender, marketplace, provider, pools, policy, strategy, bidPools });
 * await engine.rebuild(startBlock);                       // reservations of bids already live
 * follower handlers: [(events) => engine.handle(events)]
 */
export class BidEngine {
  readonly reservations = new ReservationBook();
  private readonly logger: Logger;
  private readonly seen = new Set<bigint>();
  /** The orders of the reservations this process made, to decide again after a reorg. */
  private readonly decided = new Map<bigint, MarketOrder>();

  constructor(private readonly options: BidEngineOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'bid-engine' });
  }

  /**
   * Rebuilds the reservations of our live bids from the chain: the orders we bid on since
   * `fromBlock` that are still open with our bid on them.
   */
  async rebuild(fromBlock: number): Promise<void> {
    const { reader, provider } = this.options;
    const latest = await reader.latestBlock();
    for (const orderId of await reader.ordersBidOn(provider, fromBlock, latest.number)) {
      const order = await reader.order(orderId);
      const bid = order.status === orderStatus.Open ? await reader.bidOf(orderId, provider) : 0n;
      if (bid > 0n) this.holdForLiveBid(order, bid);
    }
    this.logger.info('reservations rebuilt from the chain', {
      orders: this.reservations.size,
      gpus: this.reservations.totalGpus(),
    });
    this.publish();
  }

  /** Handles one page of the follower's events (in chain order). Throws to have it re-read. */
  async handle(events: readonly ChainEvent[]): Promise<void> {
    const bids: DecidedBid[] = [];
    let now: number | undefined;
    for (const event of events) {
      if (event.contract !== 'marketplace') continue;
      switch (event.name) {
        case 'OrderCreated': {
          now ??= (await this.options.reader.latestBlock()).timestamp;
          const bid = await this.consider(
            orderFromEvent(event.args as unknown as OrderCreatedArgs),
            event.blockNumber,
            now,
          );
          if (bid) bids.push(bid);
          break;
        }
        case 'LeaseCreated':
          this.settle(
            event.args.leaseId,
            sameAddress(event.args.provider, this.options.provider) ? 'won' : 'lost',
          );
          break;
        case 'OrderCancelled':
          this.settle(event.args.orderId, 'cancelled');
          break;
        case 'BidCancelled':
          if (sameAddress(event.args.provider, this.options.provider)) {
            this.settle(event.args.orderId, 'cancelled');
          }
          break;
        case 'BidEvicted':
          // A full order took a lower bid in place of ours: the auction is lost to us.
          if (sameAddress(event.args.provider, this.options.provider)) {
            this.settle(event.args.orderId, 'lost');
          }
          break;
        default:
          break;
      }
    }
    // Decisions were made (and capacity reserved) in order; the bids go out together.
    await this.place(bids);
  }

  /**
   * After a reorg deeper than the confirmations: a bid of ours that the new fork no longer has is
   * released and, if the order is still open and still wanted, placed again.
   */
  async recheckAfterReorg(): Promise<void> {
    const { reader, provider } = this.options;
    const { number, timestamp } = await reader.latestBlock();
    const bids: DecidedBid[] = [];
    for (const reservation of this.reservations.all()) {
      const order = this.decided.get(reservation.orderId);
      if (!order || (await reader.bidOf(order.orderId, provider)) > 0n) continue;
      this.reservations.release(order.orderId);
      this.logger.warn('our bid was orphaned by a reorg; deciding again', {
        orderId: order.orderId.toString(),
      });
      const bid = await this.consider(order, number, timestamp);
      if (bid) bids.push(bid);
    }
    this.publish();
    await this.place(bids);
  }

  /**
   * Releases the reservations of auctions that are over without an event saying so: bidding
   * closed and another provider's bid is the best (finalize will lease the order to it).
   */
  async sweep(): Promise<void> {
    const held = this.reservations.all();
    if (held.length === 0) return;
    const { timestamp } = await this.options.reader.latestBlock();
    for (const reservation of held.filter((r) => r.biddingDeadline < timestamp)) {
      const order = await this.options.reader.order(reservation.orderId);
      if (order.status === orderStatus.Leased) {
        this.settle(
          order.orderId,
          sameAddress(order.bestBidder, this.options.provider) ? 'won' : 'lost',
        );
      } else if (order.status !== orderStatus.Open) {
        this.settle(order.orderId, 'cancelled');
      } else if (!sameAddress(order.bestBidder, this.options.provider)) {
        this.settle(order.orderId, 'lost');
      }
    }
  }

  /** Decides on an order; returns the bid to place, if any, its capacity held. */
  private async consider(
    announced: MarketOrder,
    orderBlock: number,
    now: number,
  ): Promise<DecidedBid | undefined> {
    const { reader, provider, metrics } = this.options;
    const log = this.logger.child({ orderId: announced.orderId.toString() });
    if (this.reservations.get(announced.orderId)) return undefined; // replayed: already bid
    const state = await reader.order(announced.orderId);
    if (state.status !== orderStatus.Open) {
      log.debug('order no longer open', { status: state.status });
      return undefined;
    }
    const existing = await reader.bidOf(announced.orderId, provider);
    if (existing > 0n) {
      // Bid before a restart, or the event came again after a reorg: hold, never bid twice.
      this.holdForLiveBid(state, existing);
      this.publish();
      return undefined;
    }
    if (!this.seen.has(announced.orderId)) {
      this.seen.add(announced.orderId);
      metrics?.ordersSeen.inc();
    }
    const decision = decideBid({
      order: announced,
      pools: this.candidates(),
      policy: this.options.policy(),
      strategy: this.options.strategy(),
      outstandingBids: this.reservations.size,
      provider,
      now,
    });
    if (!decision.bid) {
      metrics?.bidSkipped.inc({ reason: decision.reason });
      log.debug('no bid', { reason: decision.reason, detail: decision.detail });
      return undefined;
    }
    this.decided.set(announced.orderId, announced);
    this.reservations.hold({
      orderId: announced.orderId,
      pool: decision.pool,
      gpus: decision.gpus,
      pricePerSecond: decision.pricePerSecond,
      biddingDeadline: announced.biddingDeadline,
    });
    this.publish();
    return {
      orderId: announced.orderId,
      pool: decision.pool,
      pricePerSecond: decision.pricePerSecond,
      orderBlock,
      log,
    };
  }

  /**
   * Records the bids' pools, then sends the bids together. When the record cannot be written no
   * bid is sent (their capacity is let go) and the error goes to the follower, which reads the
   * page again.
   */
  private async place(bids: readonly DecidedBid[]): Promise<void> {
    if (bids.length === 0) return;
    try {
      await this.options.bidPools.record(new Map(bids.map((bid) => [bid.orderId, bid.pool])));
    } catch (error) {
      bids.forEach((bid) => this.forget(bid.orderId));
      throw error;
    }
    await Promise.all(bids.map((bid) => this.placeBid(bid)));
  }

  private async placeBid({
    orderId,
    pool,
    pricePerSecond: price,
    orderBlock,
    log,
  }: DecidedBid): Promise<void> {
    const { reader, provider, marketplace, metrics } = this.options;
    try {
      const result = await this.options.sender.send({
        ...contractCall(marketplaceAbi, marketplace, 'placeBid', [orderId, price]),
        key: `placeBid/${orderId}/${price}`,
        precheck: async () => {
          const current = await reader.bidOf(orderId, provider);
          return current !== 0n && current <= price
            ? { send: false, reason: `our bid of ${current}/s is on chain` }
            : { send: true };
        },
      });
      if (result.status === 'mined') {
        metrics?.bidsPlaced.inc({ pool });
        metrics?.orderToBidBlocks.set(result.receipt.blockNumber - orderBlock);
        log.info('bid placed', {
          pool,
          pricePerSecond: price.toString(),
          txHash: result.receipt.hash,
          blocksAfterOrder: result.receipt.blockNumber - orderBlock,
        });
      }
    } catch (error) {
      if (error instanceof TransactionRevertedError) {
        // The order closed, or the deadline passed, between the decision and the bid.
        this.forget(orderId);
        log.info('bid refused by the marketplace; reservation released', {
          error: error.message,
        });
        return;
      }
      // Anything else (RPC down, out of gas money): the follower reads the page again.
      this.forget(orderId);
      throw error;
    }
  }

  /**
   * Holds capacity for a bid already on chain: on the pool recorded for it, else (a bid of an
   * operator that recorded none) on the first pool with the order's model.
   */
  private holdForLiveBid(order: OrderState, bid: bigint): void {
    const recorded = this.options.bidPools.get(order.orderId);
    const pool = this.options
      .pools()
      .map(({ pool }) => pool)
      .filter(
        (pool) =>
          order.resources.gpuCount === 0 ||
          gpuModelId(pool.spec.gpu.model) === order.resources.gpuModel.toLowerCase(),
      )
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
    this.reservations.hold({
      orderId: order.orderId,
      pool: recorded ?? pool?.metadata.name ?? '',
      gpus: order.resources.gpuCount,
      pricePerSecond: bid,
      biddingDeadline: order.biddingDeadline,
    });
  }

  /** Drops a bid that was not placed: its reservation, its order and its pool's record. */
  private forget(orderId: bigint): void {
    this.decided.delete(orderId);
    this.reservations.release(orderId);
    this.dropRecord(orderId);
    this.publish();
  }

  /** Drops the pool recorded for a bid that is over for us (a stale record is only a few bytes). */
  private dropRecord(orderId: bigint): void {
    this.options.bidPools.drop([orderId]).catch((error: unknown) =>
      this.logger.warn('dropping the pool recorded for a bid failed', {
        orderId: orderId.toString(),
        error: describeError(error),
      }),
    );
  }

  private settle(orderId: bigint, outcome: Outcome): void {
    this.decided.delete(orderId);
    const released: Reservation | undefined = this.reservations.release(orderId);
    if (!released) return;
    const { metrics } = this.options;
    // A won bid's record stays until the lease sync made the lease's object in that pool.
    if (outcome === 'won') metrics?.bidsWon.inc();
    else {
      this.dropRecord(orderId);
      if (outcome === 'lost') metrics?.bidsLost.inc();
      else metrics?.bidsCancelled.inc();
    }
    this.logger.info(`auction ${outcome}; reservation released`, {
      orderId: orderId.toString(),
      pool: released.pool,
      gpus: released.gpus,
    });
    this.publish();
  }

  private candidates(): PoolCandidate[] {
    return this.options.pools().map((view) => ({
      ...view,
      reservedGpus: this.reservations.gpusOn(view.pool.metadata.name ?? ''),
    }));
  }

  /** Sets the reserved-GPUs gauge of every pool. */
  private publish(): void {
    const gauge = this.options.metrics?.reservedGpus;
    if (!gauge) return;
    for (const { pool } of this.options.pools()) {
      const name = pool.metadata.name ?? '';
      gauge.set({ pool: name }, this.reservations.gpusOn(name));
    }
  }
}
