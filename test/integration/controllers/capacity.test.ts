// A pool of the test's own KWOK nodes (one node, 8 GPUs), so its free capacity is known: a lease
// too big for what is free waits in Deploying with the reason and nothing created, and starts when
// another lease closes; the pool status counts the GPUs the pods hold; a node cordoned, uncordoned
// or removed shows in the conditions and as Events; a node two pools select is counted once.
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../../operator/src/api/gpunodepool.js';
import { computeLeaseControllerName } from '../../../operator/src/controllers/computelease/controller.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../../operator/src/api/kinds.js';
import {
  EventKind,
  NamespaceKind,
  NodeKind,
  type KubeClient,
} from '../../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { waitFor } from '../../harness/stack.js';
import { poolLabel } from '../../stack/nodes.js';
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
  counterTotal,
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';

const run = runId();
const poolName = `cap-${run}`;
const overlappingPoolName = `cap-${run}-wide`;
const big = `cap-big-${run}`;
const waiting = `cap-waiting-${run}`;

async function poolStatus(client: KubeClient, name: string) {
  return (await client.get(GpuNodePoolKind, name))?.status;
}

async function poolEventReasons(client: KubeClient, pool: string): Promise<string[]> {
  const events = await client.list(EventKind, {
    namespace: 'default',
    fieldSelector: `regarding.name=${pool}`,
  });
  return events.items.map((event) => event.reason ?? '');
}

/** An annotation no controller reads: changing it only wakes the lease. */
const wakeUpAnnotation = 'test.supercloud.dev/wake-up';

/**
 * Wakes `lease` (an annotation change queues it) and waits until the ComputeLease controller has
 * finished a reconcile since and has nothing queued or running: whatever a reconcile of the lease
 * would create exists by then.
 */
async function reconciledAfterWakeUp(
  client: KubeClient,
  operator: OperatorProcess,
  lease: string,
): Promise<void> {
  const controller = { controller: computeLeaseControllerName };
  const reconciles = (metrics: string) =>
    counterTotal(metrics, 'controller_runtime_reconcile_total', controller);
  const before = reconciles(await operator.metrics());
  await client.patch(ComputeLeaseKind, lease, 'merge', {
    metadata: { annotations: { [wakeUpAnnotation]: String(before) } },
  });
  await waitFor(
    `a reconcile of lease ${lease} after its wake-up, and the controller idle`,
    async () => {
      const metrics = await operator.metrics();
      return (
        reconciles(metrics) > before &&
        counterTotal(metrics, 'workqueue_depth', { name: computeLeaseControllerName }) === 0 &&
        counterTotal(metrics, 'controller_runtime_active_workers', controller) === 0
      );
    },
    30_000,
    100,
  );
}

