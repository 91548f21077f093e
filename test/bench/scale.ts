// make bench BENCH=scale: the operator at scale (issue 16). GPU nodes in several pools; active
// ComputeLeases created in waves, each wave timed (applied → pods Running, → lease Running) beside
// a raw client that first creates the same objects for as many leases at the same concurrency
// (those leases are then handed to the operator, which finds nothing to change and marks them
// Running, so every lease stays active and none has to be deleted); then, at rest, the operator's
// RSS, CPU, API requests per second and informer cache; then kill -9 and restart: the time until
// every lease is verified and Running again and the requests that took; and whether each
// GpuNodePool's status says what its nodes and pods say.
//
// `make bench BENCH=scale` runs it on a stack of its own (own directory and ports, torn down at
// the end), so the shared stack is neither disturbed nor needed. Sizes, from the environment:
//   SUPERCLOUD_SCALE_NODES (1000), SUPERCLOUD_SCALE_POOLS (4), SUPERCLOUD_SCALE_LEASES (active
//   leases at the end, 10000), SUPERCLOUD_SCALE_WAVE (leases the operator gets per wave, 1000),
//   SUPERCLOUD_SCALE_RAW (leases the raw client makes per wave, before the operator's; default:
//   the wave; 0: no baseline), SUPERCLOUD_SCALE_CONCURRENCY (creates in flight, 20),
//   SUPERCLOUD_SCALE_IDLE_SECONDS (the window at rest, 60), SUPERCLOUD_SCALE_LEASE_WORKERS (the
//   operator's --lease-workers; default: its own).
// e.g. SUPERCLOUD_SCALE_NODES=300 SUPERCLOUD_SCALE_LEASES=3000 SUPERCLOUD_SCALE_WAVE=1000 make bench BENCH=scale
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import { ComputeLeaseKind, GpuNodePoolKind, ProviderKind } from '../../operator/src/api/kinds.js';
import type { TenantIsolation } from '../../operator/src/api/provider.js';
import { childKind } from '../../operator/src/controllers/computelease/children.js';
import {
  KubeApiError,
  KubeClient,
  KubeConnectionError,
  NodeKind,
  type KubeObject,
  type ResourceKind,
} from '../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';
import { applyOrder, desiredObjects } from '../../operator/src/workloads/desired-objects.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
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
  uniqueLeaseId,
} from '../harness/cluster-fixtures.js';
import { buildDist, type Entry } from '../harness/entry.js';
import { adminKubeConfig } from '../harness/stack.js';
import { freePort } from '../harness/test-chain.js';
import {
  counterTotal,
  operatorGroups,
  operatorServiceAccount,
  startOperator,
  testRunLabel,
  type OperatorProcess,
} from '../harness/test-run-operator.js';
import { componentPid, type ControlPlaneComponent } from '../stack/kwok.js';
import { poolLabel } from '../stack/nodes.js';
import { repoRoot, stackDir } from '../stack/paths.js';
import { sleep, waitFor } from '../stack/process.js';
import { collectGarbage, inspectorNodeArgs } from './inspector-gc.js';
import { poolAccuracy, type PoolAccuracy } from './pool-accuracy.js';
import { cpuWindow, residentBytes, type CpuWindow } from './process-stats.js';
import { percentile, seconds, type Figure, type Section } from './report.js';
import { ScaleWatch } from './scale-watch.js';

export interface ScaleOptions {
  /** KWOK GPU nodes, split evenly over the pools. */
  readonly nodes: number;
  readonly pools: number;
  /** Active leases at the end, the raw client's (adopted) included; one 1-GPU replica each. */
  readonly leases: number;
  /** Leases created for the operator per wave. */
  readonly wave: number;
  /** Leases the raw client makes in each wave before the operator's (0: no baseline). */
  readonly rawPerWave: number;
  /** Creates in flight at once, for the operator's leases and the raw client alike. */
  readonly concurrency: number;
  /** The window at rest over which CPU and requests are counted. */
  readonly idleSeconds: number;
  /** The operator's `--lease-workers` (default: the operator's own default). */
  readonly leaseWorkers?: number;
  /** Delete what the run made at the end (not needed on a stack of its own). */
  readonly cleanUp: boolean;
  /** Where each operator process's log lines go at the end (operator-1.log, …), if anywhere. */
  readonly logDir?: string;
  /** The image's build (compiled first) for the figures, or the sources for a quick run. */
  readonly operatorEntry: Entry;
}

export const scaleDefaults: ScaleOptions = {
  nodes: 1000,
  pools: 4,
  leases: 10_000,
  wave: 1000,
  rawPerWave: 1000,
  concurrency: 20,
  operatorEntry: 'dist',
  idleSeconds: 60,
  cleanUp: false,
};

