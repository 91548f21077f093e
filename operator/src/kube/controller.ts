import type { Logger } from 'winston';
import type { ControllerMetrics } from '../metrics/controller-metrics.js';
import { systemClock, type Clock } from '../base/clock.js';
import type { KubeClient } from './client.js';
import { TerminalError } from './errors.js';
import type { EventRecorder } from './events.js';
import type { InformerCache } from './informer-cache.js';
import {
  groupOf,
  keyOf,
  objectKey,
  parseKey,
  type KubeObject,
  type ObjectKey,
  type ResourceKind,
} from './objects.js';
import type { ChannelSource } from './channel-source.js';
import type { RateLimiter } from './rate-limiter.js';
import { WorkQueue, type WorkQueueMetrics } from './workqueue.js';

/** Which object to converge: `key` is `namespace/name` (or `name` for cluster-scoped kinds). */
export interface ReconcileRequest extends ObjectKey {
  readonly key: string;
}

/**
 * What a reconcile returns. Nothing: done until something changes. `requeueAfterMs`: look again
 * after that long (polling something outside the cluster). To retry after a failure, throw
 * (a `TerminalError` to stop retrying); never return a delay and throw together.
 */
export type ReconcileResult = void | {
  readonly requeueAfterMs?: number;
  readonly requeue?: boolean;
};

/** Everything a reconcile may use. */
export interface ReconcileContext {
  /** A logger carrying `controller` and `key`. */
  readonly log: Logger;
  readonly client: KubeClient;
  /** The shared informer cache: reads cost no request. */
  readonly cache: InformerCache;
  readonly events: EventRecorder;
  /** Aborted when the process stops and the in-flight bound has passed. */
  readonly signal: AbortSignal;
}

export type Reconciler = (
  request: ReconcileRequest,
  context: ReconcileContext,
) => Promise<ReconcileResult>;

/** Maps an object of a watched kind to the primary objects to reconcile. */
export type MapFunction<T extends KubeObject> = (
  object: T,
  cache: InformerCache,
) => readonly ObjectKey[];

/** A kind whose changes wake the controller, mapped to primary keys. */
export interface Watch<T extends KubeObject = KubeObject> {
  readonly kind: ResourceKind<T>;
  readonly map: MapFunction<T>;
  /**
   * Which updates map (default: every one), e.g. only those that change what the controller
   * reads of the object. A resync (the same resourceVersion), an add and a delete always map.
   */
  readonly updatePredicate?: (old: T, object: T) => boolean;
}

/** A controller, declared: what it reconciles, what wakes it, and the reconcile function. */
export interface ControllerSpec<T extends KubeObject = KubeObject> {
  /** Unique per process; the `controller` label of its metrics and logs. */
  readonly name: string;
  /** The primary kind: each of its objects is a reconcile key. */
  readonly for: ResourceKind<T>;
  /** Only primaries for which this is true are reconciled (default: all). */
  readonly filter?: (object: T) => boolean;
  /**
   * Which changes of a primary wake it (default: every change), e.g. `specOrMetadataChanged` to
   * skip the updates of the controller's own status writes. A resync (the same resourceVersion)
   * and an add or delete always wake it.
   */
  readonly updatePredicate?: (old: T, object: T) => boolean;
  /** Kinds the controller creates; a change to one wakes its controlling owner (ownerReferences). */
  readonly owns?: readonly ResourceKind[];
  /** Other kinds that wake primaries through a mapping function. */
  readonly watches?: readonly Watch<any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Keys of primaries emitted from outside the cluster (a chain side). */
  readonly sources?: readonly ChannelSource[];
  readonly reconcile: Reconciler;
  /** Concurrent reconciles (never two for the same key). Default 1. */
  readonly workers?: number;
  /** Run only while this replica holds the leader lease. Default true. */
  readonly needLeaderElection?: boolean;
  readonly rateLimiter?: RateLimiter<string>;
}

/**
 * Declares a controller; hand the result to `manager.add`.
 *
 * @example
 * manager.add(controller({
 *   name: 'computelease',
 *   for: ComputeLeaseKind,
 *   owns: [NamespaceKind],
 *   reconcile: async ({ name }, { cache, client }) => { ... },
 * }));
 */
