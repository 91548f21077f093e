// The deployed contracts on the stack's anvil, through the generated typed bindings: the chain
// and the TypeScript identifiers agree, custom errors decode, and a lease streams and settles.
import type { JsonRpcProvider, TransactionReceipt, Wallet } from 'ethers';
import { NonceManager, isError, toUtf8Bytes } from 'ethers';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
  providerRegistryAbi,
  type TypedContract,
} from '../../../operator/src/chain/abi/index.js';
import { gpuModelId, manifestHash } from '../../../operator/src/chain/identifiers.js';
import { chainProvider, chainWallet, stack } from '../../harness/stack.js';

const manifest = `version: v1alpha1
services:
  - name: llm
    image: vllm/vllm-openai:v0.6.3
    resources: { gpu: 1, cpu: 8000m, memory: 64Gi }
`;

// What a tenant types, and what NVIDIA's feature discovery labels the stack's H100 nodes with.
const tenantModelInput = ' nvidia h100 80gb hbm3 ';
const nodeLabelModel = 'NVIDIA-H100-80GB-HBM3';

const resources = {
  gpuModel: gpuModelId(tenantModelInput),
  gpuCount: 1n,
  gpuMemoryMiB: 81_559n,
  cpuMillicores: 8000n,
  memoryMiB: 65_536n,
  storageMiB: 102_400n,
};

