import { sleep, systemClock, type Clock } from '../base/clock.js';
import { exponentialDelay } from '../base/backoff.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { ChainReader } from './chain-reader.js';
import { ChainError, RpcUnavailableError } from './errors.js';
import { decodeLogs, type ChainEvent, type FollowedContracts } from './events.js';
import { PageSizer, isPageTooLargeError, nextPage, type BlockRange } from './log-pager.js';
import type { ChainMetrics } from './metrics.js';
import { NewHeadsSubscription } from './new-heads.js';
import { BlockHashWindow, findCommonAncestor, type BlockRef } from './reorg.js';
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
  /** The last block whose events were delivered. */
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
  /** Blocks per eth_getLogs call at most; halved on "too large" answers. Default 2,000. */
  readonly pageSize?: number;
  /** Recent block hashes kept to notice reorgs (and how far to rewind past the window). */
  readonly blockHashWindow?: number;
  /** Time between polls of the head. Default 2 s. */
  readonly pollIntervalMs?: number;
  /** Time between polls while a newHeads subscription wakes the follower. Default 15 s. */
  readonly subscribedPollIntervalMs?: number;
  /** WebSocket URLs for newHeads wake-ups; none: polling only. */
  readonly newHeadsUrls?: readonly string[];
  /** Back-off after a failed round: base doubling up to max. Default 500 ms → 30 s. */
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  /** The checkpoint is saved at most this often while reading (always on reorgs and stop). */
  readonly checkpointIntervalMs?: number;
  readonly metrics?: ChainMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** A log of the page belongs to another version of the page's last block: read again. */
class InconsistentPageError extends ChainError {
  override readonly name = 'InconsistentPageError';
}

/**
 * Follows the marketplace's and the registry's events: reads logs in pages from the checkpoint up
 * to `head − confirmations`, hands each page's decoded events to the handlers, then advances the
 * checkpoint. It keeps recent block hashes and, when the checkpoint's block is no longer on the
 * chain (a reorg deeper than the confirmations), rewinds to the newest block still there and reads
 * again. RPC failures are retried with back-off; `status().connected` says whether the last round
 * reached the chain.
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

  private cursor: BlockRef | undefined;
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

  /** Stops after the page being delivered, and saves the checkpoint of what was delivered. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    this.heads?.stop();
    await this.running;
    this.running = undefined;
    await this.saveCheckpoint(true);
  }

  /**
   * One round: reads the head, checks the checkpoint's block is still on the chain (rewinding if
   * not), and delivers every page up to `head − confirmations`. Throws what failed.
   */
  async syncOnce(): Promise<void> {
    const head = await this.reader.headNumber();
    const lastBlock = head - this.options.confirmations;
    let cursor = this.cursor ?? (await this.initialCursor(lastBlock));
    this.cursor = cursor;
    cursor = await this.checkForReorg(cursor, lastBlock);
    this.update({ head, checkpoint: cursor, lagBlocks: Math.max(0, head - cursor.number) });
    for (
      let page = nextPage(cursor.number, lastBlock, this.pages.size);
      page && !this.stopping.signal.aborted;
      page = nextPage(cursor.number, lastBlock, this.pages.size)
    ) {
      const delivered = await this.readPage(page);
      if (!delivered) continue;
      cursor = delivered;
      this.cursor = cursor;
      this.update({ checkpoint: cursor, lagBlocks: Math.max(0, head - cursor.number) });
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
        const backoff = this.options.backoff ?? { baseMs: 500, maxMs: 30_000 };
        delayMs = exponentialDelay(backoff.baseMs, backoff.maxMs, failures - 1);
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

  private async initialCursor(lastBlock: number): Promise<BlockRef> {
    const saved = await this.options.checkpoints.load();
    if (saved) {
      this.savedCursor = saved;
      this.window.record(saved);
      this.logger.info('resuming from the checkpoint', { block: saved.number, hash: saved.hash });
      return saved;
    }
    const before = Math.min(this.options.startBlock - 1, lastBlock);
    return this.blockRef(before);
  }

  /** The chain's block at `number`, or the position before the genesis block. */
  private async blockRef(number: number): Promise<BlockRef> {
    if (number < 0) return { number: -1, hash: '' };
    const hash = await this.reader.blockHash(number);
    if (!hash) {
      throw new ChainError(`the chain has no block ${number}`, {
        details: 'the node is behind the block the follower starts or resumes from',
        action: 'point the Provider at a node that is synced, or check the start block',
      });
    }
    return { number, hash };
  }

  /**
   * When the cursor's block is no longer on the chain, rewinds to the newest recorded block that
   * still is (or a window further back when none is), saves that checkpoint and tells `onReorg`.
   */
  private async checkForReorg(cursor: BlockRef, lastBlock: number): Promise<BlockRef> {
    if (cursor.number < 0) return cursor;
    const hashAt = (n: number): Promise<string | undefined> => this.reader.blockHash(n);
    if ((await hashAt(cursor.number)) === cursor.hash) return cursor;

    const ancestor = await findCommonAncestor(this.window.blocks(), hashAt);
    const oldest = this.window.blocks()[0]?.number ?? cursor.number;
    const rewound =
      ancestor ??
      (await this.blockRef(
        Math.max(this.options.startBlock - 1, Math.min(oldest - this.windowSize, lastBlock)),
      ));
    this.window.dropAbove(rewound.number);
    this.window.record(rewound);
    this.cursor = rewound;
    this.logger.warn('chain reorganization reached delivered blocks; reading again', {
      orphanedBlock: cursor.number,
      orphanedHash: cursor.hash,
      resumeAfter: rewound.number,
      ancestorFound: ancestor !== undefined,
    });
    await this.options.onReorg?.({
      ancestor: rewound,
      orphaned: cursor,
      ancestorFound: ancestor !== undefined,
    });
    await this.saveCheckpoint(true);
    return rewound;
  }

  /**
   * Reads and delivers one page; returns the new cursor, or undefined when the page must be
   * read again (smaller).
   */
  private async readPage(page: BlockRange): Promise<BlockRef | undefined> {
    // The page end's hash before its logs: if the block changes in between, the logs disagree
    // with it (caught below) or the next round's reorg check sees it.
    const end = await this.blockRef(page.toBlock);
    let logs;
    try {
      logs = await this.reader.logs(this.addresses, page.fromBlock, page.toBlock);
    } catch (error) {
      if (isPageTooLargeError(error) && this.pages.shrink()) {
        this.logger.info('the node refused the log page as too large; halving it', {
          fromBlock: page.fromBlock,
          toBlock: page.toBlock,
          pageSize: this.pages.size,
        });
        return undefined;
      }
      throw error;
    }
    const stale = logs.find((log) => log.blockNumber === end.number && log.blockHash !== end.hash);
    if (stale) {
      throw new InconsistentPageError(`block ${end.number} changed while its page was read`, {
        details: `header ${end.hash}, log ${stale.blockHash}`,
      });
    }
    const events = decodeLogs(logs, this.options.contracts);
    if (events.length > 0) {
      for (const handler of this.options.handlers) await handler(events, page);
    }
    for (const log of logs) this.window.record({ number: log.blockNumber, hash: log.blockHash });
    this.window.record(end);
    this.pages.succeeded();
    return end;
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
