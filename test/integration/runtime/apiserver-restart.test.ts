// kube-apiserver stopped for 20 s while objects change, then started again: the controller
// converges on the final state with no restart of its process, and its watch is live again.
import {
  ConfigMapKind,
  controller,
  createManager,
  type Manager,
} from '../../../operator/src/kube/index.js';
import { adminKubeConfig, createTestNamespace, waitFor } from '../../harness/stack.js';
import { guardControlPlane, startComponents, stopComponent } from '../../stack/kwok.js';
import { sleep } from '../../stack/process.js';
import { mirrorController } from './fixtures/mirror-controller.js';
import {
  adminClient,
  deleteSources,
  mirrorDifferences,
  reportFigure,
  sourceName,
  testLogger,
  waitForMirrors,
  writeSources,
  testTimeoutMs,
  tearDown,
} from './helpers.js';

const outageMs = 20_000;

describe('an API server outage', () => {
  let namespace: string;
  let manager: Manager;
  const admin = adminClient();
  let seenByWatcher = 0;

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'runtime-outage');
    manager = createManager({
      kubeConfig: adminKubeConfig(),
      namespace,
      leaderElection: false,
      healthAddress: false,
      logger: testLogger(),
    });
    manager.add(mirrorController({ identity: 'outage' }));
    // A second controller on the same kind: it must share the one ConfigMap watch.
    manager.add(
      controller({
        name: 'counter',
        for: ConfigMapKind,
        reconcile: async () => void seenByWatcher++,
      }),
    );
    await manager.start();
  }, testTimeoutMs);

  afterAll(() => tearDown(manager, admin, namespace), testTimeoutMs);

  it(
    'converges on the final state after the API server comes back, without a restart',
    async () => {
      const names = Array.from({ length: 50 }, (_, i) => sourceName(i));
      await writeSources(admin, namespace, names, () => 'v1');
      await waitForMirrors(admin, namespace, 60_000);

      // Changes right before the outage: their reconciles fail mid-way and must be retried.
      await writeSources(admin, namespace, names, () => 'v2');
      await stopComponent('kube-apiserver');
      await sleep(outageMs);
      startComponents();
      const restartedAt = Date.now();
      // The controller-manager and scheduler lost their leader leases and may exit: the suites
      // after this one need them (quota status, pods), as a kubelet would restart them.
      const guarded = guardControlPlane(30_000, (message) => console.log(`[stack] ${message}`));

      // Changes made while the controller is still reconnecting (its backoff has grown).
      await writeSources(admin, namespace, names.slice(0, 25), () => 'v3');
      await deleteSources(admin, namespace, names.slice(40));
      const added = Array.from({ length: 10 }, (_, i) => sourceName(100 + i));
      await writeSources(admin, namespace, added, () => 'new');

      // The controller's part (every source mirrored exactly), then the garbage collector's.
      await waitForMirrors(admin, namespace, 120_000, 100, true);
      const convergeMs = Date.now() - restartedAt;
      await waitForMirrors(admin, namespace, 120_000);
      const stats = manager.cache.stats()[`${ConfigMapKind.apiVersion}/${ConfigMapKind.kind}`]!;
      reportFigure('runtime.apiserverRestart.convergeSeconds', convergeMs / 1000, 's', {
        outageSeconds: outageMs / 1000,
        informer: stats,
      });
      expect(stats.reconnects + stats.relists).toBeGreaterThan(0);
      expect(Object.keys(manager.cache.stats())).toHaveLength(1); // one watch for both controllers

      // The watch is live again: a new change arrives through it within seconds (resync is 10 h).
      const before = seenByWatcher;
      await writeSources(admin, namespace, [sourceName(200)], () => 'after');
      await waitFor(
        'the mirror of a change made after recovery',
        async () =>
          (await mirrorDifferences(admin, namespace)).length === 0 && seenByWatcher > before,
        10_000,
        100,
      );
      await guarded;
    },
    testTimeoutMs,
  );
});
