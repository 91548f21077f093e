import type { KubeObject } from './objects.js';
import { Store, byLabel } from './store.js';

function object(namespace: string, name: string, extra: KubeObject['metadata'] = {}): KubeObject {
  return { metadata: { namespace, name, resourceVersion: '1', ...extra } };
}

describe('Store', () => {
  it('keys objects by namespace/name and replaces on upsert', () => {
    const store = new Store();
    store.upsert(object('a', 'x'));
    const previous = store.upsert(object('a', 'x', { resourceVersion: '2' }));
    store.upsert({ metadata: { name: 'cluster-wide' } });
    expect(previous?.metadata?.resourceVersion).toBe('1');
    expect(store.get('a/x')?.metadata?.resourceVersion).toBe('2');
    expect(store.get('cluster-wide')).toBeDefined();
    expect(store.size).toBe(2);
  });

  it('keeps the owner and namespace indexes up to date through updates and removals', () => {
    const store = new Store();
    const owned = (uid: string) => [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o', uid }];
    store.upsert(object('a', 'x', { ownerReferences: owned('u1') }));
    store.upsert(object('b', 'y', { ownerReferences: owned('u1') }));
    expect(
      store
        .byIndex('owner', 'u1')
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['x', 'y']);

    store.upsert(object('a', 'x', { ownerReferences: owned('u2') }));
    expect(store.byIndex('owner', 'u1').map((o) => o.metadata?.name)).toEqual(['y']);
    expect(store.byIndex('owner', 'u2').map((o) => o.metadata?.name)).toEqual(['x']);

    store.remove('b/y');
    expect(store.byIndex('owner', 'u1')).toEqual([]);
    expect(store.byIndex('namespace', 'a')).toHaveLength(1);
    expect(store.byIndex('namespace', 'b')).toEqual([]);
  });

  it('indexes existing objects when an index is added later, and rejects unknown indexes', () => {
    const store = new Store();
    store.upsert(object('a', 'x', { labels: { pool: 'h100' } }));
    store.upsert(object('a', 'y', { labels: { pool: 'a100' } }));
    store.addIndex('pool', byLabel('pool'));
    expect(store.byIndex('pool', 'h100').map((o) => o.metadata?.name)).toEqual(['x']);
    expect(() => store.byIndex('missing', 'v')).toThrow(/no index "missing"/);
  });

  it('keeps an index value right as its keys go from one to many and back to none', () => {
    const store = new Store();
    const names = () =>
      store
        .byIndex('namespace', 'a')
        .map((o) => o.metadata?.name)
        .sort();
    store.upsert(object('a', 'x'));
    store.upsert(object('a', 'x', { resourceVersion: '2' }));
    expect(names()).toEqual(['x']);
    store.upsert(object('a', 'y'));
    store.upsert(object('a', 'z'));
    expect(names()).toEqual(['x', 'y', 'z']);
    store.remove('a/y');
    store.remove('a/x');
    expect(names()).toEqual(['z']);
    store.upsert(object('a', 'w'));
    expect(names()).toEqual(['w', 'z']);
    store.remove('a/z');
    store.remove('a/w');
    expect(names()).toEqual([]);
    store.upsert(object('a', 'v'));
    expect(names()).toEqual(['v']);
  });
});
