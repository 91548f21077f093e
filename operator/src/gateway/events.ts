// GET /v1/leases/{id}/events[?follow=true]: the Kubernetes Events of the lease namespace and of
// the lease's ComputeLease (recorded in `default`, as for every cluster-scoped object), oldest
// first; with follow, those already there and then each new one, as JSON lines, until the lease
// closes or the client goes.
import type { ComputeLease } from '../api/computelease.js';
import type { KubeClient } from '../kube/client.js';
import { EventKind, type ObjectOf } from '../kube/objects.js';
import { leaseNamespaceName } from '../workloads/names.js';

type KubeEvent = ObjectOf<typeof EventKind>;

/** One Event as the tenant sees it. */
export interface LeaseEvent {
  readonly time: string;
  readonly type: string;
  readonly reason: string;
  /** `Kind/name` of what the Event is about. */
  readonly object: string;
  readonly note: string;
  readonly count: number;
}

/** Where a lease's Events are: its namespace, and its ComputeLease's in `default`. */
function eventSources(lease: ComputeLease): { namespace: string; fieldSelector?: string }[] {
  return [
    { namespace: leaseNamespaceName(lease.spec.leaseId) },
    {
      namespace: 'default',
      fieldSelector: `regarding.kind=ComputeLease,regarding.name=${lease.metadata.name ?? ''}`,
    },
  ];
}

function toLeaseEvent(event: KubeEvent): LeaseEvent {
  const legacy = event as KubeEvent & { deprecatedCount?: number };
  return {
    time: String(
      event.series?.lastObservedTime ??
        event.eventTime ??
        event.deprecatedLastTimestamp ??
        event.metadata?.creationTimestamp ??
        '',
    ),
    type: event.type ?? '',
    reason: event.reason ?? '',
    object: `${event.regarding?.kind ?? ''}/${event.regarding?.name ?? ''}`,
    note: event.note ?? '',
    count: event.series?.count ?? legacy.deprecatedCount ?? 1,
  };
}

/** The lease's Events now, oldest first. */
export async function leaseEvents(client: KubeClient, lease: ComputeLease): Promise<LeaseEvent[]> {
  const lists = await Promise.all(
    eventSources(lease).map((source) => client.list(EventKind, source)),
  );
  return lists
    .flatMap((list) => list.items.map(toLeaseEvent))
    .sort((a, b) => a.time.localeCompare(b.time));
}

/**
 * Writes the lease's Events as they happen (after the ones there now) until `signal` aborts or
 * `isOpen` says the lease closed. Each source is watched from the version it was listed at.
 */
export async function followLeaseEvents(
  client: KubeClient,
  lease: ComputeLease,
  write: (event: LeaseEvent) => void,
  isOpen: () => boolean,
  signal: AbortSignal,
): Promise<void> {
  const sources = await Promise.all(
    eventSources(lease).map(async (source) => {
      const list = await client.list(EventKind, source);
      return { ...source, items: list.items, resourceVersion: list.resourceVersion };
    }),
  );
  sources
    .flatMap((source) => source.items.map(toLeaseEvent))
    .sort((a, b) => a.time.localeCompare(b.time))
    .forEach(write);
  await Promise.all(
    sources.map(async (source) => {
      let resourceVersion = source.resourceVersion;
      while (!signal.aborted && isOpen()) {
        const end = await client.watch(
          EventKind,
          {
            namespace: source.namespace,
            ...(source.fieldSelector ? { fieldSelector: source.fieldSelector } : {}),
            resourceVersion,
            timeoutSeconds: 30,
            idleTimeoutMs: 60_000,
            signal,
          },
          (event) => {
            resourceVersion = event.object.metadata?.resourceVersion ?? resourceVersion;
            if (event.type === 'ADDED' || event.type === 'MODIFIED')
              write(toLeaseEvent(event.object));
          },
        );
        if (end.reason === 'error') return; // e.g. 410 Gone after a long follow: the client asks again
      }
    }),
  );
}
