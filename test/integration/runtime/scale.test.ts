// 1,000 objects created at once (then 250 changed and 100 deleted while the controller works)
// are all reconciled exactly to their final state; the API requests the controller made are
// counted and reported.
import { ConfigMapKind, createManager, type Manager } from '../../../operator/src/kube/index.js';
import { adminKubeConfig, createTestNamespace } from '../../harness/stack.js';
import {
  adminClient,
  metricValue,
  reportFigure,
  sourceName,
  testLogger,
  waitForMirrors,
  writeSources,
  deleteSources,
  testTimeoutMs,
  tearDown,
} from './helpers.js';
import { mirrorController } from './fixtures/mirror-controller.js';

const objects = 1_000;
const changed = 250;
const deleted = 100;

describe('runtime at scale', () => {
  let namespace: string;
  let manager: Manager;
  const admin = adminClient();

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'runtime-scale');
    manager = createManager({
      kubeConfig: adminKubeConfig(),
      namespace,
      leaderElection: false,
      healthAddress: '127.0.0.1:0',
      logger: testLogger(),
    });
    manager.add(mirrorController({ identity: 'scale', workers: 8 }));
    await manager.start();
  }, testTimeoutMs);

  afterAll(() => tearDown(manager, admin, namespace), testTimeoutMs);

  it(
    `reconciles ${objects} objects created at once to their final state, with few requests each`,
    async () => {
      const baseline = manager.client.requestCount;
      const names = Array.from({ length: objects }, (_, i) => sourceName(i));
      const started = Date.now();
      await writeSources(admin, namespace, names, (name) => `${name}-v1`, 64);
      // Change and delete some while the controller is still working through the first wave.
      await writeSources(admin, namespace, names.slice(0, changed), (name) => `${name}-v2`, 64);
      await deleteSources(admin, namespace, names.slice(objects - deleted));

      const convergedMs = await waitForMirrors(admin, namespace, 240_000, 500);
      const totalMs = Date.now() - started;
      const requests = manager.client.requestCount - baseline;
      const finalObjects = objects - deleted;
      const perObject = requests / finalObjects;
      const metrics = await (await fetch(`${manager.healthUrl}/metrics`)).text();
      const reconciles = metricValue(metrics, 'controller_runtime_reconcile_total', {
        controller: 'mirror',
        result: 'success',
      });
      reportFigure(
        'runtime.scale.apiRequestsPerObject',
        Number(perObject.toFixed(3)),
        'requests/object',
        {
          objects,
          changed,
          deleted,
          requests,
          byMethod: manager.client.requestCountsByMethod(),
          reconciles,
          informers: manager.cache.stats(),
        },
      );
      reportFigure('runtime.scale.convergeSeconds', Number((totalMs / 1000).toFixed(2)), 's', {
        afterLastWriteMs: convergedMs,
      });

      // The ideal is one apply per mirror plus one per changed source; reads come from the cache.
      expect(perObject).toBeLessThan(2);
      // One list and one (resumed) watch of ConfigMaps, shared by the `for` and `owns` sides.
      const stats = manager.cache.stats()[`${ConfigMapKind.apiVersion}/${ConfigMapKind.kind}`];
      expect(stats?.lists).toBe(1);
      expect(Object.keys(manager.cache.stats())).toHaveLength(1);
      expect(
        metricValue(metrics, 'controller_runtime_reconcile_errors_total', { controller: 'mirror' }),
      ).toBe(0);
    },
    testTimeoutMs,
  );
});
