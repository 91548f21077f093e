import type { Logger } from 'winston';
import { silentLogger } from '../logging/logger.js';
import { sleep, systemClock, type Clock, type TimerHandle } from '../base/clock.js';
import type { KubeClient, ListResult, WatchEnd, WatchEvent } from './client.js';
import { KubeApiError, isGone } from './errors.js';
import { objectKey, type KubeObject, type ResourceKind } from './objects.js';
import { Backoff, watchReconnectBackoff, type BackoffParameters } from '../base/backoff.js';
import { sharedInterner } from './intern.js';
import { Store, defaultIndexes, type IndexFunction } from './store.js';

/** Reacts to cache changes. Handlers must be quick and must not throw (they enqueue keys). */
export interface EventHandler<T> {
  onAdd?(object: T): void;
  /** Also called with old === new on every periodic resync. */
  onUpdate?(oldObject: T, newObject: T): void;
  /** `object` is the last state the cache saw (it may be older than the deletion). */
  onDelete?(object: T): void;
}

/** Lists and watches one kind; `KubeClient` is the real one, unit tests pass a fake. */
export interface ListerWatcher<T> {
  /**
   * Every object, each passed through `map` as its page arrives: the objects as the server sent
   * them are never all held at once (a restart listing 10,000 leases' objects whole outgrew the
   * chart's 384 MiB heap).
   */
  list(signal: AbortSignal, map: (object: T) => T): Promise<ListResult<T>>;
  watch(
    options: {
      resourceVersion: string;
      timeoutSeconds: number;
      idleTimeoutMs: number;
      signal: AbortSignal;
    },
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchEnd>;
}

export interface InformerOptions<T> {
  /** Calls every cache handler with every object this often (0: never). */
  readonly resyncPeriodMs?: number;
  /**
   * A watch that delivers nothing (no event, no bookmark) for this long is closed and resumed.
   * The API server sends a bookmark about once a minute, so a healthy watch is never idle that long.
   */
  readonly idleTimeoutMs?: number;
  /** The server ends each watch after a random time in [min, 2 × min] (client-go: 5 min). */
  readonly minWatchTimeoutSeconds?: number;
  readonly backoff?: BackoffParameters;
  readonly indexes?: Record<string, IndexFunction<T>>;
  /**
   * Applied to every object before it is cached. Default (`cacheTransform`): drop
   * metadata.managedFields, which controllers do not read and which is a third or more of a small
   * object's memory (as controller-runtime's TransformStripManagedFields), and share repeated
   * short strings between cached objects (intern.ts).
   */
  readonly transform?: (object: T) => T;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
  /** Name in logs, e.g. `ConfigMap`. */
  readonly name?: string;
}

/** Counters of what an informer did: for figures, tests and logs. */
export interface InformerStats {
  lists: number;
  watches: number;
  /** Re-lists forced by 410 Gone (a compacted resourceVersion). */
  relists: number;
  /** Watches that ended with an error or went idle and were re-established after a backoff. */
  reconnects: number;
  idleTimeouts: number;
  events: number;
  bookmarks: number;
}

/** The default cache transform: the object without metadata.managedFields. */
export function stripManagedFields<T extends KubeObject>(object: T): T {
  if (!object.metadata?.managedFields) return object;
  // A rest copy, not `delete`: deleting a property can leave a V8 object in slow (dictionary)
  // mode, which holds more memory for as long as the object is cached.
  const { managedFields, ...metadata } = object.metadata;
  return { ...object, metadata };
}

/** The default cache transform: without managedFields, its short strings shared (intern.ts). */
export function cacheTransform<T extends KubeObject>(object: T): T {
  return sharedInterner.intern(stripManagedFields(object));
}

/** Thrown inside the watch loop when the server says the resourceVersion is too old. */
class WatchExpiredError extends Error {}

/**
 * A cache of one kind kept current by list + watch, that never goes silent:
 * - it lists once, then watches from the list's resourceVersion (with bookmarks), resuming
 *   every watch from the last version seen, so a reconnect replays nothing;
 * - 410 Gone (the version was compacted) → a fresh list, diffed against the cache, so handlers
 *   see only real changes and deletions that happened meanwhile;
 * - any other error (connection refused or reset, timeout, 5xx) → reconnect after a capped,
 *   jittered backoff;
 * - a watch idle longer than `idleTimeoutMs` (a half-open connection) is re-established;
 * - a periodic resync re-delivers every object, so a missed level is corrected.
 */
export class Informer<T extends KubeObject> {
  readonly store: Store<T>;
  readonly stats: InformerStats = {
    lists: 0,
    watches: 0,
    relists: 0,
    reconnects: 0,
    idleTimeouts: 0,
    events: 0,
    bookmarks: 0,
  };
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly transform: (object: T) => T;
  private resourceVersion = '';
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private abort: AbortController | undefined;
  private running: Promise<void> | undefined;
  private resyncTimer: TimerHandle | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly listerWatcher: ListerWatcher<T>,
    private readonly options: InformerOptions<T> = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = (options.logger ?? silentLogger()).child({
      informer: options.name ?? 'informer',
    });
    this.backoff = new Backoff(this.clock, options.backoff ?? watchReconnectBackoff, this.random);
    this.transform = options.transform ?? cacheTransform;
    this.store = new Store<T>(
      (options.indexes ?? defaultIndexes) as Record<string, IndexFunction<T>>,
    );
  }

