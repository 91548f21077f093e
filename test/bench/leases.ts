// ComputeLease applied → Deployment created → pods Running, over a burst of leases run by the
// operator process (as its least-privilege ServiceAccount) on a pool of KWOK nodes of its own; the
// operator's own phase timings (supercloud_lease_phase_seconds) and the API requests it sent per
// lease; and, in the same run, a raw baseline: a plain admin client creating the same objects
// (desiredObjects of the same kind of lease) at the same concurrency, so the operator's figures
// read as ratios of what the cluster itself allows.
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../operator/src/api/kinds.js';
import type { TenantIsolation } from '../../operator/src/api/provider.js';
import { childKind } from '../../operator/src/controllers/computelease/children.js';
import { leasePhases } from '../../operator/src/controllers/computelease/phase-timings.js';
import {
  DeploymentKind,
  InformerCache,
  PodKind,
  type KubeClient,
  type KubeObject,
} from '../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';
import { applyOrder, desiredObjects } from '../../operator/src/workloads/desired-objects.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
import { waitFor } from '../stack/process.js';
import {
  adminClient,
  boughtFor,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  deletePools,
  example,
  gpuManifest,
  installCrdsAndRbac,
  runId,
  testLease,
  testPool,
} from '../harness/cluster-fixtures.js';
import { counterTotal, startOperator } from '../harness/test-run-operator.js';
import { histogramQuantile } from './histogram.js';
import { type Figure, percentile, seconds, type Section } from './report.js';

export interface LeaseLatencyOptions {
  /** Leases applied in one burst (one 1-GPU replica each), for the operator and for the raw client. */
  readonly leases?: number;
  /** Lease creations in flight at once. */
  readonly concurrency?: number;
  /** The operator's `--lease-workers`. */
  readonly leaseWorkers?: number;
}

/** The figures of one run, for tests that check them. */
export interface LeaseLatencyResult {
  readonly section: Section;
  readonly deploymentCreatedMs: readonly number[];
  readonly podsRunningMs: readonly number[];
  readonly rawPodsRunningMs: readonly number[];
  readonly requestsPerLease: number;
}

function namespaceOf(object: KubeObject): string {
  return object.metadata?.namespace ?? '';
}

/** When each lease namespace was started, first had a Deployment, and first had a pod Running. */
interface Timeline {
  readonly appliedAt: Map<string, number>;
  readonly deploymentAt: Map<string, number>;
  readonly runningAt: Map<string, number>;
}

/** The bench's own watches, filling the timeline of the namespaces it started. */
function watchTimeline(cache: InformerCache): Timeline {
  const timeline: Timeline = {
    appliedAt: new Map(),
    deploymentAt: new Map(),
    runningAt: new Map(),
  };
  const { appliedAt, deploymentAt, runningAt } = timeline;
  cache.informer(DeploymentKind).addHandler({
    onAdd: (deployment) => {
      const namespace = namespaceOf(deployment);
      if (appliedAt.has(namespace) && !deploymentAt.has(namespace))
        deploymentAt.set(namespace, Date.now());
    },
  });
  const onPod = (pod: KubeObject & { status?: { phase?: string } }): void => {
    const namespace = namespaceOf(pod);
    if (appliedAt.has(namespace) && !runningAt.has(namespace) && pod.status?.phase === 'Running') {
      runningAt.set(namespace, Date.now());
    }
  };
  cache.informer(PodKind).addHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod) });
  return timeline;
}

/** Milliseconds from start to `ends` for the given namespaces, sorted. */
function since(timeline: Timeline, ends: Map<string, number>, namespaces: readonly string[]) {
  return namespaces
    .filter((namespace) => ends.has(namespace))
    .map((namespace) => ends.get(namespace)! - timeline.appliedAt.get(namespace)!)
    .sort((a, b) => a - b);
}

/** `count` leases of one 1-GPU replica on the pool, labelled with `run`. */
function benchLeases(run: string, pool: string, count: number): ComputeLease[] {
  const base = example<ComputeLease>('computelease-h100.yaml');
  return Array.from({ length: count }, (_, i) =>
    testLease(base, run, `bench-${run}-${i}`, {
      pool,
      resources: boughtFor(1),
      manifest: gpuManifest(1),
    }),
  );
}

