// The market on a chain that takes a block to mine: a private anvil mining a block every second
// (the stack's anvil mines one per transaction, where "blocks" mean nothing). Three measurements:
// a burst of orders placed back to back, bid on by the operator (order confirmed → bid mined, in
// blocks, and RPC requests per order); the same bids sent by one wallet as one transaction each
// with pipelined nonces beside one placeBids transaction (gas and blocks, the alternative the
// operator did not take: docs/adr/0014-batched-bids.md); and the settlement withdrawing from
// 10,000 leases in batches sized from the block gas limit (gas per settled lease).
import { Contract, Interface, toUtf8Bytes, type InterfaceAbi, type Wallet } from 'ethers';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
  providerRegistryAbi,
} from '../../operator/src/chain/abi/index.js';
import { decodeLogs, marketplaceEventsNamed } from '../../operator/src/chain/events.js';
import { gpuModelId } from '../../operator/src/chain/identifiers.js';
import { RpcPool } from '../../operator/src/chain/rpc.js';
import { TransactionSender } from '../../operator/src/chain/tx-sender.js';
import { ProviderKind } from '../../operator/src/api/kinds.js';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { LeaseFacts } from '../../operator/src/market/lease-facts.js';
import { rpcLeaseReader } from '../../operator/src/market/lease-reader.js';
import { Settlement } from '../../operator/src/market/settlement.js';
import { canonicalManifest } from '../../operator/src/workloads/canonical.js';
import {
  adminClient,
  gpuManifest,
  installCrdsAndRbac,
  runId,
} from '../harness/cluster-fixtures.js';
import {
  createSuitePool,
  createSuiteProvider,
  removeSuite,
  startChainOperator,
  type SuitePool,
} from '../harness/market-fixtures.js';
import type { OperatorProcess } from '../harness/operator.js';
import {
  fundedTenant,
  mined,
  registerProvider,
  startTestChain,
  type TestChain,
} from '../harness/test-chain.js';
import { counterTotal } from '../harness/test-run-operator.js';
import { waitFor } from '../stack/process.js';
import { percentile, seconds, type Figure, type Section } from './report.js';

const orders = Number(process.env.SUPERCLOUD_BENCH_ORDERS ?? 200);
const settledLeases = Number(process.env.SUPERCLOUD_BENCH_SETTLED_LEASES ?? 10_000);
/** The Provider's confirmations (its default): an order is confirmed this many blocks after it. */
const confirmations = 2;
const blockTimeSeconds = 1;

const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);

/** A contract call to sign and send. */
interface Call {
  readonly to: string;
  readonly data: string;
}

export async function chainScaleFigures(): Promise<Section> {
  const chain = await startTestChain(`bench-chain-scale-${runId()}`);
  try {
    await chain.rpc('evm_setAutomine', [false]);
    await chain.rpc('evm_setIntervalMining', [blockTimeSeconds]);
    const burst = await burstOfBids(chain);
    const compared = await bidTransactionsCompared(chain, burst.orderIds);
    const settlement = await settlementAtScale(chain);
    return {
      title: 'Chain at scale: bids and withdrawals on a chain with 1 s blocks',
      method: `A private anvil mining a block every ${blockTimeSeconds} s (30M gas), the operator as a local process (follower poll 250 ms, Provider confirmations ${confirmations}). ${orders} one-GPU orders sent back to back by one tenant (pipelined nonces, not waiting for receipts); then the same bids as ${orders} placeBid transactions of one wallet with pipelined nonces, and as one placeBids; then ${settledLeases.toLocaleString('en-US')} leases of one provider an hour old, withdrawn by the operator's settlement (in process, no cluster objects) in batches sized from the block gas limit.`,
      figures: [...burst.figures, ...compared, ...settlement],
    };
  } finally {
    await chain.stop();
  }
}

/**
 * Signs `calls` as `wallet` with consecutive nonces and a fixed gas limit, sends them all without
 * waiting, and returns their receipts once every one is mined. `mineAtOnce` mines blocks back to
 * back instead of waiting for the interval (set-up, not measurements).
 */
