import { KubeConfig } from '@kubernetes/client-node';
import type { Clock } from '../../base/clock.js';
import { KubeClient } from '../client.js';
import { InformerCache } from '../informer-cache.js';
import type { KubeObject, ResourceKind } from '../objects.js';
import { FakeListerWatcher } from './fake-lister-watcher.js';

/**
 * An InformerCache over one FakeListerWatcher per kind (made on first use), with a client that
 * reaches no server: a unit test scripts each kind's lists and watches through `api(kind)`.
 *
 * @example const { api, cache } = fakeApiCache(clock); api(PodKind).listResult = { items, resourceVersion: '1' };
 */
export function fakeApiCache(clock: Clock) {
  const apis = new Map<string, FakeListerWatcher<KubeObject>>();
  const api = (kind: ResourceKind): FakeListerWatcher<KubeObject> => {
    if (!apis.has(kind.kind)) apis.set(kind.kind, new FakeListerWatcher());
    return apis.get(kind.kind)!;
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true },
    { name: 'u' },
  );
  const client = new KubeClient({ kubeConfig });
  const cache = new InformerCache(client, {
    clock,
    listerWatcher: <T extends KubeObject>(kind: ResourceKind<T>) =>
      api(kind) as unknown as FakeListerWatcher<T>,
  });
  return { api, client, cache };
}
