// The market, measured end to end on the stack's anvil and control plane: order → bid
// latency and RPC requests per order; lease created on chain → Deployment created → pods Running;
// withdrawals and their gas for the leases of an hour; the settlement's RPC reads per tick; and
// the time the operator takes to converge after a kill -9 with the leases active, while leases
// were closed and won meanwhile.
import { Contract, type EventLog, type InterfaceAbi, type Wallet } from 'ethers';
import { marketplaceAbi } from '../../operator/src/chain/abi/index.js';
import { ComputeLeaseKind } from '../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  InformerCache,
  PodKind,
  type KubeClient,
} from '../../operator/src/kube/index.js';
import { computeLeaseName } from '../../operator/src/workloads/names.js';
import { acceptBid, advanceChainTime, marketplaceAs } from '../harness/market-steps.js';
import type { OperatorProcess } from '../harness/operator.js';
import { mined, stackTestChain, fundedTenant, type TestChain } from '../harness/test-chain.js';
import { adminClient, installCrdsAndRbac, runId } from '../harness/cluster-fixtures.js';
import { counterTotal } from '../harness/test-run-operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  placeOrder,
  removeSuite,
  startChainOperator,
  type SuitePool,
} from '../harness/market-fixtures.js';
import { waitFor } from '../stack/process.js';
import { percentile, seconds, type Section } from './report.js';

const orders = Number(process.env.SUPERCLOUD_BENCH_ORDERS ?? 200);
const leases = Number(process.env.SUPERCLOUD_BENCH_LEASES ?? 100);
/** Leases closed and won while the operator is down, in the restart measurement. */
const churn = 10;

const ms = (value: number): string => `${Math.round(value)} ms`;

