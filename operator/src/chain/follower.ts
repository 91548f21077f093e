import { sleep, systemClock, type Clock } from '../base/clock.js';
import { exponentialDelay } from '../base/backoff.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { ChainReader } from './chain-reader.js';
import { ChainError, RpcUnavailableError } from './errors.js';
import { decodeLogs, type ChainEvent, type FollowedContracts, type LogEntry } from './events.js';
import { PageSizer, blocksIn, nextPage, type BlockRange } from './log-pager.js';
import type { ChainMetrics } from './metrics.js';
import { NewHeadsSubscription } from './new-heads.js';
import { BlockHashWindow, findCommonAncestor, type BlockRef } from './reorg.js';
import { readRpcLimit } from './rpc-limits.js';
import { describeError } from './rpc.js';

/**
 * Where the follower's checkpoint is kept (the Provider status, later): the last block whose
 * events were all delivered, and its hash. `save` is called only after the handlers returned for
 * everything up to that block.
 */
export interface CheckpointStore {
  load(): Promise<BlockRef | undefined>;
  save(block: number, hash: string): Promise<void>;
}

/** A checkpoint kept in memory: for tests, and for a follower that may start over after a restart. */
export class MemoryCheckpointStore implements CheckpointStore {
  checkpoint: BlockRef | undefined;

  constructor(initial?: BlockRef) {
    this.checkpoint = initial;
  }

  async load(): Promise<BlockRef | undefined> {
    return this.checkpoint;
  }

  async save(block: number, hash: string): Promise<void> {
    this.checkpoint = { number: block, hash };
  }
}

/**
 * Receives the events of one page of blocks, in chain order (possibly none: handlers are only
 * called for pages with events). A handler only wakes controllers: the same event may come again
 * (after a restart or a reorg), and acting on it twice must change nothing. A throw makes the
 * follower read the page again after a back-off.
 */
export type EventHandler = (
  events: readonly ChainEvent[],
  range: BlockRange,
) => Promise<void> | void;

/** A reorg the follower noticed: events delivered above `ancestor` may be gone or changed. */
export interface ReorgNotice {
  /** The newest block still on the chain; reading resumes after it. */
  readonly ancestor: BlockRef;
  /** The checkpoint before the reorg, now orphaned. */
  readonly orphaned: BlockRef;
  /** False when the reorg went deeper than the block hash window and the rewind is a guess. */
  readonly ancestorFound: boolean;
}

/** What the follower reports (for the ChainConnected condition and the Provider status). */
export interface FollowerStatus {
  /** The last round reached an RPC endpoint. */
  readonly connected: boolean;
  /** A WebSocket newHeads subscription is up. */
  readonly subscribed: boolean;
  readonly head?: number;
  /**
   * The last block whose events were all delivered, checked on the chain after them (what is
   * saved); pages delivered beyond it count in `lagBlocks`.
   */
  readonly checkpoint?: BlockRef;
  readonly lagBlocks?: number;
  /** Why the last round failed, when it did. */
  readonly lastError?: string;
}

