// The pools of bids in the Provider status, against the in-memory API server: merge patches of
// their own field manager, read back by a new process, untouched by the status the Provider
// reconciler applies.
import { ProviderKind } from '../api/kinds.js';
import type { Provider } from '../api/provider.js';
import { applyStatus } from '../kube/apply.js';
import { InformerCache } from '../kube/informer-cache.js';
import { FakeClock } from '../kube/testing/fake-clock.js';
import { FakeKubeClient } from '../kube/testing/fake-client.js';
import { ProviderBidPools } from './bid-pool-store.js';

async function setup() {
  const clock = new FakeClock();
  const api = new FakeKubeClient({ clock });
  api.seed(ProviderKind, { metadata: { name: 'acme' } } as Provider);
  const cache = new InformerCache(api.client, { clock, listerWatcher: api.listerWatcher });
  cache.informer(ProviderKind);
  cache.start();
  await cache.waitForSync();
  const stored = () => api.stored(ProviderKind, 'acme')?.status?.bidPools;
  return { api, cache, stored, pools: new ProviderBidPools(api.client, cache, 'acme') };
}

describe('ProviderBidPools', () => {
  let stop: () => Promise<void> = async () => undefined;
  afterEach(() => stop());

  it('records and drops pools by order id in the Provider status', async () => {
    const { cache, stored, pools } = await setup();
    stop = () => cache.stop();
    await pools.record(
      new Map([
        [7n, 'h100'],
        [8n, 'a100'],
      ]),
    );
    expect(stored()).toEqual({ '7': 'h100', '8': 'a100' });
    expect(pools.get(7n)).toBe('h100');
    await pools.drop([7n, 9n]);
    expect(stored()).toEqual({ '8': 'a100' });
    expect(pools.get(7n)).toBeUndefined();
  });

  it('is read back by a new process (from its cache)', async () => {
    const { api, cache, pools } = await setup();
    stop = () => cache.stop();
    await pools.record(new Map([[7n, 'h100']]));
    const later = new InformerCache(api.client, { listerWatcher: api.listerWatcher });
    later.informer(ProviderKind);
    later.start();
    await later.waitForSync();
    stop = async () => {
      await cache.stop();
      await later.stop();
    };
    expect(new ProviderBidPools(api.client, later, 'acme').get(7n)).toBe('h100');
  });

  it("is left alone by the Provider reconciler's status apply", async () => {
    const { api, cache, stored, pools } = await setup();
    stop = () => cache.stop();
    await pools.record(new Map([[7n, 'h100']]));
    const provider = api.stored(ProviderKind, 'acme')!;
    await applyStatus(api.client, ProviderKind, provider, { registered: true });
    await applyStatus(api.client, ProviderKind, provider, { registered: false });
    expect(stored()).toEqual({ '7': 'h100' });
  });
});