/** The options from SUPERCLOUD_SCALE_* (see the head of this file); a bad value throws, naming it. */
export function scaleOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): ScaleOptions {
  const read = (name: string, fallback: number, min: number): number => {
    const variable = `SUPERCLOUD_SCALE_${name}`;
    const text = env[variable];
    const value = text === undefined || text === '' ? fallback : Number(text);
    if (!Number.isInteger(value) || value < min) {
      throw new Error(`${variable}=${text} is not an integer ≥ ${min}`);
    }
    return value;
  };
  const wave = read('WAVE', scaleDefaults.wave, 1);
  const workers = read('LEASE_WORKERS', 0, 0);
  return checkScaleOptions({
    nodes: read('NODES', scaleDefaults.nodes, 1),
    pools: read('POOLS', scaleDefaults.pools, 1),
    leases: read('LEASES', scaleDefaults.leases, 1),
    wave,
    rawPerWave: read('RAW', wave, 0),
    concurrency: read('CONCURRENCY', scaleDefaults.concurrency, 1),
    idleSeconds: read('IDLE_SECONDS', scaleDefaults.idleSeconds, 1),
    ...(workers > 0 ? { leaseWorkers: workers } : {}),
    cleanUp: scaleDefaults.cleanUp,
    operatorEntry: scaleDefaults.operatorEntry,
  });
}

/** The chart's `operator.heapLimitMiB` (its values.yaml). */
function chartHeapLimitMiB(): number {
  const values = yaml.load(
    readFileSync(join(repoRoot, 'charts/supercloud-provider/values.yaml'), 'utf8'),
  ) as { operator: { heapLimitMiB: number } };
  return values.operator.heapLimitMiB;
}

/** Pods a KWOK node takes (its `pods` capacity), less room for the odd DaemonSet. */
const podsPerNode = 100;

/** Throws when the sizes cannot work: fewer nodes than pools, more pods than the nodes take. */
export function checkScaleOptions(options: ScaleOptions): ScaleOptions {
  if (options.nodes < options.pools) {
    throw new Error(`${options.nodes} nodes cannot make ${options.pools} pools: give each a node`);
  }
  const nodes = Math.floor(options.nodes / options.pools) * options.pools;
  if (options.leases > nodes * podsPerNode) {
    throw new Error(
      `${options.leases} lease pods do not fit on ${nodes} nodes of ${podsPerNode} pods`,
    );
  }
  return options;
}

/** GPUs per node: 8 (an HGX node), or the next multiple of 8 that gives every lease its GPU. */
export function gpusPerNodeFor(options: ScaleOptions): number {
  const nodes = Math.floor(options.nodes / options.pools) * options.pools;
  return Math.max(8, Math.ceil(Math.ceil(options.leases / nodes) / 8) * 8);
}

/** One wave: the raw client's leases (then adopted by the operator), then the operator's. */
export interface WaveFigures {
  /** The operator's leases created in the wave. */
  readonly leases: number;
  /** Leases the operator reconciles once the wave is Running. */
  readonly active: number;
  readonly operator: {
    readonly podsRunningMs: readonly number[];
    readonly leasesRunningMs: readonly number[];
    readonly wallMs: number;
    readonly requests: number;
    readonly cpu: CpuWindow;
  };
  readonly raw?: {
    readonly leases: number;
    readonly podsRunningMs: readonly number[];
    readonly wallMs: number;
    readonly cpu: CpuWindow;
    /** From labelling the raw leases for the operator to all of them Verified and Running. */
    readonly adoptedMs: number;
    readonly adoptRequests: number;
  };
}

/** The operator's figures with no work to do. */
export interface RestFigures {
  /** RSS as the kernel sees it at the end of the window, garbage V8 has not collected included. */
  readonly rssBytes: number;
  readonly peakRssBytes: number;
  /** After a full garbage collection: what the process holds. */
  readonly rssAfterGcBytes: number;
  readonly heapUsedBytes: number;
  /** With the nodes and pools made and no lease yet, after a full garbage collection. */
  readonly baseline: {
    readonly rssBytes: number;
    readonly heapUsedBytes: number;
    readonly objects: number;
  };
  readonly cacheObjects: Readonly<Record<string, number>>;
  readonly cpu: CpuWindow;
  readonly requestsByMethod: Readonly<Record<string, number>>;
  readonly reconcilesByController: Readonly<Record<string, number>>;
}

/** After kill -9: times from the kill, and what the new process asked of the API server. */
export interface RestartFigures {
  /** The new process up (its health server listening): Node and the loader started. */
  readonly servingMs: number;
  readonly cachesSyncedMs: number;
  /** Leading with its caches synced: the lease controller started. */
  readonly leaderMs: number;
  readonly convergedMs: number;
  readonly requestsByMethod: Readonly<Record<string, number>>;
  readonly reconciles: number;
  readonly cpu: CpuWindow;
}

export interface ScaleResult {
  readonly options: ScaleOptions;
  readonly gpusPerNode: number;
  readonly waves: readonly WaveFigures[];
  readonly rest: RestFigures;
  readonly restart: RestartFigures;
  readonly pools: readonly PoolAccuracy[];
  /** When the pools' status first matched the nodes and pods, from the restart's convergence. */
  readonly poolsAccurateAfterMs?: number;
  readonly section: Section;
}

const methods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

function requestsByMethod(metrics: string): Record<string, number> {
  return Object.fromEntries(
    methods.map((method) => [
      method,
      counterTotal(metrics, 'rest_client_requests_total', { method }),
    ]),
  );
}

