import type { Logger } from 'winston';
import { silentLogger } from '../logging/logger.js';
import { systemClock, type Clock, type TimerHandle } from '../base/clock.js';
import type { KubeClient } from './client.js';
import { isNotFound } from './errors.js';
import { EventKind, type KubeObject, type ResourceKind } from './objects.js';

/** The `reportingController` of every Event the operator writes. */
export const reportingController = 'supercloud.dev/operator';

/** An events.k8s.io/v1 Event as written (wire JSON). */
export interface EventObject extends KubeObject {
  eventTime: string;
  reportingController: string;
  reportingInstance: string;
  action: string;
  reason: string;
  type: 'Normal' | 'Warning';
  note?: string;
  regarding: ObjectReference;
  related?: ObjectReference;
  series?: { count: number; lastObservedTime: string };
}

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

/** What happened, to whom. */
export interface EventRecord {
  /** Warning when something needs a human's attention. */
  readonly type: 'Normal' | 'Warning';
  /** Why, in CamelCase: `LeaseVerified`, `ManifestRejected`. */
  readonly reason: string;
  /** What the operator did or failed to do, in CamelCase: `Deploy`, `Withdraw`. */
  readonly action: string;
  /** A human-readable sentence (at most 1 kB). */
  readonly note?: string;
  readonly related?: { kind: ResourceKind; object: KubeObject };
}

/** Where Events go: the API server, or a fake in unit tests. */
export interface EventSink {
  create(event: EventObject): Promise<void>;
  updateSeries(namespace: string, name: string, series: EventObject['series']): Promise<void>;
}

/** The EventSink of the real API server. */
export function clientEventSink(client: KubeClient): EventSink {
  return {
    create: async (event) => void (await client.create(EventKind, event)),
    updateSeries: async (namespace, name, series) =>
      void (await client.patch(EventKind, name, 'merge', { series }, { namespace })),
  };
}

export interface EventRecorderOptions {
  /** Identifies this replica, e.g. the pod name. */
  readonly reportingInstance: string;
  /** A repeat within this window counts into the same Event (client-go: 6 min). */
  readonly seriesWindowMs?: number;
  /** At most one series update per Event per this interval; repeats in between are batched. */
  readonly minUpdateIntervalMs?: number;
  /** How many distinct Events are remembered for aggregation. */
  readonly maxTracked?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

interface Tracked {
  name: string;
  namespace: string;
  count: number;
  firstObserved: number;
  lastObserved: number;
  lastWrite: number;
  flushTimer: TimerHandle | undefined;
  /** Writes of one Event run one after another (a series update must follow the create). */
  chain: Promise<void>;
  base: EventObject;
}

/**
 * Records events.k8s.io/v1 Events on the objects the operator acts on. The same event on the
 * same object repeated within the series window does not create new objects: it increases the
 * first one's `series.count` (at most one update per second per Event). Recording never throws
 * and never blocks a reconcile: failures are logged.
 */
export class EventRecorder {
  private readonly tracked = new Map<string, Tracked>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sink: EventSink,
    private readonly options: EventRecorderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
  }

  /** Records an Event about `object` (of `kind`). */
  record(kind: ResourceKind, object: KubeObject, event: EventRecord): void {
    const regarding = reference(kind, object);
    const related = event.related ? reference(event.related.kind, event.related.object) : undefined;
    const key = JSON.stringify([
      regarding,
      related,
      event.type,
      event.reason,
      event.action,
      event.note,
    ]);
    const now = this.clock.now();
    const existing = this.tracked.get(key);
    if (existing && now - existing.firstObserved <= (this.options.seriesWindowMs ?? 360_000)) {
      existing.count++;
      existing.lastObserved = now;
      this.scheduleSeriesUpdate(existing);
      return;
    }
    if (existing?.flushTimer) this.clock.clearTimeout(existing.flushTimer);
    const namespace = regarding.namespace ?? 'default';
    const base: EventObject = {
      apiVersion: EventKind.apiVersion,
      kind: EventKind.kind,
      metadata: { name: eventName(regarding.name, now), namespace },
      eventTime: microTime(now),
      reportingController,
      reportingInstance: this.options.reportingInstance,
      action: event.action,
      reason: event.reason,
      type: event.type,
      note: event.note?.slice(0, 1024),
      regarding,
      related,
    };
    const tracked: Tracked = {
      name: base.metadata!.name!,
      namespace,
      count: 1,
      firstObserved: now,
      lastObserved: now,
      lastWrite: now,
      flushTimer: undefined,
      chain: Promise.resolve(),
      base,
    };
    this.tracked.delete(key);
    this.tracked.set(key, tracked);
    this.evictOldest();
    this.enqueueWrite(tracked, () => this.sink.create(base));
  }

