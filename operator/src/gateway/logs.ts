// GET /v1/leases/{id}/logs?service=&replica=&tail=&since=&follow=&previous=: a replica's log
// through the API server (pods/log). A follow outlives the pod it started on: when the stream
// ends (the container restarted, the pod was replaced) it opens the replica's log again from the
// last line sent, without repeating it, and ends cleanly when the lease closes.
import type { IncomingMessage } from 'node:http';
import type { ComputeLease } from '../api/computelease.js';
import { labels } from '../api/constants.js';
import { sleep, systemClock } from '../base/clock.js';
import { objectPath, type KubeClient } from '../kube/client.js';
import { PodKind, type ObjectOf } from '../kube/objects.js';
import { leaseNamespaceName } from '../workloads/names.js';
import { GatewayError } from './errors.js';

type Pod = ObjectOf<typeof PodKind>;

/** A replica of a manifest service, as a query names it. */
export interface ReplicaRef {
  readonly service: string;
  /** 0-based, in the order the replicas' pods were created. */
  readonly replica: number;
}

export interface LogQuery extends ReplicaRef {
  readonly tail?: number;
  readonly sinceSeconds?: number;
  readonly follow: boolean;
  readonly previous: boolean;
}

/** The most lines a tail may ask for. */
const maxTailLines = 10_000;
/** How long a follow waits before opening the log again after its stream ended. */
const reopenDelayMs = 1_000;

/** A true/false query parameter (absent: false; present without a value: true). */
export function flag(params: URLSearchParams, name: string): boolean {
  const value = params.get(name);
  if (value === null || value === 'false' || value === '0') return false;
  if (value === '' || value === 'true' || value === '1') return true;
  throw new GatewayError(400, 'BadQuery', `${name} must be true or false`);
}

function count(params: URLSearchParams, name: string, max: number): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  const number = Number(value);
  if (!/^[0-9]{1,9}$/.test(value) || number > max) {
    throw new GatewayError(400, 'BadQuery', `${name} must be a whole number up to ${max}`);
  }
  return number;
}

/** `30`, `30s`, `5m`, `2h` as seconds. */
function duration(params: URLSearchParams, name: string): number | undefined {
  const value = params.get(name);
  if (value === null) return undefined;
  const match = /^([0-9]{1,7})([smh]?)$/.exec(value);
  if (!match)
    throw new GatewayError(400, 'BadQuery', `${name} must be a duration like 30s, 5m or 2h`);
  return Number(match[1]) * ({ '': 1, s: 1, m: 60, h: 3600 }[match[2] ?? ''] ?? 1);
}

/**
 * The replica a query names (`service=`, needed when the lease runs several, and `replica=`,
 * default 0), checked against the lease's manifest.
 */
export function parseReplicaRef(params: URLSearchParams, lease: ComputeLease): ReplicaRef {
  const services = lease.spec.manifest.services;
  const service = params.get('service') ?? (services.length === 1 ? services[0]?.name : undefined);
  if (!service) {
    throw new GatewayError(
      400,
      'ServiceRequired',
      `the lease runs ${services.length} services (${services.map((s) => s.name).join(', ')}): name one with service=`,
    );
  }
  const declared = services.find((s) => s.name === service);
  if (!declared) {
    throw new GatewayError(
      404,
      'NoSuchService',
      `the lease has no service named ${JSON.stringify(service)}`,
    );
  }
  return { service, replica: count(params, 'replica', declared.replicas - 1) ?? 0 };
}

/** Reads and checks the query of a log request against the lease's manifest. */
export function parseLogQuery(params: URLSearchParams, lease: ComputeLease): LogQuery {
  const { service, replica } = parseReplicaRef(params, lease);
  const follow = flag(params, 'follow');
  const previous = flag(params, 'previous');
  if (follow && previous) {
    throw new GatewayError(400, 'BadQuery', 'previous logs are over: they cannot be followed');
  }
  const tail = count(params, 'tail', maxTailLines);
  const sinceSeconds = duration(params, 'since');
  return {
    service,
    replica,
    follow,
    previous,
    ...(tail !== undefined ? { tail } : {}),
    ...(sinceSeconds !== undefined ? { sinceSeconds } : {}),
  };
}

/** The pod of a service's replica now: the `replica`-th by creation time. */
export async function replicaPod(
  client: KubeClient,
  namespace: string,
  query: ReplicaRef,
): Promise<Pod | undefined> {
  const { items } = await client.list(PodKind, {
    namespace,
    labelSelector: `${labels.service}=${query.service}`,
  });
  // A pod that is going, or not started yet, has no log to follow.
  return items
    .filter((pod) => !pod.metadata?.deletionTimestamp && pod.status?.phase !== 'Pending')
    .sort(
      (a, b) =>
        String(a.metadata?.creationTimestamp).localeCompare(
          String(b.metadata?.creationTimestamp),
        ) || String(a.metadata?.name).localeCompare(String(b.metadata?.name)),
    )[query.replica];
}

