import { objectKey, type KubeObject } from './objects.js';

/** Maps an object to the index values it is found under (e.g. its owner uids). */
export type IndexFunction<T> = (object: T) => readonly string[];

/** Index by owner uid: every object under the uid of each of its owners. */
export const byOwnerUid: IndexFunction<KubeObject> = (object) =>
  object.metadata?.ownerReferences?.map((owner) => owner.uid) ?? [];

/** Index by namespace. */
export const byNamespace: IndexFunction<KubeObject> = (object) =>
  object.metadata?.namespace ? [object.metadata.namespace] : [];

/** An index by the value of one label, e.g. `byLabel('supercloud.dev/lease-id')`. */
export function byLabel(label: string): IndexFunction<KubeObject> {
  return (object) => {
    const value = object.metadata?.labels?.[label];
    return value === undefined ? [] : [value];
  };
}

/** The indexes every informer cache keeps. */
export const defaultIndexes = { owner: byOwnerUid, namespace: byNamespace } as const;

/**
 * A thread-safe-by-construction (single-threaded) object cache keyed by `namespace/name`, with
 * indexes kept up to date on every change, as client-go's `cache.Indexer`. Objects are frozen
 * in spirit: callers must not mutate what they read (copy with structuredClone first).
 */
export class Store<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexFunctions = new Map<string, IndexFunction<T>>();
  /** index name → index value → keys */
  private readonly indexes = new Map<string, IndexEntries>();

  constructor(indexes: Record<string, IndexFunction<T>> = defaultIndexes) {
    for (const [name, fn] of Object.entries(indexes)) this.addIndex(name, fn);
  }

  get size(): number {
    return this.objects.size;
  }

  /** Adds an index; existing objects are indexed at once. Adding a name twice is a no-op. */
  addIndex(name: string, fn: IndexFunction<T>): void {
    if (this.indexFunctions.has(name)) return;
    this.indexFunctions.set(name, fn);
    const index: IndexEntries = new Map();
    this.indexes.set(name, index);
    for (const [key, object] of this.objects) addToIndex(index, fn(object), key);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  /** Objects under `value` in the named index. */
  byIndex(indexName: string, value: string): T[] {
    const index = this.indexes.get(indexName);
    if (!index)
      throw new Error(`the cache has no index "${indexName}": add it with addIndex first`);
    const keys = index.get(value);
    if (keys === undefined) return [];
    if (typeof keys === 'string') return [this.objects.get(keys)!];
    return [...keys].map((key) => this.objects.get(key)!);
  }

  /** Inserts or replaces; returns the previous object. */
  upsert(object: T): T | undefined {
    const key = objectKey(object);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    for (const [name, fn] of this.indexFunctions)
      addToIndex(this.indexes.get(name)!, fn(object), key);
    return previous;
  }

  /** Removes by key; returns the removed object. */
  remove(key: string): T | undefined {
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  private unindex(key: string, object: T): void {
    for (const [name, fn] of this.indexFunctions) {
      removeFromIndex(this.indexes.get(name)!, fn(object), key);
    }
  }
}

/**
 * Index value → the keys under it. Most values (a lease's namespace, a pod's owner) have one key,
 * kept as itself rather than in a Set of one: with 10,000 leases there are over 100,000 values.
 */
type IndexEntries = Map<string, string | Set<string>>;

function addToIndex(index: IndexEntries, values: readonly string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    if (keys === undefined || keys === key) index.set(value, key);
    else if (typeof keys === 'string') index.set(value, new Set([keys, key]));
    else keys.add(key);
  }
}

function removeFromIndex(index: IndexEntries, values: readonly string[], key: string): void {
  for (const value of values) {
    const keys = index.get(value);
    if (keys === key) index.delete(value);
    else if (keys instanceof Set && keys.delete(key) && keys.size === 1) {
      index.set(value, keys.values().next().value!);
    }
  }
}
