// The bid engine across reorgs made with anvil_reorg, with a Provider two confirmations deep: an
// order orphaned within the confirmations is never bid on (only the new fork's order is decided);
// a bid orphaned by a reorg deeper than the confirmations is placed again on the new fork (the
// order being still open and wanted); a close the operator acted on, taken back by a reorg deeper
// than the confirmations, leaves no Closed lease: its ComputeLease is made anew.
import type { Wallet } from 'ethers';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import { ProviderKind } from '../../../operator/src/api/kinds.js';
import type { KubeClient } from '../../../operator/src/kube/index.js';
import { stack, waitFor } from '../../harness/stack.js';
import { mined, startTestChain, tenantWallet, type TestChain } from '../../harness/test-chain.js';
import { acceptBid, marketplaceAs, waitForChainLease } from '../../harness/market-steps.js';
import { adminClient, installCrdsAndRbac, runId, slow } from '../../harness/cluster-fixtures.js';
import { startOperator, type OperatorProcess } from '../../harness/test-run-operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  metricValue,
  placeOrder,
  removeSuite,
  type SuitePool,
} from '../../harness/market-fixtures.js';

const confirmations = 2;

describe('bidding across reorgs', () => {
  const run = runId();
  const pool: SuitePool = {
    name: `rg-h100-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-R${run.toUpperCase()}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const providerName = `reorg-${run}`;
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let tenant: Wallet;
  let operator: OperatorProcess;

  const bidOf = (orderId: bigint) =>
    connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider).getBid(
      orderId,
      wallet.address,
    );
  const sentBids = async () =>
    metricValue(await operator.metrics(), 'supercloud_transactions_sent_total', {
      method: 'placeBids',
    });
  const headPolls = async () =>
    metricValue(await operator.metrics(), 'supercloud_rpc_requests_total', {
      method: 'eth_blockNumber',
    });
  const unknownModelSkips = async () =>
    metricValue(await operator.metrics(), 'supercloud_bid_skipped_total', {
      reason: 'unknown_gpu_model',
    });
  const processedBlock = async () =>
    (await client.get(ProviderKind, providerName))?.status?.lastProcessedBlock ?? 0;
  const order = (model = pool.model) =>
    placeOrder(chain, tenant, { model, gpus: 1, maxPricePerSecond: 5_000n });

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    chain = await startTestChain(`reorg-${run}`);
    tenant = tenantWallet(chain);
    wallet = await chain.freshWallet();
    await createSuitePool(client, pool, 1);
    await createSuiteProvider(client, providerName, run, chain, wallet, { confirmations });
    operator = startOperator({ run, logLevel: 'debug' });
    await operator.ready();
    await waitFor(
      'the follower to run',
      async () =>
        (await client.get(ProviderKind, providerName))?.status?.lastProcessedBlock !== undefined,
      60_000,
      200,
    );
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    if (client) await removeSuite(client, run, providerName, [pool]);
    await chain?.stop();
  }, slow);

  it(
    'never bids on an order a reorg within the confirmations removed',
    async () => {
      const sent = await sentBids();
      const skipped = await unknownModelSkips();
      const orphaned = await order(pool.model);
      // One block on top: the order is followed for a while, still within the confirmations.
      await chain.mine(1);
      const polls = await headPolls();
      // Three head polls later, at least one whole follower round saw that chain (another may
      // be the Provider controller's): a follower ignoring the confirmations would have bid.
      await waitFor('follower rounds', async () => (await headPolls()) >= polls + 3, 30_000, 100);
      expect(await sentBids()).toBe(sent);
      // The new fork has, under the same order id, an order for a model nobody sells.
      await chain.rpc('anvil_reorg', [2, []]);
      const replacement = await order(`NVIDIA-NOBODY-${run.toUpperCase()}`);
      expect(replacement).toBe(orphaned);
      await chain.mine(confirmations + 1);
      await waitFor(
        'the replacement order decided on (no bid: unknown model)',
        async () => (await unknownModelSkips()) > skipped,
        30_000,
        200,
      );
      expect(await sentBids()).toBe(sent);
      expect(await bidOf(orphaned)).toBe(0n);
    },
    slow,
  );

  it(
    'places again a bid that a reorg deeper than the confirmations orphaned',
    async () => {
      const orderId = await order();
      await chain.mine(confirmations);
      await waitFor(
        `a bid on order ${orderId}`,
        async () => (await bidOf(orderId)) > 0n,
        60_000,
        200,
      );
      const bidBlock = await chain.provider.getBlockNumber();
      await chain.mine(confirmations + 2); // the bid's block is delivered and confirmed
      await waitFor(
        'the bid block delivered',
        async () =>
          ((await client.get(ProviderKind, providerName))?.status?.lastProcessedBlock ?? 0) >=
          bidBlock,
        30_000,
        200,
      );
      const head = await chain.provider.getBlockNumber();
      // Replace every block from the bid's on: the order stays, our bid is gone.
      await chain.rpc('anvil_reorg', [head - bidBlock + 1, []]);
      expect(await bidOf(orderId)).toBe(0n);
      await chain.mine(1);
      await waitFor(
        'the bid placed again on the new fork',
        async () => (await bidOf(orderId)) > 0n,
        60_000,
        200,
      );
      expect(
        operator.lines.some((line) => String(line.message).includes('orphaned by a reorg')),
      ).toBe(true);
    },
    slow,
  );

  it(
    'makes anew the ComputeLease of a lease whose close a reorg deeper than the confirmations took back',
    async () => {
      const leaseId = await order();
      await chain.mine(confirmations);
      await waitFor(
        `a bid on order ${leaseId}`,
        async () => (await bidOf(leaseId)) > 0n,
        60_000,
        200,
      );
      await acceptBid(chain, tenant, leaseId, wallet.address);
      await chain.mine(confirmations);
      const made = await waitForChainLease(client, leaseId, 'made', () => true);
      const receipt = await mined(marketplaceAs(chain, tenant).close(leaseId));
      const closeBlock = receipt.blockNumber;
      await chain.mine(confirmations + 1);
      const closed = await waitForChainLease(
        client,
        leaseId,
        'set closing by the confirmed close',
        (lease) => lease.spec.closeRequested?.block === closeBlock,
      );
      expect(closed.metadata.uid).toBe(made.metadata.uid);
      await waitFor(
        'the close block delivered',
        async () => (await processedBlock()) >= closeBlock,
        30_000,
        200,
      );
      // Replace every block from the close on: the lease is active again on chain.
      const head = await chain.provider.getBlockNumber();
      await chain.rpc('anvil_reorg', [head - closeBlock + 1, []]);
      await chain.mine(1);
      const anew = await waitForChainLease(
        client,
        leaseId,
        'made anew, not closing',
        (lease) => lease.metadata.uid !== made.metadata.uid && !lease.spec.closeRequested,
      );
      expect(anew.spec.pool).toBe(made.spec.pool);
      expect(
        operator.lines.some((line) => String(line.message).includes('a reorg took back its close')),
      ).toBe(true);
    },
    slow,
  );
});
