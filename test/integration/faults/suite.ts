// The fault suite: lease lifecycles run by tenant lanes against two leader-elected operator
// replicas while faults are injected at points drawn from a seeded PRNG; after each fault, the
// time until every lease is in the phase the chain says; at the end, the zero-loss figures.
// `make bench BENCH=faults` runs it at full size (test/bench/faults.ts), test/e2e/faults.test.ts
// at a size for CI. The world is the market suites' (pools of the run's own KWOK nodes, the run's
// Provider, the operator as a local process), on a private anvil.
import { poolPricePerSecond } from '../../../operator/src/market/pricing.js';
import { componentPid } from '../../stack/kwok.js';
import { isAlive, waitFor } from '../../stack/process.js';
import {
  fundedTenant,
  startTestChain,
  waitForRegistration,
  type TestChain,
} from '../../harness/test-chain.js';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.js';
import { adminClient, installCrdsAndRbac, runId } from '../../harness/cluster-fixtures.js';
import {
  createSuitePool,
  createSuiteProvider,
  removeSuite,
  testPrices,
  type SuitePool,
} from '../../harness/market-fixtures.js';
import { BlockProducer, setMinRun, startOrderIdsAt } from './chain.js';
import {
  formatDivergence,
  waitForAmounts,
  waitForConvergence,
  zeroLossFigures,
  type Finding,
  type World,
  type ZeroLossFigures,
} from './checks.js';
import {
  controlPlaneGuarded,
  ensureControlPlane,
  faultKinds,
  inject,
  isFaultKind,
  thaw,
  type FaultContext,
  type FaultKind,
} from './faults.js';
import { Gate, runLane, type Lifecycle } from './lanes.js';
import { ClusterObserver } from './observer.js';
import { faultSeed, seededRandom } from './prng.js';
import { Replicas } from './replicas.js';

export interface FaultSuiteOptions {
  readonly seed: number;
  /** Lease lifecycles at least (lanes keep starting new ones until every fault is over). */
  readonly lifecycles: number;
  /** Tenants running lifecycles at the same time. */
  readonly lanes: number;
  /** The faults, in any order (the PRNG orders them); a kind may repeat. */
  readonly faults: readonly FaultKind[];
  readonly apiServerSeconds: number;
  readonly apiServerMode: 'freeze' | 'restart' | 'random';
  readonly rpcSeconds: number;
  /** The Provider's confirmations (> 0: a reorg within them is never read). */
  readonly confirmations: number;
  /** A lifecycle with no step forward for this long (calm time) is given up and counted. */
  readonly stallSeconds: number;
  /** How long a convergence may take before it counts as a failure. */
  readonly convergeTimeoutSeconds: number;
  readonly log?: (message: string) => void;
}

/** Defaults of `make bench BENCH=faults`. */
export const benchDefaults: Omit<FaultSuiteOptions, 'seed' | 'log'> = {
  lifecycles: 200,
  lanes: 16,
  faults: faultKinds,
  apiServerSeconds: 30,
  apiServerMode: 'freeze',
  rpcSeconds: 60,
  confirmations: 3,
  stallSeconds: 300,
  convergeTimeoutSeconds: 300,
};

function envNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}: "${value}" is not a number ≥ 0`);
  return n;
}

/**
 * The options from the environment, over `defaults`: SUPERCLOUD_FAULT_SEED (replay),
 * SUPERCLOUD_FAULT_LIFECYCLES, SUPERCLOUD_FAULT_LANES, SUPERCLOUD_FAULTS (comma-separated kinds),
 * SUPERCLOUD_FAULT_APISERVER_SECONDS, SUPERCLOUD_FAULT_APISERVER_MODE (freeze, restart, random),
 * SUPERCLOUD_FAULT_RPC_SECONDS, SUPERCLOUD_FAULT_CONFIRMATIONS, SUPERCLOUD_FAULT_STALL_SECONDS,
 * SUPERCLOUD_FAULT_CONVERGE_SECONDS.
 */
export function faultOptionsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  defaults: Omit<FaultSuiteOptions, 'seed' | 'log'> = benchDefaults,
): FaultSuiteOptions {
  const faults = env.SUPERCLOUD_FAULTS
    ? env.SUPERCLOUD_FAULTS.split(',')
        .map((kind) => kind.trim())
        .filter((kind) => kind !== '')
    : defaults.faults;
  for (const kind of faults) {
    if (!isFaultKind(kind)) {
      throw new Error(`SUPERCLOUD_FAULTS: no fault "${kind}"; known: ${faultKinds.join(', ')}`);
    }
  }
  const mode = env.SUPERCLOUD_FAULT_APISERVER_MODE ?? defaults.apiServerMode;
  if (mode !== 'freeze' && mode !== 'restart' && mode !== 'random') {
    throw new Error(`SUPERCLOUD_FAULT_APISERVER_MODE: "${mode}" is not freeze, restart or random`);
  }
  const confirmations = envNumber(env, 'SUPERCLOUD_FAULT_CONFIRMATIONS', defaults.confirmations);
  if (confirmations < 2) {
    throw new Error('SUPERCLOUD_FAULT_CONFIRMATIONS: at least 2 (a reorg within them needs room)');
  }
  return {
    seed: faultSeed(env.SUPERCLOUD_FAULT_SEED),
    lifecycles: envNumber(env, 'SUPERCLOUD_FAULT_LIFECYCLES', defaults.lifecycles),
    lanes: Math.max(1, envNumber(env, 'SUPERCLOUD_FAULT_LANES', defaults.lanes)),
    faults: faults as FaultKind[],
    apiServerSeconds: envNumber(
      env,
      'SUPERCLOUD_FAULT_APISERVER_SECONDS',
      defaults.apiServerSeconds,
    ),
    apiServerMode: mode,
    rpcSeconds: envNumber(env, 'SUPERCLOUD_FAULT_RPC_SECONDS', defaults.rpcSeconds),
    confirmations,
    stallSeconds: envNumber(env, 'SUPERCLOUD_FAULT_STALL_SECONDS', defaults.stallSeconds),
    convergeTimeoutSeconds: envNumber(
      env,
      'SUPERCLOUD_FAULT_CONVERGE_SECONDS',
      defaults.convergeTimeoutSeconds,
    ),
  };
}

/** One injected fault and what followed. */
export interface FaultRecord {
  readonly kind: FaultKind;
  /** Lifecycles started when it was injected. */
  readonly atLifecycle: number;
  readonly detail: string;
  readonly faultMs: number;
  /** From the fault's end to every lease in the phase the chain says; undefined: it did not converge. */
  readonly convergeMs?: number;
  /** What still differed when the convergence timed out. */
  readonly left: readonly string[];
  /** Leases an earlier fault left diverging, not waited for again (reported there). */
  readonly ignored: readonly string[];
  readonly error?: string;
}

export interface FaultSuiteResult {
  readonly options: FaultSuiteOptions;
  readonly run: string;
  readonly wallMs: number;
  readonly lifecycles: readonly Lifecycle[];
  readonly faults: readonly FaultRecord[];
  readonly figures: ZeroLossFigures;
  /** The final convergence, after the last lifecycle. */
  readonly finalConvergeMs?: number;
  readonly finalLeft: readonly string[];
  /** Every zero-loss figure that is not zero, and every fault that did not converge. */
  readonly failures: readonly string[];
  /** Chain seconds added between faults so that leases accrue and run out. */
  readonly chainSecondsJumped: number;
  /** The operator processes' logs. */
  readonly logs: readonly string[];
}

/** Chain parameters: a short minimum run and a fast clock between faults, so leases end in seconds. */
const minRunSeconds = 600;
const withdrawIntervalSeconds = 120;
const blockMs = 1_000;
/** Chain seconds added at each block between faults: 20 chain seconds per second of wall time. */
const jumpSeconds = 19;
/** A tenant closing its lease waits at most this long (chain time) after the first withdrawal. */
const closeAfterMaxSeconds = 240;
/** Calm time between two faults (the chain's clock fast again, lanes moving). */
const calmBetweenFaultsMs = 5_000;

export async function runFaultSuite(options: FaultSuiteOptions): Promise<FaultSuiteResult> {
  const log =
    options.log ?? ((message: string) => void process.stderr.write(`[faults] ${message}\n`));
  const started = Date.now();
  log(`seed ${options.seed} (replay with SUPERCLOUD_FAULT_SEED=${options.seed})`);
  const random = seededRandom(options.seed);
  const scheduleRandom = random.fork();
  const faultRandom = random.fork();
  const laneRandoms = Array.from({ length: options.lanes }, () => random.fork());

  const run = runId();
  const client = adminClient();
  // A stack left SIGSTOPped by a killed earlier run would hang everything.
  const apiServer = componentPid('kube-apiserver');
  if (apiServer !== undefined && isAlive(apiServer)) process.kill(apiServer, 'SIGCONT');
  await ensureControlPlane(log);
  installCrdsAndRbac();

  const providerName = `faults-${run}`;
  const pool: SuitePool = {
    name: `flt-${run}`,
    model: `NVIDIA-A100-SXM4-40GB-F${run.toUpperCase()}`,
    memoryMiB: 40_960,
    nodes: [],
  };
  let chain: TestChain | undefined;
  let proxy: TcpProxy | undefined;
  let replicas: Replicas | undefined;
  let producer: BlockProducer | undefined;
  const observer = new ClusterObserver(client, run);
  let logs: string[] = [];
  let result: Omit<FaultSuiteResult, 'logs'>;
  try {
    chain = await startTestChain(`faults-${run}`);
    // Lease ids of this run: far from every other run's and the stack's (names are per id).
    await startOrderIdsAt(chain, BigInt(Date.now()) * 100n);
    await setMinRun(chain, minRunSeconds);
    const wallet = await chain.freshWallet();
    // Room for every lane's lease and for bids still held on orders a lane gave up.
    await createSuitePool(client, pool, Math.ceil(options.lanes / 8) + 2);
    proxy = await startTcpProxy(chain.port);
    await createSuiteProvider(client, providerName, run, chain, wallet, {
      rpcUrl: proxy.url,
      confirmations: options.confirmations,
      withdrawIntervalSeconds,
      maxOutstandingBids: 10_000,
    });
    replicas = new Replicas(run, 2);
    const leader = await replicas.waitForLeader(180_000);
    await replicas.slots[leader]!.ready();
    const testChain = chain;
    producer = new BlockProducer(testChain, blockMs, jumpSeconds);
    producer.start();
    await waitForRegistration(testChain, wallet.address, 120_000);
    await observer.start();
    const tenants = await Promise.all(
      Array.from({ length: options.lanes }, () => fundedTenant(testChain)),
    );
    log(
      `run ${run}: ${options.lanes} tenants, ${pool.nodes.length} nodes of 8 GPUs, confirmations ${options.confirmations}, replicas' logs in .stack/logs/faults-${run}-operator-*.log`,
    );

    const world: World = { chain, client, run, provider: wallet.address, observer };
    const gate = new Gate();
    // Calm time: the chain's clock is fast and the tenants move; it stands still during faults.
    let faultActive = false;
    let finished = false;
    let calmTotal = 0;
    let calmSince: number | undefined;
    const calmClock = (): number => calmTotal + (calmSince ? Date.now() - calmSince : 0);
    const updateCalm = (): void => {
      const calm = !faultActive && gate.isOpen && !finished;
      producer!.fast = calm;
      if (calm && calmSince === undefined) calmSince = Date.now();
      if (!calm && calmSince !== undefined) {
        calmTotal += Date.now() - calmSince;
        calmSince = undefined;
      }
    };
    updateCalm();

    // The fault schedule: the order of the faults and the lifecycle counts they wait for.
    const order = scheduleRandom.shuffle(options.faults);
    const low = Math.max(1, Math.ceil(options.lifecycles * 0.1));
    const high = Math.max(low, Math.floor(options.lifecycles * 0.8));
    const thresholds = order.map(() => scheduleRandom.int(low, high)).sort((a, b) => a - b);
    log(`schedule: ${order.map((kind, i) => `${kind} at lifecycle ${thresholds[i]}`).join(', ')}`);

    const lifecycles: Lifecycle[] = [];
    let faultsDone = order.length === 0;
    const rate = poolPricePerSecond(testPrices, {
      gpuCount: 1,
      cpuMillicores: 1000,
      memoryMiB: 1024,
      storageMiB: 1024,
    });
    const lanes = tenants.map((tenant, lane) =>
      runLane(lane, tenant, laneRandoms[lane]!, {
        chain: testChain,
        provider: wallet.address,
        pool,
        observer,
        gate,
        // Run out after ~5% more than the minimum run, or last 8 minimum runs (closed before).
        maxPrice: { exhaust: (rate * 21n + 19n) / 20n, close: rate * 8n },
        stallMs: options.stallSeconds * 1000,
        clock: calmClock,
        closeAfterMaxSeconds,
        wantMore: () => lifecycles.length < options.lifecycles || !faultsDone,
        onStart: (lifecycle) => lifecycles.push(lifecycle),
        onEnd: (lifecycle) => {
          if (lifecycle.outcome === 'stalled') {
            log(`lifecycle ${lifecycle.lane}/${lifecycle.index} stalled: ${lifecycle.stalled}`);
          }
        },
        log,
      }),
    );

    const progress = setInterval(() => {
      const done = lifecycles.filter((l) => l.endedAt !== undefined).length;
      log(`${done}/${options.lifecycles} lifecycles done, ${lifecycles.length - done} in progress`);
    }, 30_000);
    progress.unref();

    const context: FaultContext = {
      chain,
      proxy,
      replicas,
      producer,
      confirmations: options.confirmations,
      withdrawIntervalSeconds,
      apiServerMs: options.apiServerSeconds * 1000,
      apiServerMode: options.apiServerMode,
      rpcMs: options.rpcSeconds * 1000,
      random: faultRandom,
      log,
      begin: () => {
        faultStarted = Date.now();
        faultActive = true;
        updateCalm();
      },
    };
    const records: FaultRecord[] = [];
    /** Leases a fault left diverging (its convergence timed out): later faults do not wait for them. */
    const stuck = new Set<string>();
    let faultStarted = 0;
    const faultRunner = (async () => {
      let calmFrom = Date.now();
      for (const [i, kind] of order.entries()) {
        await waitFor(
          `lifecycle ${thresholds[i]} started`,
          async () =>
            lifecycles.length >= thresholds[i]! && Date.now() - calmFrom >= calmBetweenFaultsMs,
          24 * 3600_000,
          200,
        );
        const atLifecycle = lifecycles.length;
        log(`fault ${i + 1}/${order.length}: ${kind} (lifecycle ${atLifecycle})`);
        faultStarted = Date.now();
        let detail = '';
        let error: string | undefined;
        let endedAt: number;
        try {
          const outcome = await inject(kind, context);
          detail = outcome.detail;
          endedAt = outcome.endedAt;
        } catch (caught) {
          error = caught instanceof Error ? caught.message : String(caught);
          endedAt = Date.now();
        }
        gate.close();
        updateCalm();
        const converged = await waitForConvergence(
          world,
          options.convergeTimeoutSeconds * 1000,
          stuck,
        );
        const convergeMs = converged.ms === undefined ? undefined : Date.now() - endedAt;
        const left = converged.left.filter((d) => !stuck.has(d.leaseId));
        const ignored = converged.left.filter((d) => stuck.has(d.leaseId));
        if (convergeMs === undefined) for (const d of left) stuck.add(d.leaseId);
        log(
          `fault ${i + 1}/${order.length}: ${kind}: ${error ?? detail}; ${convergeMs === undefined ? `not converged after ${options.convergeTimeoutSeconds} s: ${left.slice(0, 5).map(formatDivergence).join('; ')}` : `converged in ${(convergeMs / 1000).toFixed(1)} s`}${ignored.length > 0 ? ` (not waiting again for ${ignored.length} leases an earlier fault left diverging)` : ''}`,
        );
        records.push({
          kind,
          atLifecycle,
          detail,
          faultMs: endedAt - faultStarted,
          ...(convergeMs === undefined ? {} : { convergeMs }),
          left: left.map(formatDivergence),
          ignored: ignored.map(formatDivergence),
          ...(error ? { error } : {}),
        });
        faultActive = false;
        gate.open();
        updateCalm();
        calmFrom = Date.now();
      }
      faultsDone = true;
    })();

    await Promise.all([...lanes, faultRunner]);
    clearInterval(progress);
    await controlPlaneGuarded();
    finished = true;
    gate.close();
    updateCalm();
    log('every lifecycle ended; waiting for the final convergence');
    const final = await waitForConvergence(world, options.convergeTimeoutSeconds * 1000);
    await waitForAmounts(world, 60_000);
    const figures = await zeroLossFigures(world);

    const failures: string[] = [];
    const count = (what: string, findings: readonly Finding[]) => {
      if (findings.length > 0) {
        failures.push(
          `${what}: ${findings.length} (${findings
            .slice(0, 5)
            .map((f) => `${f.leaseId}: ${f.detail}`)
            .join('; ')}${findings.length > 5 ? '; …' : ''})`,
        );
      }
    };
    count('leases lost', figures.lost);
    count('leases doubled', figures.doubled);
    count('leases orphaned', figures.orphaned);
    count('leases wrongly closed', figures.wronglyClosed);
    count('amount mismatches', figures.amountMismatches);
    const stalled = lifecycles.filter((l) => l.outcome === 'stalled');
    if (stalled.length > 0) {
      failures.push(
        `lifecycles stalled: ${stalled.length} (${stalled
          .slice(0, 5)
          .map((l) => `lane ${l.lane} #${l.index}: ${l.stalled}`)
          .join('; ')})`,
      );
    }
    for (const record of records) {
      if (record.error) failures.push(`fault ${record.kind} failed: ${record.error}`);
      else if (record.convergeMs === undefined) {
        failures.push(`no convergence after ${record.kind}: ${record.left.slice(0, 5).join('; ')}`);
      }
    }
    if (final.ms === undefined) {
      failures.push(
        `no final convergence: ${final.left.slice(0, 5).map(formatDivergence).join('; ')}`,
      );
    }
    if (figures.balance === 0n) failures.push('the provider was paid nothing');
    result = {
      options,
      run,
      wallMs: Date.now() - started,
      lifecycles,
      faults: records,
      figures,
      ...(final.ms === undefined ? {} : { finalConvergeMs: final.ms }),
      finalLeft: final.left.map(formatDivergence),
      failures,
      chainSecondsJumped: producer.jumped,
    };
  } finally {
    thaw();
    await controlPlaneGuarded();
    await proxy?.up().catch(() => undefined);
    await producer?.stop();
    await observer.stop().catch(() => undefined);
    if (replicas) logs = await replicas.stop();
    await removeSuite(client, run, providerName, [pool]);
    await proxy?.down();
    await chain?.stop();
  }
  return { ...result, logs };
}