/** Wall time at which each order's first BidPlaced log was seen, by polling logs every 50 ms. */
function watchBids(chain: TestChain): {
  seen: Map<bigint, { at: number; block: number }>;
  stop(): void;
} {
  const market = new Contract(
    chain.contracts.marketplace,
    marketplaceAbi as unknown as InterfaceAbi,
    chain.provider,
  );
  const seen = new Map<bigint, { at: number; block: number }>();
  let from = 0;
  let stopped = false;
  void (async () => {
    while (!stopped) {
      const head = await chain.provider.getBlockNumber();
      if (head >= from) {
        for (const log of await market.queryFilter(market.filters.BidPlaced!(), from, head)) {
          const id = (log as EventLog).args.orderId as bigint;
          if (!seen.has(id)) seen.set(id, { at: Date.now(), block: log.blockNumber });
        }
        from = head + 1;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return { seen, stop: () => (stopped = true) };
}

export async function marketFigures(): Promise<Section> {
  const run = runId();
  const client = adminClient();
  installCrdsAndRbac();
  const chain = stackTestChain();
  const tenant = await fundedTenant(chain);
  const wallet = await chain.freshWallet();
  const pool: SuitePool = {
    name: `bench-mk-${run}`,
    model: `NVIDIA-A100-SXM4-40GB-B${run.toUpperCase()}`,
    memoryMiB: 40_960,
    nodes: [],
  };
  await createSuitePool(client, pool, Math.ceil((orders + churn) / 8));
  await createSuiteProvider(client, `bench-${run}`, run, chain, wallet, {
    withdrawIntervalSeconds: 3600,
    maxOutstandingBids: 10_000,
  });
  let operator = startChainOperator(run);
  const cache = new InformerCache(client);
  try {
    await operator.ready();
    const figures = [];
    const bidding = await orderToBid(chain, tenant, pool, operator);
    figures.push(...bidding.figures);
    const bidOn = bidding.orderIds;
    figures.push(...(await leaseToRunning(chain, cache, tenant, wallet, bidOn.slice(0, leases))));
    figures.push(...(await withdrawals(chain, operator)));
    figures.push(await settlementReads(operator));
    const restart = await convergeAfterRestart(
      chain,
      client,
      tenant,
      wallet,
      operator,
      bidOn.slice(leases, leases + churn),
      bidOn.slice(0, churn),
    );
    operator = restart.operator;
    figures.push(...restart.figures);
    return {
      title: 'Market: orders, leases, settlement, restart',
      method: `The stack's anvil (automine), one pool of ${pool.nodes.length} KWOK nodes (8 GPUs each), the operator as a local process following the chain (poll 250 ms, settlement tick 1 s). ${orders} one-GPU orders placed back to back; ${leases} of them accepted one after another; chain time then advanced one hour; then a kill -9 with ${leases} leases active while ${churn} are closed and ${churn} won, and a restart.`,
      figures,
    };
  } finally {
    await operator.stop();
    await cache.stop();
    await removeSuite(client, run, `bench-${run}`, [pool]);
    await chain.stop();
  }
}

async function orderToBid(
  chain: TestChain,
  tenant: Wallet,
  pool: SuitePool,
  operator: OperatorProcess,
) {
  const watcher = watchBids(chain);
  const requestsBefore = counterTotal(await operator.metrics(), 'supercloud_rpc_requests_total');
  const placed = new Map<bigint, { at: number; block: number }>();
  for (let i = 0; i < orders; i++) {
    const id = await placeOrder(chain, tenant, {
      model: pool.model,
      gpus: 1,
      maxPricePerSecond: 1_000_000n,
      biddingSeconds: 86_400n,
    });
    placed.set(id, { at: Date.now(), block: await chain.provider.getBlockNumber() });
  }
  await waitFor(
    `bids on ${orders} orders`,
    async () => [...placed.keys()].every((id) => watcher.seen.has(id)),
    300_000,
    200,
  );
  watcher.stop();
  const requests =
    counterTotal(await operator.metrics(), 'supercloud_rpc_requests_total') - requestsBefore;
  const latencyMs = [...placed].map(([id, order]) => (watcher.seen.get(id)?.at ?? NaN) - order.at);
  const latencyBlocks = [...placed].map(
    ([id, order]) => (watcher.seen.get(id)?.block ?? NaN) - order.block,
  );
  const figures = [
    {
      name: `order → bid seen on chain, p50 / p99 (${orders} orders)`,
      value: `${ms(percentile(latencyMs, 50))} / ${ms(percentile(latencyMs, 99))}`,
    },
    {
      name: 'order → bid, blocks, p50 / p99',
      value: `${percentile(latencyBlocks, 50)} / ${percentile(latencyBlocks, 99)}`,
      reference:
        'anvil mines a block per transaction: the tenant\u2019s own approvals and orders count too',
    },
    {
      name: 'JSON-RPC requests per order (follow, decide, bid, receipt)',
      value: (requests / orders).toFixed(1),
    },
  ];
  return { figures, orderIds: [...placed.keys()] };
}

async function leaseToRunning(
  chain: TestChain,
  cache: InformerCache,
  tenant: Wallet,
  wallet: Wallet,
  ids: readonly bigint[],
) {
  const createdAt = new Map<string, number>();
  const deploymentAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  const namespaces = new Set(ids.map((id) => computeLeaseName(id.toString())));
  cache.informer(DeploymentKind).addHandler({
    onAdd: (d) => {
      const ns = d.metadata?.namespace ?? '';
      if (namespaces.has(ns) && !deploymentAt.has(ns)) deploymentAt.set(ns, Date.now());
    },
  });
  const podRunning = (pod: { metadata?: { namespace?: string }; status?: { phase?: string } }) => {
    const ns = pod.metadata?.namespace ?? '';
    if (namespaces.has(ns) && pod.status?.phase === 'Running' && !runningAt.has(ns))
      runningAt.set(ns, Date.now());
  };
  cache.informer(PodKind).addHandler({ onAdd: podRunning, onUpdate: (_o, pod) => podRunning(pod) });
  cache.start();
  await cache.waitForSync();
  for (const id of ids) {
    await acceptBid(chain, tenant, id, wallet.address);
    createdAt.set(computeLeaseName(id.toString()), Date.now());
  }
  await waitFor(
    `${ids.length} leases Running`,
    async () => runningAt.size >= ids.length,
    300_000,
    250,
  );
  const toDeployment = [...createdAt].map(([ns, at]) => (deploymentAt.get(ns) ?? NaN) - at);
  const toRunning = [...createdAt].map(([ns, at]) => (runningAt.get(ns) ?? NaN) - at);
  return [
    {
      name: `lease created on chain → Deployment created, p50 / p99 (${ids.length} leases)`,
      value: `${ms(percentile(toDeployment, 50))} / ${ms(percentile(toDeployment, 99))}`,
    },
    {
      name: 'lease created on chain → pods Running, p50 / p99',
      value: `${ms(percentile(toRunning, 50))} / ${ms(percentile(toRunning, 99))}`,
      reference: 'p99 ≤ 5 s (pod-startup SLO)',
    },
  ];
}

async function withdrawals(chain: TestChain, operator: OperatorProcess) {
  const metrics = async () => await operator.metrics();
  const before = counterTotal(await metrics(), 'supercloud_withdrawals_total');
  const fromBlock = (await chain.provider.getBlockNumber()) + 1;
  await advanceChainTime(chain, 3600);
  // Withdrawn once an hour (the Provider's schedule), 50 leases per transaction.
  const expected = Math.ceil(leases / 50);
  await waitFor(
    'the hour\u2019s withdrawals',
    async () => counterTotal(await metrics(), 'supercloud_withdrawals_total') - before >= expected,
    120_000,
    250,
  );
  const market = new Contract(
    chain.contracts.marketplace,
    marketplaceAbi as unknown as InterfaceAbi,
    chain.provider,
  );
  const logs = await market.queryFilter(market.filters.Withdrawn!(), fromBlock);
  const txs = [...new Set(logs.map((log) => log.transactionHash))];
  let gas = 0n;
  for (const tx of txs) gas += (await chain.provider.getTransactionReceipt(tx))?.gasUsed ?? 0n;
  return [
    {
      name: `withdraw transactions per hour (${leases} leases, batches of 50)`,
      value: String(txs.length),
    },
    {
      name: 'gas of an hour\u2019s withdrawals, in all / per lease',
      value: `${gas} / ${gas / BigInt(Math.max(1, logs.length))}`,
      reference: 'Sablier Flow withdraw: 38,178 per stream',
    },
  ];
}

/**
 * The settlement's reads at `leases` active leases: eth_call requests over a quiet 10 s window
 * (ticks of 1 s, nothing paid), per second. They were two per lease per tick before the batch
 * views (getLease and getOrder each); now two per 500 leases. Other components' eth_calls in the
 * window count too, so this is an upper bound.
 */
async function settlementReads(operator: OperatorProcess) {
  const window = 10_000;
  const calls = async () =>
    counterTotal(await operator.metrics(), 'supercloud_rpc_requests_total', { method: 'eth_call' });
  const before = await calls();
  await new Promise((resolve) => setTimeout(resolve, window));
  const perTick = ((await calls()) - before) / (window / 1000);
  return {
    name: `RPC requests (eth_call) per settlement tick at ${leases} active leases`,
    value: perTick.toFixed(1),
    reference: `SUPERCLOUD_BENCH_LEASES=${leases} make bench BENCH=market; target ≤ 50 at 10,000`,
  };
}

async function convergeAfterRestart(
  chain: TestChain,
  client: KubeClient,
  tenant: Wallet,
  wallet: Wallet,
  operator: OperatorProcess,
  toWin: readonly bigint[],
  toClose: readonly bigint[],
) {
  operator.child.kill('SIGKILL');
  await operator.exited;
  for (const id of toWin) await acceptBid(chain, tenant, id, wallet.address);
  for (const id of toClose) await mined(marketplaceAs(chain, tenant).close(id));
  const started = Date.now();
  const restarted = startChainOperator(operatorRun(operator));
  const phaseOf = async (id: bigint) =>
    (await client.get(ComputeLeaseKind, computeLeaseName(id.toString())))?.status?.phase;
  await waitFor(
    'every lease converged after the restart',
    async () => {
      for (const id of toWin) if ((await phaseOf(id)) !== 'Running') return false;
      for (const id of toClose) if ((await phaseOf(id)) !== 'Closed') return false;
      return true;
    },
    300_000,
    250,
  );
  const converged = Date.now() - started;
  const requests = counterTotal(await restarted.metrics(), 'rest_client_requests_total');
  return {
    operator: restarted,
    figures: [
      {
        name: `converge after a kill -9 with ${leases} leases active (${toWin.length} won, ${toClose.length} closed meanwhile)`,
        value: seconds(converged),
        reference: 'from process start to every lease in its phase',
      },
      {
        name: 'API requests of the restarted operator until then, per active lease',
        value: (requests / leases).toFixed(1),
      },
    ],
  };
}

/** The run label the operator serves (its --lease-selector value). */
function operatorRun(operator: OperatorProcess): string {
  const selector = operator.args[operator.args.indexOf('--lease-selector') + 1] ?? '';
  return selector.split('=')[1] ?? '';
}