async function sendPipelined(
  chain: TestChain,
  wallet: Wallet,
  calls: readonly Call[],
  gasLimit: bigint,
  mineAtOnce = false,
) {
  const first = await chain.provider.getTransactionCount(wallet.address, 'pending');
  const tip = BigInt(await chain.rpc<string>('eth_maxPriorityFeePerGas'));
  const hashes: string[] = [];
  const chunk = 200;
  for (let start = 0; start < calls.length; start += chunk) {
    const signed = await Promise.all(
      calls.slice(start, start + chunk).map((call, i) =>
        wallet.signTransaction({
          type: 2,
          chainId: chain.chainId,
          nonce: first + start + i,
          to: call.to,
          data: call.data,
          gasLimit,
          maxFeePerGas: 1_000_000_000_000n,
          maxPriorityFeePerGas: tip,
        }),
      ),
    );
    hashes.push(
      ...(await Promise.all(
        signed.map((raw) => chain.rpc<string>('eth_sendRawTransaction', [raw])),
      )),
    );
  }
  const last = first + calls.length;
  await waitFor(
    `${calls.length} transactions of ${wallet.address} mined`,
    async () => {
      if (mineAtOnce) await chain.rpc('evm_mine');
      return (await chain.provider.getTransactionCount(wallet.address, 'latest')) >= last;
    },
    1_800_000,
    mineAtOnce ? 0 : 200,
  );
  const receipts = [];
  for (let start = 0; start < hashes.length; start += chunk) {
    receipts.push(
      ...(await Promise.all(
        hashes.slice(start, start + chunk).map(async (hash) => {
          const receipt = await chain.provider.getTransactionReceipt(hash);
          if (!receipt || receipt.status !== 1) throw new Error(`transaction ${hash} failed`);
          return receipt;
        }),
      )),
    );
  }
  return receipts;
}

/** A wallet with plenty of gas money for thousands of transactions. */
async function richWallet(chain: TestChain): Promise<Wallet> {
  const wallet = await chain.freshWallet();
  await chain.rpc('anvil_setBalance', [wallet.address, `0x${(10n ** 24n).toString(16)}`]);
  return wallet;
}

/** `count` orders of `tenant` (allowance given first), as calls; the tenant needs tokens. */
async function orderCalls(
  chain: TestChain,
  tenant: Wallet,
  count: number,
  model: string,
  manifest: Uint8Array,
): Promise<Call[]> {
  const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
  const maxPricePerSecond = 1_000_000n;
  const deposit = maxPricePerSecond * (await market.minRunSeconds());
  await mined(
    connectContract(mockErc20Abi, chain.contracts.token, tenant).approve(
      chain.contracts.marketplace,
      2n ** 255n,
    ),
  );
  const data = marketplaceInterface.encodeFunctionData('createOrder', [
    {
      gpuModel: gpuModelId(model),
      gpuCount: 1n,
      gpuMemoryMiB: 0n,
      cpuMillicores: 1000n,
      memoryMiB: 1024n,
      storageMiB: 1024n,
    },
    maxPricePerSecond,
    86_400n,
    deposit,
    manifest,
  ]);
  return Array.from({ length: count }, () => ({ to: chain.contracts.marketplace, data }));
}

/** The order ids of createOrder receipts, with the block each was mined in. */
function createdOrders(
  chain: TestChain,
  receipts: readonly { logs: readonly unknown[]; blockNumber: number }[],
): Map<bigint, number> {
  const created = new Map<bigint, number>();
  for (const receipt of receipts) {
    const events = decodeLogs(receipt.logs as Parameters<typeof decodeLogs>[0], chain.contracts);
    for (const event of marketplaceEventsNamed(events, 'OrderCreated')) {
      created.set(event.args.orderId, receipt.blockNumber);
    }
  }
  return created;
}

/** The first block with a BidPlaced of `provider` on each order, from `fromBlock` on. */
async function bidBlocks(
  chain: TestChain,
  provider: string,
  fromBlock: number,
): Promise<Map<bigint, { block: number; tx: string }>> {
  const market = new Contract(
    chain.contracts.marketplace,
    marketplaceAbi as unknown as InterfaceAbi,
    chain.provider,
  );
  const logs = await market.queryFilter(market.filters.BidPlaced!(null, provider), fromBlock);
  const bids = new Map<bigint, { block: number; tx: string }>();
  for (const log of decodeLogs(logs, chain.contracts)) {
    if (log.name !== 'BidPlaced' || bids.has(log.args.orderId)) continue;
    bids.set(log.args.orderId, { block: log.blockNumber, tx: log.transactionHash });
  }
  return bids;
}

async function gasOf(chain: TestChain, hashes: Iterable<string>): Promise<bigint> {
  let gas = 0n;
  for (const hash of new Set(hashes)) {
    gas += (await chain.provider.getTransactionReceipt(hash))?.gasUsed ?? 0n;
  }
  return gas;
}