function minus(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(
    Object.entries(after)
      .map(([key, n]) => [key, n - (before[key] ?? 0)] as const)
      .filter(([, n]) => n > 0),
  );
}

const total = (counts: Readonly<Record<string, number>>): number =>
  Object.values(counts).reduce((sum, n) => sum + n, 0);

/** `{label="value"} n` lines of a gauge or counter, by the value of one label. */
function byLabel(metrics: string, name: string, label: string): Record<string, number> {
  const pattern = new RegExp(`^${name}\\{[^}]*${label}="([^"]*)"[^}]*\\} (\\S+)$`, 'gm');
  const values: Record<string, number> = {};
  for (const [, value = '', n = '0'] of metrics.matchAll(pattern)) {
    values[value] = (values[value] ?? 0) + Number(n);
  }
  return values;
}

const controlPlane: readonly ControlPlaneComponent[] = [
  'kube-apiserver',
  'etcd',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok-controller',
];

/**
 * Runs the measurement on the stack this process points at (SUPERCLOUD_STACK_DIR) with nodes,
 * pools and an operator of its own, reconciling only its leases.
 *
 * @example const { section } = await measureScale({ ...scaleDefaults, nodes: 20, leases: 200, wave: 100, rawPerWave: 100 });
 */
export async function measureScale(options: ScaleOptions): Promise<ScaleResult> {
  checkScaleOptions(options);
  const log = (message: string): void => console.error(`[scale] ${message}`);
  const run = runId();
  const rawRun = `${run}r`;
  const admin = adminClient();
  // The raw client acts as the operator's ServiceAccount: same RBAC, admission and API Priority
  // and Fairness level (an admin is exempt from APF), so the baseline is the cluster's limit for
  // that identity rather than for an unthrottled one.
  const raw = new KubeClient({
    kubeConfig: adminKubeConfig(),
    impersonate: { user: operatorServiceAccount, groups: operatorGroups },
  });
  installCrdsAndRbac();
  const gpusPerNode = gpusPerNodeFor(options);
  const poolNames = Array.from({ length: options.pools }, (_, i) => `scale-${run}-${i}`);
  const nodesPerPool = Math.floor(options.nodes / options.pools);
  log(
    `${nodesPerPool * options.pools} nodes of ${gpusPerNode} GPUs in ${options.pools} pools; ${options.leases} leases in waves of ${options.wave}`,
  );
  const nodes = (
    await Promise.all(poolNames.map((pool) => createPoolNodes(pool, nodesPerPool, gpusPerNode)))
  ).flat();
  const pools = await Promise.all(
    poolNames.map((name) => admin.create(GpuNodePoolKind, testPool(name))),
  );
  const poolOf = (index: number): GpuNodePool => pools[index % pools.length]!;
  await waitFor(
    `${nodes.length} nodes Ready`,
    async () =>
      (
        await admin.list(NodeKind, { labelSelector: `${poolLabel} in (${poolNames.join(',')})` })
      ).items.filter((node) =>
        node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length === nodes.length,
    120_000 + nodes.length * 200,
    1_000,
  );

  if (options.operatorEntry === 'dist') buildDist();
  const operatorOptions = {
    run,
    entry: options.operatorEntry,
    // The heap limit the chart gives the operator's container (NODE_OPTIONS), so that memory is
    // what a provider's pod would hold.
    nodeArgs: [`--max-old-space-size=${chartHeapLimitMiB()}`, ...inspectorNodeArgs],
    ...(options.leaseWorkers ? { leaseWorkers: options.leaseWorkers } : {}),
  };
  let operator: OperatorProcess = startOperator(operatorOptions);
  const operators = [operator];
  const pids = (): Record<string, number | undefined> => ({
    operator: operator.child.pid,
    bench: process.pid,
    ...Object.fromEntries(controlPlane.map((c) => [c, componentPid(c)])),
  });
  const watch = new ScaleWatch(admin, poolNames, run);
  const leaseIds = Number(uniqueLeaseId());
  /** The leases the operator reconciles: its own waves' and the raw ones it adopted. */
  const operatorLeases: ComputeLease[] = [];
  try {
    await Promise.all([watch.start(), operator.ready()]);
    await waitForQuiet(operator);
    const baseline = await liveMemory(operator);
    const base = example<ComputeLease>('computelease-h100.yaml');
    const isolation =
      (await admin.list(ProviderKind)).items[0]?.spec?.tenantIsolation ??
      ({} as Partial<TenantIsolation>);

    const bench: WaveContext = { admin, raw, watch, options, pools, isolation, pids, log, run };
    const waves: WaveFigures[] = [];
    const lease = (runLabel: string, index: number): ComputeLease =>
      testLease(base, runLabel, `scale-${runLabel}-${index}`, {
        leaseId: String(leaseIds + index),
        pool: poolOf(index).metadata.name!,
        resources: boughtFor(1),
        manifest: gpuManifest(1),
      });
    while (operatorLeases.length < options.leases) {
      const active = operatorLeases.length;
      const count = Math.min(options.wave, options.leases - active);
      const rawCount = Math.min(options.rawPerWave, options.leases - active - count);
      const rawBatch = Array.from({ length: rawCount }, (_, i) => lease(rawRun, active + i));
      const batch = Array.from({ length: count }, (_, i) => lease(run, active + rawCount + i));
      const rawFigures =
        rawCount > 0 ? await rawWave(bench, operator, rawBatch, waves.length + 1) : undefined;
      operatorLeases.push(...rawBatch);
      const operatorFigures = await operatorWave(bench, operator, batch, waves.length + 1);
      operatorLeases.push(...batch);
      waves.push({
        leases: count,
        active: operatorLeases.length,
        operator: operatorFigures,
        ...(rawFigures ? { raw: rawFigures } : {}),
      });
    }

    // At rest. The CPU window lies between the two scrapes, so that they are not counted.
    await waitForQuiet(operator);
    const idleBefore = await operator.metrics();
    const idleCpu = cpuWindow(pids);
    await sleep(options.idleSeconds * 1000);
    const idleWindow = idleCpu.stop();
    const idleAfter = await operator.metrics();
    const asFound = residentBytes(operator.child.pid!);
    const live = await liveMemory(operator);
    const rest: RestFigures = {
      rssBytes: asFound?.rss ?? NaN,
      peakRssBytes: asFound?.peak ?? NaN,
      rssAfterGcBytes: live.rssBytes,
      heapUsedBytes: live.heapUsedBytes,
      cacheObjects: live.cacheObjects,
      baseline: {
        rssBytes: baseline.rssBytes,
        heapUsedBytes: baseline.heapUsedBytes,
        objects: total(baseline.cacheObjects),
      },
      cpu: idleWindow,
      requestsByMethod: minus(requestsByMethod(idleAfter), requestsByMethod(idleBefore)),
      reconcilesByController: minus(
        byLabel(idleAfter, 'controller_runtime_reconcile_total', 'controller'),
        byLabel(idleBefore, 'controller_runtime_reconcile_total', 'controller'),
      ),
    };
    log(`at rest: RSS ${mib(rest.rssBytes)}, ${total(rest.cacheObjects)} cached objects`);

    // kill -9 and restart.
    const restart = await killAndRestart(
      () => operator,
      (next) => operators.push((operator = next)),
      operatorOptions,
      watch,
      operatorLeases.map((l) => l.metadata.name!),
      pids,
    );
    log(`restart: converged after ${seconds(restart.convergedMs)}`);

    const accuracy = await waitForAccuratePools(admin, poolNames);
    const result = {
      options,
      gpusPerNode,
      waves,
      rest,
      restart,
      pools: accuracy.pools,
      ...(accuracy.afterMs === undefined ? {} : { poolsAccurateAfterMs: accuracy.afterMs }),
    };
    return { ...result, section: scaleSection(result, nodes.length) };
  } finally {
    await watch.stop();
    await operator.stop();
    if (options.logDir) writeOperatorLogs(options.logDir, operators);
    if (options.cleanUp) {
      await deleteLeases(
        admin,
        operatorLeases.map((l) => l.metadata.name!),
      );
      await deletePools(admin, poolNames);
      await deleteNodes(admin, nodes);
    }
    admin.close();
    raw.close();
  }
}

/** What the wave functions share. */
interface WaveContext {
  readonly admin: KubeClient;
  /** The raw client (the operator's ServiceAccount). */
  readonly raw: KubeClient;
  readonly watch: ScaleWatch;
  readonly options: ScaleOptions;
  readonly pools: readonly GpuNodePool[];
  readonly isolation: Partial<TenantIsolation>;
  readonly pids: () => Record<string, number | undefined>;
  readonly log: (message: string) => void;
  /** The operator's run label. */
  readonly run: string;
}

const namespaceOf = (lease: ComputeLease): string => leaseNamespaceName(lease.spec.leaseId);

/** Waits for pods of every namespace to run; patience grows with the count. */
async function waitForPods(watch: ScaleWatch, what: string, namespaces: readonly string[]) {
  await waitFor(
    what,
    async () => watch.allPodsRunning(namespaces),
    300_000 + namespaces.length * 1_000,
    200,
  );
}

/** The operator's wave: its leases created, timed until pods and statuses say Running. */
async function operatorWave(
  { admin, watch, options, pids, log }: WaveContext,
  operator: OperatorProcess,
  batch: readonly ComputeLease[],
  wave: number,
): Promise<WaveFigures['operator']> {
  const namespaces = batch.map(namespaceOf);
  const before = requestsByMethod(await operator.metrics());
  const cpu = cpuWindow(pids);
  const started = Date.now();
  await mapWithConcurrency(batch, options.concurrency, async (lease) => {
    watch.applied(namespaceOf(lease));
    await createSurely(admin, ComputeLeaseKind, lease);
  });
  await waitForPods(watch, `pods of wave ${wave}'s ${batch.length} leases Running`, namespaces);
  const wallMs = Date.now() - started;
  const names = batch.map((lease) => lease.metadata.name!);
  await waitFor(
    `wave ${wave}'s leases Running in their status`,
    async () => watch.leasesNotRunning(names).length === 0,
    300_000 + batch.length * 1_000,
    500,
  );
  const figures = {
    podsRunningMs: watch.podsRunningMs(namespaces),
    leasesRunningMs: watch.leasesRunningMs(batch, namespaceOf),
    wallMs,
    requests: total(minus(requestsByMethod(await operator.metrics()), before)),
    cpu: cpu.stop(),
  };
  log(`wave ${wave}: operator, pods Running p50 / p99 ${describeTimes(figures.podsRunningMs)}`);
  return figures;
}

/**
 * The raw client's wave: the same objects for as many leases, timed until pods run; then the
 * operator adopts those leases (they get its run label; their objects already hold what it would
 * apply), so that they stay as active leases without costing a deletion the next wave would share
 * the cluster with.
 */
async function rawWave(
  { admin, raw, watch, options, pools, isolation, pids, log, run }: WaveContext,
  operator: OperatorProcess,
  batch: readonly ComputeLease[],
  wave: number,
): Promise<NonNullable<WaveFigures['raw']>> {
  const namespaces = batch.map(namespaceOf);
  const cpu = cpuWindow(pids);
  const started = Date.now();
  await mapWithConcurrency(batch, options.concurrency, async (lease) => {
    watch.applied(namespaceOf(lease));
    const pool = pools.find((p) => p.metadata.name === lease.spec.pool)!;
    await createRaw(admin, raw, lease, pool, isolation);
  });
  await waitForPods(watch, `raw pods of wave ${wave}'s ${batch.length} leases Running`, namespaces);
  const wallMs = Date.now() - started;
  const cpuWindowRaw = cpu.stop();

  const before = requestsByMethod(await operator.metrics());
  const adopting = Date.now();
  const names = batch.map((lease) => lease.metadata.name!);
  await mapWithConcurrency(names, options.concurrency, (name) =>
    retryTransient(() =>
      admin.patch(ComputeLeaseKind, name, 'merge', {
        metadata: { labels: { [testRunLabel]: run } },
      }),
    ),
  );
  await waitFor(
    `the operator to adopt wave ${wave}'s ${batch.length} raw leases`,
    async () => watch.leasesNotRunning(names).length === 0,
    300_000 + batch.length * 1_000,
    500,
  );
  const figures = {
    leases: batch.length,
    podsRunningMs: watch.podsRunningMs(namespaces),
    wallMs,
    cpu: cpuWindowRaw,
    adoptedMs: Date.now() - adopting,
    adoptRequests: total(minus(requestsByMethod(await operator.metrics()), before)),
  };
  log(`wave ${wave}: raw, pods Running p50 / p99 ${describeTimes(figures.podsRunningMs)}`);
  return figures;
}

/** Each operator process's log lines, as JSON lines, to `<dir>/operator-<n>.log`. */
function writeOperatorLogs(dir: string, operators: readonly OperatorProcess[]): void {
  mkdirSync(dir, { recursive: true });
  operators.forEach((process, index) =>
    writeFileSync(
      join(dir, `operator-${index + 1}.log`),
      process.lines.map((line) => JSON.stringify(line)).join('\n') + '\n',
    ),
  );
}

/**
 * What the operator would do for a lease, done by a plain client: the lease (by the admin, as a
 * tenant's lease is made), then as the operator's ServiceAccount the namespace, the walls and
 * Services, and the Deployments, each tier's creates at once.
 */
async function createRaw(
  admin: KubeClient,
  client: KubeClient,
  lease: ComputeLease,
  pool: GpuNodePool,
  isolation: Partial<TenantIsolation>,
): Promise<void> {
  const created = await createSurely(admin, ComputeLeaseKind, lease);
  const desired = desiredObjects(created, pool, { isolation });
  const tiers: KubeObject[][] = [
    [desired.namespace],
    applyOrder(desired).filter((o) => o.kind !== 'Namespace' && o.kind !== 'Deployment'),
    [...desired.deployments],
  ];
  for (const tier of tiers) {
    await Promise.all(tier.map((object) => createSurely(client, childKind(object), object)));
  }
}

/** A dropped connection or an overloaded API server (5xx, 429): worth another try. */
function isTransient(error: unknown): boolean {
  return (
    error instanceof KubeConnectionError ||
    (error instanceof KubeApiError && (error.code >= 500 || error.code === 429))
  );
}

/** Runs `request` again (up to 5 times, backing off) while it fails transiently. */
async function retryTransient<R>(request: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (attempt >= 5 || !isTransient(error)) throw error;
      await sleep(250 * 2 ** attempt);
    }
  }
}

