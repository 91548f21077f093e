// The whole market end to end, against anvil and the real control plane: a Provider and two
// GpuNodePools register and bid; the tenant's orders become leases, ComputeLeases and Running pods
// on the right nodes; the settlement withdraws; a lease closed by the tenant and one whose escrow
// runs out are torn down and kept as Closed records; hand-applied ComputeLeases that the chain
// does not back are Rejected and create nothing; a kill -9 of the operator while leases are
// created and closed loses or doubles none; and what the provider was paid on chain is what the
// lease statuses say.
import { Contract, type EventLog, type InterfaceAbi, type Wallet } from 'ethers';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
} from '../../operator/src/chain/abi/index.js';
import { canonicalManifestHash } from '../../operator/src/workloads/canonical.js';
import { computeLeaseName } from '../../operator/src/workloads/names.js';
import { ComputeLeaseKind, ProviderKind } from '../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  NamespaceKind,
  PodKind,
  type KubeClient,
} from '../../operator/src/kube/index.js';
import type { OperatorProcess } from '../harness/operator.js';
import { startTcpProxy, type TcpProxy } from '../harness/tcp-proxy.js';
import { stack, waitFor } from '../harness/stack.js';
import {
  mined,
  registerProvider,
  stackTestChain,
  fundedTenant,
  waitForRegistration,
  type TestChain,
} from '../harness/test-chain.js';
import {
  adminClient,
  gpuManifest,
  installCrdsAndRbac,
  runId,
} from '../harness/cluster-fixtures.js';
import { forbiddenErrors, testRunLabel } from '../harness/test-run-operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  metricValue,
  placeOrder,
  removeSuite,
  startChainOperator,
  type SuitePool,
} from '../harness/market-fixtures.js';
import {
  acceptBid,
  advanceChainTime,
  leaseNamespaceName,
  marketplaceAs,
  phase,
  waitForChainLease,
} from '../harness/market-steps.js';

const slow = 240_000;

/** `object`, or a failure naming what is missing (rather than a field mismatch on undefined). */
function present<T>(object: T | null | undefined, what: string): T {
  if (object === undefined || object === null) throw new Error(`${what} does not exist`);
  return object;
}