/** Where a follow is: the time of the last line sent. */
interface FollowState {
  last?: string;
}

/**
 * Splits a timestamped log stream into lines and hands each on, its time stripped; a reopened
 * log repeats lines up to the last one sent, which are skipped (RFC 3339 times compare as text;
 * lines of one stream may share a time, and all of those are sent).
 */
async function relayLines(
  stream: IncomingMessage,
  state: FollowState,
  write: (line: string) => void,
): Promise<void> {
  const after = state.last;
  let buffered = '';
  stream.setEncoding('utf8');
  const take = (line: string): void => {
    const space = line.indexOf(' ');
    const stamp = space > 0 ? line.slice(0, space) : '';
    if (after !== undefined && stamp <= after) return;
    state.last = stamp || state.last;
    write(`${space > 0 ? line.slice(space + 1) : line}\n`);
  };
  for await (const chunk of stream) {
    buffered += chunk as string;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      take(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  }
  if (buffered) take(buffered);
}

/** How often a follow checks that its lease is open, and (every fifth time) that its pod is. */
const watchdogMs = 1_000;

/**
 * Ends a followed stream when the lease closes or its pod goes (the API server keeps a follow
 * open after the pod is deleted): the follow then opens the replica's next pod, or ends.
 */
function endWhenGone(
  stream: IncomingMessage,
  client: KubeClient,
  pod: Pod,
  isOpen: () => boolean,
): () => void {
  let ticks = 0;
  const timer = setInterval(() => {
    if (!isOpen()) return void stream.destroy();
    if (++ticks % 5 !== 0) return;
    const { name, namespace, uid } = pod.metadata ?? {};
    void client
      .list(PodKind, { namespace, fieldSelector: `metadata.name=${name ?? ''}` })
      .then(({ items: [now] }) => {
        if (!now || now.metadata?.uid !== uid || now.metadata?.deletionTimestamp) stream.destroy();
      })
      .catch(() => undefined); // the API server away: look again next time
  }, watchdogMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Writes the replica's log lines to `write`; with follow, until `signal` aborts or `isOpen`
 * says the lease closed. Throws {@link GatewayError} when there is no such replica now.
 */
export async function streamLogs(
  client: KubeClient,
  lease: ComputeLease,
  query: LogQuery,
  write: (line: string) => void,
  isOpen: () => boolean,
  signal: AbortSignal,
): Promise<void> {
  const namespace = leaseNamespaceName(lease.spec.leaseId);
  let pod = await replicaPod(client, namespace, query);
  if (!pod) {
    throw new GatewayError(
      404,
      'NoSuchReplica',
      `service ${query.service} has no replica ${query.replica} running now`,
    );
  }
  const state: FollowState = {};
  let first = true;
  for (;;) {
    const name = pod?.metadata?.name;
    if (pod && name) {
      const { last } = state;
      const stream = await client
        .stream(
          objectPath(PodKind, namespace, name, 'log'),
          {
            container: query.service,
            timestamps: 'true',
            ...(query.follow ? { follow: 'true' } : {}),
            ...(query.previous ? { previous: 'true' } : {}),
            // The first opening honours tail and since; a reopening starts from the last line sent.
            ...(last === undefined && query.tail !== undefined
              ? { tailLines: String(query.tail) }
              : {}),
            ...(last === undefined && query.sinceSeconds !== undefined
              ? { sinceSeconds: String(query.sinceSeconds) }
              : {}),
            ...(last !== undefined ? { sinceTime: last.replace(/\.[0-9]+Z$/, 'Z') } : {}),
          },
          signal,
        )
        .catch((error: unknown) => {
          // Gone between the listing and the opening (a follow opens the next pod's log later).
          if (signal.aborted || (query.follow && !first)) return undefined;
          throw error;
        });
      first = false;
      if (stream) {
        const stop = query.follow ? endWhenGone(stream, client, pod, isOpen) : () => undefined;
        // A stream cut (the pod gone, the connection lost) ends this round; a follow goes on.
        await relayLines(stream, state, write)
          .catch(() => undefined)
          .finally(stop);
      }
    }
    if (!query.follow || signal.aborted || !isOpen()) return;
    await sleep(systemClock, reopenDelayMs, signal);
    if (signal.aborted || !isOpen()) return;
    pod = await replicaPod(client, namespace, query);
  }
}