/**
 * The operator's JSON-RPC requests of the bid path, by what they are for: its reads of orders and
 * bids are its only eth_calls while no lease is active.
 */
const bidRequests = {
  reads: ['eth_call'],
  transactions: [
    'eth_getTransactionCount',
    'eth_estimateGas',
    'eth_maxPriorityFeePerGas',
    'eth_sendRawTransaction',
    'eth_getTransactionReceipt',
  ],
};

/** The operator's JSON-RPC requests so far: all of them, and those of the bid path. */
async function rpcRequests(operator: OperatorProcess) {
  const text = await operator.metrics();
  const total = (methods: readonly string[]) =>
    methods.reduce(
      (sum, method) => sum + counterTotal(text, 'supercloud_rpc_requests_total', { method }),
      0,
    );
  return {
    all: counterTotal(text, 'supercloud_rpc_requests_total'),
    reads: total(bidRequests.reads),
    transactions: total(bidRequests.transactions),
  };
}

/**
 * The operator bids on a burst of orders sent back to back: blocks from each order's
 * confirmation (its block + the Provider's confirmations) to the block its bid was mined in.
 */
async function burstOfBids(chain: TestChain) {
  const run = runId();
  const client: KubeClient = adminClient();
  installCrdsAndRbac();
  const pool: SuitePool = {
    name: `bench-cs-${run}`,
    model: `NVIDIA-A100-SXM4-40GB-C${run.toUpperCase()}`,
    memoryMiB: 40_960,
    nodes: [],
  };
  const providerName = `bench-cs-${run}`;
  const wallet = await chain.freshWallet();
  await createSuitePool(client, pool, Math.ceil(orders / 8));
  await createSuiteProvider(client, providerName, run, chain, wallet, {
    confirmations,
    maxOutstandingBids: 10_000,
  });
  const operator = startChainOperator(run);
  try {
    await operator.ready();
    const registry = connectContract(providerRegistryAbi, chain.contracts.registry, chain.provider);
    await waitFor('the provider registered', () => registry.isRegistered(wallet.address), 120_000);
    await waitFor(
      'the follower to run',
      async () =>
        (await client.get(ProviderKind, providerName))?.status?.lastProcessedBlock !== undefined,
      120_000,
      200,
    );
    const tenant = await fundedTenant(chain);
    const manifest = toUtf8Bytes(canonicalManifest(gpuManifest(1)));
    const calls = await orderCalls(chain, tenant, orders, pool.model, manifest);
    const gasLimit =
      ((await chain.provider.estimateGas({ from: tenant.address, ...calls[0]! })) * 13n) / 10n;

    const nonceBefore = await chain.provider.getTransactionCount(wallet.address, 'latest');
    const requestsBefore = await rpcRequests(operator);
    const started = Date.now();
    const receipts = await sendPipelined(chain, tenant, calls, gasLimit);
    const sentMs = Date.now() - started;
    const placed = createdOrders(chain, receipts);
    const firstBlock = Math.min(...placed.values());
    let bids = new Map<bigint, { block: number; tx: string }>();
    await waitFor(
      `bids on ${placed.size} orders`,
      async () => {
        bids = await bidBlocks(chain, wallet.address, firstBlock);
        return [...placed.keys()].every((id) => bids.has(id));
      },
      600_000,
      250,
    );
    const windowMs = Date.now() - started;
    const requestsAfter = await rpcRequests(operator);
    const perOrder = (what: 'all' | 'reads' | 'transactions') =>
      ((requestsAfter[what] - requestsBefore[what]) / orders).toFixed(2);
    const bidTransactions =
      (await chain.provider.getTransactionCount(wallet.address, 'latest')) - nonceBefore;
    const afterConfirmation = [...placed].map(
      ([id, block]) => (bids.get(id)?.block ?? NaN) - (block + confirmations),
    );
    const orderBlocks = new Set(placed.values());
    const gas = await gasOf(
      chain,
      [...bids.values()].map((bid) => bid.tx),
    );
    const figures: Figure[] = [
      {
        name: `${orders} orders sent back to back`,
        value: `${seconds(sentMs)}, mined in ${orderBlocks.size} blocks`,
      },
      {
        name: 'order confirmed → its bid mined, blocks, p50 / p99 / max',
        value: `${percentile(afterConfirmation, 50)} / ${percentile(afterConfirmation, 99)} / ${Math.max(...afterConfirmation)}`,
        reference: 'target p99 ≤ 2',
      },
      {
        name: 'bid transactions for the burst (bids per transaction)',
        value: `${bidTransactions} (${(placed.size / Math.max(1, bidTransactions)).toFixed(1)})`,
      },
      {
        name: 'gas per bid, intrinsic cost included',
        value: (gas / BigInt(placed.size)).toLocaleString('en-US'),
      },
      {
        name: 'JSON-RPC requests of the operator per order: all / reading orders and bids (eth_call) / sending bids',
        value: `${perOrder('all')} / ${perOrder('reads')} / ${perOrder('transactions')}`,
        reference: `all: from the first order sent to the last bid seen (${seconds(windowMs)}), the follower's polls and the sweeps included`,
      },
    ];
    return { figures, orderIds: [...placed.keys()] };
  } finally {
    await operator.stop();
    await removeSuite(client, run, providerName, [pool]);
  }
}

