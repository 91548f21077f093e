import { KubeApiError, KubeConnectionError } from './errors.js';
import { Informer, stripManagedFields } from './informer.js';
import type { KubeObject } from './objects.js';
import { FakeClock, flushPromises } from './testing/fake-clock.js';
import { FakeListerWatcher } from './testing/fake-lister-watcher.js';

type Obj = KubeObject & { data?: string };

const obj = (name: string, rv: string, data = ''): Obj => ({
  metadata: { namespace: 'ns', name, resourceVersion: rv },
  data,
});

class FakeApi extends FakeListerWatcher<Obj> {}

function recorder() {
  const events: string[] = [];
  return {
    events,
    handler: {
      onAdd: (o: Obj) => void events.push(`add ${o.metadata?.name}@${o.metadata?.resourceVersion}`),
      onUpdate: (a: Obj, b: Obj) =>
        void events.push(
          `update ${b.metadata?.name}@${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`,
        ),
      onDelete: (o: Obj) => void events.push(`delete ${o.metadata?.name}`),
    },
  };
}

async function startInformer(api: FakeApi, clock: FakeClock, resyncPeriodMs = 0) {
  const informer = new Informer<Obj>(api, {
    clock,
    random: () => 0,
    resyncPeriodMs,
    idleTimeoutMs: 60_000,
  });
  const { events, handler } = recorder();
  informer.addHandler(handler);
  informer.start();
  await informer.waitForSync();
  await flushPromises();
  return { informer, events };
}

describe('Informer', () => {
  it('lists, then watches from the list version, and resumes a closed watch without re-listing', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = { items: [obj('a', '5')], resourceVersion: '10' };
    const { informer, events } = await startInformer(api, clock);
    expect(informer.hasSynced).toBe(true);
    expect(api.current.resourceVersion).toBe('10');

    api.current.emit({ type: 'ADDED', object: obj('b', '11') });
    api.current.emit({ type: 'MODIFIED', object: obj('a', '12', 'x') });
    api.current.emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '15' } } });
    await clock.advance(6_000);
    api.current.end({ reason: 'closed' }); // the server's watch timeout
    await flushPromises();

    expect(api.watches.map((w) => w.resourceVersion)).toEqual(['10', '15']);
    expect(api.lists).toBe(1);
    expect(informer.store.get('ns/a')?.data).toBe('x');
    expect(events).toEqual(['add a@5', 'add b@11', 'update a@5->12']);
    expect(informer.stats).toMatchObject({
      lists: 1,
      watches: 2,
      events: 2,
      bookmarks: 1,
      relists: 0,
    });
    await informer.stop();
  });

  it('re-lists on 410 Gone and delivers only what changed meanwhile, deletions included', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = {
      items: [obj('keep', '1'), obj('change', '2'), obj('drop', '3')],
      resourceVersion: '3',
    };
    const { informer, events } = await startInformer(api, clock);
    events.length = 0;

    api.listResult = {
      items: [obj('keep', '1'), obj('change', '7'), obj('new', '8')],
      resourceVersion: '9',
    };
    api.current.emit({ type: 'ERROR', object: { code: 410, reason: 'Expired' } as KubeObject });
    await flushPromises();

    expect(api.lists).toBe(2);
    expect(events.sort()).toEqual(['add new@8', 'delete drop', 'update change@2->7']);
    expect(api.current.resourceVersion).toBe('9');
    expect(informer.stats.relists).toBe(1);
    await informer.stop();
  });

  it('treats a 410 answer to the watch request itself like an expired version', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    const { informer } = await startInformer(api, clock);
    api.current.end({
      reason: 'error',
      error: new KubeApiError('WATCH', '/x', 410, { reason: 'Gone' }),
    });
    await flushPromises();
    expect(api.lists).toBe(2);
    await informer.stop();
  });

  it('reconnects after connection errors with a growing, capped backoff, from the same version', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = { items: [], resourceVersion: '42' };
    const { informer } = await startInformer(api, clock);
    const refused = new KubeConnectionError('GET', '/api', new Error('ECONNREFUSED'));

    const attemptsAt: number[] = [];
    const watch = api.watch.bind(api);
    api.watch = (options, onEvent) => {
      attemptsAt.push(clock.now());
      return watch(options, onEvent);
    };
    api.watchRefusal = refused;
    const startedFailingAt = clock.now();
    api.current.end({ reason: 'error', error: refused }); // the API server went away
    await clock.advance(120_000);
    // 800 ms, 1.6 s, 3.2 s, 6.4 s, then capped at 10 s (no jitter in this test).
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
    expect(gaps.slice(0, 7)).toEqual([1_600, 3_200, 6_400, 10_000, 10_000, 10_000, 10_000]);
    expect(attemptsAt[0]).toBe(startedFailingAt + 800);

    api.watchRefusal = undefined;
    await clock.advance(11_000);
    expect(api.current.resourceVersion).toBe('42');
    expect(api.lists).toBe(1); // no re-list, no replay
    await informer.stop();
  });

  it('closes an idle watch and resumes it after a backoff', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    const { informer } = await startInformer(api, clock);
    api.current.end({ reason: 'idle' });
    await clock.advance(2_000);
    expect(api.watches).toHaveLength(2);
    expect(informer.stats.idleTimeouts).toBe(1);
    await informer.stop();
  });

  it('retries a failed first list with backoff and only then reports synced', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = new Error('ECONNRESET');
    const informer = new Informer<Obj>(api, { clock, random: () => 0 });
    informer.start();
    await flushPromises();
    expect(informer.hasSynced).toBe(false);
    api.listResult = { items: [obj('a', '1')], resourceVersion: '1' };
    await clock.advance(800);
    await informer.waitForSync();
    expect(informer.store.size).toBe(1);
    expect(api.lists).toBe(2);
    await informer.stop();
  });

  it('re-delivers every cached object on each resync period', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = { items: [obj('a', '1'), obj('b', '2')], resourceVersion: '2' };
    const { informer, events } = await startInformer(api, clock, 60_000);
    events.length = 0;
    await clock.advance(60_000);
    expect(events.sort()).toEqual(['update a@1->1', 'update b@2->2']);
    await clock.advance(60_000);
    expect(events).toHaveLength(4);
    await informer.stop();
  });

  it('tells a late handler about every cached object, and stops calling a removed one', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    api.listResult = { items: [obj('a', '1')], resourceVersion: '1' };
    const { informer } = await startInformer(api, clock);
    const late = recorder();
    const remove = informer.addHandler(late.handler);
    expect(late.events).toEqual(['add a@1']);
    remove();
    api.current.emit({ type: 'DELETED', object: obj('a', '2') });
    expect(late.events).toEqual(['add a@1']);
    expect(informer.store.size).toBe(0);
    await informer.stop();
  });

  it('keeps going when a handler throws', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    const { informer, events } = await startInformer(api, clock);
    informer.addHandler({
      onAdd: () => {
        throw new Error('boom');
      },
    });
    api.current.emit({ type: 'ADDED', object: obj('x', '2') });
    expect(events).toEqual(['add x@2']);
    expect(api.watches).toHaveLength(1);
    await informer.stop();
  });
});

