import { apply, applyStatus, mergeStatus } from '../apply.js';
import { KubeApiError } from '../errors.js';
import { InformerCache } from '../informer-cache.js';
import {
  ConfigMapKind,
  DeploymentKind,
  NamespaceKind,
  resourceKind,
  type KubeObject,
} from '../objects.js';
import { FakeClock } from './fake-clock.js';
import { FakeKubeClient } from './fake-client.js';

interface Widget extends KubeObject {
  spec?: { size?: number; color?: string };
  status?: { phase?: string; note?: string; ready?: boolean };
}
const WidgetKind = resourceKind<Widget>('example.dev/v1', 'Widget', 'widgets', false);

const widget = (name: string, spec: Widget['spec'] = { size: 1 }): Widget => ({
  metadata: { name },
  spec,
});

const codeOf = async (write: Promise<unknown>) =>
  write.then(
    () => 'no error',
    (error: unknown) => (error instanceof KubeApiError ? error.code : error),
  );

describe('FakeKubeClient', () => {
  describe('reads and records', () => {
    it('assigns uid, resourceVersion, generation and creationTimestamp on create', async () => {
      const api = new FakeKubeClient({ clock: new FakeClock(Date.UTC(2025, 0, 2, 3, 4, 5)) });
      const created = await api.create(WidgetKind, widget('a'));
      expect(created).toMatchObject({
        apiVersion: 'example.dev/v1',
        kind: 'Widget',
        metadata: {
          name: 'a',
          generation: 1,
          resourceVersion: '1',
          creationTimestamp: '2025-01-02T03:04:05Z',
        },
        spec: { size: 1 },
      });
      expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
      expect(await api.get(WidgetKind, 'a')).toEqual(created);
      expect(await api.get(WidgetKind, 'missing')).toBeUndefined();
    });

    it('records each request with its method, kind, name, subresource and body as sent', async () => {
      const api = new FakeKubeClient();
      await api.create(WidgetKind, widget('a'));
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'Ready' });
      await api.get(WidgetKind, 'a');
      await api.delete(WidgetKind, 'a', { uid: 'x' }).catch(() => undefined);
      expect(api.requests).toEqual([
        {
          method: 'POST',
          kind: 'Widget',
          path: '/apis/example.dev/v1/widgets',
          name: 'a',
          body: { apiVersion: 'example.dev/v1', kind: 'Widget', ...widget('a') },
        },
        {
          method: 'PATCH',
          kind: 'Widget',
          path: '/apis/example.dev/v1/widgets/a/status',
          name: 'a',
          subresource: 'status',
          patchType: 'apply',
          fieldManager: 'supercloud-operator',
          force: true,
          body: {
            apiVersion: 'example.dev/v1',
            kind: 'Widget',
            metadata: { name: 'a' },
            status: { phase: 'Ready' },
          },
        },
        { method: 'GET', kind: 'Widget', path: '/apis/example.dev/v1/widgets/a', name: 'a' },
        {
          method: 'DELETE',
          kind: 'Widget',
          path: '/apis/example.dev/v1/widgets/a',
          name: 'a',
          body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid: 'x' } },
        },
      ]);
      expect(api.writes().map((r) => r.method)).toEqual(['POST', 'PATCH', 'DELETE']);
    });

    it('lists by namespace, label selector and name field selector', async () => {
      const api = new FakeKubeClient();
      for (const ns of ['one', 'two']) api.seed(NamespaceKind, { metadata: { name: ns } });
      const cm = (namespace: string, name: string, labels: Record<string, string>) =>
        api.create(ConfigMapKind, { metadata: { namespace, name, labels } });
      await cm('one', 'a', { app: 'x', tier: 'web' });
      await cm('one', 'b', { app: 'y' });
      await cm('two', 'c', { app: 'x' });
      const names = async (options: Parameters<typeof api.list>[1]) =>
        (await api.list(ConfigMapKind, options)).items.map((o) => o.metadata?.name).sort();
      expect(await names({})).toEqual(['a', 'b', 'c']);
      expect(await names({ namespace: 'one' })).toEqual(['a', 'b']);
      expect(await names({ labelSelector: 'app=x' })).toEqual(['a', 'c']);
      expect(await names({ labelSelector: 'app=x,!tier' })).toEqual(['c']);
      expect(await names({ labelSelector: 'app!=x' })).toEqual(['b']);
      expect(await names({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
      await expect(api.list(ConfigMapKind, { labelSelector: 'app in (x)' })).rejects.toThrow(
        /set-based/,
      );
    });

    it('answers with the error status a test asks for, the given number of times', async () => {
      const api = new FakeKubeClient();
      api.refuse((r) => r.kind === 'Widget' && r.method === 'POST', 422, 'spec.size: Invalid', 1);
      const error = await api.create(WidgetKind, widget('a')).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({ code: 422, reason: 'Invalid' });
      expect((error as Error).message).toContain('spec.size: Invalid');
      expect(api.requests).toHaveLength(1);
      expect(api.stored(WidgetKind, 'a')).toBeUndefined();
      await api.create(WidgetKind, widget('a'));

      const stop = api.refuse((r) => r.method === 'GET', 404, 'gone');
      expect(await api.get(WidgetKind, 'a')).toBeUndefined();
      stop();
      expect(await api.get(WidgetKind, 'a')).toBeDefined();
    });

    it('answers requests sent together last first, as a server may answer them in any order', async () => {
      const api = new FakeKubeClient();
      await Promise.all([api.create(WidgetKind, widget('a')), api.create(WidgetKind, widget('b'))]);
      expect(api.requests.map((r) => r.name)).toEqual(['a', 'b']);
      expect(api.stored(WidgetKind, 'b')?.metadata?.resourceVersion).toBe('1');
      expect(api.stored(WidgetKind, 'a')?.metadata?.resourceVersion).toBe('2');
      const together = Promise.all([
        apply(api.client, NamespaceKind, { metadata: { name: 'ns' } }),
        apply(api.client, ConfigMapKind, { metadata: { namespace: 'ns', name: 'c' } }),
      ]);
      expect(await codeOf(together)).toBe(404);
    });

    it('throws on the KubeClient members it does not implement', () => {
      const api = new FakeKubeClient();
      expect(() => api.client.watch).toThrow('FakeKubeClient does not implement KubeClient.watch');
      expect(() => api.client.requestCount).toThrow(/requestCount/);
    });
  });

  describe('generation and resourceVersion', () => {
    it('bumps generation on spec changes only, not on metadata or status', async () => {
      const api = new FakeKubeClient();
      await apply(api.client, WidgetKind, widget('a'));
      await apply(api.client, WidgetKind, {
        ...widget('a'),
        metadata: { name: 'a', labels: { l: '1' } },
      });
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'Ready' });
      expect(api.stored(WidgetKind, 'a')?.metadata?.generation).toBe(1);
      await apply(api.client, WidgetKind, widget('a', { size: 2 }));
      expect(api.stored(WidgetKind, 'a')).toMatchObject({
        metadata: { generation: 2 },
        spec: { size: 2 },
        status: { phase: 'Ready' },
      });
    });

    it('leaves the resourceVersion alone when a write changes nothing', async () => {
      const api = new FakeKubeClient();
      await apply(api.client, WidgetKind, widget('a'));
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'Ready' });
      const before = api.stored(WidgetKind, 'a')?.metadata?.resourceVersion;
      await apply(api.client, WidgetKind, widget('a'));
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'Ready' });
      await mergeStatus(api.client, WidgetKind, widget('a'), { phase: 'Ready' });
      expect(api.stored(WidgetKind, 'a')?.metadata?.resourceVersion).toBe(before);
    });

    it('ignores status in a write to the object, and all but status in a write to /status', async () => {
      const api = new FakeKubeClient();
      await api.create(WidgetKind, { ...widget('a'), status: { phase: 'Made up' } });
      expect(api.stored(WidgetKind, 'a')?.status).toBeUndefined();
      await api.patch(WidgetKind, 'a', 'merge', { spec: { size: 3 }, status: { phase: 'X' } });
      await api.patch(
        WidgetKind,
        'a',
        'merge',
        { spec: { size: 9 }, status: { phase: 'Ready' } },
        { subresource: 'status' },
      );
      expect(api.stored(WidgetKind, 'a')).toMatchObject({
        spec: { size: 3 },
        status: { phase: 'Ready' },
      });
    });
  });

  describe('patches', () => {
    it('server-side apply removes what the same manager applied before and leaves out now', async () => {
      const api = new FakeKubeClient();
      await apply(api.client, WidgetKind, widget('a', { size: 1, color: 'red' }));
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'P', note: 'n' });
      await applyStatus(
        api.client,
        WidgetKind,
        widget('a'),
        { ready: true },
        { fieldManager: 'b' },
      );
      await apply(api.client, WidgetKind, widget('a', { size: 1 }));
      await applyStatus(api.client, WidgetKind, widget('a'), { phase: 'P' });
      expect(api.stored(WidgetKind, 'a')).toMatchObject({
        spec: { size: 1 },
        status: { phase: 'P', ready: true },
      });
      expect(api.stored(WidgetKind, 'a')?.spec).not.toHaveProperty('color');
      expect(api.stored(WidgetKind, 'a')?.status).not.toHaveProperty('note');
    });

    it('server-side apply to /status of a missing object is 404, to the object creates it', async () => {
      const api = new FakeKubeClient();
      expect(await codeOf(applyStatus(api.client, WidgetKind, widget('a'), {}))).toBe(404);
      await apply(api.client, WidgetKind, widget('a'));
      expect(api.stored(WidgetKind, 'a')?.metadata?.uid).toBeDefined();
    });

    it('merge patch removes a field set to null and refuses a stale resourceVersion', async () => {
      const api = new FakeKubeClient();
      const created = await api.create(WidgetKind, widget('a', { size: 1, color: 'red' }));
      await api.patch(WidgetKind, 'a', 'merge', { spec: { color: null } });
      expect(api.stored(WidgetKind, 'a')?.spec).toEqual({ size: 1 });
      const stale = { metadata: { resourceVersion: created.metadata?.resourceVersion } };
      expect(await codeOf(api.patch(WidgetKind, 'a', 'merge', stale))).toBe(409);
      expect(await codeOf(api.patch(WidgetKind, 'b', 'merge', {}))).toBe(404);
      await expect(api.patch(WidgetKind, 'a', 'json', [])).rejects.toThrow(/json patches/);
    });
  });

  describe('create and delete', () => {
    it('refuses a name that exists, and content in a missing or terminating namespace', async () => {
      const api = new FakeKubeClient();
      await api.create(WidgetKind, widget('a'));
      expect(await codeOf(api.create(WidgetKind, widget('a')))).toBe(409);
      const cm = { metadata: { namespace: 'ns', name: 'c' } };
      expect(await codeOf(api.create(ConfigMapKind, cm))).toBe(404);
      api.seed(NamespaceKind, { metadata: { name: 'ns', finalizers: ['hold'] } });
      await api.delete(NamespaceKind, 'ns');
      expect(await codeOf(apply(api.client, ConfigMapKind, cm))).toBe(403);
    });

    it('deletes only the object of the uid in the precondition', async () => {
      const api = new FakeKubeClient();
      await api.create(WidgetKind, widget('a'));
      expect(await codeOf(api.delete(WidgetKind, 'a', { uid: 'another' }))).toBe(409);
      const uid = api.stored(WidgetKind, 'a')?.metadata?.uid;
      expect(await api.delete(WidgetKind, 'a', { uid })).toBe(true);
      expect(await api.delete(WidgetKind, 'a', { uid })).toBe(false);
    });

    it('removes dependents with the owner, or only their references to it with Orphan', async () => {
      const api = new FakeKubeClient();
      api.seed(NamespaceKind, { metadata: { name: 'ns' } });
      const owner = (name: string) => api.seed(WidgetKind, widget(name));
      const child = (name: string, of: Widget) =>
        api.seed(ConfigMapKind, {
          metadata: {
            namespace: 'ns',
            name,
            ownerReferences: [
              { apiVersion: 'example.dev/v1', kind: 'Widget', name: 'x', uid: of.metadata!.uid! },
            ],
          },
        });
      child('of-a', owner('a'));
      child('of-b', owner('b'));
      await api.delete(WidgetKind, 'a', { propagationPolicy: 'Background' });
      await api.delete(WidgetKind, 'b', { propagationPolicy: 'Orphan' });
      expect(api.stored(ConfigMapKind, 'ns/of-a')).toBeUndefined();
      expect(api.stored(ConfigMapKind, 'ns/of-b')?.metadata?.ownerReferences).toEqual([]);
    });

    it('keeps an object with finalizers as deleting until they are removed; a namespace takes its content', async () => {
      const api = new FakeKubeClient();
      api.seed(NamespaceKind, { metadata: { name: 'ns', finalizers: ['hold'] } });
      api.seed(ConfigMapKind, { metadata: { namespace: 'ns', name: 'c' } });
      await api.delete(NamespaceKind, 'ns');
      expect(api.stored(NamespaceKind, 'ns')?.metadata?.deletionTimestamp).toBeDefined();
      expect(api.stored(ConfigMapKind, 'ns/c')).toBeDefined();
      api.update(NamespaceKind, 'ns', (ns) => (ns.metadata!.finalizers = []));
      expect(api.stored(NamespaceKind, 'ns')).toBeUndefined();
      expect(api.stored(ConfigMapKind, 'ns/c')).toBeUndefined();
    });
  });

  describe('watches', () => {
    it('keeps an InformerCache on its lister-watchers current with every write', async () => {
      const api = new FakeKubeClient();
      api.seed(NamespaceKind, { metadata: { name: 'ns' } });
      await api.create(WidgetKind, widget('before'));
      const cache = new InformerCache(api.client, {
        clock: new FakeClock(),
        listerWatcher: api.listerWatcher,
      });
      cache.informer(WidgetKind);
      cache.informer(DeploymentKind);
      cache.start();
      await cache.waitForSync();
      expect(cache.list(WidgetKind).map((w) => w.metadata?.name)).toEqual(['before']);

      await apply(api.client, WidgetKind, widget('after'));
      await applyStatus(api.client, WidgetKind, widget('after'), { phase: 'Ready' });
      await api.delete(WidgetKind, 'before');
      await apply(api.client, DeploymentKind, { metadata: { namespace: 'ns', name: 'd' } });
      expect(cache.list(WidgetKind).map((w) => w.metadata?.name)).toEqual(['after']);
      expect(cache.get(WidgetKind, 'after')?.status).toEqual({ phase: 'Ready' });
      expect(cache.get(DeploymentKind, 'ns/d')).toBeDefined();
      await cache.stop();
    });

    it('replays to a watch opened from an older resourceVersion the events since then', async () => {
      const api = new FakeKubeClient();
      await api.create(WidgetKind, widget('a'));
      const { resourceVersion } = await api
        .listerWatcher(WidgetKind)
        .list(new AbortController().signal, (object) => object);
      await api.create(WidgetKind, widget('b'));
      const seen: string[] = [];
      const abort = new AbortController();
      const ended = api
        .listerWatcher(WidgetKind)
        .watch(
          { resourceVersion, timeoutSeconds: 60, idleTimeoutMs: 60_000, signal: abort.signal },
          (event) => seen.push(`${event.type} ${event.object.metadata?.name}`),
        );
      await api.delete(WidgetKind, 'a');
      abort.abort();
      expect(await ended).toEqual({ reason: 'aborted' });
      expect(seen).toEqual(['ADDED b', 'DELETED a']);
    });
  });
});