/**
 * The same bids sent by a provider wallet as one placeBid transaction each with pipelined nonces
 * (what nonce pipelining in the sender would send), and by another as one placeBids.
 */
async function bidTransactionsCompared(
  chain: TestChain,
  orderIds: readonly bigint[],
): Promise<Figure[]> {
  const price = 1_000n;
  const pipelining = await richWallet(chain);
  const batching = await richWallet(chain);
  await registerProvider(chain, pipelining);
  await registerProvider(chain, batching);
  const to = chain.contracts.marketplace;
  const single = orderIds.map((id) => ({
    to,
    data: marketplaceInterface.encodeFunctionData('placeBid', [id, price]),
  }));
  const startBlock = await chain.provider.getBlockNumber();
  const pipelined = await sendPipelined(chain, pipelining, single, 150_000n);
  const pipelinedBlocks = Math.max(...pipelined.map((r) => r.blockNumber)) - startBlock;
  const pipelinedGas = pipelined.reduce((sum, r) => sum + r.gasUsed, 0n);
  const batchStart = await chain.provider.getBlockNumber();
  const [batch] = await sendPipelined(
    chain,
    batching,
    [
      {
        to,
        data: marketplaceInterface.encodeFunctionData('placeBids', [
          orderIds,
          orderIds.map(() => price),
        ]),
      },
    ],
    BigInt(orderIds.length) * 60_000n + 100_000n,
  );
  const perBid = (gas: bigint) => (gas / BigInt(orderIds.length)).toLocaleString('en-US');
  return [
    {
      name: `${orderIds.length} bids as placeBid transactions, pipelined nonces: gas per bid / blocks to mine them`,
      value: `${perBid(pipelinedGas)} / ${pipelinedBlocks}`,
      reference: 'nonce pipelining (not taken)',
    },
    {
      name: `${orderIds.length} bids as one placeBids: gas per bid / blocks to mine it`,
      value: `${perBid(batch!.gasUsed)} / ${batch!.blockNumber - batchStart}`,
      reference: 'batched bids (taken)',
    },
  ];
}

/**
 * `settledLeases` leases of one provider, an hour old, withdrawn by the settlement's tick: the
 * batches it sizes from the block gas limit, their gas and the blocks they took.
 */
