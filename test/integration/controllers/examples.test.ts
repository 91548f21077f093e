// The example ComputeLeases, run by `supercloud-operator run` (acting as its least-privilege
// ServiceAccount) on the real control plane: pods Running on nodes of the right pool only, every
// isolation object in place and owned by the lease, the pool's GPU accounting matching the pods,
// restricted Pod Security enforced by admission, drift repaired, a manifest update rolled out,
// a close leaving a Closed record, and a deleted lease garbage-collected.
import { join } from 'node:path';
import type { V1Pod } from '@kubernetes/client-node';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../../operator/src/api/kinds.js';
import { podRequest } from '../../../operator/src/capacity/pool-gpus.js';
import {
  DeploymentKind,
  KubeApiError,
  LimitRangeKind,
  NamespaceKind,
  NetworkPolicyKind,
  NodeKind,
  PodKind,
  ResourceQuotaKind,
  ServiceAccountKind,
  ServiceKind,
  type KubeClient,
  type KubeObject,
  type Wire,
} from '../../../operator/src/kube/index.js';
import { canonicalManifestHash } from '../../../operator/src/workloads/canonical.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { waitFor } from '../../harness/stack.js';
import { gpuProductLabel, poolLabel } from '../../stack/nodes.js';
import { repoRoot } from '../../stack/paths.js';
import {
  adminClient,
  createLease,
  deleteLeases,
  example,
  installCrdsAndRbac,
  kubectl,
  phaseIs,
  runId,
  slow,
  testLease,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const h100Name = `ex-h100-${run}`;
const a100Name = `ex-a100-${run}`;

type Pod = Wire<V1Pod>;

async function podsOf(client: KubeClient, namespace: string): Promise<Pod[]> {
  return (await client.list(PodKind, { namespace })).items;
}

function ownedByLease(object: KubeObject | undefined, lease: ComputeLease): boolean {
  return (
    object?.metadata?.ownerReferences?.some(
      (ref) =>
        ref.controller === true && ref.uid === lease.metadata.uid && ref.kind === 'ComputeLease',
    ) ?? false
  );
}

describe('the example leases, run by the operator', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let h100: ComputeLease;
  let a100: ComputeLease;

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    kubectl([
      'apply',
      '--server-side',
      '-f',
      join(repoRoot, 'examples/gpunodepool-h100.yaml'),
      '-f',
      join(repoRoot, 'examples/gpunodepool-a100.yaml'),
    ]);
    operator = startOperator({ run });
    await operator.ready();
    h100 = await createLease(
      client,
      testLease(example<ComputeLease>('computelease-h100.yaml'), run, h100Name),
    );
    a100 = await createLease(
      client,
      testLease(example<ComputeLease>('computelease-a100.yaml'), run, a100Name),
    );
  }, slow);

  afterAll(async () => {
    await deleteLeases(client, [h100Name, a100Name]);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0); // SIGTERM is a graceful stop
  }, slow);

  it(
    'runs pods on nodes of the lease pool only, with every isolation object',
    async () => {
      for (const [lease, product] of [
        [h100, 'NVIDIA-H100-80GB-HBM3'],
        [a100, 'NVIDIA-A100-SXM4-40GB'],
      ] as const) {
        const name = lease.metadata.name!;
        const running = await waitForLease(client, name, 'Running', phaseIs('Running'));
        const namespace = leaseNamespaceName(lease.spec.leaseId);
        expect(running.status).toMatchObject({
          namespace,
          replicas: running.status?.readyReplicas,
          conditions: expect.arrayContaining([
            expect.objectContaining({ type: 'Verified', status: 'True' }),
            expect.objectContaining({ type: 'Available', status: 'True' }),
          ]),
        });
        const pods = await podsOf(client, namespace);
        expect(pods.length).toBe(running.status?.replicas);
        for (const pod of pods) {
          expect(pod.status?.phase).toBe('Running');
          const node = await client.get(NodeKind, pod.spec?.nodeName ?? '');
          expect(node?.metadata?.labels?.[poolLabel]).toBe(lease.spec.pool);
          expect(node?.metadata?.labels?.[gpuProductLabel]).toBe(product);
        }
      }

      const namespace = leaseNamespaceName(h100.spec.leaseId);
      const ns = await client.get(NamespaceKind, namespace);
      expect(ns?.metadata?.labels).toMatchObject({
        'pod-security.kubernetes.io/enforce': 'restricted',
        'supercloud.dev/lease': h100.spec.leaseId,
        'supercloud.dev/tenant': h100.spec.tenant.toLowerCase(),
        'supercloud.dev/pool': 'h100',
      });
      expect(ownedByLease(ns, h100)).toBe(true);
      const quota = await client.get(ResourceQuotaKind, 'bought', namespace);
      expect(quota?.spec?.hard?.['requests.nvidia.com/gpu']).toBe('2');
      const limits = await client.get(LimitRangeKind, 'bounds', namespace);
      const policies = (await client.list(NetworkPolicyKind, { namespace })).items;
      expect(policies.map((p) => p.metadata?.name).sort()).toEqual(['egress', 'ingress']);
      const egress = JSON.stringify(policies.find((p) => p.metadata?.name === 'egress')?.spec);
      expect(egress).toContain('169.254.0.0/16');
      const account = await client.get(ServiceAccountKind, 'workload', namespace);
      expect(account?.automountServiceAccountToken).toBe(false);
      const deployment = await client.get(DeploymentKind, 'llm', namespace);
      const podSpec = deployment?.spec?.template?.spec;
      expect(podSpec?.nodeSelector).toEqual({ [poolLabel]: 'h100' });
      expect(podSpec?.automountServiceAccountToken).toBe(false);
      expect(podSpec?.containers[0]?.securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      });
      expect(podSpec?.containers[0]?.resources?.limits?.['nvidia.com/gpu']).toBe('2');
      const service = await client.get(ServiceKind, 'llm', namespace);
      expect(service?.spec?.ports?.map((p) => p.port)).toEqual([8000]);
      for (const child of [quota, limits, ...policies, account, deployment, service]) {
        expect(ownedByLease(child, h100)).toBe(true);
      }
      const lease = await client.get(ComputeLeaseKind, h100Name);
      expect(lease?.status?.endpoints).toEqual([
        { service: 'llm', port: 8000, protocol: 'TCP', host: `llm.${namespace}.svc` },
      ]);
      // `kubectl get supercloud` tells the story.
      const listing = kubectl(['get', 'supercloud']);
      expect(listing).toMatch(new RegExp(`${h100Name}\\s+Running`));
      expect(listing).toMatch(/gpunodepool.supercloud.dev\/h100\s+NVIDIA-H100-80GB-HBM3/);
    },
    slow,
  );

  it(
    'accounts for the GPUs the pods on the pool hold',
    async () => {
      // Other suites share the stack's nodes, so both sides are read again until they agree.
      let last = '';
      await waitFor(
        'the h100 pool status to match the pods on its nodes',
        async () => {
          const pool = await client.get(GpuNodePoolKind, 'h100');
          const nodes = (await client.list(NodeKind, { labelSelector: `${poolLabel}=h100` })).items;
          let held = 0;
          for (const node of nodes) {
            const pods = await client.list(PodKind, {
              fieldSelector: `spec.nodeName=${node.metadata?.name}`,
            });
            held += pods.items
              .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
              .reduce((sum, p) => sum + podRequest(p, 'nvidia.com/gpu'), 0);
          }
          const gpus = pool?.status?.gpus;
          last = `status ${JSON.stringify(gpus)}, pods hold ${held}`;
          return (
            gpus !== undefined &&
            held >= 2 &&
            gpus.allocated === held &&
            gpus.capacity === nodes.length * 8 &&
            gpus.free === gpus.allocatable - held - (pool as GpuNodePool).spec.reservedGpus
          );
        },
        60_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${last}`);
      });
    },
    slow,
  );

  it(
    'has restricted Pod Security enforced in the lease namespace by the real admission',
    async () => {
      const namespace = leaseNamespaceName(h100.spec.leaseId);
      const unconfined: Pod = {
        metadata: { name: 'unconfined', namespace },
        spec: {
          serviceAccountName: 'workload',
          containers: [{ name: 'c', image: 'busybox:1.36', securityContext: { privileged: true } }],
        },
      };
      const refused = await client.create(PodKind, unconfined).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(KubeApiError);
      expect((refused as KubeApiError).message).toMatch(/violates PodSecurity "restricted:latest"/);
    },
    slow,
  );

  it(
    'repairs drift: a deleted Deployment, an edited NetworkPolicy, a relabelled namespace',
    async () => {
      const namespace = leaseNamespaceName(h100.spec.leaseId);
      const before = await client.get(DeploymentKind, 'llm', namespace);
      await client.delete(DeploymentKind, 'llm', { namespace });
      await client.patch(
        NetworkPolicyKind,
        'ingress',
        'merge',
        { spec: { ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] } },
        { namespace, fieldManager: 'kubectl-edit' },
      );
      await client.patch(
        NamespaceKind,
        namespace,
        'merge',
        { metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } },
        { fieldManager: 'kubectl-label' },
      );
      await waitFor(
        'the Deployment, the NetworkPolicy and the namespace label restored',
        async () => {
          const deployment = await client.get(DeploymentKind, 'llm', namespace);
          const policy = await client.get(NetworkPolicyKind, 'ingress', namespace);
          const ns = await client.get(NamespaceKind, namespace);
          return (
            deployment !== undefined &&
            deployment.metadata?.uid !== before?.metadata?.uid &&
            !JSON.stringify(policy?.spec).includes('0.0.0.0/0') &&
            JSON.stringify(policy?.spec).includes('supercloud-system') &&
            ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted'
          );
        },
        30_000,
      );
      await waitForLease(client, h100Name, 'Running again', phaseIs('Running'));
    },
    slow,
  );

  it(
    'rolls the Deployment out when the manifest changes',
    async () => {
      const namespace = leaseNamespaceName(h100.spec.leaseId);
      const [oldPod] = await podsOf(client, namespace);
      const lease = (await client.get(ComputeLeaseKind, h100Name))!;
      const manifest = structuredClone(lease.spec.manifest);
      manifest.services[0]!.env = [...manifest.services[0]!.env, { name: 'ROLLOUT', value: run }];
      await client.patch(ComputeLeaseKind, h100Name, 'merge', {
        spec: { manifest, manifestHash: canonicalManifestHash(manifest) },
      });
      const rolled = await waitForLease(
        client,
        h100Name,
        'Running at generation 2',
        (l) => phaseIs('Running')(l) && l.metadata.generation === 2,
      );
      expect(rolled.status?.observedGeneration).toBe(2);
      await waitFor(
        'the old pod replaced by one with the new environment',
        async () => {
          const pods = await podsOf(client, namespace);
          return (
            pods.length === 1 &&
            pods[0]!.metadata?.uid !== oldPod?.metadata?.uid &&
            pods[0]!.status?.phase === 'Running' &&
            pods[0]!.spec?.containers[0]?.env?.some((e) => e.name === 'ROLLOUT') === true
          );
        },
        60_000,
      );
    },
    slow,
  );

  it(
    'closes a lease: the workload goes, the ComputeLease stays as a Closed record',
    async () => {
      await client.patch(ComputeLeaseKind, a100Name, 'merge', {
        spec: { closeRequested: { reason: 'ClosedByTenant' } },
      });
      const closed = await waitForLease(client, a100Name, 'Closed', phaseIs('Closed'), 120_000);
      expect(closed.status).toMatchObject({ closeReason: 'ClosedByTenant', readyReplicas: 0 });
      expect(
        await client.get(NamespaceKind, leaseNamespaceName(a100.spec.leaseId)),
      ).toBeUndefined();
    },
    slow,
  );

  it(
    'garbage-collects the namespace of a deleted lease',
    async () => {
      await client.delete(ComputeLeaseKind, h100Name);
      const namespace = leaseNamespaceName(h100.spec.leaseId);
      await waitFor(
        `namespace ${namespace} removed`,
        async () => (await client.get(NamespaceKind, namespace)) === undefined,
        120_000,
      );
    },
    slow,
  );

  it('needed no permission beyond rbac.yaml', () => {
    expect(forbiddenErrors(operator.lines)).toEqual([]);
  });
});
