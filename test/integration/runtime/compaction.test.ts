// A watch resumed from a resourceVersion that etcd has compacted away gets 410 Gone; the
// informer re-lists and the controller converges, seeing only real changes.
import { ConfigMapKind, createManager, type Manager } from '../../../operator/src/kube/index.js';
import { adminKubeConfig, createTestNamespace } from '../../harness/stack.js';
import { startComponents, stopComponent } from '../../stack/kwok.js';
import { mirrorController } from './fixtures/mirror-controller.js';
import {
  adminClient,
  deleteSources,
  etcdRevision,
  etcdctl,
  reportFigure,
  sourceName,
  testLogger,
  waitForMirrors,
  writeSources,
  testTimeoutMs,
  tearDown,
} from './helpers.js';

describe('a compacted resourceVersion', () => {
  let namespace: string;
  let manager: Manager;
  const admin = adminClient();

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'runtime-compaction');
    manager = createManager({
      kubeConfig: adminKubeConfig(),
      namespace,
      leaderElection: false,
      healthAddress: false,
      logger: testLogger(),
    });
    manager.add(mirrorController({ identity: 'compaction' }));
    await manager.start();
  }, testTimeoutMs);

  afterAll(() => tearDown(manager, admin, namespace), testTimeoutMs);

  it(
    'makes the informer re-list, and the controller converges',
    async () => {
      const names = Array.from({ length: 20 }, (_, i) => sourceName(i));
      await writeSources(admin, namespace, names, () => 'v1');
      await waitForMirrors(admin, namespace, 60_000);
      const informer = manager.cache.informer(ConfigMapKind);
      const resumeFrom = informer.lastResourceVersion;
      const relistsBefore = informer.stats.relists;

      // With the API server down the watch cannot follow; move etcd on and compact everything.
      await stopComponent('kube-apiserver');
      etcdctl('put', '/supercloud-runtime-test/compaction', 'x');
      etcdctl('del', '/supercloud-runtime-test/compaction');
      const compactedTo = etcdRevision();
      etcdctl('compact', String(compactedTo), '--physical');
      expect(Number(resumeFrom)).toBeLessThan(compactedTo);
      startComponents();

      // Proof that the version is gone: a watch from it is refused with 410 (an ERROR event).
      const refusals: unknown[] = [];
      await admin.watch(
        ConfigMapKind,
        { namespace, resourceVersion: resumeFrom, timeoutSeconds: 5, idleTimeoutMs: 10_000 },
        (event) => {
          if (event.type === 'ERROR') refusals.push(event.object);
        },
      );
      expect(refusals).toEqual([expect.objectContaining({ code: 410 })]);

      const restartedAt = Date.now();
      await writeSources(admin, namespace, names.slice(0, 10), () => 'v2');
      await deleteSources(admin, namespace, names.slice(15));
      await writeSources(admin, namespace, [sourceName(50)], () => 'new');
      // The controller's part (every source mirrored exactly), then the garbage collector's.
      await waitForMirrors(admin, namespace, 120_000, 100, true);
      const convergeMs = Date.now() - restartedAt;
      await waitForMirrors(admin, namespace, 120_000);
      reportFigure('runtime.compaction.convergeSeconds', convergeMs / 1000, 's', {
        resumeFrom,
        compactedTo,
        informer: informer.stats,
      });
      expect(informer.stats.relists).toBeGreaterThan(relistsBefore);
    },
    testTimeoutMs,
  );
});
