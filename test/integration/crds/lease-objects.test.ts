// What desiredObjects produces for the H100 example lease is what a real cluster runs: the API
// server accepts it (Pod Security "restricted", quota, LimitRange), the scheduler puts the pods
// on H100 nodes only, and deleting the ComputeLease garbage-collects everything through the
// owner references. The controller applies the same objects; this needs no controller.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1Pod,
} from '@kubernetes/client-node';
import yaml from 'js-yaml';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { apiGroup, apiVersionName, fieldManager } from '../../../operator/src/api/constants.js';
import type { GpuNodePool } from '../../../operator/src/api/gpunodepool.js';
import { applyOrder, desiredObjects } from '../../../operator/src/workloads/desired-objects.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { workloadServiceAccountName } from '../../../operator/src/workloads/objects.js';
import { adminKubeConfig, stack, waitFor } from '../../harness/stack.js';
import { gpuProductLabel } from '../../stack/nodes.js';
import { repoRoot, toolPath } from '../../stack/paths.js';

const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const leases = { group: apiGroup, version: apiVersionName, plural: 'computeleases' };
const pools = { group: apiGroup, version: apiVersionName, plural: 'gpunodepools' };

/** Timeout of hooks and tests that wait for the cluster (jest's default is 5 s). */
const slow = 120_000;

function example<T>(file: string): T {
  return yaml.load(readFileSync(join(repoRoot, 'examples', file), 'utf8')) as T;
}

function kubectl(args: readonly string[], input?: string): string {
  return execFileSync(toolPath('kubectl'), ['--kubeconfig', stack().kubeconfig, ...args], {
    encoding: 'utf8',
    input,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

describe('the objects of the H100 example lease', () => {
  let kubeConfig: KubeConfig;
  let core: CoreV1Api;
  let custom: CustomObjectsApi;
  let lease: ComputeLease;
  let namespace: string;
  const poolName = `objtest-${run}`;

  beforeAll(async () => {
    kubeConfig = adminKubeConfig();
    core = kubeConfig.makeApiClient(CoreV1Api);
    custom = kubeConfig.makeApiClient(CustomObjectsApi);
    kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);

    const pool = example<GpuNodePool>('gpunodepool-h100.yaml');
    await custom.createClusterCustomObject({
      ...pools,
      body: { ...pool, metadata: { name: poolName } },
    });
    const fromExample = example<ComputeLease>('computelease-h100.yaml');
    const leaseId = String(980_000_000 + Math.floor(Math.random() * 1e6));
    lease = (await custom.createClusterCustomObject({
      ...leases,
      body: {
        ...fromExample,
        metadata: { name: `objtest-${run}` },
        spec: { ...fromExample.spec, leaseId, pool: poolName },
      },
    })) as ComputeLease;
    namespace = leaseNamespaceName(leaseId);

    const objects = applyOrder(
      desiredObjects(lease, { ...pool, metadata: { name: poolName } }),
    );
    kubectl(
      ['apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
    // Quota admission counts against the status the quota controller writes.
    await waitFor(
      'the quota controller to fill in the lease quota',
      async () => {
        const quota = await core.readNamespacedResourceQuota({ namespace, name: 'bought' });
        return quota.status?.hard?.['requests.nvidia.com/gpu'] === '2';
      },
      30_000,
    );
  }, slow);

  afterAll(async () => {
    const gone = (error: { code?: number }) => {
      if (error.code !== 404) throw error;
    };
    await custom.deleteClusterCustomObject({ ...leases, name: lease.metadata.name ?? '' }).catch(gone);
    await custom.deleteClusterCustomObject({ ...pools, name: poolName }).catch(gone);
    await core.deleteNamespace({ name: namespace }).catch(gone);
  }, slow);

  it('run as pods on H100 nodes only, admitted by restricted Pod Security and the quota', async () => {
    let pods: V1Pod[] = [];
    await waitFor(
      'the llm pod Running',
      async () => {
        pods = (await core.listNamespacedPod({ namespace })).items;
        return pods.length === 1 && pods.every((pod) => pod.status?.phase === 'Running');
      },
      60_000,
    );
    const node = await core.readNode({ name: pods[0]?.spec?.nodeName ?? '' });
    expect(node.metadata?.labels?.[gpuProductLabel]).toBe('NVIDIA-H100-80GB-HBM3');
    const quota = await core.readNamespacedResourceQuota({ namespace, name: 'bought' });
    expect(quota.status?.used?.['requests.nvidia.com/gpu']).toBe('2');
  }, slow);

  it('leave no room for an unconfined pod or one beyond what was bought', async () => {
    // A pod with no security settings runs as the image's user with default capabilities.
    const unconfined = core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name: 'unconfined' },
        spec: {
          serviceAccountName: workloadServiceAccountName,
          containers: [{ name: 'c', image: 'busybox:1.36' }],
        },
      },
    });
    await expect(unconfined).rejects.toThrow(/violates PodSecurity\W+restricted:latest/);
    const greedy = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'greedy', namespace },
      spec: {
        serviceAccountName: workloadServiceAccountName,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 1000,
          seccompProfile: { type: 'RuntimeDefault' },
        },
        containers: [
          {
            name: 'c',
            image: 'busybox:1.36',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            resources: { limits: { cpu: '1', memory: '1Gi', 'nvidia.com/gpu': '3' } },
          },
        ],
      },
    };
    expect(() =>
      kubectl(['create', '--dry-run=server', '-f', '-'], JSON.stringify(greedy)),
    ).toThrow(/exceeded quota: bought/);
  }, slow);

  it('are garbage-collected when the ComputeLease is deleted', async () => {
    await custom.deleteClusterCustomObject({ ...leases, name: lease.metadata.name ?? '' });
    await waitFor(
      `namespace ${namespace} to be deleted by the garbage collector`,
      async () => {
        const found = await core.readNamespace({ name: namespace }).catch(() => undefined);
        return found === undefined || found.status?.phase === 'Terminating';
      },
      60_000,
    );
  }, slow);
});
