// The transaction sender against a private anvil: stuck transactions replaced with a higher fee,
// the nonce re-derived after a restart or a reorg that dropped a mined transaction, idempotent
// sends, reverts decoded by name.
import type { TransactionRequest, Wallet } from 'ethers';
import { Registry } from 'prom-client';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import {
  ReceiptTimeoutError,
  SenderStoppedError,
  TransactionRevertedError,
} from '../../../operator/src/chain/errors.js';
import { contractCall, type TransactionIntent } from '../../../operator/src/chain/intent.js';
import { chainMetrics } from '../../../operator/src/chain/metrics.js';
import { RpcPool } from '../../../operator/src/chain/rpc.js';
import {
  TransactionSender,
  type SendResult,
  type TransactionSenderOptions,
  type TransactionSigner,
} from '../../../operator/src/chain/tx-sender.js';
import { waitFor } from '../../stack/process.js';
import {
  createOrder,
  registerProvider,
  startTestChain,
  tenantWallet,
  type TestChain,
} from '../../harness/test-chain.js';

describe('transaction sender', () => {
  let chain: TestChain;
  let rpc: RpcPool;
  const registry = new Registry();
  const metrics = chainMetrics(registry);
  const senders: TransactionSender[] = [];

  function newSender(
    signer: Wallet,
    options: Partial<TransactionSenderOptions> = {},
  ): TransactionSender {
    const sender = new TransactionSender({
      rpc,
      signer,
      chainId: chain.chainId,
      pollIntervalMs: 100,
      metrics,
      ...options,
    });
    senders.push(sender);
    return sender;
  }

  /** A registered provider wallet of its own and an open order it may bid on. */
  async function bidder(maxPrice = 1_000n): Promise<{ wallet: Wallet; orderId: bigint }> {
    const wallet = await chain.freshWallet();
    await registerProvider(chain, wallet);
    return { wallet, orderId: await createOrder(chain, tenantWallet(chain), maxPrice) };
  }

  /** placeBid as an intent whose precheck skips it when the provider's bid is already at price. */
  function bidIntent(wallet: Wallet, orderId: bigint, price: bigint): TransactionIntent {
    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    return {
      ...contractCall(marketplaceAbi, chain.contracts.marketplace, 'placeBid', [orderId, price]),
      key: `placeBid/${orderId}/${price}`,
      precheck: async () => {
        const current = await market.getBid(orderId, wallet.address);
        return current !== 0n && current <= price
          ? { send: false, reason: `bid at ${current} already on chain` }
          : { send: true };
      },
    };
  }

  const counter = async (name: string, labels: Record<string, string>): Promise<number> => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) =>
      Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return Number(value?.value ?? 0);
  };

  beforeAll(async () => {
    chain = await startTestChain('tx-sender');
    rpc = new RpcPool({ urls: [chain.rpcUrl], chainId: chain.chainId });
  });

  afterEach(async () => {
    for (const sender of senders.splice(0)) sender.stop();
    await chain.rpc('evm_setAutomine', [true]);
  });

  afterAll(async () => {
    rpc.destroy();
    await chain.stop();
  });

  it('sends, and a second send of the same intent is skipped by its precheck', async () => {
    const { wallet, orderId } = await bidder();
    const sender = newSender(wallet);
    const sentBefore = await counter('supercloud_transactions_sent_total', { method: 'placeBid' });

    const first = await sender.send(bidIntent(wallet, orderId, 700n));
    expect(first.status).toBe('mined');
    const again = await sender.send(bidIntent(wallet, orderId, 700n));
    expect(again).toEqual({ status: 'skipped', reason: 'bid at 700 already on chain' });

    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    expect(await market.getBid(orderId, wallet.address)).toBe(700n);
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(2); // register + 1 bid
    expect(await counter('supercloud_transactions_sent_total', { method: 'placeBid' })).toBe(
      sentBefore + 1,
    );
  });

  it('joins concurrent sends of one intent, and a restarted sender skips it too', async () => {
    const { wallet, orderId } = await bidder();
    const sender = newSender(wallet);

    const results = await Promise.all([
      sender.send(bidIntent(wallet, orderId, 650n)),
      sender.send(bidIntent(wallet, orderId, 650n)),
      sender.send(bidIntent(wallet, orderId, 650n)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['mined', 'mined', 'mined']);
    expect(
      new Set(results.map((r) => (r.status === 'mined' ? r.receipt.hash : ''))),
    ).toHaveProperty('size', 1);

    const restarted = newSender(wallet);
    expect((await restarted.send(bidIntent(wallet, orderId, 650n))).status).toBe('skipped');
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(2);
  });

  it('derives the nonce from the chain after a restart', async () => {
    const { wallet, orderId } = await bidder();
    const before = newSender(wallet);
    await before.send(bidIntent(wallet, orderId, 900n));
    await before.send(bidIntent(wallet, orderId, 800n));
    before.stop();

    // A restarted sender knows nothing; it must not reuse nonce 1 or 2.
    const after = newSender(wallet);
    const result = await after.send(bidIntent(wallet, orderId, 700n));
    expect(result).toMatchObject({ status: 'mined', nonce: 3 });
  });

  it('takes a nonce back when a reorg within the confirmations dropped a mined transaction', async () => {
    const { wallet, orderId } = await bidder();
    // Without the gap check the next send would wait behind the gap until its receipt timeout.
    let gaps = 0;
    const sender = newSender(wallet, {
      gapCheckIntervalMs: 200,
      receiptTimeoutMs: 20_000,
      onNonceGap: () => gaps++,
    });
    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    const first = await sender.send(bidIntent(wallet, orderId, 900n));
    expect(first.status).toBe('mined');
    // The block holding the bid is replaced by an empty one: the bid and its nonce are gone, and
    // nothing tells the sender (a follower `confirmations` deep never read that block).
    await chain.rpc('anvil_reorg', [1, []]);
    expect(await market.getBid(orderId, wallet.address)).toBe(0n);

    const second = await sender.send(bidIntent(wallet, orderId, 800n));
    expect(second).toMatchObject({
      status: 'mined',
      nonce: first.status === 'mined' ? first.nonce : -1,
    });
    expect(await market.getBid(orderId, wallet.address)).toBe(800n);
    expect(gaps).toBe(1); // the owner of the dropped transaction is told
  });

  it('never lets a transaction stranded behind a nonce gap run once the gap is filled', async () => {
    const { wallet, orderId } = await bidder();
    const otherOrder = await createOrder(chain, tenantWallet(chain), 1_000n);
    let gaps = 0;
    const sender = newSender(wallet, {
      gapCheckIntervalMs: 200,
      receiptTimeoutMs: 20_000,
      onNonceGap: () => gaps++,
    });
    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    const first = await sender.send(bidIntent(wallet, orderId, 900n));
    const firstNonce = first.status === 'mined' ? first.nonce : -1;
    // A reorg drops the first bid; the sender does not know and counts on from its nonce.
    await chain.rpc('anvil_reorg', [1, []]);
    // The second bid goes out one nonce above a gap and waits there; by the time the sender has
    // noticed the gap and re-checks it, it is no longer wanted (a tenant topped an escrow up).
    let checks = 0;
    const stranded = await sender.send({
      ...bidIntent(wallet, otherOrder, 700n),
      precheck: async () =>
        ++checks === 1 ? { send: true } : { send: false, reason: 'no longer wanted' },
    });
    expect(stranded).toMatchObject({ status: 'skipped' });
    // A new transaction fills the gap; the stranded bid's nonce runs right after it.
    const refill = await sender.send(bidIntent(wallet, orderId, 850n));
    expect(refill).toMatchObject({ status: 'mined', nonce: firstNonce });
    await waitFor(
      'the nonce after the gap used',
      async () =>
        (await chain.provider.getTransactionCount(wallet.address, 'latest')) === firstNonce + 2,
      10_000,
      100,
    );
    expect(await market.getBid(otherOrder, wallet.address)).toBe(0n); // the stranded bid never ran
    expect(await market.getBid(orderId, wallet.address)).toBe(850n);
    expect(gaps).toBe(1);
  });

  it('replaces a transaction a stopped sender left pending, after waiting for it', async () => {
    const { wallet, orderId } = await bidder();
    await chain.rpc('evm_setAutomine', [false]);
    const before = newSender(wallet, { stuckAfterMs: 60_000 });
    const abandoned = before.send(bidIntent(wallet, orderId, 900n)).catch((e: unknown) => e);
    await waitFor(
      'the first bid in the pool',
      async () => (await chain.provider.getTransactionCount(wallet.address, 'pending')) === 2,
      10_000,
      100,
    );
    before.stop();
    expect(await abandoned).toBeInstanceOf(SenderStoppedError);

    // The restarted sender finds nonce 1 pending, waits a short while, then takes it over.
    const after = newSender(wallet, { stuckAfterMs: 1_000 });
    const sending = after.send(bidIntent(wallet, orderId, 800n));
    await waitFor(
      'the replacement in the pool',
      async () => (await pooledBidPrice(chain, wallet, 1)) === 800n,
      20_000,
      200,
    );
    await chain.mine(1);
    const result = await sending;
    expect(result).toMatchObject({ status: 'mined', nonce: 1 });
    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    expect(await market.getBid(orderId, wallet.address)).toBe(800n);
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(2);
  });

  it('replaces a stuck transaction with a higher fee and returns the mined replacement', async () => {
    const { wallet, orderId } = await bidder();
    await chain.rpc('evm_setAutomine', [false]);
    const replacedBefore = await counter('supercloud_transactions_replaced_total', {
      method: 'placeBid',
    });
    const signer = recordingSigner(wallet);
    const sender = newSender(wallet, { signer, stuckAfterMs: 1_000 });
    const sending = sender.send(bidIntent(wallet, orderId, 600n));

    await waitFor(
      'a replacement',
      async () =>
        (await counter('supercloud_transactions_replaced_total', { method: 'placeBid' })) >
        replacedBefore,
      20_000,
      100,
    );
    await chain.mine(1);
    const result: SendResult = await sending;
    expect(result.status).toBe('mined');
    if (result.status !== 'mined') return;
    expect(result.replacements).toBeGreaterThanOrEqual(1);

    // The mined version pays at least 10% more than the first one in both fee fields.
    const mined = await chain.provider.getTransaction(result.receipt.hash);
    const firstFees = signer.signed[0]!;
    expect(signer.signed.length).toBe(result.replacements + 1);
    expect(signer.signed.every((tx) => tx.nonce === result.nonce)).toBe(true);
    expect(mined?.maxFeePerGas).toBeGreaterThanOrEqual(
      (BigInt(firstFees.maxFeePerGas!) * 110n) / 100n,
    );
    expect(mined?.maxPriorityFeePerGas).toBeGreaterThanOrEqual(
      (BigInt(firstFees.maxPriorityFeePerGas!) * 110n) / 100n,
    );
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(2);
  });

  it('gives up waiting after the receipt timeout, and the next send takes the nonce over', async () => {
    const { wallet, orderId } = await bidder();
    await chain.rpc('evm_setAutomine', [false]);
    const sender = newSender(wallet, { stuckAfterMs: 60_000, receiptTimeoutMs: 1_000 });

    const timedOut = await sender.send(bidIntent(wallet, orderId, 900n)).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(ReceiptTimeoutError);
    expect((timedOut as ReceiptTimeoutError).nonce).toBe(1);

    const next = sender.send(bidIntent(wallet, orderId, 850n));
    await waitFor(
      'the replacement in the pool',
      async () => (await pooledBidPrice(chain, wallet, 1)) === 850n,
      20_000,
      100,
    );
    await chain.mine(1);
    expect(await next).toMatchObject({ status: 'mined', nonce: 1 });
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(2);
  });

  it('decodes a revert at estimation into the custom error, and sends nothing', async () => {
    const { wallet, orderId } = await bidder(1_000n);
    const sender = newSender(wallet);
    const failedBefore = await counter('supercloud_transactions_failed_total', {
      method: 'placeBid',
      reason: 'reverted',
    });

    const failure = await sender.send(bidIntent(wallet, orderId, 1_001n)).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(TransactionRevertedError);
    const reverted = failure as TransactionRevertedError;
    expect(reverted.stage).toBe('estimate');
    expect(reverted.revert?.name).toBe('Marketplace_BidAboveMax');
    expect(reverted.revert?.namedArgs).toEqual({
      orderId,
      pricePerSecond: 1_001n,
      maxPricePerSecond: 1_000n,
    });
    expect(reverted.message).toContain('Marketplace_BidAboveMax(orderId=');
    expect(await chain.provider.getTransactionCount(wallet.address)).toBe(1);
    expect(
      await counter('supercloud_transactions_failed_total', {
        method: 'placeBid',
        reason: 'reverted',
      }),
    ).toBe(failedBefore + 1);
  });

  it('decodes a revert on chain by replaying the call at its block', async () => {
    const wallet = await chain.freshWallet();
    await registerProvider(chain, wallet);
    const orderId = await createOrder(chain, tenantWallet(chain), 1_000n, 60n);
    await chain.rpc('evm_setAutomine', [false]);
    const sender = newSender(wallet);
    const sending = sender.send(bidIntent(wallet, orderId, 500n)).catch((e: unknown) => e);
    await waitFor(
      'the bid in the pool',
      async () => (await chain.provider.getTransactionCount(wallet.address, 'pending')) === 2,
      10_000,
      100,
    );
    // The auction closes before the bid is mined.
    await chain.rpc('evm_increaseTime', [120]);
    await chain.mine(1);

    const failure = (await sending) as TransactionRevertedError;
    expect(failure).toBeInstanceOf(TransactionRevertedError);
    expect(failure.stage).toBe('mined');
    expect(failure.transactionHash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(failure.revert?.name).toBe('Marketplace_BiddingClosed');
    expect(failure.revert?.namedArgs['orderId']).toBe(orderId);
  });
});

/** A signer that keeps every transaction it signed, to compare the versions of a replaced one. */
function recordingSigner(wallet: Wallet): TransactionSigner & { signed: TransactionRequest[] } {
  const signed: TransactionRequest[] = [];
  return {
    address: wallet.address,
    signed,
    signTransaction: (transaction) => {
      signed.push(transaction);
      return wallet.signTransaction(transaction);
    },
  };
}

/** The bid price of the wallet's pending transaction with `nonce` in anvil's pool, if any. */
async function pooledBidPrice(
  chain: TestChain,
  wallet: Wallet,
  nonce: number,
): Promise<bigint | undefined> {
  const pool = await chain.rpc<{ pending: Record<string, Record<string, { input: string }>> }>(
    'txpool_content',
  );
  const ours = Object.entries(pool.pending).find(
    ([address]) => address.toLowerCase() === wallet.address.toLowerCase(),
  );
  const input = ours?.[1][String(nonce)]?.input;
  // placeBid(orderId, price): the price is the last 32-byte word of the calldata.
  return input ? BigInt(`0x${input.slice(-64)}`) : undefined;
}