describe('contracts on the local chain', () => {
  let provider: JsonRpcProvider;
  // Wallets for their addresses; sending goes through NonceManagers because ethers caches the
  // node's answer to an identical request (the pending nonce) for 250 ms, and anvil mines at once.
  let tenant: Wallet;
  let gpuProvider: Wallet;
  let asTenant: NonceManager;
  let asProvider: NonceManager;
  let market: TypedContract<typeof marketplaceAbi>;
  let token: TypedContract<typeof mockErc20Abi>;

  /** Creates an order as the tenant and returns its id, from the OrderCreated event. */
  async function createOrder(maxPricePerSecond: bigint, deposit: bigint): Promise<bigint> {
    const receipt = await mined(
      (market.connect(asTenant) as typeof market).createOrder(
        resources,
        maxPricePerSecond,
        600n,
        deposit,
        toUtf8Bytes(manifest),
      ),
    );
    const created = receipt.logs
      .map((log) => market.interface.parseLog(log))
      .find((event) => event?.name === 'OrderCreated');
    if (!created) throw new Error('createOrder emitted no OrderCreated');
    return created.args.orderId as bigint;
  }

  beforeAll(async () => {
    provider = chainProvider();
    tenant = chainWallet(1, provider);
    gpuProvider = chainWallet(2, provider);
    asTenant = new NonceManager(tenant);
    asProvider = new NonceManager(gpuProvider);
    const { contracts } = stack();
    market = connectContract(marketplaceAbi, contracts.marketplace, provider);
    token = connectContract(mockErc20Abi, contracts.token, provider);
    await mined(
      (token.connect(asTenant) as typeof token).approve(contracts.marketplace, 2n ** 255n),
    );
    const registry = connectContract(providerRegistryAbi, contracts.registry, asProvider);
    if (!(await registry.isRegistered(gpuProvider.address))) {
      await mined(registry.register('https://gpu.example', [{ key: 'region', value: 'local' }]));
    }
  });

  afterAll(() => provider.destroy());

  it('stores the keccak256 of the manifest bytes, as manifestHash() computes it', async () => {
    const minRun = await market.minRunSeconds();
    const orderId = await createOrder(1000n, 1000n * minRun);

    const order = await market.getOrder(orderId);
    expect(order.manifestHash).toBe(manifestHash(manifest));
    expect(order.manifestHash).toBe(manifestHash(toUtf8Bytes(manifest)));
    expect(order.tenant).toBe(tenant.address);
  });

  it('round-trips the GPU model id: tenant input, node label and chain agree', async () => {
    const orderId = await createOrder(1000n, 1000n * (await market.minRunSeconds()));

    const order = await market.getOrder(orderId);
    expect(order.resources.gpuModel).toBe(gpuModelId(nodeLabelModel));
    expect(order.resources.gpuModel).toBe(resources.gpuModel);
    const events = await market.queryFilter(
      market.getEvent('OrderCreated')(orderId, null, gpuModelId(nodeLabelModel)),
    );
    expect(events).toHaveLength(1);
  });

  it('decodes custom errors of a revert through the ABI', async () => {
    const orderId = await createOrder(1000n, 1000n * (await market.minRunSeconds()));
    const stranger = chainWallet(3, provider);
    const asStranger = market.connect(stranger) as typeof market;
    const registry = connectContract(providerRegistryAbi, stack().contracts.registry, provider);
    expect(await registry.isRegistered(stranger.address)).toBe(false);

    const failure = await asStranger.placeBid.staticCall(orderId, 500n).catch((e: unknown) => e);
    expect(isError(failure, 'CALL_EXCEPTION')).toBe(true);
    if (!isError(failure, 'CALL_EXCEPTION')) return;
    expect(failure.revert?.name).toBe('Marketplace_ProviderNotRegistered');
    expect(failure.revert?.args[0]).toBe(stranger.address);

    const asBidder = market.connect(asProvider) as typeof market;
    const aboveMax = await asBidder.placeBid.staticCall(orderId, 1001n).catch((e: unknown) => e);
    const decoded = market.interface.parseError((aboveMax as { data: string }).data);
    expect(decoded?.name).toBe('Marketplace_BidAboveMax');
    expect(decoded?.args.toArray()).toEqual([orderId, 1001n, 1000n]);
  });

  it('streams a lease per second and settles it on close', async () => {
    const price = 500n;
    const deposit = 1000n * (await market.minRunSeconds());
    const leaseId = await createOrder(1000n, deposit);
    await mined((market.connect(asProvider) as typeof market).placeBid(leaseId, price));
    const started = await mined(
      (market.connect(asTenant) as typeof market).acceptBid(leaseId, gpuProvider.address, price),
    );

    // Two seconds of chain time pass (the chain's clock moves forward, as in the e2e suite).
    await provider.send('evm_increaseTime', [2]);
    await provider.send('evm_mine', []);
    const providerBefore = await token.balanceOf(gpuProvider.address);
    const withdrawn = await mined(
      (market.connect(asProvider) as typeof market).withdraw([leaseId]),
    );
    const elapsed = BigInt((await blockTime(withdrawn)) - (await blockTime(started)));
    expect(elapsed).toBeGreaterThanOrEqual(2n);
    const lease = await market.getLease(leaseId);
    const gross = price * elapsed;
    const fee = (gross * lease.feeBps) / 10_000n;
    expect((await token.balanceOf(gpuProvider.address)) - providerBefore).toBe(gross - fee);

    const tenantBefore = await token.balanceOf(tenant.address);
    const closed = await mined((market.connect(asTenant) as typeof market).close(leaseId));
    const total = price * BigInt((await blockTime(closed)) - (await blockTime(started)));
    expect((await token.balanceOf(tenant.address)) - tenantBefore).toBe(deposit - total);
    const after = await market.getLease(leaseId);
    expect(after.active).toBe(false);
    expect(after.accrued).toBe(0n);
  });

  async function blockTime(receipt: TransactionReceipt): Promise<number> {
    const block = await provider.getBlock(receipt.blockNumber);
    if (!block) throw new Error(`block ${receipt.blockNumber} not found`);
    return block.timestamp;
  }
});

/** Waits for a sent transaction and fails the test when it reverted. */
async function mined(
  sent: Promise<{ wait: () => Promise<TransactionReceipt | null> }>,
): Promise<TransactionReceipt> {
  const receipt = await (await sent).wait();
  if (!receipt || receipt.status !== 1) throw new Error('transaction failed');
  return receipt;
}
