// The transaction sender signing through a remote signer, against a private anvil: the test signer
// (test/harness/remote-signer.ts, with a bearer token, over HTTP and HTTPS) and anvil's own
// eth_signTransaction as a real implementation of the convention. A signer that is down, answers
// with another key's signature or with changed fields, or does not hold the address is refused
// with a clear error, and nothing is sent: the wallet's nonce is where it was, and the next send
// uses it.
import { Writable } from 'node:stream';
import type { Wallet } from 'ethers';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import {
  SignedTransactionMismatchError,
  SignerAccountMissingError,
  SignerRefusedError,
  SignerUnavailableError,
} from '../../../operator/src/chain/errors.js';
import { contractCall, type TransactionIntent } from '../../../operator/src/chain/intent.js';
import {
  RemoteSigner,
  type RemoteSignerOptions,
} from '../../../operator/src/chain/remote-signer.js';
import { RpcPool } from '../../../operator/src/chain/rpc.js';
import { TransactionSender } from '../../../operator/src/chain/tx-sender.js';
import { createLogger, type Logger } from '../../../operator/src/logging/logger.js';
import { waitFor } from '../../stack/process.js';
import {
  redirectAddress,
  startAnvilSigner,
  startTestRemoteSigner,
  testSignerCa,
  type TestRemoteSigner,
} from '../../harness/remote-signer.js';
import {
  createOrder,
  registerProvider,
  startTestChain,
  tenantWallet,
  type TestChain,
} from '../../harness/test-chain.js';

const token = 'test-bearer-token-0123456789';