/**
 * A create that survives what the operator's work queue survives (a connection the API server
 * dropped, a 5xx): retried; an AlreadyExists after a retry means the dropped attempt went through.
 */
async function createSurely<T extends KubeObject>(
  client: KubeClient,
  kind: ResourceKind<T>,
  object: T,
): Promise<T> {
  let retried = false;
  return retryTransient(async () => {
    try {
      return await client.create(kind, object);
    } catch (error) {
      if (retried && error instanceof KubeApiError && error.code === 409) {
        const existing = await client.get(
          kind,
          object.metadata?.name ?? '',
          object.metadata?.namespace,
        );
        if (existing) return existing;
      }
      retried = true;
      throw error;
    }
  });
}

/**
 * Waits until the lease controller, which reconciles only the run's leases, has reconciled nothing
 * for 3 s with an empty queue. (Other controllers also serve other suites' pools and Providers on
 * a shared stack, so their counters never rest there.)
 */
async function waitForQuiet(operator: OperatorProcess): Promise<void> {
  const lease = { controller: 'computelease' };
  let last = -1;
  await waitFor(
    'the operator at rest (no lease reconciled for 3 s, queue empty)',
    async () => {
      const metrics = await operator.metrics();
      const reconciles = counterTotal(metrics, 'controller_runtime_reconcile_total', lease);
      const busy =
        counterTotal(metrics, 'workqueue_depth', { name: 'computelease' }) +
        counterTotal(metrics, 'controller_runtime_active_workers', lease);
      const quiet = reconciles === last && busy === 0;
      last = reconciles;
      return quiet;
    },
    600_000,
    3_000,
  );
}

