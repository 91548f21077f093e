import type { Logger } from 'winston';
import { silentLogger } from '../logging/logger.js';
import type { Clock } from '../base/clock.js';
import type { KubeClient } from './client.js';
import {
  Informer,
  cacheTransform,
  clientListerWatcher,
  type InformerStats,
  type ListerWatcher,
} from './informer.js';
import type { KubeObject, ResourceKind } from './objects.js';
import type { IndexFunction } from './store.js';

export interface InformerCacheOptions {
  /** Watch namespaced kinds only in this namespace (cluster-scoped kinds are always cluster-wide). */
  readonly namespace?: string;
  /** Periodic resync of every informer (controller-runtime: 10 h; 0: never). */
  readonly resyncPeriodMs?: number;
  readonly idleTimeoutMs?: number;
  readonly minWatchTimeoutSeconds?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** How each kind is listed and watched (default: through the client); unit tests pass fakes. */
  readonly listerWatcher?: <T extends KubeObject>(kind: ResourceKind<T>) => ListerWatcher<T>;
}

/**
 * The shared informers of a process: exactly one list+watch per kind, however many controllers
 * read or watch it (controller-runtime's cache). Reads come from memory and cost no request.
 */
export class InformerCache {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private readonly transforms = new Map<string, (object: KubeObject) => KubeObject>();
  private readonly logger: Logger;
  private started = false;

  constructor(
    private readonly client: KubeClient,
    private readonly options: InformerCacheOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger();
  }

  /** The informer of a kind, created on first use (and started at once if the cache runs). */
  informer<T extends KubeObject>(kind: ResourceKind<T>): Informer<T> {
    const id = kindId(kind);
    let informer = this.informers.get(id) as Informer<T> | undefined;
    if (!informer) {
      informer = new Informer<T>(
        this.options.listerWatcher?.(kind) ??
          clientListerWatcher(this.client, kind, {
            namespace: kind.namespaced ? this.options.namespace : undefined,
          }),
        {
          name: kind.kind,
          transform: this.transformOf(kind),
          resyncPeriodMs: this.options.resyncPeriodMs,
          idleTimeoutMs: this.options.idleTimeoutMs,
          minWatchTimeoutSeconds: this.options.minWatchTimeoutSeconds,
          clock: this.options.clock,
          logger: this.logger,
        },
      );
      this.informers.set(id, informer as unknown as Informer<KubeObject>);
      if (this.started) informer.start();
    }
    return informer;
  }

  /**
   * Caches only `view(object)` of a kind's objects (then without managedFields and with shared
   * strings, as every kind): the fields the process reads, for a kind whose objects are many and
   * mostly unread (controller-runtime's per-object Transform). Call before the kind's informer
   * exists; every reader of the kind in this process sees only the view.
   *
   * @example cache.setTransform(PodKind, (pod) => ({ ...pod, status: { phase: pod.status?.phase } }));
   */
  setTransform<T extends KubeObject>(kind: ResourceKind<T>, view: (object: T) => T): void {
    const id = kindId(kind);
    if (this.informers.has(id)) {
      throw new Error(`the ${kind.kind} informer exists already: set its transform before`);
    }
    this.transforms.set(id, view as unknown as (object: KubeObject) => KubeObject);
  }

  private transformOf<T extends KubeObject>(kind: ResourceKind<T>): (object: T) => T {
    const view = this.transforms.get(kindId(kind)) as ((object: T) => T) | undefined;
    return view ? (object) => cacheTransform(view(object)) : cacheTransform;
  }

  /** Adds an index to a kind's cache, e.g. `cache.addIndex(PodKind, 'node', p => [p.spec?.nodeName ?? ''])`. */
  addIndex<T extends KubeObject>(kind: ResourceKind<T>, name: string, fn: IndexFunction<T>): void {
    this.informer(kind).store.addIndex(name, fn);
  }

  /** A cached object by `namespace/name` (or `name`), or undefined. Do not mutate it. */
  get<T extends KubeObject>(kind: ResourceKind<T>, key: string): T | undefined {
    return this.informer(kind).store.get(key);
  }

  /** Every cached object of a kind, optionally only those under an index value. */
  list<T extends KubeObject>(kind: ResourceKind<T>, index?: { name: string; value: string }): T[] {
    const store = this.informer(kind).store;
    return index ? store.byIndex(index.name, index.value) : store.list();
  }

  /** Cuts every informer's reconnect backoff short (the API server answers again). */
  retryNow(): void {
    for (const informer of this.informers.values()) informer.retryNow();
  }

  start(): void {
    this.started = true;
    for (const informer of this.informers.values()) informer.start();
  }

  async stop(): Promise<void> {
    this.started = false;
    await Promise.all([...this.informers.values()].map((informer) => informer.stop()));
  }

  /** Resolves once every informer created so far has listed. */
  async waitForSync(): Promise<void> {
    await Promise.all([...this.informers.values()].map((informer) => informer.waitForSync()));
  }

  get hasSynced(): boolean {
    return [...this.informers.values()].every((informer) => informer.hasSynced);
  }

  /** What each informer did, by kind (lists, watches, relists, reconnects, ...). */
  stats(): Record<string, InformerStats & { objects: number; synced: boolean }> {
    return Object.fromEntries(
      [...this.informers].map(([id, informer]) => [
        id,
        { ...informer.stats, objects: informer.store.size, synced: informer.hasSynced },
      ]),
    );
  }
}

function kindId(kind: ResourceKind): string {
  return `${kind.apiVersion}/${kind.kind}`;
}
