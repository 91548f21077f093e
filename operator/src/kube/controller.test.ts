import { Registry } from 'prom-client';
import { silentLogger } from '../logging/logger.js';
import { ControllerMetrics } from '../metrics/controller-metrics.js';
import { ChannelSource } from './channel-source.js';
import {
  Controller,
  controller,
  type ControllerSpec,
  type ReconcileRequest,
  type ReconcileResult,
} from './controller.js';
import { TerminalError } from './errors.js';
import { EventRecorder } from './events.js';
import { resourceKind, type KubeObject } from './objects.js';
import { FakeClock, flushPromises } from './testing/fake-clock.js';
import { fakeApiCache } from './testing/fake-api-cache.js';

const ParentKind = resourceKind<KubeObject>('example.dev/v1', 'Parent', 'parents', false);
const ChildKind = resourceKind<KubeObject>('v1', 'ConfigMap', 'configmaps', true);
const OtherKind = resourceKind<KubeObject>('v1', 'Secret', 'secrets', true);

const parent = (name: string, rv = '1'): KubeObject => ({
  metadata: { name, uid: `uid-${name}`, resourceVersion: rv },
});
const child = (name: string, owner: string, rv = '1', controllerRef = true): KubeObject => ({
  metadata: {
    namespace: 'ns',
    name,
    resourceVersion: rv,
    ownerReferences: [
      {
        apiVersion: 'example.dev/v1',
        kind: 'Parent',
        name: owner,
        uid: `uid-${owner}`,
        controller: controllerRef,
      },
    ],
  },
});

function harness(
  reconcile: (request: ReconcileRequest) => Promise<ReconcileResult>,
  workers = 1,
  updatePredicate?: ControllerSpec['updatePredicate'],
  watchUpdatePredicate?: (old: KubeObject, object: KubeObject) => boolean,
) {
  const clock = new FakeClock();
  const { api, client, cache } = fakeApiCache(clock);
  const registry = new Registry();
  const metrics = new ControllerMetrics(registry);
  const source = new ChannelSource();
  const events = new EventRecorder(
    { create: async () => undefined, updateSeries: async () => undefined },
    { reportingInstance: 'test', clock },
  );
  const spec = controller({
    name: 'parent',
    for: ParentKind,
    owns: [ChildKind],
    watches: [
      {
        kind: OtherKind,
        map: (object: KubeObject) => [{ name: object.metadata?.labels?.parent ?? '' }],
        ...(watchUpdatePredicate ? { updatePredicate: watchUpdatePredicate } : {}),
      },
    ],
    sources: [source],
    workers,
    ...(updatePredicate ? { updatePredicate } : {}),
    reconcile: (request) => reconcile(request),
  });
  const running = new Controller(spec, {
    client,
    cache,
    events,
    metrics,
    logger: silentLogger(),
    clock,
  });
  const start = async () => {
    cache.start();
    await cache.waitForSync();
    running.start();
    await flushPromises();
  };
  const metric = async (name: string, labels: Record<string, string>) => {
    const values = (await registry.getSingleMetric(name)!.get()).values;
    return values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
  };
  return { clock, api, cache, running, start, metric, source };
}

