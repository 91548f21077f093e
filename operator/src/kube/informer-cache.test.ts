import { resourceKind, type KubeObject } from './objects.js';
import { fakeApiCache } from './testing/fake-api-cache.js';
import { FakeClock } from './testing/fake-clock.js';

interface Widget extends KubeObject {
  spec?: { size?: number; colour?: string };
}
const WidgetKind = resourceKind<Widget>('example.dev/v1', 'Widget', 'widgets', true);
const OtherKind = resourceKind<Widget>('example.dev/v1', 'Gadget', 'gadgets', true);

function setup() {
  const { api, cache } = fakeApiCache(new FakeClock());
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