export interface EventFollowerOptions {
  readonly reader: ChainReader;
  readonly contracts: FollowedContracts;
  /** The first block to read when there is no checkpoint (the contracts' deploy block). */
  readonly startBlock: number;
  /** Blocks below the head a block must be to be read. */
  readonly confirmations: number;
  readonly checkpoints: CheckpointStore;
  readonly handlers: readonly EventHandler[];
  /** Told of each reorg that reached delivered blocks, before their replacements are delivered. */
  readonly onReorg?: (reorg: ReorgNotice) => Promise<void> | void;
  readonly onStatusChange?: (status: FollowerStatus) => void;
  /**
   * Blocks per eth_getLogs call at most. Fewer when the RPC refuses pages as too large: down to
   * the block limit or the range it names, or by halves, and back up as pages go through.
   * Default 2,000.
   */
  readonly pageSize?: number;
  /** Recent block hashes kept to notice reorgs (and how far to rewind past the window). */
  readonly blockHashWindow?: number;
  /** Time between polls of the head. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** Time between polls while a newHeads subscription wakes the follower. Default 15 s. */
  readonly subscribedPollIntervalMs?: number;
  /** WebSocket URLs for newHeads wake-ups; none: polling only. */
  readonly newHeadsUrls?: readonly string[];
  /**
   * Back-off after a failed round, and between requests the RPC rate-limited (at least what it
   * asked for): base doubling up to max. Default 500 ms → 30 s.
   */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** The checkpoint is saved at most this often while reading (always on reorgs and stop). */
  readonly checkpointIntervalMs?: number;
  readonly metrics?: ChainMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** A log of the span's last block belongs to another version of it than the one read: read again. */
class InconsistentPageError extends ChainError {
  override readonly name = 'InconsistentPageError';
}

/**
 * Pages read per span: between two checks that the delivered blocks are still on the chain, each
 * costing one block hash. More pages per span spend fewer requests on hashes, but a restart reads
 * again at most a span that was delivered and not yet saved.
 */
const pagesPerSpan = 8;

/** The stretch of blocks being delivered: all its logs are read after its last block's hash. */
interface Span {
  /** The span's last block, its hash read before any log of the span. */
  readonly anchor: BlockRef;
  /** The last block of the span whose events the handlers took. */
  delivered: number;
  /** Blocks of the span with logs, for the hash window once the whole span is delivered. */
  readonly seen: BlockRef[];
  /** The first page, read together with the check that opened the span. */
  first?: PageRead;
}

/** A page being read: its logs, or undefined when the node refused it as too large. */
interface PageRead {
  readonly page: BlockRange;
  readonly logs: Promise<LogEntry[] | undefined>;
}

/**
 * Follows the marketplace's and the registry's events: reads logs in pages from the checkpoint up
 * to `head − confirmations`, hands each page's decoded events to the handlers, then advances the
 * checkpoint. It keeps recent block hashes and, when a delivered block is no longer on the chain
 * (a reorg deeper than the confirmations), rewinds to the newest block still there and reads
 * again.
 *
 * Pages adapt to the RPC's limits ({@link PageSizer}): a refused page is read again smaller, never
 * skipping or repeating a block. A rate-limited request is sent again after a back-off (as long as
 * the node asked, when it said), without failing the round. Other RPC failures end the round and
 * it is retried with back-off; `status().connected` says whether the last round reached the chain.
 *
 * Reorg safety with one block hash per span of pages, not per page: each span reads the hash of
 * its last block (the anchor) first, then checks that the previous anchor is still on the chain,
 * then reads the span's logs. A chain that changed any block up to an anchor changed the anchor,
 * so a reorg that happens while a span is read, or later, is caught by the next check.
 *
 * @example
 * const follower = new EventFollower({ reader: rpcChainReader(rpc), contracts, startBlock,
 *   confirmations: 2, checkpoints, handlers: [(events) => wakeControllers(events)] });
 * follower.start();
 */
export class EventFollower {
  private readonly reader: ChainReader;
  private readonly addresses: readonly string[];
  private readonly pages: PageSizer;
  private readonly window: BlockHashWindow;
  private readonly windowSize: number;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly heads: NewHeadsSubscription | undefined;
  private stopping = new AbortController();
  private running: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  /** The last block whose events were all delivered and whose hash was checked after them. */
  private cursor: BlockRef | undefined;
  /** The span being delivered, kept across a failed round so nothing is delivered twice. */
  private span: Span | undefined;
  private savedCursor: BlockRef | undefined;
  private savedAt = 0;
  private current: FollowerStatus = { connected: false, subscribed: false };