  /** True once the first list is in the cache. */
  get hasSynced(): boolean {
    return this.synced;
  }

  /** The resourceVersion the next watch resumes from. */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Resolves once the first list is in the cache (or at once when stopped). */
  waitForSync(): Promise<void> {
    if (this.synced || !this.abort) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /**
   * Registers a handler; a handler added after the first sync is first told about every cached
   * object (as adds). Returns a function that removes it.
   */
  addHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const object of this.store.list()) this.call(handler, 'onAdd', object);
    return () => void this.handlers.delete(handler);
  }

  /** Starts the list/watch loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.abort = new AbortController();
    this.running = this.run(this.abort.signal);
    this.scheduleResync();
  }

  /** Stops the loop and closes the watch connection. */
  async stop(): Promise<void> {
    this.abort?.abort();
    if (this.resyncTimer) this.clock.clearTimeout(this.resyncTimer);
    this.resyncTimer = undefined;
    await this.running;
    this.running = undefined;
    this.abort = undefined;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!this.resourceVersion) {
        try {
          await this.listIntoCache(signal);
        } catch (error) {
          if (signal.aborted) return;
          const delay = this.backoff.next();
          this.logger.warn('list failed; retrying', {
            error: describe(error),
            retryInMs: Math.round(delay),
          });
          await this.backoffSleep(delay, signal);
          continue;
        }
      }
      await this.watchOnce(signal);
    }
  }

  private async listIntoCache(signal: AbortSignal): Promise<void> {
    this.stats.lists++;
    const { items, resourceVersion } = await this.listerWatcher.list(signal, this.transform);
    const seen = new Set<string>();
    for (const object of items) {
      const key = objectKey(object);
      seen.add(key);
      const previous = this.store.get(key);
      // Unchanged objects are not re-delivered: a relist is not a replay.
      if (previous?.metadata?.resourceVersion === object.metadata?.resourceVersion) continue;
      this.store.upsert(object);
      if (previous) this.dispatch('onUpdate', previous, object);
      else this.dispatch('onAdd', object);
    }
    for (const key of this.store.keys()) {
      if (seen.has(key)) continue;
      const gone = this.store.remove(key)!;
      this.dispatch('onDelete', gone);
    }
    this.resourceVersion = resourceVersion;
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
    }
    this.logger.debug('listed', { objects: items.length, resourceVersion });
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    const minTimeout = this.options.minWatchTimeoutSeconds ?? 300;
    const timeoutSeconds = Math.round(minTimeout * (1 + this.random()));
    const startedAt = this.clock.now();
    let delivered = 0;
    this.stats.watches++;
    const end = await this.listerWatcher.watch(
      {
        resourceVersion: this.resourceVersion,
        timeoutSeconds,
        idleTimeoutMs: this.options.idleTimeoutMs ?? 180_000,
        signal,
      },
      (event) => {
        delivered++;
        this.apply(event);
      },
    );
    if (signal.aborted || end.reason === 'aborted') return;

    if (end.reason === 'error' && (end.error instanceof WatchExpiredError || isGone(end.error))) {
      // The version was compacted: only a fresh list can tell what changed meanwhile.
      this.stats.relists++;
      this.logger.info('watch resourceVersion expired (410 Gone); re-listing', {
        resourceVersion: this.resourceVersion,
      });
      this.resourceVersion = '';
      return;
    }
    const lastedMs = this.clock.now() - startedAt;
    if (end.reason === 'closed' && (delivered > 0 || lastedMs >= 5_000)) {
      // The server ended the watch on its timeout: resume at once from the last version.
      this.backoff.reset();
      return;
    }
    if (end.reason === 'idle') this.stats.idleTimeouts++;
    this.stats.reconnects++;
    const delay = this.backoff.next();
    this.logger.warn('watch ended; resuming from the last resourceVersion after a backoff', {
      reason: end.reason,
      error: end.reason === 'error' ? describe(end.error) : undefined,
      resourceVersion: this.resourceVersion,
      retryInMs: Math.round(delay),
    });
    await this.backoffSleep(delay, signal);
  }

  /**
   * Cuts a reconnect backoff short: the API server is known to answer again (another request
   * succeeded), so waiting out a backoff that grew during the outage only delays recovery.
   */
  retryNow(): void {
    this.wake?.();
  }

  private backoffSleep(delayMs: number, signal: AbortSignal): Promise<void> {
    const woken = new AbortController();
    this.wake = () => woken.abort();
    const both = AbortSignal.any([signal, woken.signal]);
    return sleep(this.clock, delayMs, both).finally(() => (this.wake = undefined));
  }

  private apply(event: WatchEvent<T>): void {
    if (event.type === 'ERROR') {
      const status = event.object as { code?: number; message?: string; reason?: string };
      if (status.code === 410) throw new WatchExpiredError(status.message);
      throw new KubeApiError('WATCH', this.options.name ?? '', status.code ?? 500, status);
    }
    const version = event.object.metadata?.resourceVersion;
    if (event.type === 'BOOKMARK') {
      this.stats.bookmarks++;
      if (version) this.resourceVersion = version;
      return;
    }
    this.stats.events++;
    const object = this.transform(event.object);
    const key = objectKey(object);
    if (event.type === 'DELETED') {
      const previous = this.store.remove(key);
      this.dispatch('onDelete', previous ?? object);
    } else {
      const previous = this.store.upsert(object);
      if (previous) this.dispatch('onUpdate', previous, object);
      else this.dispatch('onAdd', object);
    }
    if (version) this.resourceVersion = version;
  }

  private scheduleResync(): void {
    const period = this.options.resyncPeriodMs ?? 0;
    if (period <= 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.synced) {
        for (const object of this.store.list()) this.dispatch('onUpdate', object, object);
      }
      this.scheduleResync();
    }, period);
  }

  private dispatch(method: 'onAdd' | 'onDelete', object: T): void;
  private dispatch(method: 'onUpdate', oldObject: T, newObject: T): void;
  private dispatch(method: keyof EventHandler<T>, first: T, second?: T): void {
    for (const handler of this.handlers) this.call(handler, method, first, second);
  }

  private call(
    handler: EventHandler<T>,
    method: keyof EventHandler<T>,
    first: T,
    second?: T,
  ): void {
    try {
      if (method === 'onUpdate') handler.onUpdate?.(first, second!);
      else handler[method]?.(first);
    } catch (error) {
      this.logger.error('an event handler threw; the event is dropped for it', {
        error: describe(error),
      });
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Options to scope what one informer lists and watches. */
export interface ListWatchScope {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** The ListerWatcher of a kind through the KubeClient. */
export function clientListerWatcher<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  scope: ListWatchScope = {},
): ListerWatcher<T> {
  return {
    list: (signal, map) => client.list(kind, { ...scope, signal }, map),
    watch: (options, onEvent) => client.watch(kind, { ...scope, ...options }, onEvent),
  };
}