describe('pool capacity', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let nodes: string[] = [];

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    nodes = await createPoolNodes(poolName, 1);
    await client.create(GpuNodePoolKind, testPool(poolName));
    operator = startOperator({ run });
    await operator.ready();
  }, slow);

  afterAll(async () => {
    await deleteLeases(client, [big, waiting]);
    await deletePools(client, [poolName, overlappingPoolName]);
    await deleteNodes(client, nodes);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'starts a lease that does not fit once another one closes',
    async () => {
      const base = example<ComputeLease>('computelease-h100.yaml');
      const leaseOf = (name: string, gpus: number, replicas: number) =>
        testLease(base, run, name, {
          pool: poolName,
          resources: boughtFor(gpus, replicas),
          manifest: gpuManifest(gpus, replicas),
        });
      const first = await createLease(client, leaseOf(big, 2, 3));
      await waitForLease(client, big, 'Running', phaseIs('Running'));
      await waitFor(
        'the pool to count 6 GPUs allocated',
        async () => (await poolStatus(client, poolName))?.gpus?.allocated === 6,
        30_000,
      );
      expect((await poolStatus(client, poolName))?.gpus).toMatchObject({
        capacity: 8,
        allocatable: 8,
        allocated: 6,
        free: 2,
      });

      const second = await createLease(client, leaseOf(waiting, 4, 1));
      const held = await waitForLease(client, waiting, 'waiting for capacity', (lease) =>
        (lease.status?.conditions ?? []).some((c) => c.reason === 'InsufficientCapacity'),
      );
      expect(held.status?.phase).toBe('Deploying');
      expect(held.status?.message).toContain('needs 4 GPUs, the pool has 2 free');
      // Nothing is created while it waits: woken again, it is reconciled and still creates nothing.
      await reconciledAfterWakeUp(client, operator, waiting);
      expect(
        await client.get(NamespaceKind, leaseNamespaceName(second.spec.leaseId)),
      ).toBeUndefined();

      const closedAt = Date.now();
      await client.patch(ComputeLeaseKind, big, 'merge', {
        spec: { closeRequested: { reason: 'EscrowExhausted' } },
      });
      await waitForLease(client, waiting, 'Running', phaseIs('Running'), 120_000);
      console.log(
        `[figure] close of a 6-GPU lease → waiting 4-GPU lease Running: ${Date.now() - closedAt} ms`,
      );
      await waitForLease(client, big, 'Closed', phaseIs('Closed'), 120_000);
      expect(
        await client.get(NamespaceKind, leaseNamespaceName(first.spec.leaseId)),
      ).toBeUndefined();
      await waitFor(
        'the pool to count the 4 GPUs of the second lease',
        async () => (await poolStatus(client, poolName))?.gpus?.allocated === 4,
        30_000,
      );
    },
    slow,
  );

  it(
    'counts a node that two pools select once, and reports the overlap',
    async () => {
      const wide: GpuNodePool = {
        ...testPool(overlappingPoolName),
        spec: { ...testPool(overlappingPoolName).spec, nodeSelector: { [poolLabel]: poolName } },
      };
      await client.create(GpuNodePoolKind, wide);
      // Same selector size: the first name counts the node ("cap-x" < "cap-x-wide").
      await waitFor(
        'the second pool to report the node as overlapping',
        async () => {
          const status = await poolStatus(client, overlappingPoolName);
          return status?.nodes === 0 && status.overlappingNodes?.[0] === nodes[0];
        },
        30_000,
      );
      expect((await poolStatus(client, poolName))?.nodes).toBe(1);
      const overlap = (await poolStatus(client, overlappingPoolName))?.conditions?.find(
        (c) => c.type === 'NodeSelectorOverlap',
      );
      expect(overlap).toMatchObject({ status: 'True', reason: 'NodesSharedWithOtherPools' });
    },
    slow,
  );

  it(
    'reports a node that is cordoned, back, or gone, in conditions and Events',
    async () => {
      const node = nodes[0]!;
      const nodesReady = async () =>
        (await poolStatus(client, poolName))?.conditions?.find((c) => c.type === 'NodesReady');
      await client.patch(NodeKind, node, 'merge', { spec: { unschedulable: true } });
      await waitFor(
        'NodesReady False',
        async () => (await nodesReady())?.reason === 'NodesNotReady',
        30_000,
      );
      await client.patch(NodeKind, node, 'merge', { spec: { unschedulable: false } });
      await waitFor('NodesReady True', async () => (await nodesReady())?.status === 'True', 30_000);
      await client.delete(NodeKind, node);
      await waitFor('NoNodes', async () => (await nodesReady())?.reason === 'NoNodes', 30_000);
      await waitFor(
        'NodeNotReady, NodeReady and NodeGone Events on the pool',
        async () => {
          const reasons = await poolEventReasons(client, poolName);
          return ['NodeNotReady', 'NodeReady', 'NodeGone'].every((r) => reasons.includes(r));
        },
        30_000,
      );
      expect((await poolStatus(client, poolName))?.gpus).toMatchObject({ capacity: 0, free: 0 });
    },
    slow,
  );

  it('needed no permission beyond rbac.yaml', () => {
    expect(forbiddenErrors(operator.lines)).toEqual([]);
  });
});
