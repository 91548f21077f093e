// The Provider controller and the bid engine against the real control plane and a private anvil:
// a Provider and two GpuNodePools register the provider on chain; it bids the pool price on the
// orders it can serve and on none that it cannot (the reason counted); reservations hold the
// capacity of live bids and are released when the auction is lost; a restart places no second
// bid and rebuilds the reservations from the chain and the pools recorded in the Provider status.
import type { Wallet } from 'ethers';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import { ProviderKind } from '../../../operator/src/api/kinds.js';
import { poolPricePerSecond } from '../../../operator/src/market/pricing.js';
import type { KubeClient } from '../../../operator/src/kube/index.js';
import { stack, waitFor } from '../../harness/stack.js';
import {
  mined,
  registerProvider,
  startTestChain,
  tenantWallet,
  waitForRegistration,
  type TestChain,
} from '../../harness/test-chain.js';
import {
  adminClient,
  gpuManifest,
  installCrdsAndRbac,
  runId,
  slow,
} from '../../harness/cluster-fixtures.js';
import {
  forbiddenErrors,
  startOperator,
  type OperatorProcess,
} from '../../harness/test-run-operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  metricValue,
  placeOrder,
  removeSuite,
  testPrices,
  type SuitePool,
} from '../../harness/market-fixtures.js';

