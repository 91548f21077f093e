// The lease that never started (issue 16): an API server outage longer than the leader leases made
// the controller-manager and the scheduler exit, nothing started them again, and the next suite's
// leases waited for quota status and pods until they timed out. Every suite now starts with
// restoreControlPlane (test/harness/control-plane.ts). Here a component exits for good (kill -9 of
// the scheduler) and what brings a pod to Running again is that restore, as the next suite's.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { restoreControlPlane } from '../../harness/control-plane.js';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../harness/stack.js';
import { exitedComponents, stopComponent } from '../../stack/kwok.js';
import { waitFor } from '../../stack/process.js';

describe('a control-plane component that exited', () => {
  const kubeConfig = adminKubeConfig();
  const core = kubeConfig.makeApiClient(CoreV1Api);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'control-plane-exit');
  }, 60_000);

  afterAll(async () => {
    await restoreControlPlane();
    await deleteNamespace(kubeConfig, namespace);
  }, 300_000);

  it('is started again before the next suite, and the pods waiting for it run', async () => {
    await stopComponent('kube-scheduler');
    expect(exitedComponents()).toContain('kube-scheduler');
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'waits-for-the-scheduler' },
        spec: {
          nodeSelector: { type: 'kwok' },
          containers: [{ name: 'main', image: 'registry.example.com/idle:1' }],
        },
      },
    });
    const pod = () => core.readNamespacedPod({ name: 'waits-for-the-scheduler', namespace });
    // Nobody schedules it while the scheduler is gone.
    expect((await pod()).spec?.nodeName).toBeUndefined();

    expect(await restoreControlPlane()).toEqual(['kube-scheduler']);
    expect(exitedComponents()).toEqual([]);
    await waitFor(
      'the pod scheduled and Running',
      async () => (await pod()).status?.phase === 'Running',
      120_000,
      250,
    );
  }, 300_000);
});
