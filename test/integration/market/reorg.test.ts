// The bid engine across reorgs made with anvil_reorg, with a Provider two confirmations deep: an
// order orphaned within the confirmations is never bid on; a bid orphaned by a reorg deeper than
// the confirmations is placed again on the new fork (the order being still open and wanted).
import type { Wallet } from 'ethers';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import { GpuNodePoolKind, ProviderKind } from '../../../operator/src/controllers/kinds.js';
import { SecretKind, type KubeClient } from '../../../operator/src/kube/index.js';
import { stack, waitFor } from '../../harness/stack.js';
import { startTestChain, tenantWallet, type TestChain } from '../chain-side/chain.js';
import {
  adminClient,
  createPoolNodes,
  deleteNodes,
  deletePools,
  installCrdsAndRbac,
  runId,
  slow,
} from '../controllers/helpers.js';
import { startOperator, type OperatorProcess } from '../controllers/operator.js';
import {
  createProvider,
  createWalletSecret,
  marketPool,
  marketProvider,
  metricValue,
  placeOrder,
  walletNamespace,
} from './market.js';

const confirmations = 2;

describe('bidding across reorgs', () => {
  const run = runId();
  const pool = { name: `rg-h100-${run}`, model: `NVIDIA-H100-80GB-HBM3-R${run.toUpperCase()}` };
  const providerName = `reorg-${run}`;
  const secretName = `wallet-${run}`;
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let tenant: Wallet;
  let operator: OperatorProcess;
  let nodes: string[] = [];

  const bidOf = (orderId: bigint) =>
    connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider).getBid(
      orderId,
      wallet.address,
    );
  const sentBids = async () =>
    metricValue(await operator.metrics(), 'supercloud_transactions_sent_total', {
      method: 'placeBid',
    });
  const order = () =>
    placeOrder(chain, tenant, { model: pool.model, gpus: 1, maxPricePerSecond: 5_000n });

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    chain = await startTestChain(`reorg-${run}`);
    tenant = tenantWallet(chain);
    wallet = await chain.freshWallet();
    nodes = await createPoolNodes(pool.name, 1);
    await client.create(GpuNodePoolKind, marketPool(pool.name, pool.model, 81_559));
    await createWalletSecret(client, secretName, wallet);
    const provider = marketProvider(providerName, run, chain, secretName);
    provider.spec.chain = { ...provider.spec.chain, confirmations };
    await createProvider(client, provider);
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
    if (client) {
      await client.delete(ProviderKind, providerName).catch(() => undefined);
      await client
        .delete(SecretKind, secretName, { namespace: walletNamespace })
        .catch(() => undefined);
      await deletePools(client, [pool.name]).catch(() => undefined);
      await deleteNodes(client, nodes).catch(() => undefined);
    }
    await chain?.stop();
  }, slow);

  it(
    'never bids on an order a reorg within the confirmations removed',
    async () => {
      const before = await sentBids();
      const orderId = await order();
      // The order's block is not confirmed yet: replace it (and its approval) with empty blocks.
      await chain.rpc('anvil_reorg', [1, []]);
      await chain.mine(confirmations + 3);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await sentBids()).toBe(before);
      expect(await bidOf(orderId)).toBe(0n);
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
});
