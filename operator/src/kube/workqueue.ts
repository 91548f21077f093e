import { systemClock, type Clock, type TimerHandle } from '../base/clock.js';
import { MinHeap } from './min-heap.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/**
 * Events a work queue reports, as client-go's workqueue metrics provider (controller-runtime
 * exports them as `workqueue_*`). Durations are in seconds. Gauges (depth, unfinished work)
 * are read from `WorkQueueStats` when metrics are scraped.
 */
export interface WorkQueueMetrics {
  /** A key became dirty (adds_total +1). */
  added(): void;
  /** A worker took a key that waited `queuedSeconds`. */
  taken(queuedSeconds: number): void;
  /** A worker finished a key after `workSeconds`. */
  done(workSeconds: number): void;
  /** A key was re-added through the rate limiter. */
  retried(): void;
}

const noMetrics: WorkQueueMetrics = {
  added: () => undefined,
  taken: () => undefined,
  done: () => undefined,
  retried: () => undefined,
};

export interface WorkQueueOptions<K> {
  readonly clock?: Clock;
  readonly rateLimiter?: RateLimiter<K>;
  readonly metrics?: WorkQueueMetrics;
}

/** The gauges of a work queue, read at scrape time. */
export interface WorkQueueStats {
  /** Keys added and not yet taken by a worker (client-go's depth). */
  readonly depth: number;
  /** How long each in-process key has been processed so far, in seconds. */
  processingSeconds(): number[];
}

/** What a worker gets from `get`: a key to process, then `done(key)` when finished. */
export type WorkQueueItem<K> = { readonly key: K } | undefined;

/**
 * A rate-limited, delaying work queue with client-go's semantics:
 * - a key is queued at most once however often it is added (the `dirty` set);
 * - a key being processed is never handed to a second worker; if it is added meanwhile it is
 *   queued again when the first worker calls `done`, so the change is never lost;
 * - `addAfter` delays a key (the earliest pending time wins); `addRateLimited` delays it by the
 *   rate limiter (per-key exponential backoff and an overall token bucket); `forget` resets it.
 */
export class WorkQueue<K = string> implements WorkQueueStats {
  private readonly clock: Clock;
  private readonly rateLimiter: RateLimiter<K>;
  private readonly metrics: WorkQueueMetrics;

  private queue: K[] = [];
  private head = 0;
  private readonly dirty = new Set<K>();
  /** Keys being processed, with the time they were taken. */
  private readonly processing = new Map<K, number>();
  /** When each queued key was added (for the queue-duration metric). */
  private readonly addedAt = new Map<K, number>();
  private readonly waiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  /** Delayed keys: the time each is due, and a heap to find the earliest. */
  private readonly readyAt = new Map<K, number>();
  private readonly delayed = new MinHeap<K>();
  private delayTimer: { handle: TimerHandle; due: number } | undefined;

  constructor(options: WorkQueueOptions<K> = {}) {
    this.clock = options.clock ?? systemClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.metrics = options.metrics ?? noMetrics;
  }

  /** Keys waiting for a worker (not counting delayed or in-process keys). */
  get length(): number {
    return this.queue.length - this.head;
  }

  get depth(): number {
    return this.dirty.size;
  }

  /** Keys waiting for a delay to pass. */
  get delayedLength(): number {
    return this.readyAt.size;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  processingSeconds(): number[] {
    const now = this.clock.now();
    return [...this.processing.values()].map((since) => (now - since) / 1000);
  }

  /** Marks `key` as needing processing. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    this.addedAt.set(key, this.clock.now());
    this.metrics.added();
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Adds `key` once `delayMs` has passed (at once when ≤ 0). */
  addAfter(key: K, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) return this.add(key);
    const due = this.clock.now() + delayMs;
    const pending = this.readyAt.get(key);
    if (pending !== undefined && pending <= due) return;
    this.readyAt.set(key, due);
    this.delayed.push(due, key);
    this.scheduleDelayTimer();
  }

