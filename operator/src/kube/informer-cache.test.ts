import { KubeConfig } from '@kubernetes/client-node';
import { KubeClient } from './client.js';
import { InformerCache } from './informer-cache.js';
import { resourceKind, type KubeObject, type ResourceKind } from './objects.js';
import { FakeClock } from './testing/fake-clock.js';
import { FakeListerWatcher } from './testing/fake-lister-watcher.js';

interface Widget extends KubeObject {
  spec?: { size?: number; colour?: string };
}
const WidgetKind = resourceKind<Widget>('example.dev/v1', 'Widget', 'widgets', true);
const OtherKind = resourceKind<Widget>('example.dev/v1', 'Gadget', 'gadgets', true);

function setup() {
  const apis = new Map<string, FakeListerWatcher<KubeObject>>();
  const api = (kind: ResourceKind) => {
    if (!apis.has(kind.kind)) apis.set(kind.kind, new FakeListerWatcher());
    return apis.get(kind.kind)!;
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true },
    { name: 'u' },
  );
  const cache = new InformerCache(new KubeClient({ kubeConfig }), {
    clock: new FakeClock(),
    listerWatcher: <T extends KubeObject>(kind: ResourceKind<T>) =>
      api(kind) as unknown as FakeListerWatcher<T>,
  });
  const widget: Widget = {
    metadata: {
      name: 'w',
      namespace: 'ns',
      resourceVersion: '1',
      managedFields: [{ manager: 'kubectl' }],
    },
    spec: { size: 3, colour: 'red' },
  };
  api(WidgetKind).listResult = { items: [widget], resourceVersion: '1' };
  api(OtherKind).listResult = { items: [widget], resourceVersion: '1' };
  return { cache };
}

describe('InformerCache', () => {
  describe('setTransform', () => {
    it("caches the kind's view, without managedFields; other kinds whole", async () => {
      const { cache } = setup();
      cache.setTransform(WidgetKind, (w) => ({
        metadata: w.metadata,
        spec: { size: w.spec?.size },
      }));
      cache.informer(WidgetKind);
      cache.informer(OtherKind);
      cache.start();
      await cache.waitForSync();
      expect(cache.get(WidgetKind, 'ns/w')).toEqual({
        metadata: { name: 'w', namespace: 'ns', resourceVersion: '1' },
        spec: { size: 3 },
      });
      expect(cache.get(OtherKind, 'ns/w')?.spec).toEqual({ size: 3, colour: 'red' });
      await cache.stop();
    });

    it('refuses a transform once the informer exists', () => {
      const { cache } = setup();
      cache.informer(WidgetKind);
      expect(() => cache.setTransform(WidgetKind, (w) => w)).toThrow(/set its transform before/);
    });
  });
});
