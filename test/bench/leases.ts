// ComputeLease applied → Deployment created → pods Running, for leases arriving at a sustained
// rate (each created at its time, whatever the others do) or in one burst, run by the operator
// process (as its least-privilege ServiceAccount) on a pool of KWOK nodes of its own; the
// operator's own phase timings (supercloud_lease_phase_seconds), its work queue and the API
// requests it sent per lease; and, in the same run, a raw baseline: a plain admin client creating
// the same objects (desiredObjects of the same kind of lease) at the same arrival rate or
// concurrency, so the operator's figures read as ratios of what the cluster itself allows.
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../operator/src/api/kinds.js';
import type { TenantIsolation } from '../../operator/src/api/provider.js';
import { childKind } from '../../operator/src/controllers/computelease/children.js';
import { leasePhases } from '../../operator/src/controllers/computelease/phase-timings.js';
import { labels } from '../../operator/src/api/constants.js';
import {
  DeploymentKind,
  InformerCache,
  NamespaceKind,
  NodeKind,
  PodKind,
  type KubeClient,
  type KubeObject,
} from '../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';
import { applyOrder, desiredObjects } from '../../operator/src/workloads/desired-objects.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
import { poolLabel } from '../stack/nodes.js';
import { sleep, waitFor } from '../stack/process.js';
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

/** How the leases arrive: `ratePerSecond` each second, or all at once, `concurrency` creates in flight. */
export type LeaseArrival =
  { readonly ratePerSecond: number } | { readonly burst: true; readonly concurrency: number };

