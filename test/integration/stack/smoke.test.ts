// The local stack is real: the scheduler places GPU pods by resources, selectors and taints; Pod
// Security admission rejects; the garbage collector deletes dependents; anvil serves the chain.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { JsonRpcProvider } from 'ethers';
import { gpuProductLabel, gpuResource, poolLabel } from '../../stack/nodes.js';
import {
  adminKubeConfig,
  chainProvider,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';

const gpuToleration = { key: gpuResource, operator: 'Exists', effect: 'NoSchedule' };

function gpuContainer(gpus: number) {
  return {
    name: 'cuda',
    image: 'nvcr.io/nvidia/cuda:12.4.0-base-ubuntu22.04',
    resources: { limits: { [gpuResource]: String(gpus) } },
  };
}

describe('local stack', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let namespace: string;

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    namespace = await createTestNamespace(kubeConfig, 'smoke');
  });

  afterAll(async () => {
    await deleteNamespace(kubeConfig, namespace);
  });

  it('runs a 2-GPU Deployment on H100 nodes only, all pods Running', async () => {
    const apps = kubeConfig.makeApiClient(AppsV1Api);
    const labels = { app: 'h100-smoke' };
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'h100-smoke' },
        spec: {
          replicas: 3,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              nodeSelector: { [poolLabel]: 'h100' },
              tolerations: [gpuToleration],
              containers: [gpuContainer(2)],
            },
          },
        },
      },
    });

    let pods: V1Pod[] = [];
    await waitFor(
      '3 Running pods of the H100 Deployment',
      async () => {
        pods = (await core.listNamespacedPod({ namespace, labelSelector: 'app=h100-smoke' })).items;
        return pods.length === 3 && pods.every((pod) => pod.status?.phase === 'Running');
      },
      60_000,
    );
    const nodes = await Promise.all(
      pods.map((pod) => core.readNode({ name: pod.spec?.nodeName ?? '' })),
    );
    for (const node of nodes) {
      expect(node.metadata?.labels?.[gpuProductLabel]).toBe('NVIDIA-H100-80GB-HBM3');
    }
  });

  it('leaves a pod asking for more GPUs than any node has Pending with FailedScheduling', async () => {
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'too-many-gpus' },
        spec: { tolerations: [gpuToleration], containers: [gpuContainer(16)] },
      },
    });
    await waitFor(
      'a FailedScheduling event for too-many-gpus',
      async () =>
        (
          await core.listNamespacedEvent({
            namespace,
            fieldSelector: 'involvedObject.name=too-many-gpus,reason=FailedScheduling',
          })
        ).items.length > 0,
      60_000,
    );
    const pod = await core.readNamespacedPod({ namespace, name: 'too-many-gpus' });
    expect(pod.status?.phase).toBe('Pending');
    expect(pod.spec?.nodeName).toBeUndefined();
  });

  it('refuses a privileged pod in a namespace labelled pod-security restricted', async () => {
    const restricted = await createTestNamespace(kubeConfig, 'smoke-psa', {
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    try {
      const create = core.createNamespacedPod({
        namespace: restricted,
        body: {
          metadata: { name: 'privileged' },
          spec: {
            containers: [
              { name: 'root', image: 'busybox:1.36', securityContext: { privileged: true } },
            ],
          },
        },
      });
      await expect(create).rejects.toMatchObject({ code: 403 });
      await expect(create).rejects.toThrow(/forbidden: violates PodSecurity/);
    } finally {
      await deleteNamespace(kubeConfig, restricted);
    }
  });

  it('garbage-collects the dependents of a deleted owner', async () => {
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'owner' }, data: { role: 'owner' } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: {
        metadata: {
          name: 'dependent',
          ownerReferences: [
            { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata?.uid ?? '' },
          ],
        },
      },
    });
    await core.deleteNamespacedConfigMap({ namespace, name: 'owner' });
    await waitFor(
      'the garbage collector to delete the dependent ConfigMap',
      async () => {
        const list = await core.listNamespacedConfigMap({
          namespace,
          fieldSelector: 'metadata.name=dependent',
        });
        return list.items.length === 0;
      },
      60_000,
    );
  });

  describe('chain', () => {
    let provider: JsonRpcProvider;
    beforeAll(() => {
      provider = chainProvider();
    });
    afterAll(() => provider.destroy());

    it('answers eth_chainId with the stack chain id', async () => {
      expect(Number(await provider.send('eth_chainId', []))).toBe(stack().chainId);
    });

    it('has funded test accounts', async () => {
      for (const account of stack().accounts) {
        expect(await provider.getBalance(account.address)).toBeGreaterThan(10n ** 21n);
      }
    });
  });
});