  /** Resolves once every write started so far finished (shutdown, tests). */
  async flush(): Promise<void> {
    for (const tracked of this.tracked.values()) {
      if (tracked.flushTimer) {
        this.clock.clearTimeout(tracked.flushTimer);
        tracked.flushTimer = undefined;
        this.writeSeries(tracked);
      }
    }
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private scheduleSeriesUpdate(tracked: Tracked): void {
    if (tracked.flushTimer) return;
    const interval = this.options.minUpdateIntervalMs ?? 1_000;
    const delay = Math.max(0, tracked.lastWrite + interval - this.clock.now());
    tracked.flushTimer = this.clock.setTimeout(() => {
      tracked.flushTimer = undefined;
      this.writeSeries(tracked);
    }, delay);
  }

  private writeSeries(tracked: Tracked): void {
    tracked.lastWrite = this.clock.now();
    const series = { count: tracked.count, lastObservedTime: microTime(tracked.lastObserved) };
    this.enqueueWrite(tracked, async () => {
      try {
        await this.sink.updateSeries(tracked.namespace, tracked.name, series);
      } catch (error) {
        if (!isNotFound(error)) throw error;
        // The Event expired on the server (events live one hour): start a new one.
        const now = this.clock.now();
        tracked.name = eventName(tracked.base.regarding.name, now);
        tracked.count = 1;
        tracked.firstObserved = now;
        await this.sink.create({
          ...tracked.base,
          metadata: { ...tracked.base.metadata, name: tracked.name },
          eventTime: microTime(now),
        });
      }
    });
  }

  private enqueueWrite(tracked: Tracked, write: () => Promise<void>): void {
    const next = tracked.chain.then(write).catch((error: unknown) => {
      this.logger.warn('could not write an Event', {
        reason: tracked.base.reason,
        regarding: `${tracked.base.regarding.kind}/${tracked.base.regarding.name}`,
        error: error instanceof Error ? error.message : String(error),
      });
    });
    tracked.chain = next;
    this.inFlight.add(next);
    void next.finally(() => this.inFlight.delete(next));
  }

  private evictOldest(): void {
    const max = this.options.maxTracked ?? 4096;
    while (this.tracked.size > max) {
      const oldest = this.tracked.keys().next().value as string;
      const entry = this.tracked.get(oldest);
      if (entry?.flushTimer) this.clock.clearTimeout(entry.flushTimer);
      this.tracked.delete(oldest);
    }
  }
}

function reference(kind: ResourceKind, object: KubeObject): ObjectReference {
  return {
    apiVersion: kind.apiVersion,
    kind: kind.kind,
    name: object.metadata?.name ?? '',
    namespace: kind.namespaced ? object.metadata?.namespace : undefined,
    uid: object.metadata?.uid,
  };
}

/** Event names are unique per occurrence: `<object>.<time in hex>` (as client-go). */
function eventName(objectName: string, now: number): string {
  const suffix = (now * 1000 + Math.floor(Math.random() * 1000)).toString(16);
  return `${objectName.slice(0, 253 - suffix.length - 1)}.${suffix}`;
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