/**
 * What the operator would do for a lease, done by a plain client: the lease (the objects' owner),
 * then the namespace, the walls and Services, and the Deployments, each tier's creates at once.
 */
async function createRaw(
  client: KubeClient,
  lease: ComputeLease,
  pool: GpuNodePool,
  isolation: Partial<TenantIsolation>,
): Promise<void> {
  const created = await client.create(ComputeLeaseKind, lease);
  const desired = desiredObjects(created, pool, { isolation });
  const tiers: KubeObject[][] = [
    [desired.namespace],
    applyOrder(desired).filter((o) => o.kind !== 'Namespace' && o.kind !== 'Deployment'),
    [...desired.deployments],
  ];
  for (const tier of tiers) {
    await Promise.all(tier.map((object) => client.create(childKind(object), object)));
  }
}

const ratio = (operator: number, raw: number): string => `${(operator / raw).toFixed(2)}×`;

/**
 * Runs the measurement and cleans up after itself.
 *
 * @example console.log(formatSection((await measureLeaseLatency({ leases: 100 })).section))
 */
export async function measureLeaseLatency(
  options: LeaseLatencyOptions = {},
): Promise<LeaseLatencyResult> {
  const count = options.leases ?? 100;
  const concurrency = options.concurrency ?? 10;
  const run = runId();
  const rawRun = `${run}r`;
  const poolName = `bench-${run}`;
  const client = adminClient();
  installCrdsAndRbac();
  // GPUs for both bursts: the operator's leases keep theirs while the raw client's run.
  const nodes = await createPoolNodes(poolName, Math.ceil((2 * count) / 8));
  const pool = await client.create(GpuNodePoolKind, testPool(poolName));
  const operator = startOperator({
    run,
    ...(options.leaseWorkers ? { leaseWorkers: options.leaseWorkers } : {}),
  });

  const cache = new InformerCache(client);
  const timeline = watchTimeline(cache);
  cache.start();
  const names: string[] = [];
  const allRunning = (namespaces: readonly string[]) => async () =>
    namespaces.every((namespace) => timeline.runningAt.has(namespace));
  try {
    await cache.waitForSync();
    await operator.ready();
    const requestsByMethod = (text: string) =>
      new Map(
        ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => [
          method,
          counterTotal(text, 'rest_client_requests_total', { method }),
        ]),
      );
    const reconciles = (text: string) =>
      counterTotal(text, 'controller_runtime_reconcile_total', { controller: 'computelease' });
    const beforeText = await operator.metrics();
    const before = requestsByMethod(beforeText);

    // The operator's burst.
    const leases = benchLeases(run, poolName, count);
    const namespaces = leases.map((lease) => leaseNamespaceName(lease.spec.leaseId));
    names.push(...leases.map((lease) => lease.metadata.name!));
    const started = Date.now();
    await mapWithConcurrency(leases, concurrency, async (lease) => {
      timeline.appliedAt.set(leaseNamespaceName(lease.spec.leaseId), Date.now());
      await client.create(ComputeLeaseKind, lease);
    });
    await waitFor(`pods of ${count} leases Running`, allRunning(namespaces), 300_000, 200);
    const wall = Date.now() - started;
    // Let the status writes that follow the pods settle before counting requests.
    await waitFor(
      `${count} leases Running in their status`,
      async () =>
        (
          await client.list(ComputeLeaseKind, { labelSelector: `supercloud.dev/test-run=${run}` })
        ).items.every((lease) => lease.status?.phase === 'Running'),
      120_000,
      500,
    );
    const metrics = await operator.metrics();
    const after = requestsByMethod(metrics);
    const byMethod = [...after]
      .map(([method, n]) => [method, n - (before.get(method) ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const requests = byMethod.reduce((sum, [, n]) => sum + n, 0);
    const deploymentCreatedMs = since(timeline, timeline.deploymentAt, namespaces);
    const podsRunningMs = since(timeline, timeline.runningAt, namespaces);
    const requestsPerLease = requests / count;
    const reconcilesPerLease = (reconciles(metrics) - reconciles(beforeText)) / count;

    // The raw client's burst, on the other half of the pool's GPUs.
    const providers = await client.list(ProviderKind);
    const isolation = providers.items[0]?.spec?.tenantIsolation ?? {};
    const rawLeases = benchLeases(rawRun, poolName, count);
    const rawNamespaces = rawLeases.map((lease) => leaseNamespaceName(lease.spec.leaseId));
    names.push(...rawLeases.map((lease) => lease.metadata.name!));
    const rawStarted = Date.now();
    await mapWithConcurrency(rawLeases, concurrency, async (lease) => {
      timeline.appliedAt.set(leaseNamespaceName(lease.spec.leaseId), Date.now());
      await createRaw(client, lease, pool, isolation);
    });
    await waitFor(`raw pods of ${count} leases Running`, allRunning(rawNamespaces), 300_000, 200);
    const rawWall = Date.now() - rawStarted;
    const rawPodsRunningMs = since(timeline, timeline.runningAt, rawNamespaces);

    const phaseFigures: Figure[] = leasePhases.map((phase) => {
      const at = (q: number) =>
        histogramQuantile(metrics, 'supercloud_lease_phase_seconds', { phase }, q) * 1000;
      return {
        name: `operator: ${phase.replace('_', ' ')}, p50 / p99`,
        value: `${seconds(at(0.5))} / ${seconds(at(0.99))}`,
        reference: 'from the first reconcile (supercloud_lease_phase_seconds)',
      };
    });
    const [p50, p99] = [percentile(podsRunningMs, 50), percentile(podsRunningMs, 99)];
    const [rawP50, rawP99] = [percentile(rawPodsRunningMs, 50), percentile(rawPodsRunningMs, 99)];
    const throughput = count / (wall / 1000);
    const rawThroughput = count / (rawWall / 1000);
    const section: Section = {
      title: 'ComputeLease → workload',
      method: `${count} ComputeLeases (one 1-GPU replica each) created ${concurrency} at a time on a pool of ${nodes.length} KWOK nodes; the operator runs as a child process impersonating its ServiceAccount (least-privilege RBAC); times from the create request to the bench's watch seeing the Deployment and the pod Running; phase times are the operator's histogram quantiles (interpolated within buckets). Then the raw baseline: a plain admin client creates ${count} more leases and, for each, the same objects (desiredObjects: namespace; quota, limits, policies, service account, Service; Deployment) at the same concurrency. All ${count} Running after ${seconds(wall)} (operator) and ${seconds(rawWall)} (raw).`,
      figures: [
        {
          name: 'applied → Deployment created, p50',
          value: seconds(percentile(deploymentCreatedMs, 50)),
        },
        {
          name: 'applied → Deployment created, p99',
          value: seconds(percentile(deploymentCreatedMs, 99)),
        },
        { name: 'applied → pods Running, p50', value: seconds(p50) },
        {
          name: 'applied → pods Running, p99',
          value: seconds(p99),
          reference: '≤ 5 s (Kubernetes pod-startup SLO)',
        },
        ...phaseFigures,
        {
          name: 'raw client: applied → pods Running, p50 / p99',
          value: `${seconds(rawP50)} / ${seconds(rawP99)}`,
        },
        {
          name: 'operator / raw: pods Running p50, p99',
          value: `${ratio(p50, rawP50)}, ${ratio(p99, rawP99)}`,
          reference: '1× is the cluster itself',
        },
        {
          name: 'operator / raw: throughput (leases Running per second)',
          value: `${ratio(throughput, rawThroughput)} (${throughput.toFixed(1)} / ${rawThroughput.toFixed(1)})`,
        },
        { name: 'reconciles per lease (operator)', value: reconcilesPerLease.toFixed(1) },
        {
          name: 'API requests per lease (operator)',
          value: `${requestsPerLease.toFixed(1)} (${byMethod.map(([m, n]) => `${m} ${(n / count).toFixed(1)}`).join(', ')})`,
        },
      ],
    };
    return { section, deploymentCreatedMs, podsRunningMs, rawPodsRunningMs, requestsPerLease };
  } finally {
    await cache.stop();
    await deleteLeases(client, names);
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    await operator.stop();
    client.close();
  }
}

/** The benchmark section (test/bench/run.ts); SUPERCLOUD_BENCH_LEASES sets the burst (default 100). */
export async function leaseLatency(): Promise<Section> {
  const leases = Number(process.env.SUPERCLOUD_BENCH_LEASES ?? 100);
  return (await measureLeaseLatency({ leases })).section;
}