describe('the market end to end', () => {
  const run = runId();
  const suffix = run.toUpperCase();
  const h100: SuitePool = {
    name: `e2e-h100-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-E${suffix}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const a100: SuitePool = {
    name: `e2e-a100-${run}`,
    model: `NVIDIA-A100-SXM4-40GB-E${suffix}`,
    memoryMiB: 40_960,
    nodes: [],
  };
  const providerName = `e2e-${run}`;
  const maxPrice = 1_000_000n; // token units per second, above the pools' list prices
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let tenant: Wallet;
  let operator: OperatorProcess;
  /** Between the operator and anvil: taking it down is an RPC outage. */
  let proxy: TcpProxy;
  const operators: OperatorProcess[] = [];
  /** Every lease this provider won: checked at the end. */
  const won = new Set<bigint>();

  const market = () => marketplaceAs(chain, tenant);
  const bidOf = (orderId: bigint) => market().getBid(orderId, wallet.address);

  function launch(): OperatorProcess {
    operator = startChainOperator(run);
    operators.push(operator);
    return operator;
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

  async function order(pool: SuitePool, gpus: number, replicas = 1): Promise<bigint> {
    return placeOrder(chain, tenant, {
      model: pool.model,
      gpus,
      replicas,
      maxPricePerSecond: maxPrice,
      biddingSeconds: 120n,
    });
  }

  /** Orders, waits for our bid and accepts it: the lease starts. */
  async function lease(pool: SuitePool, gpus: number): Promise<bigint> {
    const orderId = await order(pool, gpus);
    await waitForBid(orderId);
    await acceptBid(chain, tenant, orderId, wallet.address);
    won.add(orderId);
    return orderId;
  }

  async function podsOf(leaseId: bigint) {
    return (await client.list(PodKind, { namespace: leaseNamespaceName(leaseId.toString()) }))
      .items;
  }

  async function expectTornDown(leaseId: bigint): Promise<void> {
    await waitFor(
      `namespace of lease ${leaseId} deleted`,
      async () =>
        (await client.get(NamespaceKind, leaseNamespaceName(leaseId.toString()))) === undefined,
      90_000,
      250,
    );
  }

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    chain = stackTestChain();
    tenant = await fundedTenant(chain);
    wallet = await chain.freshWallet();
    await createSuitePool(client, h100, 2);
    await createSuitePool(client, a100, 1);
    proxy = await startTcpProxy(chain.port);
    await createSuiteProvider(client, providerName, run, chain, wallet, {
      rpcUrl: proxy.url,
      withdrawIntervalSeconds: 10,
    });
    launch();
    await operator.ready();
  }, slow);

  afterAll(async () => {
    await Promise.all(operators.map((o) => o.stop()));
    if (client) await removeSuite(client, run, providerName, [h100, a100]);
    await proxy?.down();
    await chain?.stop();
  }, slow);

  let h100Lease: bigint;
  let a100Lease: bigint;

  it(
    'registers the provider, bids on the orders its pools can serve and on none other',
    async () => {
      await waitForRegistration(chain, wallet.address);

      h100Lease = await order(h100, 8);
      a100Lease = await order(a100, 2);
      const nobody = await placeOrder(chain, tenant, {
        model: `NVIDIA-B200-NOBODY-${suffix}`,
        gpus: 1,
        maxPricePerSecond: maxPrice,
        biddingSeconds: 120n,
      });
      const [h100Bid, a100Bid] = [await waitForBid(h100Lease), await waitForBid(a100Lease)];
      expect(h100Bid).toBeLessThanOrEqual(maxPrice);
      expect(a100Bid).toBeLessThan(h100Bid); // 2 GPUs cost less than 8 at the same list price
      await waitFor(
        'the unservable order counted as skipped',
        async () =>
          metricValue(await operator.metrics(), 'supercloud_bid_skipped_total', {
            reason: 'unknown_gpu_model',
          }) >= 1,
        30_000,
        250,
      );
      expect(await bidOf(nobody)).toBe(0n);
    },
    slow,
  );

  it(
    'turns the won leases into Running pods on the pools they were bid for',
    async () => {
      // One accepted by the tenant, one finalized by anyone once bidding closed.
      await acceptBid(chain, tenant, h100Lease, wallet.address);
      await advanceChainTime(chain, 121);
      await mined(marketplaceAs(chain, wallet).finalize(a100Lease));
      won.add(h100Lease).add(a100Lease);

      for (const [leaseId, pool] of [
        [h100Lease, h100],
        [a100Lease, a100],
      ] as const) {
        const running = await waitForChainLease(client, leaseId, 'Running', phase('Running'));
        expect(running.spec.pool).toBe(pool.name);
        expect(running.spec.provider.toLowerCase()).toBe(wallet.address.toLowerCase());
        expect(running.spec.pricePerSecond).toBe(
          (await market().getLease(leaseId)).pricePerSecond.toString(),
        );
        const pods = await podsOf(leaseId);
        expect(pods.length).toBeGreaterThan(0);
        for (const pod of pods) expect(pool.nodes).toContain(pod.spec?.nodeName);
      }
    },
    slow,
  );

  it(
    'rides out a 30 s RPC outage: leases keep running and are repaired, nothing is bid or lost, then it catches up',
    async () => {
      const running = await waitForChainLease(client, h100Lease, 'Running', phase('Running'));
      await proxy.down();
      const outageStarted = Date.now();
      const during = await order(a100, 1);
      await waitFor(
        'the Provider to report the chain unreachable',
        async () =>
          (await client.get(ProviderKind, providerName))?.status?.conditions?.some(
            (c) => c.type === 'ChainConnected' && c.status === 'False',
          ) === true,
        30_000,
        250,
      );
      // A repair that needs verification while the chain is unreachable: the last answer stands.
      const namespace = leaseNamespaceName(h100Lease.toString());
      const deployment = present(
        (await client.list(DeploymentKind, { namespace })).items[0],
        `a Deployment in ${namespace}`,
      );
      await client.delete(
        DeploymentKind,
        present(deployment.metadata?.name, `the name of a Deployment in ${namespace}`),
        {
          namespace,
        },
      );
      await waitFor(
        'the deleted Deployment restored during the outage',
        async () =>
          (await client.list(DeploymentKind, { namespace })).items.some(
            (d) => d.metadata?.uid !== deployment.metadata?.uid,
          ),
        30_000,
        250,
      );
      // The fault injected, not a wait for something to happen: the outage lasts 30 s.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, 30_000 - (Date.now() - outageStarted))),
      );
      for (const leaseId of [h100Lease, a100Lease]) {
        const name = computeLeaseName(leaseId.toString());
        const lease = present(await client.get(ComputeLeaseKind, name), `ComputeLease ${name}`);
        expect(lease.spec.closeRequested).toBeUndefined();
        expect(
          await client.get(NamespaceKind, leaseNamespaceName(leaseId.toString())),
        ).toBeDefined();
      }
      expect(await bidOf(during)).toBe(0n);

      await proxy.up();
      // Caught up from the checkpoint: the order placed during the outage gets its bid.
      await waitForBid(during);
      await waitForChainLease(
        client,
        h100Lease,
        'Running again',
        (l) => phase('Running')(l) && l.metadata.uid === running.metadata.uid,
      );
      await mined(market().cancelOrder(during)).catch(() => undefined);
    },
    slow,
  );

  it(
    'withdraws what the leases accrued and reports price, escrow and funding on them',
    async () => {
      await advanceChainTime(chain, 600);
      for (const leaseId of [h100Lease, a100Lease]) {
        const lease = await waitForChainLease(
          client,
          leaseId,
          'with a withdrawal reported',
          (l) => BigInt(l.status?.amountWithdrawn ?? '0') > 0n,
        );
        const onChain = await market().getLease(leaseId);
        const status = present(lease.status, `the status of ComputeLease ${lease.metadata.name}`);
        expect(status.pricePerSecond).toBe(onChain.pricePerSecond.toString());
        expect(status.fundedUntil).toBe(
          new Date(Number(onChain.fundedUntil) * 1000).toISOString().replace('.000', ''),
        );
        expect(status.conditions?.find((c) => c.type === 'Funded')).toMatchObject({
          status: 'True',
          reason: 'EscrowCovers',
        });
        // The controller's status fields are still there: two field managers, one status.
        expect(status.phase).toBe('Running');
      }
      expect(
        metricValue(await operator.metrics(), 'supercloud_withdrawals_total'),
      ).toBeGreaterThanOrEqual(1);
    },
    slow,
  );

  it(
    'tears down a lease the tenant closes and keeps it as a Closed record',
    async () => {
      await mined(market().close(h100Lease));
      const closed = await waitForChainLease(client, h100Lease, 'Closed', phase('Closed'));
      expect(closed.spec.closeRequested).toMatchObject({ reason: 'ClosedByTenant' });
      expect(closed.status).toMatchObject({ closeReason: 'ClosedByTenant' });
      await expectTornDown(h100Lease);
    },
    slow,
  );

  it(
    'warns before an escrow runs out, then closes the lease and tears it down',
    async () => {
      const { timestamp } = present(await chain.provider.getBlock('latest'), 'the latest block');
      const fundedUntil = Number((await market().getLease(a100Lease)).fundedUntil);
      await advanceChainTime(chain, fundedUntil - timestamp - 200);
      await waitForChainLease(
        client,
        a100Lease,
        'warned of its escrow running out',
        (l) =>
          l.status?.conditions?.some((c) => c.type === 'Funded' && c.reason === 'EscrowLow') ===
          true,
      );
      await advanceChainTime(chain, 400);
      const closed = await waitForChainLease(client, a100Lease, 'Closed', phase('Closed'));
      expect(closed.spec.closeRequested).toMatchObject({ reason: 'EscrowExhausted' });
      const onChain = await market().getLease(a100Lease);
      expect(onChain.active).toBe(false);
      await expectTornDown(a100Lease);
    },
    slow,
  );

  it(
    'rejects hand-applied leases the chain does not back, and creates nothing for them',
    async () => {
      // A lease of another provider: a competitor undercuts us and the tenant takes its bid.
      const competitor = await chain.freshWallet();
      await registerProvider(chain, competitor);
      const theirs = await order(a100, 1);
      const ourBid = await waitForBid(theirs);
      await mined(marketplaceAs(chain, competitor).placeBid(theirs, ourBid - 1n));
      await acceptBid(chain, tenant, theirs, competitor.address);

      const manifest = gpuManifest(1);
      const handLease = (
        name: string,
        leaseId: bigint,
        spec: Partial<ComputeLease['spec']> = {},
      ): ComputeLease => {
        const body = { ...manifest, ...(spec.manifest ?? {}) };
        return {
          apiVersion: 'supercloud.dev/v1alpha1',
          kind: 'ComputeLease',
          metadata: { name, labels: { [testRunLabel]: run } },
          spec: {
            leaseId: leaseId.toString(),
            orderId: leaseId.toString(),
            tenant: tenant.address,
            provider: wallet.address,
            pool: a100.name,
            resources: {
              gpus: 1,
              gpuModel: a100.model,
              gpuMemoryMiB: 0,
              cpuMillis: 2000,
              memoryMiB: 8192,
              storageMiB: 20480,
            },
            manifest: body,
            manifestHash: canonicalManifestHash(body),
            pricePerSecond: '1',
            ingress: { serviceType: 'ClusterIP' },
            ...spec,
          },
        };
      };
      const cases = [
        {
          name: `hand-unknown-${run}`,
          leaseId: 987_654_321n,
          reason: 'there is no lease 987654321 on chain',
        },
        { name: `hand-theirs-${run}`, leaseId: theirs, reason: `was won by ${competitor.address}` },
        // Our lease closed by the tenant above, with a manifest that is not the one on chain.
        {
          name: `hand-manifest-${run}`,
          leaseId: h100Lease,
          reason: 'is not the manifest hash of lease',
        },
      ];
      for (const { name, leaseId } of cases) {
        await client.create(ComputeLeaseKind, handLease(name, leaseId));
      }
      for (const { name, leaseId, reason } of cases) {
        let last: ComputeLease | undefined;
        await waitFor(
          `${name} Rejected`,
          async () =>
            (last = await client.get(ComputeLeaseKind, name))?.status?.phase === 'Rejected',
          60_000,
          200,
        ).catch((error: Error) => {
          throw new Error(`${error.message}: ${JSON.stringify(last?.status)}`);
        });
        const rejected = present(last, `ComputeLease ${name}`);
        expect(rejected.status).toMatchObject({ message: expect.stringContaining(reason) });
        const namespace = await client.get(NamespaceKind, leaseNamespaceName(leaseId.toString()));
        expect(namespace).toBeUndefined();
      }
    },
    slow,
  );

  it(
    'after a kill -9 while leases are created and closed, runs every active lease exactly once and tears every closed one down',
    async () => {
      const closing = await lease(a100, 1);
      await waitForChainLease(client, closing, 'Running', phase('Running'));
      // Orders bid on while the operator runs; leased while it is being killed and while it is down.
      const orders = [
        await order(a100, 1),
        await order(a100, 1),
        await order(h100, 4),
        await order(h100, 4),
      ];
      for (const id of orders) await waitForBid(id);
      await acceptBid(chain, tenant, orders[0]!, wallet.address);
      operator.child.kill('SIGKILL');
      await operator.exited;
      for (const id of orders.slice(1)) await acceptBid(chain, tenant, id, wallet.address);
      await mined(market().close(closing));
      orders.forEach((id) => won.add(id));

      launch();
      for (const id of orders) {
        await waitForChainLease(client, id, 'Running after the restart', phase('Running'), 120_000);
        const { items: deployments } = await client.list(DeploymentKind, {
          namespace: leaseNamespaceName(id.toString()),
        });
        expect(deployments.map((d) => d.spec?.replicas)).toEqual([1]);
        expect(await podsOf(id)).toHaveLength(1);
      }
      const closed = await waitForChainLease(
        client,
        closing,
        'Closed after the restart',
        phase('Closed'),
      );
      expect(closed.spec.closeRequested).toMatchObject({ reason: 'ClosedByTenant' });
      await expectTornDown(closing);
      // One ComputeLease per lease won, no other made by the chain for this provider.
      const ours = (await client.list(ComputeLeaseKind)).items.filter(
        (l) =>
          l.metadata.labels?.['supercloud.dev/source'] === 'chain' &&
          l.spec.provider.toLowerCase() === wallet.address.toLowerCase(),
      );
      expect(ours.map((l) => BigInt(l.spec.leaseId)).sort()).toEqual([...won].sort());
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );

  it(
    'reports on each lease exactly what the provider was paid on chain',
    async () => {
      await advanceChainTime(chain, 60);
      const events = new Contract(
        chain.contracts.marketplace,
        marketplaceAbi as unknown as InterfaceAbi,
        chain.provider,
      );
      /** Withdrawals and the final settlement of a lease, net of fees, from its events. */
      const paidOnChain = async (leaseId: bigint): Promise<bigint> => {
        const withdrawn = await events.queryFilter(
          events.filters.Withdrawn!(leaseId, wallet.address),
          0,
        );
        const closed = await events.queryFilter(
          events.filters.LeaseClosed!(leaseId, null, wallet.address),
          0,
        );
        return [...withdrawn, ...closed].reduce((sum, log) => {
          const { args } = log as EventLog;
          return sum + (args.providerPayout ?? args.amount - args.fee);
        }, 0n);
      };
      const token = connectContract(mockErc20Abi, chain.contracts.token, chain.provider);
      let mismatch: unknown;
      // The settlement withdraws every 10 s: compare between two of its rounds.
      await waitFor(
        'every lease status to match the payments on chain',
        async () => {
          const leases = (await client.list(ComputeLeaseKind)).items.filter(
            (l) =>
              won.has(BigInt(l.spec.leaseId)) &&
              l.metadata.labels?.['supercloud.dev/source'] === 'chain',
          );
          const rows = await Promise.all(
            leases.map(async (l) => ({
              lease: l.spec.leaseId,
              reported: BigInt(l.status?.amountWithdrawn ?? '-1'),
              onChain: await paidOnChain(BigInt(l.spec.leaseId)),
            })),
          );
          const balance = await token.balanceOf(wallet.address);
          const total = rows.reduce((sum, row) => sum + row.reported, 0n);
          mismatch = {
            rows: rows.map((r) => ({ ...r, reported: `${r.reported}`, onChain: `${r.onChain}` })),
            balance: `${balance}`,
          };
          return (
            rows.length === won.size &&
            rows.every((r) => r.reported === r.onChain) &&
            total === balance &&
            balance > 0n
          );
        },
        90_000,
        300,
      ).catch((error: Error) => {
        const settlement = operator.lines.filter((l) =>
          /settl|withdr|close/i.test(String(l.message)),
        );
        throw new Error(
          `${error.message}: ${JSON.stringify(mismatch)}; settlement log: ${JSON.stringify(settlement.slice(-20))}`,
        );
      });
    },
    slow,
  );
});