describe('Controller', () => {
  it('reconciles every primary once at start, and owners and mapped keys on change', async () => {
    const seen: string[] = [];
    const h = harness(async ({ key }) => void seen.push(key));
    h.api(ParentKind).listResult = { items: [parent('a'), parent('b')], resourceVersion: '1' };
    h.api(ChildKind).listResult = { items: [child('a-child', 'a')], resourceVersion: '1' };
    await h.start();
    expect(seen.sort()).toEqual(['a', 'b']);

    seen.length = 0;
    h.api(ChildKind).current.emit({ type: 'MODIFIED', object: child('a-child', 'a', '2') });
    h.api(ChildKind).current.emit({
      type: 'ADDED',
      object: child('not-controlled', 'b', '3', false),
    });
    h.api(OtherKind).current.emit({
      type: 'ADDED',
      object: { metadata: { namespace: 'ns', name: 's', labels: { parent: 'b' } } },
    });
    await flushPromises();
    expect(seen.sort()).toEqual(['a', 'b']);
    await h.running.stop();
  });

  it('reconciles keys a channel source emits while it runs, and none after it stopped', async () => {
    const seen: string[] = [];
    const h = harness(async ({ key }) => void seen.push(key));
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    seen.length = 0;
    h.source.emit({ name: 'a' });
    h.source.emit({ name: 'from-outside' });
    await flushPromises();
    expect(seen.sort()).toEqual(['a', 'from-outside']);
    await h.running.stop();
    seen.length = 0;
    h.source.emit({ name: 'a' });
    await flushPromises();
    expect(seen).toEqual([]);
  });

  it('skips the primary updates its update predicate refuses, but never a resync, an add or a delete', async () => {
    const seen: string[] = [];
    const specChanged = (old: KubeObject, object: KubeObject) =>
      old.metadata?.generation !== object.metadata?.generation;
    const h = harness(async ({ key }) => void seen.push(key), 1, specChanged);
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    expect(seen).toEqual(['a']);
    const watch = h.api(ParentKind).current;

    seen.length = 0;
    const statusOnly = { ...parent('a', '2'), status: { phase: 'Running' } } as KubeObject;
    watch.emit({ type: 'MODIFIED', object: statusOnly });
    await flushPromises();
    expect(seen).toEqual([]);

    watch.emit({
      type: 'MODIFIED',
      object: { metadata: { ...parent('a', '3').metadata, generation: 2 } },
    });
    watch.emit({ type: 'ADDED', object: parent('b', '4') });
    await flushPromises();
    expect(seen.sort()).toEqual(['a', 'b']);

    seen.length = 0;
    watch.emit({ type: 'DELETED', object: parent('b', '5') });
    await flushPromises();
    expect(seen).toEqual(['b']);
    await h.running.stop();
  });

  it("maps only the watched objects' updates its update predicate passes, and every resync", async () => {
    const seen: string[] = [];
    const parentChanged = (old: KubeObject, object: KubeObject) =>
      old.metadata?.labels?.parent !== object.metadata?.labels?.parent;
    const h = harness(async ({ key }) => void seen.push(key), 1, undefined, parentChanged);
    const other = (rv: string, parentName: string, beat: string): KubeObject => ({
      metadata: {
        namespace: 'ns',
        name: 's',
        resourceVersion: rv,
        labels: { parent: parentName, heartbeat: beat },
      },
    });
    h.api(ParentKind).listResult = { items: [parent('a'), parent('b')], resourceVersion: '1' };
    h.api(OtherKind).listResult = { items: [other('1', 'a', '0')], resourceVersion: '1' };
    await h.start();
    seen.length = 0;
    const watch = h.api(OtherKind).current;

    watch.emit({ type: 'MODIFIED', object: other('2', 'a', '1') }); // a heartbeat: nothing
    await flushPromises();
    expect(seen).toEqual([]);

    watch.emit({ type: 'MODIFIED', object: other('3', 'b', '1') }); // moved: both sides
    await flushPromises();
    expect(seen.sort()).toEqual(['a', 'b']);
    await h.running.stop();
  });

  it('retries a throwing reconcile with exponential backoff and counts it in the metrics', async () => {
    const attempts: number[] = [];
    const h = harness(async () => {
      attempts.push(h.clock.now());
      if (attempts.length <= 4) throw new Error('API unavailable');
    });
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    await h.clock.advance(1_000);
    expect(attempts.slice(1).map((t, i) => t - attempts[i]!)).toEqual([5, 10, 20, 40]);
    expect(
      await h.metric('controller_runtime_reconcile_errors_total', { controller: 'parent' }),
    ).toBe(4);
    expect(
      await h.metric('controller_runtime_reconcile_total', {
        controller: 'parent',
        result: 'error',
      }),
    ).toBe(4);
    expect(
      await h.metric('controller_runtime_reconcile_total', {
        controller: 'parent',
        result: 'success',
      }),
    ).toBe(1);
    expect(await h.metric('workqueue_retries_total', { name: 'parent' })).toBe(4);
    expect(
      await h.metric('controller_runtime_reconcile_panics_total', { controller: 'parent' }),
    ).toBe(0);
    await h.running.stop();
  });

  it('counts a crash (TypeError) as a panic and still retries it', async () => {
    let calls = 0;
    const h = harness(async () => {
      if (calls++ === 0) (undefined as unknown as { x: number }).x.toFixed();
    });
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    await h.clock.advance(10);
    expect(calls).toBe(2);
    expect(
      await h.metric('controller_runtime_reconcile_panics_total', { controller: 'parent' }),
    ).toBe(1);
    await h.running.stop();
  });

  it('does not retry a terminal error', async () => {
    let calls = 0;
    const h = harness(async () => {
      calls++;
      throw new TerminalError('manifest hash does not match the chain');
    });
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    await h.clock.advance(60_000);
    expect(calls).toBe(1);
    expect(
      await h.metric('controller_runtime_terminal_reconcile_errors_total', {
        controller: 'parent',
      }),
    ).toBe(1);
    await h.running.stop();
  });

  it('requeues after the requested delay', async () => {
    const at: number[] = [];
    const h = harness(async () => {
      at.push(h.clock.now());
      return at.length < 3 ? { requeueAfterMs: 30_000 } : undefined;
    });
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    await h.clock.advance(120_000);
    expect(at.map((t) => t - at[0]!)).toEqual([0, 30_000, 60_000]);
    expect(
      await h.metric('controller_runtime_reconcile_total', {
        controller: 'parent',
        result: 'requeue_after',
      }),
    ).toBe(2);
    await h.running.stop();
  });

  it('never runs one key on two workers, and runs it once more when it changed meanwhile', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: string[] = [];
    const releases: (() => void)[] = [];
    const h = harness(async ({ key }) => {
      seen.push(key);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => releases.push(resolve));
      inFlight--;
    }, 4);
    h.api(ParentKind).listResult = { items: [parent('a')], resourceVersion: '1' };
    await h.start();
    for (let rv = 2; rv < 6; rv++)
      h.api(ParentKind).current.emit({ type: 'MODIFIED', object: parent('a', String(rv)) });
    await flushPromises();
    expect(seen).toEqual(['a']);
    releases.shift()!();
    await flushPromises();
    expect(seen).toEqual(['a', 'a']); // the four changes collapse into one more reconcile
    releases.shift()!();
    await flushPromises();
    expect(seen).toEqual(['a', 'a']);
    expect(maxInFlight).toBe(1);
    await h.running.stop();
  });

  it('on stop lets the in-flight reconcile finish and takes no new keys', async () => {
    let release: () => void = () => undefined;
    const seen: string[] = [];
    const h = harness(async ({ key }) => {
      seen.push(key);
      if (key === 'a') await new Promise<void>((resolve) => (release = resolve));
    });
    h.api(ParentKind).listResult = { items: [parent('a'), parent('b')], resourceVersion: '1' };
    await h.start();
    let stopped = false;
    const stopping = h.running.stop(60_000).then(() => (stopped = true));
    await flushPromises();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(seen).toEqual(['a']);
    expect(h.running.running).toBe(false);
  });
});