export function controller<T extends KubeObject>(spec: ControllerSpec<T>): ControllerSpec<T> {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(spec.name)) {
    throw new Error(`controller name "${spec.name}" must be lower-case letters, digits and dashes`);
  }
  if ((spec.workers ?? 1) < 1)
    throw new Error(`controller ${spec.name}: workers must be at least 1`);
  return spec;
}

/** What a running controller needs from its manager. */
export interface ControllerDependencies {
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly events: EventRecorder;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  readonly clock?: Clock;
}

/** JavaScript's equivalent of a Go panic: a programming fault rather than a failed operation. */
function isPanic(error: unknown): boolean {
  return (
    !(error instanceof Error) ||
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof RangeError ||
    error instanceof SyntaxError
  );
}

/**
 * A controller at run time: informer handlers feed keys into a rate-limited work queue, and
 * N workers reconcile them. It can be stopped and started again (leader election does).
 */
export class Controller<T extends KubeObject = KubeObject> {
  private queue: WorkQueue<string> | undefined;
  private workers: Promise<void>[] = [];
  private removeHandlers: (() => void)[] = [];
  private abort = new AbortController();
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly queueMetrics: WorkQueueMetrics;

  constructor(
    readonly spec: ControllerSpec<T>,
    private readonly deps: ControllerDependencies,
  ) {
    this.log = deps.logger.child({ controller: spec.name });
    this.clock = deps.clock ?? systemClock;
    deps.metrics.initController(spec.name, spec.workers ?? 1);
    // The queue is replaced on every start; the gauges always read the current one.
    const current = (): WorkQueue<string> | undefined => this.queue;
    this.queueMetrics = deps.metrics.workQueue(spec.name, {
      get depth() {
        return current()?.depth ?? 0;
      },
      processingSeconds: () => current()?.processingSeconds() ?? [],
    });
    // Create the informers now, so the manager's cache starts and syncs them.
    deps.cache.informer(spec.for);
    for (const kind of spec.owns ?? []) deps.cache.informer(kind);
    for (const watch of spec.watches ?? []) deps.cache.informer(watch.kind);
  }

  get name(): string {
    return this.spec.name;
  }

  get running(): boolean {
    return this.queue !== undefined;
  }

  /** Keys waiting (for the figures and tests). */
  get queueLength(): number {
    return this.queue?.length ?? 0;
  }

  /** After an API server outage: retries at once the keys that failed during it (see WorkQueue). */
  retryFailedNow(): void {
    const queued = this.queue?.retryFailedNow() ?? 0;
    if (queued > 0)
      this.log.info('API server reachable again; retrying keys that failed meanwhile', {
        keys: queued,
      });
  }

  /** Registers the handlers (every cached object is enqueued once) and starts the workers. */
  start(): void {
    if (this.queue) return;
    const queue = new WorkQueue<string>({
      clock: this.clock,
      rateLimiter: this.spec.rateLimiter,
      metrics: this.queueMetrics,
    });
    this.queue = queue;
    this.abort = new AbortController();
    this.registerHandlers(queue);
    const workers = this.spec.workers ?? 1;
    this.workers = Array.from({ length: workers }, () => this.work(queue));
    this.log.info('started', { workers });
  }