  constructor(private readonly options: EventFollowerOptions) {
    if (!Number.isInteger(options.confirmations) || options.confirmations < 0) {
      throw new RangeError(
        `confirmations must be a whole number ≥ 0, not ${options.confirmations}`,
      );
    }
    this.reader = options.reader;
    this.addresses = [options.contracts.marketplace, options.contracts.registry];
    this.pages = new PageSizer(options.pageSize ?? 2_000);
    this.windowSize = options.blockHashWindow ?? 256;
    this.window = new BlockHashWindow(this.windowSize);
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'event-follower' });
    this.heads =
      options.newHeadsUrls && options.newHeadsUrls.length > 0
        ? new NewHeadsSubscription({
            urls: options.newHeadsUrls,
            onHead: () => {
              if (this.current.connected) this.wake?.();
            },
            onStateChange: (subscribed) => this.update({ subscribed }),
            logger: this.logger,
            clock: this.clock,
          })
        : undefined;
  }

  status(): FollowerStatus {
    return this.current;
  }

  /** Starts following in the background; `stop` ends it. */
  start(): void {
    if (this.running) return;
    this.stopping = new AbortController();
    this.heads?.start();
    this.running = this.loop();
  }

  /**
   * Stops after the page being delivered, and saves the checkpoint: the last block checked after
   * its events were delivered (a restart may deliver the pages after it again).
   */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    this.heads?.stop();
    await this.running;
    this.running = undefined;
    await this.saveCheckpoint(true);
  }

  /**
   * One round: reads the head, checks the delivered blocks are still on the chain (rewinding if
   * not), and delivers every page up to `head − confirmations`. Throws what failed.
   */
  async syncOnce(): Promise<void> {
    const head = await this.read(() => this.reader.headNumber());
    const lastBlock = head - this.options.confirmations;
    this.cursor ??= await this.initialCursor(lastBlock);
    this.update({ head });
    if (this.span) {
      // A failed round left a span half delivered: go on with it while its anchor stands.
      const { anchor } = this.span;
      if (!(await this.onChain(anchor))) await this.rewind(anchor, lastBlock);
    } else if (this.cursor.number >= lastBlock) {
      // Nothing new to read: the check that what was delivered still stands is the whole round.
      const { cursor } = this;
      if (!(await this.onChain(cursor))) await this.rewind(cursor, lastBlock);
    }
    this.reportProgress();
    while (!this.stopping.signal.aborted) {
      const span = this.span ?? (await this.openSpan(lastBlock));
      if (!span) break;
      await this.deliverSpan(span);
      if (span.delivered < span.anchor.number) break; // stopping
      for (const block of span.seen) this.window.record(block);
      this.window.record(span.anchor);
      this.cursor = span.anchor;
      this.span = undefined;
      this.reportProgress();
      await this.saveCheckpoint(false);
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      let delayMs = this.heads?.subscribed
        ? (this.options.subscribedPollIntervalMs ?? 15_000)
        : (this.options.pollIntervalMs ?? 2_000);
      try {
        await this.syncOnce();
        failures = 0;
        this.update({ connected: true, lastError: undefined });
      } catch (error) {
        if (this.stopping.signal.aborted) break;
        failures += 1;
        delayMs = this.backoffDelay(failures - 1);
        this.update({
          // Only an RPC that answered nobody means disconnected; a handler's failure does not.
          connected: !(error instanceof RpcUnavailableError),
          lastError: describeError(error),
        });
        this.logger.warn('following the chain failed; retrying', {
          error: describeError(error),
          retryInMs: delayMs,
          failures,
        });
      }
      await this.pause(delayMs);
    }
  }

  private backoffDelay(attempt: number): number {
    const backoff = this.options.backoff ?? { baseMs: 500, maxMs: 30_000 };
    return exponentialDelay(backoff.baseMs, backoff.maxMs, attempt);
  }

  /** Sleeps `delayMs`, or less when a new block is announced or the follower stops. */
  private async pause(delayMs: number): Promise<void> {
    const woken = new AbortController();
    this.wake = () => woken.abort();
    const stop = (): void => woken.abort();
    this.stopping.signal.addEventListener('abort', stop, { once: true });
    await sleep(this.clock, delayMs, woken.signal);
    this.stopping.signal.removeEventListener('abort', stop);
    this.wake = undefined;
  }

  /**
   * Sends a read, and again after a back-off while the RPC answers that it is rate-limited (as
   * long as it asked, when it said how long): a rate limit slows the follower down, it is no
   * failure. Everything else is thrown.
   */
  private async read<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (error) {
        const limit = readRpcLimit(error);
        if (limit?.kind !== 'rate-limited' || this.stopping.signal.aborted) throw error;
        const delayMs = Math.max(limit.retryAfterMs ?? 0, this.backoffDelay(attempt));
        // Once per streak at info: a rate limit that lasts is one thing to know, not many.
        this.logger.log(
          attempt === 0 ? 'info' : 'debug',
          'the RPC rate-limited the follower; waiting before asking again',
          { waitMs: delayMs, attempt: attempt + 1 },
        );
        await sleep(this.clock, delayMs, this.stopping.signal);
        if (this.stopping.signal.aborted) throw error;
      }
    }
  }

  private async initialCursor(lastBlock: number): Promise<BlockRef> {
    const saved = await this.options.checkpoints.load();
    if (saved) {
      this.savedCursor = saved;
      this.window.record(saved);
      this.logger.info('resuming from the checkpoint', { block: saved.number, hash: saved.hash });
      return saved;
    }
    const start = await this.blockRef(Math.min(this.options.startBlock - 1, lastBlock));
    if (start.number >= 0) this.window.record(start);
    return start;
  }

  /** The chain's block at `number`, or the position before the genesis block. */
  private async blockRef(number: number): Promise<BlockRef> {
    if (number < 0) return { number: -1, hash: '' };
    const hash = await this.read(() => this.reader.blockHash(number));
    if (!hash) {
      throw new ChainError(`the chain has no block ${number}`, {
        details: 'the node is behind the block the follower starts or resumes from',
        action: 'point the Provider at a node that is synced, or check the start block',
      });
    }
    return { number, hash };
  }

  /** True when the chain still has `block` (the position before genesis always is). */
  private async onChain(block: BlockRef): Promise<boolean> {
    if (block.number < 0) return true;
    return (await this.read(() => this.reader.blockHash(block.number))) === block.hash;
  }

  /**
   * The next span after the cursor, up to `lastBlock`: its anchor's hash first, then the check
   * that the cursor is still on the chain (rewinding when not, and trying again). Undefined when
   * there is nothing to read.
   */
  private async openSpan(lastBlock: number): Promise<Span | undefined> {
    while (!this.stopping.signal.aborted) {
      const cursor = this.cursor as BlockRef;
      if (cursor.number >= lastBlock) return undefined;
      const end = Math.min(lastBlock, cursor.number + this.pages.size * pagesPerSpan);
      const anchor = await this.blockRef(end);
      // The check and the span's first page are sent together (ethers puts calls made at once in
      // one JSON-RPC batch): one round trip. The page is dropped if the check fails.
      const first = this.readPage(nextPage(cursor.number, end, this.pages.size) as BlockRange);
      if (await this.onChain(cursor)) {
        this.span = { anchor, delivered: cursor.number, seen: [], first };
        return this.span;
      }
      await this.rewind(cursor, lastBlock);
    }
    return undefined;
  }

  /**
   * Delivers the span's pages in order, each once, until its anchor or the follower stops. The
   * next page is read while one is decoded and handed to the handlers: a catch-up waits for the
   * RPC or for decoding, not for both in turn.
   */
  private async deliverSpan(span: Span): Promise<void> {
    const { anchor } = span;
    const after = (block: number): PageRead | undefined => {
      const page = nextPage(block, anchor.number, this.pages.size);
      return page && this.readPage(page);
    };
    let read = span.first ?? after(span.delivered);
    span.first = undefined;
    while (read && !this.stopping.signal.aborted) {
      const { page } = read;
      const logs = await read.logs;
      if (!logs) {
        // Refused as too large: read again from the same block, smaller.
        read = after(span.delivered);
        continue;
      }
      const stale = logs.find(
        (log) => log.blockNumber === anchor.number && log.blockHash !== anchor.hash,
      );
      if (stale) {
        throw new InconsistentPageError(`block ${anchor.number} changed while read`, {
          details: `header ${anchor.hash}, log ${stale.blockHash}`,
        });
      }
      this.pages.succeeded(blocksIn(page), logs.length);
      const next = this.stopping.signal.aborted ? undefined : after(page.toBlock);
      const events = decodeLogs(logs, this.options.contracts);
      if (events.length > 0) {
        for (const handler of this.options.handlers) await handler(events, page);
      }
      for (const log of logs) {
        const last = span.seen[span.seen.length - 1];
        if (last?.number !== log.blockNumber) {
          span.seen.push({ number: log.blockNumber, hash: log.blockHash });
        }
      }
      span.seen.splice(0, Math.max(0, span.seen.length - this.windowSize));
      span.delivered = page.toBlock;
      this.reportProgress();
      read = next;
    }
  }

  /** Starts reading a page; a read dropped (the page before failed, a stop) is never unhandled. */
  private readPage(page: BlockRange): PageRead {
    const logs = this.pageLogs(page);
    logs.catch(() => undefined);
    return { page, logs };
  }

  /** The page's logs, or undefined when the node refused the page as too large (now smaller). */
  private async pageLogs(page: BlockRange): Promise<LogEntry[] | undefined> {
    try {
      return await this.read(() => this.reader.logs(this.addresses, page.fromBlock, page.toBlock));
    } catch (error) {
      const limit = readRpcLimit(error);
      if (limit?.kind !== 'page-too-large' || !this.pages.refused(blocksIn(page), limit)) {
        throw error;
      }
      this.logger.info('the RPC refused the log page as too large; reading it in smaller pages', {
        fromBlock: page.fromBlock,
        toBlock: page.toBlock,
        pageSize: this.pages.size,
        blockLimit: this.pages.limit,
        error: describeError(error),
      });
      return undefined;
    }
  }

  /**
   * After `orphaned` (a delivered or anchored block) left the chain: rewinds to the newest
   * recorded block that is still on it (or a window further back when none is), saves that
   * checkpoint and tells `onReorg`.
   */
  private async rewind(orphaned: BlockRef, lastBlock: number): Promise<void> {
    const hashAt = (n: number): Promise<string | undefined> =>
      this.read(() => this.reader.blockHash(n));
    const ancestor = await findCommonAncestor(this.window.blocks(), hashAt);
    const oldest = this.window.blocks()[0]?.number ?? (this.cursor ?? orphaned).number;
    const rewound =
      ancestor ??
      (await this.blockRef(
        Math.max(this.options.startBlock - 1, Math.min(oldest - this.windowSize, lastBlock)),
      ));
    this.window.dropAbove(rewound.number);
    this.window.record(rewound);
    this.cursor = rewound;
    this.span = undefined;
    this.logger.warn('chain reorganization reached delivered blocks; reading again', {
      orphanedBlock: orphaned.number,
      orphanedHash: orphaned.hash,
      resumeAfter: rewound.number,
      ancestorFound: ancestor !== undefined,
    });
    await this.options.onReorg?.({
      ancestor: rewound,
      orphaned,
      ancestorFound: ancestor !== undefined,
    });
    await this.saveCheckpoint(true);
  }

  /** Saves the delivered cursor when it moved and (unless forced) the interval passed. */
  private async saveCheckpoint(force: boolean): Promise<void> {
    const cursor = this.cursor;
    if (!cursor || cursor.number < 0) return;
    if (cursor.number === this.savedCursor?.number && cursor.hash === this.savedCursor.hash) return;
    const interval = this.options.checkpointIntervalMs ?? 5_000;
    if (!force && this.clock.now() - this.savedAt < interval) return;
    await this.options.checkpoints.save(cursor.number, cursor.hash);
    this.savedCursor = cursor;
    this.savedAt = this.clock.now();
  }

  /** The checkpoint and the lag behind the head (counted from the last block delivered). */
  private reportProgress(): void {
    const delivered = this.span?.delivered ?? this.cursor?.number;
    const { head } = this.current;
    this.update({
      ...(this.cursor ? { checkpoint: this.cursor } : {}),
      ...(head !== undefined && delivered !== undefined
        ? { lagBlocks: Math.max(0, head - delivered) }
        : {}),
    });
  }

  private update(change: Partial<FollowerStatus>): void {
    const previous = this.current;
    this.current = { ...previous, ...change };
    const { metrics } = this.options;
    if (metrics) {
      if (this.current.lagBlocks !== undefined)
        metrics.followerLagBlocks.set(this.current.lagBlocks);
      if (this.current.checkpoint)
        metrics.followerCheckpointBlock.set(this.current.checkpoint.number);
      metrics.followerConnected.set(this.current.connected ? 1 : 0);
    }
    if (
      previous.connected !== this.current.connected ||
      previous.subscribed !== this.current.subscribed
    ) {
      this.logger.info('chain connection changed', {
        connected: this.current.connected,
        subscribed: this.current.subscribed,
        lastError: this.current.lastError,
      });
      this.options.onStatusChange?.(this.current);
    }
  }
}
