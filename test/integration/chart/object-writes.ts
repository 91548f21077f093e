// Who writes a release's objects, and what: a watch on each object records every change after a
// starting point, with the field managers whose entries moved and whether only the status
// changed. Two writers fighting over an object show up as changes to its desired state (spec,
// labels, annotations, ...) from alternating managers; a controller reporting status does not.
import {
  resourceKind,
  type KubeClient,
  type KubeObject as LiveKubeObject,
  type ObjectMeta,
  type ResourceKind,
} from '../../../operator/src/kube/index.js';
import { objectKey, tool, type KubeObject } from './helm.js';

/** One change of a watched object. */
export interface ObjectWrite {
  /** kind/namespace/name */
  readonly object: string;
  /** `manager (operation[, subresource])` of each managedFields entry the change touched. */
  readonly managers: string[];
  /** Only the status (and the status entries of managedFields) changed. */
  readonly statusOnly: boolean;
  /** True for a deletion. */
  readonly deleted: boolean;
}

export interface WriteRecorder {
  /** Stops watching; returns the writes seen. Throws if a watch ended before (a blind spot). */
  stop(): ObjectWrite[];
}

type ManagedFieldsEntry = NonNullable<ObjectMeta['managedFields']>[number];

type LiveObject = LiveKubeObject & { metadata: ObjectMeta };

/** JSON with sorted keys, so two reads of the same state compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : 1,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** What an object asks for: everything but its status and the server's bookkeeping. */
function desiredState(object: LiveObject): string {
  const desired: Record<string, unknown> = { ...object };
  delete desired.status;
  const metadata: Record<string, unknown> = { ...object.metadata };
  for (const field of ['resourceVersion', 'managedFields', 'generation']) delete metadata[field];
  return canonical({ ...desired, metadata });
}

function managersTouched(before: LiveObject, after: LiveObject): string[] {
  const name = (entry: ManagedFieldsEntry): string =>
    `${entry.manager} (${entry.operation}${entry.subresource ? `, ${entry.subresource}` : ''})`;
  const times = new Map((before.metadata.managedFields ?? []).map((e) => [name(e), e.time]));
  return (after.metadata.managedFields ?? [])
    .filter((entry) => times.get(name(entry)) !== entry.time || !times.has(name(entry)))
    .map(name);
}

/** The object's kind as the API server serves it (plural, scope), from its discovery. */
function kindOf(object: KubeObject, discovery: Map<string, string>): ResourceKind<LiveObject> {
  const groupVersion = object.apiVersion;
  const base = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
  if (!discovery.has(base)) discovery.set(base, tool('kubectl', ['get', '--raw', base]));
  const resources = (
    JSON.parse(discovery.get(base)!) as {
      resources: { name: string; kind: string; namespaced: boolean }[];
    }
  ).resources;
  const resource = resources.find((r) => r.kind === object.kind && !r.name.includes('/'));
  if (!resource) throw new Error(`the API server serves no ${object.kind} in ${groupVersion}`);
  return resourceKind(groupVersion, object.kind, resource.name, resource.namespaced);
}

/**
 * Starts watching each object from its current version (read now). Every later change is
 * recorded until `stop`.
 */
export async function recordWrites(
  client: KubeClient,
  objects: readonly KubeObject[],
): Promise<WriteRecorder> {
  const writes: ObjectWrite[] = [];
  const ended: string[] = [];
  const stopping = new AbortController();
  const discovery = new Map<string, string>();
  for (const object of objects) {
    const key = objectKey(object);
    const kind = kindOf(object, discovery);
    const namespace = kind.namespaced ? object.metadata.namespace : undefined;
    let last = await client.get(kind, object.metadata.name, namespace);
    if (!last) throw new Error(`${key} does not exist`);
    void client
      .watch<LiveObject>(
        kind,
        {
          namespace,
          fieldSelector: `metadata.name=${object.metadata.name}`,
          resourceVersion: last.metadata.resourceVersion!,
          // Longer than any window a test records: an end before stop() is a blind spot.
          timeoutSeconds: 3600,
          idleTimeoutMs: 3_600_000,
          signal: stopping.signal,
        },
        ({ type, object: changed }) => {
          if (type !== 'MODIFIED' && type !== 'DELETED') return;
          writes.push({
            object: key,
            managers: managersTouched(last!, changed),
            statusOnly: type === 'MODIFIED' && desiredState(changed) === desiredState(last!),
            deleted: type === 'DELETED',
          });
          last = changed;
        },
      )
      .then((end) => {
        if (end.reason !== 'aborted') ended.push(`${key} (${JSON.stringify(end)})`);
      });
  }
  return {
    stop() {
      stopping.abort();
      if (ended.length > 0) throw new Error(`watches ended early: ${ended.join(', ')}`);
      return writes;
    },
  };
}
