// A KubeClient for unit tests of reconcile logic: an in-memory object store that answers what
// reconcilers call, records every request, and feeds an InformerCache through lister-watchers.
//
// What it does, as the API server does:
// - get, list (namespace, equality label selectors, metadata.name/namespace field selectors),
//   create, replace (PUT), server-side apply and JSON merge patches, on the object and on its
//   status subresource (a write to the object ignores `status`; a write to /status changes
//   only `status`);
// - assigns uid, resourceVersion (one counter for all kinds), creationTimestamp and generation
//   (1 on create, +1 when anything outside metadata and status changes, or deletion starts);
//   a write that changes nothing is a no-op: no new resourceVersion, no watch event;
// - server-side apply creates a missing object and removes the fields the same field manager
//   applied before and leaves out now (per object, manager and subresource);
// - preconditions: a delete's uid, a merge patch's or PUT's metadata.resourceVersion (409);
//   create of an existing name (409); a namespaced object in a missing (404) or terminating
//   (403) namespace;
// - delete: an object with metadata.finalizers gets a deletionTimestamp and goes once a write
//   empties them; otherwise it goes at once, and so do its dependents (owner reference uid;
//   Background and Foreground alike, at once) or they lose the reference (Orphan); a
//   Namespace takes everything in it;
// - requests are answered asynchronously, and those sent together (in one synchronous run,
//   e.g. by Promise.all) in reverse order, so code that needs one write done before another
//   is sent fails here as it could on a real server;
// - every change is delivered at once (synchronously) to the open watches of `listerWatcher`,
//   so a cache built on them is current when a write resolves (a lagging cache is not
//   simulated); a watch opened from an older resourceVersion gets the events since then.
//
// What it does not do: validate anything against a schema (OpenAPI or CRD) or default a field;
// run admission other than the namespace lifecycle; detect field-manager conflicts (an apply
// never conflicts, `force` is only recorded) or hand field ownership to other writers; merge
// lists by key (apply and merge patch replace a list whole, where the API server merges e.g.
// conditions by type); JSON patch and strategic merge patch; pagination; watches through the
// client (`watch` and the connection members of KubeClient throw); a Namespace's Terminating
// phase while the namespace controller empties it (give it metadata.finalizers to hold it).
import { isDeepStrictEqual } from 'node:util';
import { systemClock, type Clock } from '../../base/clock.js';
import {
  collectionPath,
  fieldManager as operatorFieldManager,
  objectPath,
  type DeleteOptions,
  type KubeClient,
  type ListOptions,
  type ListResult,
  type PatchOptions,
  type PatchType,
  type WatchEnd,
  type WatchEvent,
} from '../client.js';
import { KubeApiError } from '../errors.js';
import type { ListerWatcher } from '../informer.js';
import { keyOf, NamespaceKind, type KubeObject, type ResourceKind } from '../objects.js';

/** The part of KubeClient reconcilers call: what the fake implements. */
export type KubeClientApi = Pick<
  KubeClient,
  'get' | 'list' | 'create' | 'replace' | 'patch' | 'delete'
>;

/** One request a reconciler sent, as the real client would have sent it. */
export interface FakeRequest {
  readonly method: 'GET' | 'LIST' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** The ResourceKind's `kind`, e.g. `Namespace`. */
  readonly kind: string;
  /** The URL path the real client would use. */
  readonly path: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly patchType?: PatchType;
  readonly fieldManager?: string;
  readonly force?: boolean;
  /** The body as sent: the object, the patch, or the DeleteOptions. */
  readonly body?: unknown;
}

export interface FakeKubeClientOptions {
  /** Time of creationTimestamp and deletionTimestamp. */
  readonly clock?: Clock;
}

type Json = Record<string, unknown>;

interface Refusal {
  readonly match: (request: FakeRequest) => boolean;
  readonly code: number;
  readonly message: string;
  remaining: number;
}