/** The operator's memory after a full garbage collection: RSS, heap, and cached objects by kind. */
async function liveMemory(operator: OperatorProcess) {
  await collectGarbage(operator.lines);
  const metrics = await operator.metrics();
  const resident = residentBytes(operator.child.pid!);
  if (!resident) throw new Error('the operator process is gone');
  return {
    rssBytes: resident.rss,
    heapUsedBytes: counterTotal(metrics, 'nodejs_heap_size_used_bytes'),
    cacheObjects: byLabel(metrics, 'supercloud_informer_cache_objects', 'kind'),
  };
}

async function killAndRestart(
  current: () => OperatorProcess,
  replace: (next: OperatorProcess) => void,
  operatorOptions: Parameters<typeof startOperator>[0],
  watch: ScaleWatch,
  leases: readonly string[],
  pids: () => Record<string, number | undefined>,
): Promise<RestartFigures> {
  const killed = current();
  const killedAt = Date.now();
  killed.child.kill('SIGKILL');
  await killed.exited;
  const operator = startOperator(operatorOptions);
  replace(operator);
  const cpu = cpuWindow(pids);
  const sinceKill = async (what: string, found: () => boolean): Promise<number> => {
    await waitFor(what, async () => found(), 600_000, 100);
    return Date.now() - killedAt;
  };
  const servingMs = await sinceKill('the restarted operator to serve /metrics', () =>
    operator.lines.some((line) => typeof line.url === 'string'),
  );
  const cachesSyncedMs = await sinceKill('the restarted operator to sync its caches', () =>
    operator.lines.some((line) => line.message === 'caches synced'),
  );
  const leaderMs = await sinceKill('the restarted operator to lead', () =>
    operator.lines.some((line) => line.controller === 'computelease' && line.message === 'started'),
  );
  let metrics = '';
  await waitFor(
    `every lease reconciled, verified and Running after the restart`,
    async () => {
      if (watch.leasesNotRunning(leases).length > 0) return false;
      metrics = await operator.metrics();
      const labels = { controller: 'computelease' };
      return (
        counterTotal(metrics, 'controller_runtime_reconcile_total', labels) >= leases.length &&
        counterTotal(metrics, 'workqueue_depth', { name: 'computelease' }) === 0 &&
        counterTotal(metrics, 'controller_runtime_active_workers', labels) === 0
      );
    },
    600_000,
    250,
  );
  return {
    servingMs,
    cachesSyncedMs,
    leaderMs,
    convergedMs: Date.now() - killedAt,
    requestsByMethod: minus(requestsByMethod(metrics), {}),
    reconciles: counterTotal(metrics, 'controller_runtime_reconcile_total', {
      controller: 'computelease',
    }),
    cpu: cpu.stop(),
  };
}