describe('provider registration and bidding', () => {
  const run = runId();
  const suffix = run.toUpperCase();
  const h100: SuitePool = {
    name: `mk-h100-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-T${suffix}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const a100: SuitePool = {
    name: `mk-a100-${run}`,
    model: `NVIDIA-A100-SXM4-40GB-T${suffix}`,
    memoryMiB: 40_960,
    nodes: [],
  };
  const providerName = `market-${run}`;
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let tenant: Wallet;
  let operator: OperatorProcess;
  const operators: OperatorProcess[] = [];

  const market = () => connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
  const bidOf = (orderId: bigint) => market().getBid(orderId, wallet.address);
  /** The pool price of an order of `gpus` GPUs and `replicas` replicas (1 core per replica). */
  const listPrice = (gpus: number, replicas = 1) =>
    poolPricePerSecond(testPrices, {
      gpuCount: gpus * replicas,
      cpuMillicores: 1000 * replicas,
      memoryMiB: 1024 * replicas,
      storageMiB: 1024 * replicas,
    });
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await operator.metrics(), name, labels);

  function launch(): OperatorProcess {
    const started = startOperator({ run, logLevel: 'debug' });
    operators.push(started);
    return started;
  }

  async function waitForBid(orderId: bigint): Promise<bigint> {
    let bid = 0n;
    await waitFor(
      `a bid on order ${orderId}`,
      async () => (bid = await bidOf(orderId)) > 0n,
      60_000,
      200,
    );
    return bid;
  }

  async function waitForSkip(reason: string, before: number): Promise<void> {
    await waitFor(
      `a skipped order counted as ${reason}`,
      async () => (await metric('supercloud_bid_skipped_total', { reason })) > before,
      60_000,
      200,
    );
  }

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    chain = await startTestChain(`market-${run}`);
    tenant = tenantWallet(chain);
    wallet = await chain.freshWallet();
    await createSuitePool(client, h100, 1);
    await createSuitePool(client, a100, 1);
    await createSuiteProvider(client, providerName, run, chain, wallet);
    operator = launch();
    await operator.ready();
  }, slow);

  afterAll(async () => {
    await Promise.all(operators.map((o) => o.stop()));
    if (client) await removeSuite(client, run, providerName, [h100, a100]);
    await chain?.stop();
  }, slow);

  it(
    'registers the provider with its attributes and pool models, and reports it',
    async () => {
      const registry = await waitForRegistration(chain, wallet.address);
      const info = await registry.getProvider(wallet.address);
      expect(info.gatewayUrl).toBe('https://gpu.test.example');
      const attributes = Object.fromEntries(info.attributes.map(({ key, value }) => [key, value]));
      expect(attributes.region).toBe('test');
      // Every pool of the cluster is listed (other suites' pools too, on this shared cluster).
      expect(attributes['gpu.models']?.split(',')).toEqual(
        expect.arrayContaining([a100.model, h100.model]),
      );
      await waitFor(
        'the Provider status to say Ready',
        async () => {
          const provider = await client.get(ProviderKind, providerName);
          return (
            provider?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ===
              true && provider.status.lastProcessedBlock !== undefined
          );
        },
        60_000,
        200,
      );
      const status = (await client.get(ProviderKind, providerName))?.status;
      expect(status?.providerAddress?.toLowerCase()).toBe(wallet.address.toLowerCase());
      expect(status?.registered).toBe(true);
      expect(BigInt(status?.balances?.native ?? '0')).toBeGreaterThan(0n);
      expect(status?.chainHead).toBeGreaterThanOrEqual(chain.contracts.deployBlock);
      expect(status?.lastProcessedBlock).toBeGreaterThanOrEqual(chain.contracts.deployBlock);
      // No key in the logs.
      expect(JSON.stringify(operator.lines)).not.toContain(wallet.privateKey.slice(2));
    },
    slow,
  );

  it(
    'bids the pool price on an H100 and an A100 order',
    async () => {
      const started = Date.now();
      const h100Order = await placeOrder(chain, tenant, {
        model: h100.model,
        gpus: 1,
        maxPricePerSecond: 5_000n,
      });
      const a100Order = await placeOrder(chain, tenant, {
        model: a100.model,
        gpus: 1,
        maxPricePerSecond: 5_000n,
      });
      expect(await waitForBid(h100Order)).toBe(listPrice(1));
      expect(await waitForBid(a100Order)).toBe(listPrice(1));
      console.log(`order → bid: ${Date.now() - started} ms for two orders`);
      await waitFor(
        'the reservations published',
        async () => (await metric('supercloud_reserved_gpus', { pool: h100.name })) === 1,
        30_000,
        200,
      );
      expect(await metric('supercloud_reserved_gpus', { pool: a100.name })).toBe(1);
      expect(await metric('supercloud_bids_placed_total')).toBe(2);
    },
    slow,
  );

  it.each([
    [
      'above capacity',
      'no_free_capacity',
      () => ({ model: h100.model, gpus: 8, replicas: 2, maxPricePerSecond: 100_000n }),
    ],
    [
      'for an unknown GPU model',
      'unknown_gpu_model',
      () => ({ model: `NVIDIA-B200-T${suffix}`, gpus: 1, maxPricePerSecond: 5_000n }),
    ],
    [
      'with a max price below the floor',
      'price_above_max',
      () => ({ model: h100.model, gpus: 1, maxPricePerSecond: 500n }),
    ],
    [
      'with a manifest the provider would reject',
      'manifest_rejected',
      () => ({
        model: h100.model,
        gpus: 1,
        maxPricePerSecond: 5_000n,
        manifest: gpuManifest(1, 1, { privileged: true }),
      }),
    ],
  ])(
    'places no bid on an order %s, and counts %s',
    async (_what, reason, request) => {
      const before = await metric('supercloud_bid_skipped_total', { reason });
      const orderId = await placeOrder(chain, tenant, request());
      await waitForSkip(reason, before);
      expect(await bidOf(orderId)).toBe(0n);
    },
    slow,
  );

  it(
    'bids on only one of two orders that together exceed the free GPUs',
    async () => {
      // The A100 pool: 8 GPUs, 1 reserved by the earlier bid, so 7 free: 4 + 4 do not fit.
      const before = await metric('supercloud_bid_skipped_total', { reason: 'no_free_capacity' });
      const first = await placeOrder(chain, tenant, {
        model: a100.model,
        gpus: 4,
        maxPricePerSecond: 50_000n,
      });
      const second = await placeOrder(chain, tenant, {
        model: a100.model,
        gpus: 4,
        maxPricePerSecond: 50_000n,
      });
      expect(await waitForBid(first)).toBe(listPrice(4));
      await waitForSkip('no_free_capacity', before);
      expect(await bidOf(second)).toBe(0n);
      expect(await metric('supercloud_reserved_gpus', { pool: a100.name })).toBe(5);
    },
    slow,
  );

  it(
    'releases the reservation when a competitor undercuts and wins',
    async () => {
      const orderId = await placeOrder(chain, tenant, {
        model: h100.model,
        gpus: 2,
        maxPricePerSecond: 5_000n,
      });
      expect(await waitForBid(orderId)).toBe(listPrice(2));
      await waitFor(
        '2 more H100 GPUs reserved',
        async () => (await metric('supercloud_reserved_gpus', { pool: h100.name })) === 3,
        30_000,
        200,
      );
      const competitor = await chain.freshWallet();
      await registerProvider(chain, competitor);
      const asCompetitor = connectContract(marketplaceAbi, chain.contracts.marketplace, competitor);
      await mined(asCompetitor.placeBid(orderId, listPrice(2) - 1n));
      const asTenant = connectContract(marketplaceAbi, chain.contracts.marketplace, tenant);
      await mined(asTenant.acceptBid(orderId, competitor.address, listPrice(2) - 1n));
      await waitFor(
        'the reservation released',
        async () => (await metric('supercloud_reserved_gpus', { pool: h100.name })) === 1,
        60_000,
        200,
      );
      expect(await metric('supercloud_bids_lost_total')).toBe(1);
    },
    slow,
  );

  it(
    'places no second bid after a restart mid-auction, and rebuilds the reservations',
    async () => {
      const orderId = await placeOrder(chain, tenant, {
        model: h100.model,
        gpus: 1,
        maxPricePerSecond: 5_000n,
      });
      await waitForBid(orderId);
      // The pool of the bid was recorded before the bid was sent: a restart reads it back.
      const recorded = async () =>
        (await client.get(ProviderKind, providerName))?.status?.bidPools?.[orderId.toString()];
      expect(await recorded()).toBe(h100.name);
      const nonce = await chain.provider.getTransactionCount(wallet.address, 'latest');
      await operator.stop();
      operator = launch();
      await operator.ready();
      // The new process has read the chain again (its follower caught up and reported).
      await waitFor(
        'the restarted operator to publish its reservations',
        async () => (await metric('supercloud_reserved_gpus', { pool: h100.name })) === 2,
        60_000,
        200,
      );
      expect(await metric('supercloud_reserved_gpus', { pool: a100.name })).toBe(5);
      // A few more blocks, every one processed by the new follower (the engine handles each page
      // of events, its bids sent, before the checkpoint moves past it): still no transaction.
      await chain.mine(3);
      const head = await chain.provider.getBlockNumber();
      await waitFor(
        `the restarted follower to process block ${head}`,
        async () => (await metric('supercloud_follower_checkpoint_block')) >= head,
        60_000,
        200,
      );
      expect(await chain.provider.getTransactionCount(wallet.address, 'latest')).toBe(nonce);
      const bids = await market().getBids(orderId);
      expect(
        bids.filter((b) => b.provider.toLowerCase() === wallet.address.toLowerCase()),
      ).toHaveLength(1);
      expect(await recorded()).toBe(h100.name);
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );
});