describe('signing through a remote signer', () => {
  let chain: TestChain;
  let rpc: RpcPool;
  const senders: TransactionSender[] = [];
  const stops: (() => Promise<void>)[] = [];

  /** A registered provider wallet of its own, an open order, and a test signer holding the key. */
  async function bidder(
    signerOptions: { tls?: boolean } = {},
  ): Promise<{ wallet: Wallet; orderId: bigint; signer: TestRemoteSigner }> {
    const wallet = await chain.freshWallet();
    await registerProvider(chain, wallet);
    const orderId = await createOrder(chain, tenantWallet(chain), 1_000n);
    const signer = await startTestRemoteSigner({
      key: wallet,
      chainId: chain.chainId,
      token,
      ...signerOptions,
    });
    stops.push(() => signer.stop());
    return { wallet, orderId, signer };
  }

  function remote(url: string, address: string, options: Partial<RemoteSignerOptions> = {}) {
    return new RemoteSigner({
      url,
      address,
      chainId: chain.chainId,
      token,
      timeoutMs: 2_000,
      ...options,
    });
  }

  function senderFor(
    signer: RemoteSigner,
    options: { stuckAfterMs?: number; logger?: Logger } = {},
  ) {
    const sender = new TransactionSender({
      rpc,
      signer,
      chainId: chain.chainId,
      pollIntervalMs: 100,
      ...options,
    });
    senders.push(sender);
    return sender;
  }

  function bidIntent(address: string, orderId: bigint, price: bigint): TransactionIntent {
    const market = connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
    return {
      ...contractCall(marketplaceAbi, chain.contracts.marketplace, 'placeBid', [orderId, price]),
      key: `placeBid/${orderId}/${price}`,
      precheck: async () =>
        (await market.getBid(orderId, address)) === price
          ? { send: false, reason: 'the bid is on chain' }
          : { send: true },
    };
  }

  const bidOf = (orderId: bigint, address: string) =>
    connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider).getBid(
      orderId,
      address,
    );
  /** Transactions of `address` mined and pending: what was sent, whatever happened to it. */
  const nonces = async (address: string) => ({
    latest: await chain.provider.getTransactionCount(address, 'latest'),
    pending: await chain.provider.getTransactionCount(address, 'pending'),
  });

  beforeAll(async () => {
    chain = await startTestChain('remote-signer');
    rpc = new RpcPool({ urls: [chain.rpcUrl], chainId: chain.chainId });
  });

  afterEach(async () => {
    for (const sender of senders.splice(0)) sender.stop();
    for (const stop of stops.splice(0)) await stop();
    await chain.rpc('evm_setAutomine', [true]);
  });

  afterAll(async () => {
    rpc.destroy();
    await chain?.stop();
  });

  it('bids through the test signer with its bearer token; the signer lists the address', async () => {
    const { wallet, orderId, signer } = await bidder();
    const remoteSigner = remote(signer.url, wallet.address);
    expect(await remoteSigner.check()).toBeUndefined();
    const result = await senderFor(remoteSigner).send(bidIntent(wallet.address, orderId, 700n));
    expect(result.status).toBe('mined');
    expect(await bidOf(orderId, wallet.address)).toBe(700n);
    expect(signer.requests.map((r) => r.method)).toEqual(['eth_accounts', 'eth_signTransaction']);
    expect(signer.requests.every((r) => r.authorized)).toBe(true);
  });

  it("bids through anvil's eth_signTransaction, a real implementation of the convention", async () => {
    const anvil = await startAnvilSigner(chain.chainId);
    stops.push(() => anvil.stop());
    const wallet = anvil.key.connect(chain.provider);
    await chain.rpc('anvil_setBalance', [wallet.address, `0x${(10n ** 20n).toString(16)}`]);
    await registerProvider(chain, wallet as unknown as Wallet);
    const orderId = await createOrder(chain, tenantWallet(chain), 1_000n);
    const remoteSigner = new RemoteSigner({
      url: anvil.url,
      address: wallet.address,
      chainId: chain.chainId,
    });
    expect(await remoteSigner.check()).toBeUndefined();
    const result = await senderFor(remoteSigner).send(bidIntent(wallet.address, orderId, 650n));
    expect(result.status).toBe('mined');
    expect(await bidOf(orderId, wallet.address)).toBe(650n);
  });

  it('reaches a signer over HTTPS with the CA from its Secret, and refuses it without', async () => {
    const { wallet, orderId, signer } = await bidder({ tls: true });
    const withoutCa = remote(signer.url, wallet.address);
    const refused = await withoutCa.check();
    expect(refused).toBeInstanceOf(SignerUnavailableError);
    expect(refused?.message).toMatch(/self-signed certificate/);

    const result = await senderFor(remote(signer.url, wallet.address, { ca: testSignerCa })).send(
      bidIntent(wallet.address, orderId, 690n),
    );
    expect(result.status).toBe('mined');
  });

  it('refuses a wrong bearer token, without the token in the error', async () => {
    const { wallet, signer } = await bidder();
    const wrong = 'a-wrong-token-9876543210';
    const problem = await remote(signer.url, wallet.address, { token: wrong }).check();
    expect(problem).toBeInstanceOf(SignerRefusedError);
    expect(problem?.message).toContain('HTTP 401');
    expect(problem?.message).not.toContain(wrong);
    expect(signer.requests).toEqual([{ method: 'eth_accounts', authorized: false }]);
  });

  it('sends nothing while the signer is down, and the next send, once it is back, takes the same nonce', async () => {
    const { wallet, orderId, signer } = await bidder();
    const sender = senderFor(remote(signer.url, wallet.address));
    const before = await nonces(wallet.address);
    await signer.down();

    const failure = await sender.send(bidIntent(wallet.address, orderId, 680n)).catch((e) => e);
    expect(failure).toBeInstanceOf(SignerUnavailableError);
    expect((failure as Error).message).toContain(
      `the remote signer at ${signer.url} did not answer eth_signTransaction`,
    );
    expect(await nonces(wallet.address)).toEqual(before);

    await signer.up();
    const result = await sender.send(bidIntent(wallet.address, orderId, 680n));
    expect(result).toMatchObject({ status: 'mined', nonce: before.latest });
    expect(await bidOf(orderId, wallet.address)).toBe(680n);
  });

  it.each([
    ['signed by another key', 'other-key', /signed by 0x[0-9a-fA-F]{40}, not by the provider's/],
    [
      'sent elsewhere',
      'redirect',
      new RegExp(`to: asked 0x[0-9a-fA-F]{40}, got ${redirectAddress}`),
    ],
  ] as const)('refuses a transaction %s, and sends nothing', async (_what, behaviour, problem) => {
    const { wallet, orderId, signer } = await bidder();
    const sender = senderFor(remote(signer.url, wallet.address));
    const before = await nonces(wallet.address);
    signer.behave(behaviour);

    const failure = await sender.send(bidIntent(wallet.address, orderId, 670n)).catch((e) => e);
    expect(failure).toBeInstanceOf(SignedTransactionMismatchError);
    expect((failure as Error).message).toMatch(problem);
    expect((failure as Error).message).toContain('not sent');
    expect(await nonces(wallet.address)).toEqual(before);
    expect(await bidOf(orderId, wallet.address)).toBe(0n);

    signer.behave('honest');
    const result = await sender.send(bidIntent(wallet.address, orderId, 670n));
    expect(result).toMatchObject({ status: 'mined', nonce: before.latest });
  });

  it('reports a refused signature until a probe signature (never sent) shows the signer fixed', async () => {
    const { wallet, orderId, signer } = await bidder();
    const remoteSigner = remote(signer.url, wallet.address);
    const before = await nonces(wallet.address);
    signer.behave('other-key');
    await senderFor(remoteSigner)
      .send(bidIntent(wallet.address, orderId, 630n))
      .catch(() => undefined);
    expect(await remoteSigner.check()).toBeInstanceOf(SignedTransactionMismatchError);
    signer.behave('honest');
    expect(await remoteSigner.check()).toBeUndefined();
    // The probe was signed, not sent: the wallet sent nothing.
    expect(signer.requests.filter((r) => r.method === 'eth_signTransaction').length).toBe(3);
    expect(await nonces(wallet.address)).toEqual(before);
  });

  it('reports a signer that does not hold the address, which refuses to sign for it', async () => {
    const { orderId, signer } = await bidder();
    // A registered provider whose key the signer does not hold.
    const stranger = await chain.freshWallet();
    await registerProvider(chain, stranger);
    const remoteSigner = remote(signer.url, stranger.address);
    const problem = await remoteSigner.check();
    expect(problem).toBeInstanceOf(SignerAccountMissingError);
    expect(problem?.message).toContain(
      `does not sign for ${stranger.address}. eth_accounts lists ${signer.address}`,
    );
    const failure = await senderFor(remoteSigner)
      .send(bidIntent(stranger.address, orderId, 660n))
      .catch((e) => e);
    expect(failure).toBeInstanceOf(SignerRefusedError);
    expect((failure as Error).message).toContain(`no key for account ${stranger.address}`);
    expect(await nonces(stranger.address)).toEqual({ latest: 1, pending: 1 }); // register only
  });

  it('keeps waiting for a stuck transaction while its replacement cannot be signed', async () => {
    const { wallet, orderId, signer } = await bidder();
    await chain.rpc('evm_setAutomine', [false]);
    const lines: string[] = [];
    const logger = createLogger({
      level: 'warn',
      stream: new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    });
    const sender = senderFor(remote(signer.url, wallet.address), { stuckAfterMs: 300, logger });
    const sending = sender.send(bidIntent(wallet.address, orderId, 640n));
    await waitFor(
      'the bid pending in the pool',
      async () => {
        const { latest, pending } = await nonces(wallet.address);
        return pending > latest;
      },
      10_000,
      50,
    );
    await signer.down();
    const unsigned = () =>
      lines.filter((line) => line.includes('could not sign the replacement')).length;
    await waitFor(
      'two replacements that could not be signed',
      async () => unsigned() >= 2,
      10_000,
      50,
    );
    await chain.mine(1);
    expect(await sending).toMatchObject({ status: 'mined', replacements: 0 });
    expect(await bidOf(orderId, wallet.address)).toBe(640n);
    expect(lines.join('')).toContain(`the remote signer at ${signer.url} did not answer`);
    expect(lines.join('')).not.toContain(token);
  });
});
