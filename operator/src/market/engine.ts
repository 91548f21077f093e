// The bid engine: woken by the chain follower's events, it decides from contract state whether
// to bid on each open order, holds the capacity a live bid promises, and lets it go when the
// auction ends. The bids decided on one page of events go out together, in one placeBids
// transaction per share of a block (docs/adr/0014-batched-bids.md). Level-based: a replayed event,
// or a restart, leads to no second bid.
import { Interface, keccak256, type InterfaceAbi } from 'ethers';
import {
  bidSkipReason,
  bidSkipReasonNames,
  marketplaceAbi,
  orderStatus,
  type BidSkipReason,
} from '../chain/abi/index.js';
import { TransactionRevertedError } from '../chain/errors.js';
import { decodeLogs, marketplaceEventsNamed, type ChainEvent } from '../chain/events.js';
import { gasBatches } from '../chain/gas-batches.js';
import { contractCall, type TransactionIntent } from '../chain/intent.js';
import { describeError } from '../chain/rpc.js';
import type { SendResult } from '../chain/tx-sender.js';
import { gpuModelId, sameAddress } from '../chain/identifiers.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { decideBid, type BiddingPolicy, type PoolCandidate } from './decide.js';
import { poolCandidates, type PoolView } from './pool-candidates.js';
import type { MarketReader, OrderState } from './market-reader.js';
import type { MarketMetrics } from './metrics.js';
import { orderFromEvent, type MarketOrder, type OrderCreatedArgs } from './order.js';
import type { PricingStrategy } from './pricing.js';
import type { BidPools } from './bid-pools.js';
import { ReservationBook, type Reservation } from './reservations.js';

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
  /** Live bids on the order when decided: what the bid's insertion walks past. */
  readonly liveBids: number;
  readonly log: Logger;
}

/** What the chain says of an order when it is decided on. */
interface OrderFacts {
  readonly state: OrderState;
  /** Our live bid on it; 0 when there is none. */
  readonly ourBid: bigint;
}

/**
 * Gas bounds of a placeBids transaction (contracts/.gas-snapshot, with a margin): the 21,000 of a
 * transaction and the call's own work (the registry check), then per bid a first bid beside one
 * other (39,685) and about 2,400 per further live bid the insertion walks past, up to a full
 * order's eviction (placeBid's worst case, 122,970, ADR 7).
 */
const placeBidsBaseGas = 40_000;
const bidGas = (liveBids: number): number => 45_000 + 2_600 * liveBids;