export interface LeaseLatencyOptions {
  /** Leases (one 1-GPU replica each), for the operator and again for the raw client. */
  readonly leases?: number;
  /** Default: a burst, 10 creates in flight. */
  readonly arrival?: LeaseArrival;
  /** The operator's `--lease-workers` (default: the operator's). */
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
 * Starts `start` for every lease as `arrival` says: at a steady rate, each at its own time
 * whatever the earlier ones are doing (an open loop, as leases come from the chain), or all at
 * once with a bounded number in flight. Resolves once every start has finished.
 */
async function arrive(
  leases: readonly ComputeLease[],
  arrival: LeaseArrival,
  start: (lease: ComputeLease) => Promise<void>,
): Promise<void> {
  if ('burst' in arrival) {
    await mapWithConcurrency(leases, arrival.concurrency, start);
    return;
  }
  const begun = Date.now();
  const started: Promise<void>[] = [];
  for (const [i, lease] of leases.entries()) {
    await sleep(Math.max(0, begun + (i * 1000) / arrival.ratePerSecond - Date.now()));
    started.push(start(lease));
  }
  await Promise.all(started);
}

function describeArrival(count: number, arrival: LeaseArrival): string {
  return 'burst' in arrival
    ? `${count} ComputeLeases (one 1-GPU replica each) created in one burst, ${arrival.concurrency} at a time`
    : `${count} ComputeLeases (one 1-GPU replica each) created at ${arrival.ratePerSecond} per second sustained (each at its time, whatever the earlier ones are doing)`;
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

/** Waiting for pods of a run: a few minutes, longer for a big run on a busy machine. */
const runningTimeoutMs = (count: number): number => Math.max(300_000, count * 600);

/** The operator's work queue figures from /metrics text (sums and counts of its histograms). */
function queueFigures(text: string): { meanWaitMs: number; meanReconcileMs: number } {
  const labels = { controller: 'computelease' };
  const mean = (name: string) =>
    (1000 * counterTotal(text, `${name}_sum`, labels)) /
    Math.max(1, counterTotal(text, `${name}_count`, labels));
  return {
    meanWaitMs: mean('workqueue_queue_duration_seconds'),
    meanReconcileMs: mean('controller_runtime_reconcile_time_seconds'),
  };
}

/**
 * Runs the measurement and cleans up after itself.
 *
 * @example console.log(formatSection((await measureLeaseLatency({ leases: 100, arrival: { ratePerSecond: 10 } })).section))
 */
export async function measureLeaseLatency(
  options: LeaseLatencyOptions = {},
): Promise<LeaseLatencyResult> {
  const count = options.leases ?? 100;
  const arrival = options.arrival ?? { burst: true, concurrency: 10 };
  const run = runId();
  const rawRun = `${run}r`;
  const poolName = `bench-${run}`;
  const client = adminClient();
  installCrdsAndRbac();
  // GPUs for both runs: the operator's leases keep theirs while the raw client's run.
  const nodes = await createPoolNodes(poolName, Math.ceil((2 * count) / 8));
  const pool = await client.create(GpuNodePoolKind, testPool(poolName));
  // KWOK makes new nodes Ready with their GPUs over a while: whichever run came first would
  // otherwise wait for that too.
  await waitFor(
    `${nodes.length} nodes of the pool Ready with their GPUs`,
    async () =>
      (await client.list(NodeKind, { labelSelector: `${poolLabel}=${poolName}` })).items.filter(
        (node) =>
          node.status?.allocatable?.['nvidia.com/gpu'] !== undefined &&
          node.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length === nodes.length,
    runningTimeoutMs(count),
    500,
  );
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

    // The operator's leases.
    const leases = benchLeases(run, poolName, count);
    const namespaces = leases.map((lease) => leaseNamespaceName(lease.spec.leaseId));
    names.push(...leases.map((lease) => lease.metadata.name!));
    const started = Date.now();
    await arrive(leases, arrival, async (lease) => {
      timeline.appliedAt.set(leaseNamespaceName(lease.spec.leaseId), Date.now());
      await client.create(ComputeLeaseKind, lease);
    });
    await waitFor(
      `pods of ${count} leases Running`,
      allRunning(namespaces),
      runningTimeoutMs(count),
      200,
    );
    const wall = Date.now() - started;
    // Let the status writes that follow the pods settle before counting requests.
    await waitFor(
      `${count} leases Running in their status`,
      async () =>
        (
          await client.list(ComputeLeaseKind, { labelSelector: `supercloud.dev/test-run=${run}` })
        ).items.every((lease) => lease.status?.phase === 'Running'),
      runningTimeoutMs(count),
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
    const cpu = (text: string) => counterTotal(text, 'process_cpu_seconds_total');
    const cpuMsPerLease = ((cpu(metrics) - cpu(beforeText)) * 1000) / count;
    const queue = queueFigures(metrics);

    // The raw client's leases, on the other half of the pool's GPUs, arriving the same way.
    const providers = await client.list(ProviderKind);
    const isolation = providers.items[0]?.spec?.tenantIsolation ?? {};
    const rawLeases = benchLeases(rawRun, poolName, count);
    const rawNamespaces = rawLeases.map((lease) => leaseNamespaceName(lease.spec.leaseId));
    names.push(...rawLeases.map((lease) => lease.metadata.name!));
    const rawStarted = Date.now();
    await arrive(rawLeases, arrival, async (lease) => {
      timeline.appliedAt.set(leaseNamespaceName(lease.spec.leaseId), Date.now());
      await createRaw(client, lease, pool, isolation);
    });
    await waitFor(
      `raw pods of ${count} leases Running`,
      allRunning(rawNamespaces),
      runningTimeoutMs(count),
      200,
    );
    const rawWall = Date.now() - rawStarted;
    const rawDeploymentCreatedMs = since(timeline, timeline.deploymentAt, rawNamespaces);
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
    const p = (values: readonly number[], q: number) => percentile(values, q);
    const [p50, p99] = [p(podsRunningMs, 50), p(podsRunningMs, 99)];
    const [rawP50, rawP99] = [p(rawPodsRunningMs, 50), p(rawPodsRunningMs, 99)];
    const throughput = count / (wall / 1000);
    const rawThroughput = count / (rawWall / 1000);
    const section: Section = {
      title: 'ComputeLease → workload',
      method: `${describeArrival(count, arrival)} on a pool of ${nodes.length} KWOK nodes; the operator runs as a child process impersonating its ServiceAccount (least-privilege RBAC); times from the create request to the bench's watch seeing the Deployment and the pod Running; phase times are the operator's histogram quantiles (interpolated within buckets). Then the raw baseline: a plain admin client creates ${count} more leases the same way and, for each, the same objects (desiredObjects: namespace; quota, limits, policies, service account, Service; Deployment). All ${count} Running after ${seconds(wall)} (operator) and ${seconds(rawWall)} (raw).`,
      figures: [
        {
          name: 'applied → Deployment created, p50 / p99',
          value: `${seconds(p(deploymentCreatedMs, 50))} / ${seconds(p(deploymentCreatedMs, 99))}`,
        },
        { name: 'applied → pods Running, p50', value: seconds(p50) },
        {
          name: 'applied → pods Running, p99',
          value: seconds(p99),
          reference: '≤ 5 s (Kubernetes pod-startup SLO)',
        },
        ...phaseFigures,
        {
          name: 'operator work queue: mean wait / mean reconcile',
          value: `${seconds(queue.meanWaitMs)} / ${seconds(queue.meanReconcileMs)}`,
          reference: 'workqueue_queue_duration_seconds, controller_runtime_reconcile_time_seconds',
        },
        {
          name: 'raw client: applied → Deployment created, p50 / p99',
          value: `${seconds(p(rawDeploymentCreatedMs, 50))} / ${seconds(p(rawDeploymentCreatedMs, 99))}`,
        },
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
          reference: '≥ 0.8× for a burst of 1,000',
        },
        { name: 'reconciles per lease (operator)', value: reconcilesPerLease.toFixed(1) },
        {
          name: 'CPU per lease (operator process)',
          value: `${cpuMsPerLease.toFixed(1)} ms`,
          reference: 'process_cpu_seconds_total',
        },
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
    await operator.stop();
    // The namespace controller deletes the lease namespaces for a while after the leases go: a
    // run started meanwhile (the next one of `leases`, a back-to-back comparison) would measure
    // that teardown too.
    await untilLeaseNamespacesGone(client, poolName, runningTimeoutMs(count));
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    client.close();
  }
}

/** Waits until no lease namespace of the pool is left; says so on stderr when they outlast `timeoutMs`. */
async function untilLeaseNamespacesGone(
  client: KubeClient,
  pool: string,
  timeoutMs: number,
): Promise<void> {
  const remaining = async () =>
    (await client.list(NamespaceKind, { labelSelector: `${labels.pool}=${pool}` })).items.length;
  await waitFor(
    'the lease namespaces to be deleted',
    async () => (await remaining()) === 0,
    timeoutMs,
    1000,
  ).catch(async (error: Error) =>
    console.error(`[bench] ${error.message}; ${await remaining()} left`),
  );
}

/** A positive integer from the environment, or the default; anything else is refused. */
function positiveEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name}=${text}: expected a positive whole number`);
  }
  return value;
}

/** The runs of the issue's two targets, by name. */
const scenarios = ['sustained', 'burst'] as const;
type Scenario = (typeof scenarios)[number];

function scenariosFromEnv(): Scenario[] {
  const text = process.env.SUPERCLOUD_BENCH_LEASE_MODE ?? scenarios.join(',');
  const chosen = text.split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !(scenarios as readonly string[]).includes(s));
  if (unknown.length > 0 || chosen.length === 0) {
    throw new Error(
      `SUPERCLOUD_BENCH_LEASE_MODE=${text}: expected ${scenarios.join(', ')} or both, comma-separated`,
    );
  }
  return chosen as Scenario[];
}

/**
 * The benchmark section (test/bench/run.ts): the issue's two targets, each with its raw baseline.
 * `sustained`: SUPERCLOUD_BENCH_LEASES (default 300) leases at SUPERCLOUD_BENCH_LEASE_RATE per
 * second (default 10); `burst`: SUPERCLOUD_BENCH_LEASES (default 1,000) at once,
 * SUPERCLOUD_BENCH_LEASE_CONCURRENCY creates in flight (default 10). SUPERCLOUD_BENCH_LEASE_MODE
 * picks one (`sustained` or `burst`; default both); SUPERCLOUD_BENCH_LEASE_WORKERS sets the
 * operator's `--lease-workers`.
 */
export async function leaseLatency(): Promise<Section> {
  const chosen = scenariosFromEnv();
  const leaseWorkers = process.env.SUPERCLOUD_BENCH_LEASE_WORKERS
    ? positiveEnv('SUPERCLOUD_BENCH_LEASE_WORKERS', 1)
    : undefined;
  const runs: { scenario: Scenario; section: Section }[] = [];
  for (const scenario of chosen) {
    const options: LeaseLatencyOptions =
      scenario === 'sustained'
        ? {
            leases: positiveEnv('SUPERCLOUD_BENCH_LEASES', 300),
            arrival: { ratePerSecond: positiveEnv('SUPERCLOUD_BENCH_LEASE_RATE', 10) },
          }
        : {
            leases: positiveEnv('SUPERCLOUD_BENCH_LEASES', 1000),
            arrival: {
              burst: true,
              concurrency: positiveEnv('SUPERCLOUD_BENCH_LEASE_CONCURRENCY', 10),
            },
          };
    const { section } = await measureLeaseLatency({
      ...options,
      ...(leaseWorkers ? { leaseWorkers } : {}),
    });
    runs.push({ scenario, section });
  }
  const [only] = runs;
  if (runs.length === 1 && only) return only.section;
  return {
    title: 'ComputeLease → workload',
    method: runs.map(({ scenario, section }) => `**${scenario}**: ${section.method}`).join('\n\n'),
    figures: runs.flatMap(({ scenario, section }) =>
      section.figures.map((figure) => ({ ...figure, name: `${scenario}: ${figure.name}` })),
    ),
  };
}