describe('stripManagedFields', () => {
  it('drops managedFields from cached objects and keeps everything else', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    const withFields: Obj = {
      metadata: {
        namespace: 'ns',
        name: 'a',
        resourceVersion: '1',
        managedFields: [{ manager: 'x' }],
      },
      data: 'd',
    };
    api.listResult = { items: [withFields], resourceVersion: '1' };
    const { informer } = await startInformer(api, clock);
    api.current.emit({
      type: 'ADDED',
      object: { ...withFields, metadata: { ...withFields.metadata, name: 'b' } },
    });
    expect(informer.store.get('ns/a')).toEqual({
      metadata: { namespace: 'ns', name: 'a', resourceVersion: '1' },
      data: 'd',
    });
    expect(informer.store.get('ns/b')?.metadata?.managedFields).toBeUndefined();
    expect(stripManagedFields(withFields)).not.toBe(withFields);
    await informer.stop();
  });
});

describe('Informer.retryNow', () => {
  it('cuts a reconnect backoff short', async () => {
    const clock = new FakeClock();
    const api = new FakeApi();
    const { informer } = await startInformer(api, clock);
    api.watchRefusal = new KubeConnectionError('GET', '/api', new Error('ECONNREFUSED'));
    api.current.end({ reason: 'error', error: api.watchRefusal });
    await clock.advance(30_000); // several failures: the backoff is now 10 s
    const watchesBefore = informer.stats.watches;
    api.watchRefusal = undefined;
    informer.retryNow();
    await flushPromises();
    expect(informer.stats.watches).toBe(watchesBefore + 1);
    expect(api.lists).toBe(1);
    await informer.stop();
  });
});