/** The topic of BidSkipped: a receipt's logs are decoded only for the bids it skipped. */
const bidSkippedTopic = new Interface(marketplaceAbi as unknown as InterfaceAbi).getEvent(
  'BidSkipped',
)!.topicHash;

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
    const bidOn = await reader.ordersBidOn(provider, fromBlock, latest.number);
    for (const { state, ourBid } of (await this.readFacts(bidOn)).values()) {
      if (state.status === orderStatus.Open && ourBid > 0n) this.holdForLiveBid(state, ourBid);
    }
    this.logger.info('reservations rebuilt from the chain', {
      orders: this.reservations.size,
      gpus: this.reservations.totalGpus(),
    });
    this.publish();
  }

  /** Handles one page of the follower's events (in chain order). Throws to have it re-read. */
  async handle(events: readonly ChainEvent[]): Promise<void> {
    const created = marketplaceEventsNamed(events, 'OrderCreated');
    const latest = created.length > 0 ? await this.options.reader.latestBlock() : undefined;
    const facts = await this.readFacts(created.map((event) => event.args.orderId));
    const bids: DecidedBid[] = [];
    for (const event of events) {
      if (event.contract !== 'marketplace') continue;
      switch (event.name) {
        case 'OrderCreated': {
          const bid = this.consider(
            orderFromEvent(event.args as unknown as OrderCreatedArgs),
            event.blockNumber,
            latest?.timestamp ?? 0,
            facts.get(event.args.orderId),
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
    await this.place(bids, latest?.gasLimit);
  }

  /**
   * After a reorg deeper than the confirmations: a bid of ours that the new fork no longer has is
   * released and, if the order is still open and still wanted, placed again.
   */
  async recheckAfterReorg(): Promise<void> {
    const { reader, provider } = this.options;
    const { number, timestamp, gasLimit } = await reader.latestBlock();
    const ours = this.reservations.all().flatMap(({ orderId }) => this.decided.get(orderId) ?? []);
    const bids = await reader.bidsOf(
      ours.map((order) => order.orderId),
      provider,
    );
    const orphaned = ours.filter((_, i) => bids[i] === 0n);
    for (const order of orphaned) {
      this.reservations.release(order.orderId);
      this.logger.warn('our bid was orphaned by a reorg; deciding again', {
        orderId: order.orderId.toString(),
      });
    }
    const facts = await this.readFacts(orphaned.map((order) => order.orderId));
    const decided: DecidedBid[] = [];
    for (const order of orphaned) {
      const bid = this.consider(order, number, timestamp, facts.get(order.orderId));
      if (bid) decided.push(bid);
    }
    this.publish();
    await this.place(decided, gasLimit);
  }

  /**
   * Releases the reservations of auctions that are over without an event saying so: bidding
   * closed and another provider's bid is the best (finalize will lease the order to it).
   */
  async sweep(): Promise<void> {
    const held = this.reservations.all();
    if (held.length === 0) return;
    const { timestamp } = await this.options.reader.latestBlock();
    const over = held.filter((r) => r.biddingDeadline < timestamp).map((r) => r.orderId);
    for (const order of await this.options.reader.orders(over)) {
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

  /**
   * The state of each order and our live bid on it, in two batch reads: a burst of orders is
   * decided on in the time of a few calls, not of two per order. Orders we hold a reservation for
   * (a replayed event) are not read.
   */
  private async readFacts(orderIds: readonly bigint[]): Promise<Map<bigint, OrderFacts>> {
    const { reader, provider } = this.options;
    const unknown = orderIds.filter((orderId) => !this.reservations.get(orderId));
    if (unknown.length === 0) return new Map();
    const [states, bids] = await Promise.all([
      reader.orders(unknown),
      reader.bidsOf(unknown, provider),
    ]);
    return new Map(
      unknown.map((orderId, i) => [orderId, { state: states[i]!, ourBid: bids[i] ?? 0n }]),
    );
  }

  /**
   * Decides on an order from its facts (none: it holds a reservation already); returns the bid to
   * place, if any, its capacity held.
   */
  private consider(
    announced: MarketOrder,
    orderBlock: number,
    now: number,
    facts: OrderFacts | undefined,
  ): DecidedBid | undefined {
    const { provider, metrics } = this.options;
    const log = this.logger.child({ orderId: announced.orderId.toString() });
    // Replayed (already bid), or decided on earlier in this page.
    if (!facts || this.reservations.get(announced.orderId)) return undefined;
    const { state, ourBid } = facts;
    if (state.status !== orderStatus.Open) {
      log.debug('order no longer open', { status: state.status });
      return undefined;
    }
    if (ourBid > 0n) {
      // Bid before a restart, or the event came again after a reorg: hold, never bid twice.
      this.holdForLiveBid(state, ourBid);
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
      liveBids: state.bidCount,
      log,
    };
  }

  /**
   * Records the bids' pools, then sends the bids together: one placeBids per share of a block
   * (`gasBatches`), so that a burst of orders costs a transaction, not one per order, and every
   * bid waits one block, not one per bid before it. When the record cannot be written no bid is
   * sent (their capacity is let go) and the error goes to the follower, which reads the page again.
   */
  private async place(
    bids: readonly DecidedBid[],
    blockGasLimit: bigint | undefined,
  ): Promise<void> {
    if (bids.length === 0) return;
    try {
      await this.options.bidPools.record(new Map(bids.map((bid) => [bid.orderId, bid.pool])));
    } catch (error) {
      bids.forEach((bid) => this.forget(bid.orderId));
      throw error;
    }
    const batches = gasBatches(bids, {
      blockGasLimit,
      baseGas: placeBidsBaseGas,
      itemGas: (bid) => bidGas(bid.liveBids),
    });
    // Every batch ends (mined, refused or failed) before the page is done with.
    const outcomes = await Promise.allSettled(batches.map((batch) => this.placeBatch(batch)));
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Sends one placeBids and reads from its receipt what became of each bid: placed; skipped as
   * our bid on the order is as low already (a batch sent again: it stays live); or skipped as the
   * order closed or filled up since the decision (its capacity is let go). The transaction is not
   * sent when all its bids are on chain already.
   */
  private async placeBatch(batch: readonly DecidedBid[]): Promise<void> {
    const { provider, marketplace } = this.options;
    const call = contractCall(marketplaceAbi, marketplace, 'placeBids', [
      batch.map((bid) => bid.orderId),
      batch.map((bid) => bid.pricePerSecond),
    ]);
    let result: SendResult;
    try {
      result = await this.options.sender.send({
        ...call,
        // The same bids make the same calldata: a batch sent again while in flight joins it.
        key: `placeBids/${batch.length}/${keccak256(call.data).slice(2, 18)}`,
        precheck: async () =>
          (await this.allOnChain(batch))
            ? { send: false, reason: 'our bids are on chain' }
            : { send: true },
      });
    } catch (error) {
      batch.forEach((bid) => this.forget(bid.orderId));
      if (error instanceof TransactionRevertedError) {
        // Refused whole: the marketplace paused, or the provider no longer registered.
        this.logger.info('bids refused by the marketplace; reservations released', {
          bids: batch.length,
          error: error.message,
        });
        return;
      }
      // Anything else (RPC down, out of gas money): the follower reads the page again.
      throw error;
    }
    if (result.status === 'skipped') return;
    const skips = result.receipt.logs.filter((log) => log.topics[0] === bidSkippedTopic);
    const skipped = new Map(
      marketplaceEventsNamed(decodeLogs(skips, { marketplace }), 'BidSkipped')
        .filter((event) => sameAddress(event.args.provider, provider))
        .map((event) => [event.args.orderId, Number(event.args.reason) as BidSkipReason]),
    );
    for (const bid of batch) this.placed(bid, result.receipt, skipped.get(bid.orderId));
    this.logger.info('bids sent', {
      bids: batch.length,
      placed: batch.length - skipped.size,
      txHash: result.receipt.hash,
      block: result.receipt.blockNumber,
      gasUsed: result.receipt.gasUsed.toString(),
    });
  }

  /** One bid of a mined placeBids: placed, live already, or refused (`skipped` says why). */
  private placed(
    { orderId, pool, pricePerSecond, orderBlock, log }: DecidedBid,
    receipt: { readonly hash: string; readonly blockNumber: number },
    skipped: BidSkipReason | undefined,
  ): void {
    const { metrics } = this.options;
    if (skipped === undefined) {
      metrics?.bidsPlaced.inc({ pool });
      metrics?.orderToBidBlocks.set(receipt.blockNumber - orderBlock);
      log.info('bid placed', {
        pool,
        pricePerSecond: pricePerSecond.toString(),
        txHash: receipt.hash,
        blocksAfterOrder: receipt.blockNumber - orderBlock,
      });
    } else if (skipped === bidSkipReason.NotLower) {
      log.debug('our bid was on chain already', { txHash: receipt.hash });
    } else {
      this.forget(orderId);
      log.info('bid refused by the marketplace; reservation released', {
        reason: bidSkipReasonNames[skipped],
        txHash: receipt.hash,
      });
    }
  }

  /** True when each bid of the batch is on chain at its price or lower. */
  private async allOnChain(batch: readonly DecidedBid[]): Promise<boolean> {
    const { reader, provider } = this.options;
    const current = await reader.bidsOf(
      batch.map((bid) => bid.orderId),
      provider,
    );
    return batch.every((bid, i) => current[i] !== 0n && (current[i] ?? 0n) <= bid.pricePerSecond);
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
    return poolCandidates(this.options.pools(), (pool) => this.reservations.gpusOn(pool));
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