  /**
   * Stops taking work and waits up to `graceMs` for in-flight reconciles; then aborts their
   * signal and returns (a reconcile that ignores the signal is abandoned, and logged).
   */
  async stop(graceMs = 30_000): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = undefined;
    for (const remove of this.removeHandlers.splice(0)) remove();
    const drained = queue.shutDownWithDrain().then(() => Promise.all(this.workers));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    const outcome = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    this.abort.abort();
    if (outcome === 'timeout') {
      this.log.warn('in-flight reconciles did not finish in time; abandoning them', { graceMs });
    }
    this.workers = [];
    this.log.info('stopped');
  }

  private enqueue(queue: WorkQueue<string>, key: ObjectKey): void {
    queue.add(keyOf(key));
  }

  private registerHandlers(queue: WorkQueue<string>): void {
    const { spec, deps } = this;
    const primary = (object: T): void => {
      if (spec.filter && !spec.filter(object)) return;
      queue.add(objectKey(object));
    };
    this.removeHandlers.push(
      deps.cache.informer(spec.for).addHandler({
        onAdd: primary,
        onUpdate: (old, object) => {
          if (updateMatters(spec.updatePredicate, old, object)) primary(object);
        },
        onDelete: primary,
      }),
    );
    const ownerGroup = groupOf(spec.for.apiVersion);
    const toOwner = (object: KubeObject): void => {
      for (const owner of object.metadata?.ownerReferences ?? []) {
        if (
          !owner.controller ||
          owner.kind !== spec.for.kind ||
          groupOf(owner.apiVersion) !== ownerGroup
        ) {
          continue;
        }
        const namespace = spec.for.namespaced ? object.metadata?.namespace : undefined;
        this.enqueue(queue, { namespace, name: owner.name });
      }
    };
    for (const kind of spec.owns ?? []) {
      this.removeHandlers.push(
        deps.cache.informer(kind).addHandler({
          onAdd: toOwner,
          // An object can change owner: wake both.
          onUpdate: (old, object) => {
            toOwner(old);
            toOwner(object);
          },
          onDelete: toOwner,
        }),
      );
    }
    for (const source of spec.sources ?? []) {
      this.removeHandlers.push(source.subscribe((key) => this.enqueue(queue, key)));
    }
    for (const watch of spec.watches ?? []) {
      const mapped = (object: KubeObject): void => {
        for (const key of watch.map(object, deps.cache)) this.enqueue(queue, key);
      };
      this.removeHandlers.push(
        deps.cache.informer(watch.kind).addHandler({
          onAdd: mapped,
          onUpdate: (old, object) => {
            if (!updateMatters(watch.updatePredicate, old, object)) return;
            mapped(old);
            mapped(object);
          },
          onDelete: mapped,
        }),
      );
    }
  }

  private async work(queue: WorkQueue<string>): Promise<void> {
    for (;;) {
      const item = await queue.get();
      if (!item) return;
      try {
        await this.reconcileKey(queue, item.key);
      } finally {
        queue.done(item.key);
      }
    }
  }

  private async reconcileKey(queue: WorkQueue<string>, key: string): Promise<void> {
    const { metrics } = this.deps;
    const controllerName = this.spec.name;
    const log = this.log.child({ key });
    const request: ReconcileRequest = { ...parseKey(key), key };
    const startedAt = this.clock.now();
    metrics.activeWorkers.inc({ controller: controllerName });
    try {
      const result = await this.spec.reconcile(request, {
        log,
        client: this.deps.client,
        cache: this.deps.cache,
        events: this.deps.events,
        signal: this.abort.signal,
      });
      if (result?.requeueAfterMs && result.requeueAfterMs > 0) {
        queue.forget(key);
        queue.addAfter(key, result.requeueAfterMs);
        metrics.reconcileTotal.inc({ controller: controllerName, result: 'requeue_after' });
      } else if (result?.requeue) {
        queue.addRateLimited(key);
        metrics.reconcileTotal.inc({ controller: controllerName, result: 'requeue' });
      } else {
        queue.forget(key);
        metrics.reconcileTotal.inc({ controller: controllerName, result: 'success' });
      }
    } catch (error) {
      metrics.reconcileErrors.inc({ controller: controllerName });
      metrics.reconcileTotal.inc({ controller: controllerName, result: 'error' });
      if (error instanceof TerminalError) {
        metrics.terminalReconcileErrors.inc({ controller: controllerName });
        queue.forget(key);
        log.error('reconcile failed for good; not retrying until the object changes', { error });
      } else {
        const panic = isPanic(error);
        if (panic) metrics.reconcilePanics.inc({ controller: controllerName });
        const retries = queue.numRequeues(key);
        queue.addRateLimited(key);
        log.error(
          panic
            ? 'reconcile crashed (a bug); retrying with backoff'
            : 'reconcile failed; retrying with backoff',
          {
            error,
            retries,
          },
        );
      }
    } finally {
      metrics.activeWorkers.dec({ controller: controllerName });
      metrics.reconcileTime.observe(
        { controller: controllerName },
        (this.clock.now() - startedAt) / 1000,
      );
    }
  }
}

/** True when an update passes the predicate; a resync (the same resourceVersion) always does. */
function updateMatters<T extends KubeObject>(
  predicate: ((old: T, object: T) => boolean) | undefined,
  old: T,
  object: T,
): boolean {
  return (
    !predicate ||
    old.metadata?.resourceVersion === object.metadata?.resourceVersion ||
    predicate(old, object)
  );
}
