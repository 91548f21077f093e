// No tenant pod before its namespace is fenced. The operator creates a lease's Deployment in the
// reconcile that creates its namespace, without waiting for the controller-manager to compute the
// quota's status: it writes that first status itself (controllers/computelease/quota-fence.ts).
// Here, on the real control plane, for a few leases started at once: at the very revision at which
// each Deployment was created (read back with resourceVersionMatch=Exact, so the check does not
// depend on timing), the quota already bound (status.hard = spec.hard) and the limit range and
// both network policies existed; a pod asking beyond the quota, created the moment the
// Deployment is seen, is refused by quota admission; and the quota counts the pod that runs.
import type { V1Pod } from '@kubernetes/client-node';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { GpuNodePoolKind } from '../../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  InformerCache,
  KubeApiError,
  LimitRangeKind,
  NetworkPolicyKind,
  PodKind,
  ResourceQuotaKind,
  type KubeClient,
  type KubeObject,
  type ResourceKind,
  type Wire,
} from '../../../operator/src/kube/index.js';
import { collectionPath } from '../../../operator/src/kube/client.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { waitFor } from '../../harness/stack.js';
import {
  adminClient,
  boughtFor,
  createLease,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  deletePools,
  example,
  gpuManifest,
  installCrdsAndRbac,
  phaseIs,
  runId,
  slow,
  testLease,
  testPool,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const poolName = `fence-${run}`;
const leaseCount = 6;

/** The objects of a kind in a namespace as they were at `resourceVersion` (from etcd). */
async function listAt<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  namespace: string,
  resourceVersion: string,
): Promise<T[]> {
  const list = await client.request<{ items?: T[] }>('GET', collectionPath(kind, namespace), {
    resourceVersion,
    resourceVersionMatch: 'Exact',
  });
  return list.items ?? [];
}

/** A pod within the namespace's limits and Pod Security, asking for more GPUs than were bought. */
function beyondQuota(namespace: string, gpus: number): Wire<V1Pod> {
  return {
    metadata: { name: 'beyond-quota', namespace },
    spec: {
      automountServiceAccountToken: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 1000,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'probe',
          image: 'busybox',
          securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          resources: { limits: { 'nvidia.com/gpu': String(gpus) } },
        },
      ],
    },
  };
}

describe('a lease namespace is fenced before its Deployment exists', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let watcher: InformerCache;
  let nodes: string[] = [];
  const leases: ComputeLease[] = Array.from({ length: leaseCount }, (_, i) =>
    testLease(example<ComputeLease>('computelease-h100.yaml'), run, `fence-${run}-${i}`, {
      pool: poolName,
      resources: boughtFor(1),
      manifest: gpuManifest(1),
    }),
  );
  const namespaces = new Set(leases.map((lease) => leaseNamespaceName(lease.spec.leaseId)));
  /** Per lease namespace: the revision its Deployment was created at, and the probe's answer. */
  const seen = new Map<string, { createdAt: string; probe: Promise<unknown> }>();

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    nodes = await createPoolNodes(poolName, 1);
    await client.create(GpuNodePoolKind, testPool(poolName));
    watcher = new InformerCache(client);
    watcher.informer(DeploymentKind).addHandler({
      onAdd: (deployment) => {
        const namespace = deployment.metadata?.namespace ?? '';
        if (!namespaces.has(namespace) || seen.has(namespace)) return;
        seen.set(namespace, {
          // The first event of a Deployment created after the watch began: its creation.
          createdAt: deployment.metadata?.resourceVersion ?? '',
          probe: client.create(PodKind, beyondQuota(namespace, 2)).then(
            () => 'admitted',
            (error: unknown) => error,
          ),
        });
      },
    });
    watcher.start();
    await watcher.waitForSync();
    operator = startOperator({ run });
    await operator.ready();
    await Promise.all(leases.map((lease) => createLease(client, lease)));
    await waitFor(
      `the Deployments of ${leaseCount} leases`,
      async () => seen.size === leaseCount,
      slow,
      100,
    );
  }, slow);

  afterAll(async () => {
    await watcher.stop();
    await deleteLeases(
      client,
      leases.map((lease) => lease.metadata.name!),
    );
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    await operator.stop();
    client.close();
  }, slow);

  it('the quota bound, and the limit range and network policies existed, when each Deployment was created', async () => {
    for (const [namespace, { createdAt }] of seen) {
      const [quota] = await listAt(client, ResourceQuotaKind, namespace, createdAt);
      expect(quota?.spec?.hard?.['requests.nvidia.com/gpu']).toBe('1');
      expect(quota?.status?.hard).toEqual(quota?.spec?.hard);
      const limits = await listAt(client, LimitRangeKind, namespace, createdAt);
      expect(limits.map((l) => l.metadata?.name)).toEqual(['bounds']);
      const policies = await listAt(client, NetworkPolicyKind, namespace, createdAt);
      expect(policies.map((p) => p.metadata?.name).sort()).toEqual(['egress', 'ingress']);
    }
  });

  it('quota admission refuses a pod beyond the quota from the moment the Deployment exists', async () => {
    for (const { probe } of seen.values()) {
      const answer = await probe;
      expect(answer).toBeInstanceOf(KubeApiError);
      expect((answer as KubeApiError).code).toBe(403);
      expect((answer as KubeApiError).message).toContain('exceeded quota: bought');
    }
  });

  it(
    'the quota counts the pod that runs',
    async () => {
      for (const lease of leases) {
        await waitForLease(client, lease.metadata.name!, 'Running', phaseIs('Running'));
        const namespace = leaseNamespaceName(lease.spec.leaseId);
        await waitFor(
          `the quota of ${namespace} to count its pod`,
          async () => {
            const quota = await client.get(ResourceQuotaKind, 'bought', namespace);
            return (
              quota?.status?.used?.pods === '1' &&
              quota.status.used['requests.nvidia.com/gpu'] === '1'
            );
          },
          slow,
          200,
        );
      }
    },
    slow,
  );

  it('needed no permission beyond rbac.yaml', () => {
    expect(forbiddenErrors(operator.lines)).toEqual([]);
  });
});