/** The pools' accuracy, waiting up to a minute for their status to catch up with the cluster. */
async function waitForAccuratePools(client: KubeClient, pools: readonly string[]) {
  const started = Date.now();
  let last: PoolAccuracy[] = [];
  for (;;) {
    last = await poolAccuracy(client, pools);
    if (last.every((pool) => pool.accurate)) return { pools: last, afterMs: Date.now() - started };
    if (Date.now() - started > 60_000) return { pools: last, afterMs: undefined };
    await sleep(2_000);
  }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const percent = (share: number): string => `${(share * 100).toFixed(1)} %`;
const ratio = (operator: number, raw: number): string => `${(operator / raw).toFixed(2)}×`;

function describeTimes(ms: readonly number[]): string {
  return `${seconds(percentile(ms, 50))} / ${seconds(percentile(ms, 99))}`;
}

/** The busiest processes of a CPU window: `kube-apiserver 0.92, etcd 0.31, …` (cores). */
function describeCpu(window: CpuWindow): string {
  const busiest = Object.entries(window.cores)
    .sort(([, a], [, b]) => b - a)
    .map(([name, cores]) => `${name} ${cores.toFixed(2)}`)
    .join(', ');
  return `${busiest}; machine ${percent(window.machineBusy)} of ${availableParallelism()} cores busy`;
}

function scaleSection(result: Omit<ScaleResult, 'section'>, nodes: number): Section {
  const { options, waves, rest, restart, pools } = result;
  const waveFigures: Figure[] = waves.flatMap((wave, index) => {
    const op = wave.operator;
    const rows: Figure[] = [];
    const name = `wave ${index + 1} (${wave.active} active after it)`;
    if (wave.raw) {
      rows.push({
        name: `${name}, raw client, ${wave.raw.leases} leases: applied → pods Running p50 / p99`,
        value: describeTimes(wave.raw.podsRunningMs),
        reference: `all Running after ${seconds(wave.raw.wallMs)}; then adopted by the operator (Verified, Running) in ${seconds(wave.raw.adoptedMs)}, ${(wave.raw.adoptRequests / wave.raw.leases).toFixed(1)} requests per lease; CPU (cores): ${describeCpu(wave.raw.cpu)}`,
      });
    }
    const vsRaw = wave.raw
      ? `; operator / raw: p50 ${ratio(percentile(op.podsRunningMs, 50), percentile(wave.raw.podsRunningMs, 50))}, p99 ${ratio(percentile(op.podsRunningMs, 99), percentile(wave.raw.podsRunningMs, 99))}, throughput ${ratio(wave.leases / op.wallMs, wave.raw.leases / wave.raw.wallMs)}`
      : '';
    rows.push({
      name: `${name}, operator, ${wave.leases} leases: applied → pods Running p50 / p99; → lease Running p50 / p99`,
      value: `${describeTimes(op.podsRunningMs)}; ${describeTimes(op.leasesRunningMs)}${vsRaw}`,
      reference: `all Running after ${seconds(op.wallMs)}; ${(op.requests / wave.leases).toFixed(1)} API requests per lease; CPU (cores): ${describeCpu(op.cpu)}`,
    });
    return rows;
  });
  const objects = total(rest.cacheObjects);
  const bytesPerObject =
    (rest.heapUsedBytes - rest.baseline.heapUsedBytes) /
    Math.max(1, objects - rest.baseline.objects);
  const idleRequests = total(rest.requestsByMethod);
  const restartRequests = total(restart.requestsByMethod);
  const byMethod = (counts: Readonly<Record<string, number>>): string =>
    Object.entries(counts)
      .map(([method, n]) => `${method} ${n}`)
      .join(', ') || 'none';
  const inaccurate = pools.filter((pool) => !pool.accurate);
  const operatorIdleCpu = rest.cpu.cores.operator ?? NaN;
  return {
    title: `Scale: ${options.leases} leases on ${nodes} KWOK GPU nodes`,
    method: `${nodes} KWOK nodes of ${result.gpusPerNode} GPUs in ${options.pools} GpuNodePools; ${options.leases} active ComputeLeases at the end (one 1-GPU replica each, spread over the pools), made in waves. Each wave: first a raw client, acting as the operator's ServiceAccount (same RBAC, admission and API Priority and Fairness level; the leases themselves made by an admin, as a tenant's are), creates ${options.rawPerWave} leases and for each the objects the operator would (desiredObjects: namespace; quota, limits, policies, service account; Deployment) ${options.concurrency} at a time; then those leases get the operator's label and it adopts them (finds every object as it wants it, writes the status); then ${options.wave} leases are created for the operator (a child process impersonating its ServiceAccount, cluster verification), ${options.concurrency} at a time. The raw client goes first so that the operator's leases meet the bigger cluster. Control plane as the shared stack's: kube-apiserver defaults (400 / 200 requests in flight, APF on), controller-manager 200 qps / 400 burst, scheduler and KWOK defaults; both clients meet the same limits. Times run from the create request to the bench's watch seeing the pod Running (or the lease's status Running). At rest: ${options.idleSeconds} s with nothing to do; CPU from /proc/<pid>/stat, RSS from /proc/<pid>/status as found and after a full garbage collection (HeapProfiler.collectGarbage through the operator's inspector on 127.0.0.1; the operator runs as the image does, node dist/main.js built from the working tree, with the chart's heap limit), heap from nodejs_heap_size_used_bytes after that collection, requests from the operator's rest_client_requests_total, cache objects from supercloud_informer_cache_objects. Restart: kill -9, start again (same leader Lease: the new process takes it after seeing it unrenewed for 15 s), until every lease is reconciled (controller_runtime_reconcile_total ≥ leases, queue empty) and Verified and Running. Pools: status against a fresh list of their nodes, pods and leases. CPU figures are cores (1.00 = one core busy) on a machine shared with other work.`,
    figures: [
      ...waveFigures,
      {
        name: 'at rest: operator RSS as found (peak) / after a full GC',
        value: `${mib(rest.rssBytes)} (${mib(rest.peakRssBytes)}) / ${mib(rest.rssAfterGcBytes)}`,
        reference: `≤ 512 MiB; ${mib(rest.baseline.rssBytes)} after a GC with no lease`,
      },
      {
        name: 'at rest: informer cache',
        value: `${objects} objects (${Object.entries(rest.cacheObjects)
          .filter(([, n]) => n > 0)
          .map(([kind, n]) => `${kind.replace(/^.*\//, '')} ${n}`)
          .join(', ')})`,
        reference: `heap after a GC ${mib(rest.heapUsedBytes)} (${mib(rest.baseline.heapUsedBytes)} with no lease): ${(bytesPerObject / 1024).toFixed(1)} KiB per cached object`,
      },
      {
        name: `at rest: operator CPU over ${options.idleSeconds} s`,
        value: percent(operatorIdleCpu),
        reference: `< 2 % of a core; reconciles meanwhile: ${byMethod(rest.reconcilesByController)}`,
      },
      {
        name: 'at rest: API requests per second',
        value: (idleRequests / rest.cpu.seconds).toFixed(2),
        reference: `0 beyond periodic work: ${byMethod(rest.requestsByMethod)} in ${rest.cpu.seconds.toFixed(0)} s`,
      },
      {
        name: 'restart after kill -9: every lease verified and Running again',
        value: seconds(restart.convergedMs),
        reference: `≤ 60 s; process up after ${seconds(restart.servingMs)}, caches synced after ${seconds(restart.cachesSyncedMs)}, leading after ${seconds(restart.leaderMs)} (a new process takes the killed one's Lease after seeing it unrenewed for 15 s); CPU (cores): ${describeCpu(restart.cpu)}`,
      },
      {
        name: 'restart: API requests per lease',
        value: (restartRequests / options.leases).toFixed(3),
        reference: `< 2; ${restartRequests} requests (${byMethod(restart.requestsByMethod)}), ${restart.reconciles} lease reconciles`,
      },
      {
        name: 'GpuNodePool status accuracy at the end',
        value:
          inaccurate.length === 0
            ? `${pools.length} of ${pools.length} pools exact`
            : `${inaccurate.length} of ${pools.length} pools wrong`,
        reference: `free / allocated GPUs, nodes and active leases against the nodes and pods: ${pools
          .map(
            (p) =>
              `${p.pool.replace(/^scale-[^-]+-/, 'pool ')} ${p.status.free} free / ${p.status.allocated} allocated (cluster: ${p.cluster.free} / ${p.cluster.allocated})`,
          )
          .join(
            '; ',
          )}${result.poolsAccurateAfterMs ? `; exact ${seconds(result.poolsAccurateAfterMs)} after the restart converged` : ''}`,
      },
    ],
    ...(inaccurate.length > 0
      ? {
          failures: inaccurate.map(
            (p) =>
              `GpuNodePool ${p.pool}: status ${JSON.stringify(p.status)} but the nodes and pods say ${JSON.stringify(p.cluster)}`,
          ),
        }
      : {}),
  };
}

/** The stack's ports, each free on 127.0.0.1, as the environment test/stack reads them. */
async function ownStackPorts(): Promise<Record<string, string>> {
  const names = [
    'APISERVER',
    'ETCD',
    'ETCD_PEER',
    'CONTROLLER_MANAGER',
    'SCHEDULER',
    'KWOK',
    'ANVIL',
  ];
  const ports: Record<string, string> = {};
  for (const name of names) ports[`SUPERCLOUD_${name}_PORT`] = String(await freePort());
  return ports;
}

/** The run's logs (the operators', the control plane's) where the report goes, for a run to be explained. */
function keepLogs(from: string): void {
  if (!existsSync(from)) return;
  const to = join(stackDir, 'bench', 'scale-logs');
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  console.error(`[scale] logs of the run in ${to}`);
}

/** Where scale-stack.ts writes the section for this process. */
export const scaleResultVariable = 'SUPERCLOUD_SCALE_RESULT';

/**
 * The benchmark section (test/bench/run.ts): the measurement on a stack of its own, brought up in
 * a temporary directory on free ports by a child process (test/bench/scale-stack.ts, which also
 * takes it down), so that the shared stack is left alone.
 */
export async function scaleFigures(): Promise<Section> {
  scaleOptionsFromEnv(); // a bad size fails here, before a stack is started
  const dir = mkdtempSync(join(tmpdir(), 'supercloud-scale-'));
  const resultFile = join(dir, 'section.json');
  const env = {
    ...process.env,
    ...(await ownStackPorts()),
    SUPERCLOUD_STACK_DIR: join(dir, 'stack'),
    [scaleResultVariable]: resultFile,
  };
  const tsx = join(repoRoot, 'node_modules/.bin/tsx');
  try {
    const child = spawnSync(tsx, [join(repoRoot, 'test/bench/scale-stack.ts')], {
      env,
      stdio: 'inherit',
    });
    keepLogs(join(dir, 'logs'));
    if (child.status !== 0) throw new Error(`the scale run failed (exit ${child.status})`);
    return JSON.parse(readFileSync(resultFile, 'utf8')) as Section;
  } finally {
    // The child takes its stack down; this is for a child that was killed.
    spawnSync(tsx, [join(repoRoot, 'test/stack/cli.ts'), 'down'], { env, stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}