const statusReasons: Record<number, string> = {
  400: 'BadRequest',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  422: 'Invalid',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

/** KubeClient members that talk to a real server; the fake throws when one is used. */
const unimplemented = new Set([
  'server',
  'requestCount',
  'requestCountsByMethod',
  'onRecovered',
  'watch',
  'close',
  'request',
]);

/**
 * An in-memory API server behind the KubeClient methods reconcilers call. See the header of
 * this file for what it does and does not do.
 *
 * @example
 * const api = new FakeKubeClient();
 * const cache = new InformerCache(api.client, { listerWatcher: api.listerWatcher });
 * await reconcile({ name, key: name }, { client: api.client, cache, ... });
 * expect(api.writes().map((r) => r.kind)).toEqual(['Namespace']);
 */
export class FakeKubeClient implements KubeClientApi {
  /** Every request, in order. Clear it with `requests.length = 0`. */
  readonly requests: FakeRequest[] = [];
  /** This fake as the KubeClient type the runtime's interfaces take. */
  readonly client: KubeClient;
  private readonly clock: Clock;
  /** kind id → object key → stored object (never mutated in place: replaced on each write). */
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly kinds = new Map<string, ResourceKind>();
  private readonly watchers = new Map<string, StoreListerWatcher<KubeObject>>();
  private readonly history: { kindId: string; version: number; event: WatchEvent<KubeObject> }[] =
    [];
  private readonly refusals: Refusal[] = [];
  /** `uid manager subresource` → the leaf paths that manager applied last. */
  private readonly applied = new Map<string, Set<string>>();
  private version = 0;
  private uids = 0;
  private generatedNames = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: FakeKubeClientOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.client = new Proxy(this, {
      get: (target, property, receiver) => {
        if (typeof property === 'string' && unimplemented.has(property)) {
          throw new Error(`FakeKubeClient does not implement KubeClient.${property}`);
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    }) as unknown as KubeClient;
  }

  /** The requests that write (everything but GET and LIST). */
  writes(): FakeRequest[] {
    return this.requests.filter((request) => request.method !== 'GET' && request.method !== 'LIST');
  }

  /**
   * Answers requests matching `match` with an error status, as the API server would (the
   * request is still recorded), `times` times (default: until the returned function is called).
   *
   * @example api.refuse((r) => r.kind === 'Deployment', 422, 'spec.template: Invalid value')
   */
  refuse(
    match: (request: FakeRequest) => boolean,
    code: number,
    message: string,
    times = Infinity,
  ): () => void {
    const refusal: Refusal = { match, code, message, remaining: times };
    this.refusals.push(refusal);
    return () => void this.refusals.splice(this.refusals.indexOf(refusal), 1);
  }

  /**
   * Puts an object in the store as another actor made it (not recorded, no admission): fields
   * given are kept (status, finalizers, deletionTimestamp, uid); missing server fields are set.
   */
  seed<T extends KubeObject>(kind: ResourceKind<T>, object: T): T {
    const key = this.keyOfObject(kind, object);
    const previous = this.find(kind, key);
    const metadata = object.metadata ?? {};
    const stored = clone(object) as Json & KubeObject;
    delete stored.apiVersion;
    delete stored.kind;
    stored.metadata = {
      ...clone(metadata),
      uid: metadata.uid ?? previous?.metadata?.uid ?? this.newUid(),
      generation: metadata.generation ?? previous?.metadata?.generation ?? 1,
      creationTimestamp:
        metadata.creationTimestamp ?? previous?.metadata?.creationTimestamp ?? this.timestamp(),
      resourceVersion: String(++this.version),
    };
    this.store(kind, stored, previous ? 'MODIFIED' : 'ADDED');
    return this.wire(kind, stored);
  }

  /**
   * Changes a stored object as another actor would (a built-in controller, kubectl), not
   * recorded: e.g. the quota controller filling a ResourceQuota's status. Generation, deletion
   * and no-op rules apply as for any write.
   */
  update<T extends KubeObject>(kind: ResourceKind<T>, key: string, mutate: (object: T) => void): T {
    const previous = this.find(kind, key);
    if (!previous) throw new Error(`FakeKubeClient: no ${kind.kind} ${key} to update`);
    const next = this.wire(kind, previous);
    mutate(next);
    return this.wire(kind, this.commit(kind, previous, next) ?? next);
  }

  /** The stored object (a copy), or undefined. */
  stored<T extends KubeObject>(kind: ResourceKind<T>, key: string): T | undefined {
    const object = this.find(kind, key);
    return object ? this.wire(kind, object) : undefined;
  }

  /** Every stored object of a kind (copies). */
  storedAll<T extends KubeObject>(kind: ResourceKind<T>): T[] {
    return [...(this.objects.get(kindId(kind))?.values() ?? [])].map((o) => this.wire(kind, o));
  }

  /**
   * The lister-watcher of a kind over this store; pass the function itself as the
   * InformerCache's `listerWatcher` option.
   */
  readonly listerWatcher = <T extends KubeObject>(kind: ResourceKind<T>): ListerWatcher<T> => {
    const id = kindId(kind);
    this.kinds.set(id, kind);
    let watcher = this.watchers.get(id);
    if (!watcher) {
      watcher = new StoreListerWatcher(
        () => ({ items: this.storedAll(kind), resourceVersion: String(this.version) }),
        (since) =>
          this.history
            .filter((entry) => entry.kindId === id && entry.version > since)
            .map((entry) => entry.event),
      );
      this.watchers.set(id, watcher);
    }
    return watcher as unknown as ListerWatcher<T>;
  };

  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    const ns = kind.namespaced ? namespace : undefined;
    try {
      await this.send({
        method: 'GET',
        kind: kind.kind,
        path: objectPath(kind, ns, name),
        name,
        ...(ns ? { namespace: ns } : {}),
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return undefined;
      throw error;
    }
    const object = this.find(kind, keyOf({ namespace: ns, name }));
    return object ? this.wire(kind, object) : undefined;
  }

  async list<T extends KubeObject>(
    kind: ResourceKind<T>,
    options: ListOptions = {},
  ): Promise<ListResult<T>> {
    const ns = kind.namespaced ? options.namespace : undefined;
    await this.send({
      method: 'LIST',
      kind: kind.kind,
      path: collectionPath(kind, ns),
      ...(ns ? { namespace: ns } : {}),
    });
    const labels = parseLabelSelector(options.labelSelector);
    const fields = parseFieldSelector(options.fieldSelector);
    const items = this.storedAll(kind).filter(
      (object) =>
        (!ns || object.metadata?.namespace === ns) &&
        labels.every((test) => test(object.metadata?.labels ?? {})) &&
        fields.every((test) => test(object)),
    );
    return { items, resourceVersion: String(this.version) };
  }

  async create<T extends KubeObject>(kind: ResourceKind<T>, object: T): Promise<T> {
    const ns = kind.namespaced ? object.metadata?.namespace : undefined;
    const body = { apiVersion: kind.apiVersion, kind: kind.kind, ...object };
    await this.send({
      method: 'POST',
      kind: kind.kind,
      path: collectionPath(kind, ns),
      ...(ns ? { namespace: ns } : {}),
      ...(object.metadata?.name ? { name: object.metadata.name } : {}),
      body: clone(body),
    });
    const generateName = object.metadata?.generateName;
    const name =
      object.metadata?.name ??
      (generateName
        ? `${generateName}${(++this.generatedNames).toString(36).padStart(5, '0')}`
        : '');
    if (!name)
      throw this.apiError('POST', collectionPath(kind, ns), 422, 'metadata.name: Required value');
    return this.wire(
      kind,
      this.createObject(kind, 'POST', { ...object, metadata: { ...object.metadata, name } }),
    );
  }

  async replace<T extends KubeObject>(
    kind: ResourceKind<T>,
    object: T,
    subresource?: string,
  ): Promise<T> {
    const name = object.metadata?.name ?? '';
    const ns = kind.namespaced ? object.metadata?.namespace : undefined;
    const path = objectPath(kind, ns, name, subresource);
    await this.send({
      method: 'PUT',
      kind: kind.kind,
      path,
      name,
      ...(ns ? { namespace: ns } : {}),
      ...(subresource ? { subresource } : {}),
      body: clone({ apiVersion: kind.apiVersion, kind: kind.kind, ...object }),
    });
    const previous = this.existing(kind, 'PUT', path, keyOf({ namespace: ns, name }), subresource);
    this.checkResourceVersion('PUT', path, previous, object.metadata?.resourceVersion);
    // A PUT replaces the object but not its status, a PUT to /status only the status.
    const next: Json =
      subresource === 'status'
        ? { ...previous, status: (object as Json).status }
        : { ...withoutStatus(object), status: (previous as Json).status };
    return this.wire(kind, this.commit(kind, previous, next) ?? next);
  }

  async patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const ns = kind.namespaced ? options.namespace : undefined;
    const { subresource } = options;
    const path = objectPath(kind, ns, name, subresource);
    const manager =
      type === 'apply' || options.fieldManager
        ? (options.fieldManager ?? operatorFieldManager)
        : undefined;
    await this.send({
      method: 'PATCH',
      kind: kind.kind,
      path,
      name,
      ...(ns ? { namespace: ns } : {}),
      ...(subresource ? { subresource } : {}),
      patchType: type,
      ...(manager ? { fieldManager: manager } : {}),
      ...(type === 'apply' && options.force ? { force: true } : {}),
      body: clone(patch),
    });
    const key = keyOf({ namespace: ns, name });
    const body = clone(patch) as Json;
    if (type === 'apply')
      return this.wire(kind, this.apply(kind, key, path, body, manager!, subresource));
    if (type !== 'merge') throw new Error(`FakeKubeClient does not implement ${type} patches`);
    const previous = this.existing(kind, 'PATCH', path, key, subresource);
    const metadata = body.metadata as Json | undefined;
    this.checkResourceVersion('PATCH', path, previous, metadata?.resourceVersion as string);
    const current = previous as Json;
    const next: Json =
      subresource === 'status'
        ? {
            ...current,
            status: 'status' in body ? mergePatch(current.status, body.status) : current.status,
          }
        : {
            ...(mergePatch(withoutStatus(current), withoutStatus(body)) as Json),
            status: current.status,
          };
    return this.wire(kind, this.commit(kind, previous, next) ?? next);
  }

  async delete(kind: ResourceKind, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const ns = kind.namespaced ? options.namespace : undefined;
    const path = objectPath(kind, ns, name);
    const body: Json = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.uid) body.preconditions = { uid: options.uid };
    try {
      await this.send({
        method: 'DELETE',
        kind: kind.kind,
        path,
        name,
        ...(ns ? { namespace: ns } : {}),
        body,
      });
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return false;
      throw error;
    }
    const object = this.find(kind, keyOf({ namespace: ns, name }));
    if (!object) return false;
    if (options.uid && options.uid !== object.metadata?.uid) {
      throw this.apiError(
        'DELETE',
        path,
        409,
        `Precondition failed: UID in precondition: ${options.uid}, UID in object meta: ${object.metadata?.uid}`,
      );
    }
    this.deleteObject(kind, object, options.propagationPolicy ?? 'Background');
    return true;
  }

  // --- the store ---

  /** Records a request, waits for its turn to be answered, and refuses it if a test asked. */
  private async send(request: FakeRequest): Promise<void> {
    this.requests.push(request);
    await new Promise<void>((resolve) => {
      if (this.waiting.push(resolve) > 1) return;
      // Requests sent together (in one synchronous run, e.g. by Promise.all) are answered last
      // first: a real server answers concurrent requests in any order.
      queueMicrotask(() => {
        for (const answer of this.waiting.splice(0).reverse()) answer();
      });
    });
    const refusal = this.refusals.find((r) => r.remaining > 0 && r.match(request));
    if (!refusal) return;
    refusal.remaining--;
    throw this.apiError(request.method, request.path, refusal.code, refusal.message);
  }

  private apiError(method: string, path: string, code: number, message: string): KubeApiError {
    return new KubeApiError(method, path, code, {
      kind: 'Status',
      status: 'Failure',
      code,
      reason: statusReasons[code] ?? 'Unknown',
      message,
    });
  }

  private find(kind: ResourceKind, key: string): KubeObject | undefined {
    return this.objects.get(kindId(kind))?.get(key);
  }

  private existing(
    kind: ResourceKind,
    method: string,
    path: string,
    key: string,
    subresource?: string,
  ): KubeObject {
    if (subresource && subresource !== 'status') {
      throw new Error(`FakeKubeClient does not implement the ${subresource} subresource`);
    }
    const object = this.find(kind, key);
    if (!object) throw this.apiError(method, path, 404, `${kind.plural} "${key}" not found`);
    return object;
  }

  private checkResourceVersion(
    method: string,
    path: string,
    object: KubeObject,
    expected: string | undefined,
  ): void {
    if (expected !== undefined && expected !== object.metadata?.resourceVersion) {
      throw this.apiError(
        method,
        path,
        409,
        'Operation cannot be fulfilled: the object has been modified; please apply your changes to the latest version and try again',
      );
    }
  }

  private keyOfObject(kind: ResourceKind, object: KubeObject): string {
    return keyOf({
      namespace: kind.namespaced ? object.metadata?.namespace : undefined,
      name: object.metadata?.name ?? '',
    });
  }

  /** A new object from a client (create, or apply of a missing object): admission, then stored. */
  private createObject(kind: ResourceKind, method: string, object: KubeObject): KubeObject {
    const key = this.keyOfObject(kind, object);
    const path = collectionPath(kind, object.metadata?.namespace);
    if (this.find(kind, key)) {
      throw this.apiError(method, path, 409, `${kind.plural} "${key}" already exists`);
    }
    if (kind.namespaced) {
      const ns = object.metadata?.namespace;
      if (!ns) throw this.apiError(method, path, 422, 'metadata.namespace: Required value');
      const namespace = this.find(NamespaceKind, ns);
      if (!namespace) throw this.apiError(method, path, 404, `namespaces "${ns}" not found`);
      if (namespace.metadata?.deletionTimestamp) {
        throw this.apiError(
          method,
          path,
          403,
          `unable to create new content in namespace ${ns} because it is being terminated`,
        );
      }
    }
    // As for a kind with a status subresource, a create does not set the status.
    const stored = withoutStatus(clone(object)) as Json & KubeObject;
    delete stored.apiVersion;
    delete stored.kind;
    const metadata = { ...stored.metadata };
    delete metadata.deletionTimestamp;
    delete metadata.managedFields;
    stored.metadata = {
      ...metadata,
      uid: this.newUid(),
      generation: 1,
      creationTimestamp: this.timestamp(),
      resourceVersion: String(++this.version),
    };
    this.store(kind, stored, 'ADDED');
    return stored;
  }

  /** Server-side apply: create when missing, else drop what the manager no longer applies and merge. */
  private apply(
    kind: ResourceKind,
    key: string,
    path: string,
    body: Json,
    manager: string,
    subresource: string | undefined,
  ): KubeObject {
    if (subresource && subresource !== 'status') {
      throw new Error(`FakeKubeClient does not implement the ${subresource} subresource`);
    }
    const content: Json = subresource === 'status' ? { status: body.status } : withoutStatus(body);
    delete content.apiVersion;
    delete content.kind;
    const paths = leafPaths(content).filter(
      (p) => p !== '["metadata","name"]' && p !== '["metadata","namespace"]',
    );
    const previous = this.find(kind, key);
    if (!previous) {
      if (subresource) throw this.apiError('PATCH', path, 404, `${kind.plural} "${key}" not found`);
      const created = this.createObject(kind, 'PATCH', content as KubeObject);
      this.applied.set(`${created.metadata?.uid} ${manager} `, new Set(paths));
      return created;
    }
    const owner = `${previous.metadata?.uid} ${manager} ${subresource ?? ''}`;
    const current = clone(previous) as Json;
    const wanted = new Set(paths);
    for (const dropped of this.applied.get(owner) ?? []) {
      if (!wanted.has(dropped)) removePath(current, JSON.parse(dropped) as string[]);
    }
    const next: Json =
      subresource === 'status'
        ? { ...current, status: deepMerge(current.status, content.status) }
        : { ...(deepMerge(withoutStatus(current), content) as Json), status: current.status };
    this.applied.set(owner, wanted);
    return this.commit(kind, previous, next) ?? next;
  }

  /**
   * Stores a changed object with the server's fields kept, a new resourceVersion and, when
   * its spec changed, a new generation; completes a deletion whose finalizers are gone.
   * Returns the stored object (undefined when the change completed a deletion).
   */
  private commit(
    kind: ResourceKind,
    previous: KubeObject,
    changed: KubeObject,
  ): KubeObject | undefined {
    const before = previous.metadata ?? {};
    const next = JSON.parse(JSON.stringify(changed)) as Json & KubeObject;
    delete next.apiVersion;
    delete next.kind;
    next.metadata = {
      ...next.metadata,
      name: before.name,
      ...(before.namespace ? { namespace: before.namespace } : {}),
      uid: before.uid,
      creationTimestamp: before.creationTimestamp,
      resourceVersion: before.resourceVersion,
      generation: before.generation,
    };
    if (before.deletionTimestamp) next.metadata.deletionTimestamp = before.deletionTimestamp;
    else delete next.metadata.deletionTimestamp;
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length) {
      this.remove(kind, previous, 'Background');
      return undefined;
    }
    if (isDeepStrictEqual(next, previous)) return previous;
    if (!isDeepStrictEqual(specOf(next), specOf(previous))) {
      next.metadata.generation = (before.generation ?? 0) + 1;
    }
    next.metadata.resourceVersion = String(++this.version);
    this.store(kind, next, 'MODIFIED');
    return next;
  }

  private deleteObject(
    kind: ResourceKind,
    object: KubeObject,
    propagation: NonNullable<DeleteOptions['propagationPolicy']>,
  ): void {
    if (!object.metadata?.finalizers?.length) return this.remove(kind, object, propagation);
    if (object.metadata.deletionTimestamp) return;
    const next = clone(object);
    next.metadata = {
      ...next.metadata,
      deletionTimestamp: this.timestamp(),
      deletionGracePeriodSeconds: 0,
      generation: (object.metadata.generation ?? 0) + 1,
      resourceVersion: String(++this.version),
    };
    this.store(kind, next, 'MODIFIED');
  }

  /** Removes an object, then what it owns (or their references to it) and its namespace's content. */
  private remove(
    kind: ResourceKind,
    object: KubeObject,
    propagation: NonNullable<DeleteOptions['propagationPolicy']>,
  ): void {
    const id = kindId(kind);
    this.objects.get(id)?.delete(this.keyOfObject(kind, object));
    const gone = clone(object);
    gone.metadata = { ...gone.metadata, resourceVersion: String(++this.version) };
    this.emit(id, { type: 'DELETED', object: this.wire(kind, gone) });
    const uid = object.metadata?.uid;
    const namespace = id === kindId(NamespaceKind) ? object.metadata?.name : undefined;
    for (const [otherId, objects] of this.objects) {
      const otherKind = this.kinds.get(otherId)!;
      for (const [key, other] of [...objects]) {
        if (objects.get(key) !== other) continue; // changed or removed meanwhile
        const contained =
          namespace !== undefined &&
          otherKind.namespaced &&
          other.metadata?.namespace === namespace;
        const references = other.metadata?.ownerReferences ?? [];
        const owned = references.some((ref) => ref.uid === uid);
        if (contained || (owned && propagation !== 'Orphan')) {
          this.deleteObject(otherKind, other, 'Background');
        } else if (owned) {
          const ownerReferences = references.filter((ref) => ref.uid !== uid);
          this.commit(otherKind, other, {
            ...other,
            metadata: { ...other.metadata, ownerReferences },
          });
        }
      }
    }
  }

  private store(kind: ResourceKind, object: KubeObject, type: 'ADDED' | 'MODIFIED'): void {
    const id = kindId(kind);
    this.kinds.set(id, kind);
    let objects = this.objects.get(id);
    if (!objects) this.objects.set(id, (objects = new Map()));
    objects.set(this.keyOfObject(kind, object), object);
    this.emit(id, { type, object: this.wire(kind, object) });
  }

  private emit(id: string, event: WatchEvent<KubeObject>): void {
    const version = Number(event.object.metadata?.resourceVersion);
    this.history.push({ kindId: id, version, event });
    this.watchers.get(id)?.deliver(event);
  }

  /** A copy as the server sends it: with apiVersion and kind. */
  private wire<T extends KubeObject>(kind: ResourceKind<T>, object: KubeObject): T {
    return { apiVersion: kind.apiVersion, kind: kind.kind, ...clone(object) } as T;
  }

  private newUid(): string {
    return `00000000-0000-4000-8000-${String(++this.uids).padStart(12, '0')}`;
  }

  private timestamp(): string {
    return new Date(this.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}

/** A ListerWatcher over the fake's store: list is a snapshot, watches get every change at once. */
class StoreListerWatcher<T extends KubeObject> implements ListerWatcher<T> {
  lists = 0;
  watches = 0;
  private readonly open = new Set<(event: WatchEvent<T>) => void>();

  constructor(
    private readonly snapshot: () => ListResult<T>,
    private readonly since: (resourceVersion: number) => WatchEvent<T>[],
  ) {}

  async list(_signal: AbortSignal, map: (object: T) => T): Promise<ListResult<T>> {
    this.lists++;
    const snapshot = this.snapshot();
    return { ...snapshot, items: snapshot.items.map(map) };
  }

  watch(
    options: { resourceVersion: string; signal: AbortSignal },
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchEnd> {
    this.watches++;
    return new Promise((resolve) => {
      const finish = (end: WatchEnd): void => {
        if (this.open.delete(deliver)) resolve(end);
      };
      const deliver = (event: WatchEvent<T>): void => {
        try {
          onEvent(event);
        } catch (error) {
          finish({ reason: 'error', error });
        }
      };
      this.open.add(deliver);
      options.signal.addEventListener('abort', () => finish({ reason: 'aborted' }), { once: true });
      if (options.signal.aborted) return finish({ reason: 'aborted' });
      for (const event of this.since(Number(options.resourceVersion))) deliver(event);
    });
  }

  deliver(event: WatchEvent<T>): void {
    for (const deliver of [...this.open]) deliver(event);
  }
}

function kindId(kind: ResourceKind): string {
  return `${kind.apiVersion}/${kind.kind}`;
}

function clone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutStatus(object: unknown): Json {
  const copy = { ...(object as Json) };
  delete copy.status;
  return copy;
}

/** What generation counts: everything but metadata and status. */
function specOf(object: KubeObject): Json {
  const copy = withoutStatus(object);
  delete copy.metadata;
  return copy;
}

/** RFC 7386: null removes a field, objects merge, anything else replaces. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Json = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Maps merge recursively; lists and scalars replace. */
function deepMerge(target: unknown, source: unknown): unknown {
  if (!isPlainObject(source) || !isPlainObject(target)) return clone(source);
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(source)) result[key] = deepMerge(result[key], value);
  return result;
}

/** Paths (JSON arrays of keys) of the leaves of a value; lists and empty maps are leaves. */
function leafPaths(value: unknown, prefix: string[] = []): string[] {
  if (!isPlainObject(value) || Object.keys(value).length === 0) return [JSON.stringify(prefix)];
  return Object.entries(value).flatMap(([key, child]) => leafPaths(child, [...prefix, key]));
}

/** Removes the field at `path` and the maps it leaves empty. */
function removePath(object: Json, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || !(head in object)) return;
  const child = object[head];
  if (rest.length === 0 || !isPlainObject(child)) {
    if (rest.length === 0) delete object[head];
    return;
  }
  removePath(child, rest);
  if (Object.keys(child).length === 0) delete object[head];
}

/** `a=b`, `a==b`, `a!=b`, `a`, `!a`, comma-separated (set-based selectors are not supported). */
function parseLabelSelector(selector: string | undefined): ((labels: Json) => boolean)[] {
  if (!selector) return [];
  return selector.split(',').map((term) => {
    const t = term.trim();
    const match = /^([^!=]+?)\s*(==|=|!=)\s*(.*)$/.exec(t);
    if (match) {
      const [, key = '', op, value] = match;
      return (labels) => (op === '!=' ? labels[key] !== value : labels[key] === value);
    }
    if (/\s(in|notin)\s/.test(t)) {
      throw new Error(`FakeKubeClient does not implement set-based label selectors: ${t}`);
    }
    return t.startsWith('!') ? (labels) => !(t.slice(1) in labels) : (labels) => t in labels;
  });
}

function parseFieldSelector(selector: string | undefined): ((object: KubeObject) => boolean)[] {
  if (!selector) return [];
  return selector.split(',').map((term) => {
    const match = /^(metadata\.name|metadata\.namespace)\s*(==|=|!=)\s*(.*)$/.exec(term.trim());
    if (!match) throw new Error(`FakeKubeClient does not implement the field selector ${term}`);
    const [, field, op, value] = match;
    const read = (o: KubeObject) =>
      field === 'metadata.name' ? o.metadata?.name : o.metadata?.namespace;
    return (object) => (op === '!=' ? read(object) !== value : read(object) === value);
  });
}