  /** Adds `key` after the rate limiter's delay: used to retry a key that failed. */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics.retried();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Clears the key's failure history (after a success or a terminal error). */
  forget(key: K): void {
    this.rateLimiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.rateLimiter.numRequeues(key);
  }

  /**
   * Queues at once every key waiting out a failure backoff (keys delayed by `addAfter` alone, with
   * no failure on record, keep their time). Called when the API server is reachable again after
   * an outage: the keys failed because of the outage, not because of themselves, and would
   * otherwise wait for backoffs that grew during it. Their failure counts are kept, so a key
   * that fails again backs off further. Returns how many keys were queued.
   */
  retryFailedNow(): number {
    let queued = 0;
    for (const key of [...this.readyAt.keys()]) {
      if (this.rateLimiter.numRequeues(key) === 0) continue;
      this.readyAt.delete(key); // its heap entry is now stale and skipped
      this.add(key);
      queued++;
    }
    return queued;
  }

  /**
   * Waits for a key and marks it as being processed. Resolves to undefined once the queue is
   * shutting down and empty. Call `done(key)` when finished.
   */
  async get(): Promise<WorkQueueItem<K>> {
    while (this.length === 0) {
      if (this.shuttingDown) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue[this.head]!;
    this.head++;
    this.compact();
    const now = this.clock.now();
    this.processing.set(key, now);
    this.dirty.delete(key);
    this.metrics.taken((now - (this.addedAt.get(key) ?? now)) / 1000);
    this.addedAt.delete(key);
    return { key };
  }

  /** Marks `key` as processed; queues it again if it was added while being processed. */
  done(key: K): void {
    const since = this.processing.get(key);
    if (since === undefined) return;
    this.processing.delete(key);
    this.metrics.done((this.clock.now() - since) / 1000);
    if (this.dirty.has(key)) {
      this.push(key);
    } else if (this.processing.size === 0) {
      const drained = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of drained) resolve();
    }
  }

  /**
   * Stops taking work: queued and delayed keys are dropped (a stopping controller starts no new
   * reconcile; the next leader or process rebuilds its queue from the cache) and waiting workers
   * get undefined. Keys being processed finish normally.
   */
  shutDown(): void {
    this.shuttingDown = true;
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    this.delayTimer = undefined;
    this.readyAt.clear();
    this.delayed.clear();
    this.queue = [];
    this.head = 0;
    this.dirty.clear();
    this.addedAt.clear();
    const waiting = this.waiters.splice(0);
    for (const wake of waiting) wake();
  }

  /** Shuts down and resolves once every key being processed is done. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: K): void {
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Drops consumed slots now and then, so the array does not grow without bound. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  private scheduleDelayTimer(): void {
    const earliest = this.nextDelayed();
    if (earliest === undefined) return;
    if (this.delayTimer && this.delayTimer.due <= earliest) return;
    if (this.delayTimer) this.clock.clearTimeout(this.delayTimer.handle);
    const handle = this.clock.setTimeout(() => {
      this.delayTimer = undefined;
      this.releaseDueKeys();
      this.scheduleDelayTimer();
    }, earliest - this.clock.now());
    this.delayTimer = { handle, due: earliest };
  }

  /** The due time of the earliest live delayed key (stale heap entries are discarded). */
  private nextDelayed(): number | undefined {
    for (;;) {
      const top = this.delayed.peek();
      if (!top) return undefined;
      if (this.readyAt.get(top.value) === top.priority) return top.priority;
      this.delayed.pop();
    }
  }

  private releaseDueKeys(): void {
    const now = this.clock.now();
    for (;;) {
      const due = this.nextDelayed();
      if (due === undefined || due > now) return;
      const { value: key } = this.delayed.pop()!;
      this.readyAt.delete(key);
      this.add(key);
    }
  }
}