async function settlementAtScale(chain: TestChain): Promise<Figure[]> {
  const tenant = await richWallet(chain);
  await mined(
    connectContract(mockErc20Abi, chain.contracts.token, tenant).mint(tenant.address, 10n ** 18n),
  );
  const provider = await richWallet(chain);
  await registerProvider(chain, provider);
  const setupStarted = Date.now();
  const manifest = toUtf8Bytes('services: []\n');
  const calls = await orderCalls(chain, tenant, settledLeases, 'NVIDIA-H100-80GB-HBM3', manifest);
  const ids = [...createdOrders(chain, await sendPipelined(chain, tenant, calls, 400_000n, true))];
  const leaseIds = ids.map(([id]) => id);
  const bidsPerCall = 250;
  const bidCalls: Call[] = [];
  for (let i = 0; i < leaseIds.length; i += bidsPerCall) {
    const slice = leaseIds.slice(i, i + bidsPerCall);
    bidCalls.push({
      to: chain.contracts.marketplace,
      data: marketplaceInterface.encodeFunctionData('placeBids', [slice, slice.map(() => 500n)]),
    });
  }
  await sendPipelined(chain, provider, bidCalls, 15_000_000n, true);
  await sendPipelined(
    chain,
    tenant,
    leaseIds.map((id) => ({
      to: chain.contracts.marketplace,
      data: marketplaceInterface.encodeFunctionData('acceptBid', [id, provider.address, 500n]),
    })),
    200_000n,
    true,
  );
  await chain.rpc('evm_increaseTime', [3600]);
  await chain.rpc('evm_mine');
  const setupMs = Date.now() - setupStarted;

  let requests = 0;
  const rpc = new RpcPool({
    urls: [chain.rpcUrl],
    chainId: chain.chainId,
    onRequest: () => requests++,
  });
  const sender = new TransactionSender({
    rpc,
    signer: provider,
    chainId: chain.chainId,
    pollIntervalMs: 250,
  });
  const reader = rpcLeaseReader(rpc, chain.contracts.marketplace, chain.contracts.deployBlock);
  const settlement = new Settlement({
    reader,
    // The chain side alone: the leases are the sync's active ones, no ComputeLease reports.
    sync: { activeLeases: () => leaseIds, sync: async () => undefined },
    facts: new LeaseFacts({ reader }),
    sender,
    objects: { list: () => [], get: () => undefined, writeStatus: async () => {}, warn: () => {} },
    marketplace: chain.contracts.marketplace,
    provider: provider.address,
    policy: () => ({
      withdrawIntervalSeconds: 3600,
      batchSize: 500,
      closeExhaustedLeases: true,
      minWithdrawAmount: 1n,
      fundingWarningSeconds: 3600,
    }),
  });
  try {
    const fromBlock = (await chain.provider.getBlockNumber()) + 1;
    const started = Date.now();
    await settlement.tick();
    const tickMs = Date.now() - started;
    const requestsOfTick = requests;
    const toBlock = await chain.provider.getBlockNumber();
    const logs = await chain.provider.getLogs({
      address: chain.contracts.marketplace,
      topics: [marketplaceInterface.getEvent('Withdrawn')!.topicHash],
      fromBlock,
      toBlock,
    });
    const withdrawn = marketplaceEventsNamed(decodeLogs(logs, chain.contracts), 'Withdrawn');
    const settled = new Set(withdrawn.map((event) => event.args.leaseId)).size;
    const txs = [...new Set(logs.map((log) => log.transactionHash))];
    const receipts = await Promise.all(txs.map((tx) => chain.provider.getTransactionReceipt(tx)));
    const gas = receipts.reduce((sum, r) => sum + (r?.gasUsed ?? 0n), 0n);
    const largest = Math.max(...receipts.map((r) => Number(r?.gasUsed ?? 0n)));
    const blocks = new Set(receipts.map((r) => r?.blockNumber)).size;
    const gasLimit = (await chain.provider.getBlock('latest'))?.gasLimit ?? 0n;
    // The tick of every interval: the same 10,000 active leases read, nothing due to withdraw.
    requests = 0;
    const restStarted = Date.now();
    await settlement.tick();
    const restMs = Date.now() - restStarted;
    const restRequests = requests;
    return [
      {
        name: `leases settled in one settlement tick`,
        value: `${settled.toLocaleString('en-US')} of ${leaseIds.length.toLocaleString('en-US')}`,
        reference: `set-up (orders, bids, acceptances): ${seconds(setupMs)}`,
      },
      {
        name: 'withdraw transactions (leases per transaction) / blocks they were mined in',
        value: `${txs.length} (${Math.round(settled / Math.max(1, txs.length))}) / ${blocks}`,
      },
      {
        name: 'gas per settled lease, intrinsic cost included',
        value: (gas / BigInt(Math.max(1, settled))).toLocaleString('en-US'),
        reference: 'Sablier Flow withdraw: 38,178 per stream',
      },
      {
        name: 'largest withdraw transaction, gas / share of the block gas limit',
        value: `${largest.toLocaleString('en-US')} / ${((100 * largest) / Number(gasLimit)).toFixed(0)}%`,
        reference: 'batches sized to at most half a block',
      },
      {
        name: 'the tick: time / JSON-RPC requests',
        value: `${seconds(tickMs)} / ${requestsOfTick}`,
      },
      {
        name: `the next tick (${leaseIds.length.toLocaleString('en-US')} active leases read, nothing due): time / JSON-RPC requests`,
        value: `${seconds(restMs)} / ${restRequests}`,
        reference: '≤ 10 s / ≤ 50',
      },
    ];
  } finally {
    sender.stop();
    rpc.destroy();
  }
}
