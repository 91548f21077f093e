// The operator with its key in a remote signer instead of a Secret, on the stack and its anvil:
// the Provider names the test signer (test/harness/remote-signer.ts) and a Secret with its bearer
// token only; the operator registers, bids and the lease it wins runs. Then the signer is taken
// down (WalletReady says why, a Warning Event and a log line too, nothing is sent, and the order
// placed meanwhile is bid on once it is back), made to sign with another key or to send the
// transaction elsewhere (refused, nothing sent), and a Provider names an address the signer does
// not hold (refused). The token never shows in a log line, an Event or the status.
import { Wallet } from 'ethers';
import { ProviderKind } from '../../../operator/src/api/kinds.js';
import type { Provider } from '../../../operator/src/api/provider.js';
import { EventKind, SecretKind, type KubeClient } from '../../../operator/src/kube/index.js';
import { stack, waitFor } from '../../harness/stack.js';
import {
  fundedTenant,
  stackTestChain,
  waitForRegistration,
  type TestChain,
} from '../../harness/test-chain.js';
import { adminClient, installCrdsAndRbac, runId, slow } from '../../harness/cluster-fixtures.js';
import { forbiddenErrors, type OperatorProcess } from '../../harness/test-run-operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  placeOrder,
  removeSuite,
  startChainOperator,
  walletNamespace,
  type SuitePool,
} from '../../harness/market-fixtures.js';
import { acceptBid, marketplaceAs, phase, waitForChainLease } from '../../harness/market-steps.js';
import { startTestRemoteSigner, type TestRemoteSigner } from '../../harness/remote-signer.js';

const token = 'signer-token-for-the-operator-test-42';

describe('the operator signing through a remote signer', () => {
  const run = runId();
  const pool: SuitePool = {
    name: `signer-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-S${run.toUpperCase()}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const providerName = `signer-${run}`;
  const strangerName = `signer-stranger-${run}`;
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let tenant: Wallet;
  let signer: TestRemoteSigner;
  let operator: OperatorProcess;

  const bidOf = (orderId: bigint) => marketplaceAs(chain, tenant).getBid(orderId, wallet.address);
  const waitForBid = (orderId: bigint, timeoutMs: number) =>
    waitFor(`a bid on order ${orderId}`, async () => (await bidOf(orderId)) > 0n, timeoutMs, 200);
  const order = () =>
    placeOrder(chain, tenant, {
      model: pool.model,
      gpus: 1,
      maxPricePerSecond: 1_000_000n,
      biddingSeconds: 600n,
    });
  const walletReady = async (name = providerName) =>
    (await client.get(ProviderKind, name))?.status?.conditions?.find(
      (c) => c.type === 'WalletReady',
    );
  async function waitForWalletReady(status: 'True' | 'False', reason: string, name = providerName) {
    await waitFor(
      `WalletReady ${status} (${reason}) on Provider ${name}`,
      async () => {
        const condition = await walletReady(name);
        return condition?.status === status && condition.reason === reason;
      },
      60_000,
      200,
    );
    return (await walletReady(name))!;
  }
  const eventsOf = async (name: string) =>
    (
      await client.list(EventKind, {
        namespace: 'default',
        fieldSelector: `regarding.name=${name}`,
      })
    ).items.filter((event) => event.regarding?.kind === 'Provider');
  /** The operator's log lines about failed transactions since `from`. */
  const failedSends = (from: number) =>
    operator.lines.slice(from).filter((line) => line.message === 'transaction failed');
  const nonces = async (address: string) => ({
    latest: await chain.provider.getTransactionCount(address, 'latest'),
    pending: await chain.provider.getTransactionCount(address, 'pending'),
  });

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    // The stack's chain: lease ids (and so ComputeLease names) never meet another suite's.
    chain = stackTestChain();
    tenant = await fundedTenant(chain);
    wallet = await chain.freshWallet();
    signer = await startTestRemoteSigner({ key: wallet, chainId: chain.chainId, token });
    await createSuitePool(client, pool, 1);
    await createSuiteProvider(client, providerName, run, chain, wallet, {
      remoteSigner: { url: signer.url, token },
    });
    operator = startChainOperator(run);
    await operator.ready();
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    if (client) {
      await client.delete(ProviderKind, strangerName).catch(() => undefined);
      await removeSuite(client, run, providerName, [pool]);
    }
    await signer?.stop();
    await chain?.stop();
  }, slow);

  it(
    'registers, bids and runs the lease it wins, every transaction signed remotely',
    async () => {
      await waitForRegistration(chain, wallet.address);
      const ready = await waitForWalletReady('True', 'SignerReady');
      expect(ready.message).toBe(`the remote signer at ${signer.url} signs for ${wallet.address}`);
      expect((await client.get(ProviderKind, providerName))?.status?.providerAddress).toBe(
        wallet.address,
      );

      const orderId = await order();
      await waitForBid(orderId, 60_000);
      await acceptBid(chain, tenant, orderId, wallet.address);
      const lease = await waitForChainLease(client, orderId, 'Running', phase('Running'), 180_000);
      expect(lease.spec.pool).toBe(pool.name);
      // The key is nowhere in the cluster: the Provider names the signer, its Secret holds the
      // token only, and every signature came from the signer (with the token).
      const spec = (await client.get(ProviderKind, providerName))!.spec;
      expect(spec.walletSecretRef).toBeUndefined();
      const secret = await client.get(SecretKind, `wallet-${run}`, walletNamespace);
      expect(Object.keys(secret?.data ?? {})).toEqual(['token']);
      expect(signer.requests.some((r) => r.method === 'eth_signTransaction')).toBe(true);
      expect(signer.requests.every((r) => r.authorized)).toBe(true);
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );

  it(
    'while the signer is down, says so and sends nothing; the order placed meanwhile is bid on once it is back',
    async () => {
      const before = await nonces(wallet.address);
      const logFrom = operator.lines.length;
      await signer.down();
      const orderId = await order();

      const condition = await waitForWalletReady('False', 'SignerUnreachable');
      expect(condition.message).toContain(`the remote signer at ${signer.url} did not answer`);
      await waitFor(
        'a SignerUnreachable Event on the Provider',
        async () => (await eventsOf(providerName)).some((e) => e.reason === 'SignerUnreachable'),
        30_000,
        200,
      );
      await waitFor(
        'the failed bid logged',
        async () => failedSends(logFrom).length > 0,
        30_000,
        200,
      );
      expect(String(failedSends(logFrom)[0]!.error)).toContain(
        `the remote signer at ${signer.url} did not answer eth_signTransaction`,
      );
      expect(await bidOf(orderId)).toBe(0n);
      expect(await nonces(wallet.address)).toEqual(before);

      await signer.up();
      await waitForBid(orderId, 90_000);
      await waitForWalletReady('True', 'SignerReady');
      // Sending resumed at the nonce that was next: no gap, nothing left pending.
      const after = await nonces(wallet.address);
      expect(after.latest).toBeGreaterThan(before.latest);
      expect(after.pending).toBe(after.latest);
    },
    slow,
  );

  it.each([
    ['signs with another key', 'other-key', /signed by 0x[0-9a-fA-F]{40}, not by the provider's/],
    ['sends the transaction elsewhere', 'redirect', /to: asked 0x[0-9a-fA-F]{40}, got 0x/],
  ] as const)(
    'refuses a signer that %s: WalletReady says why, and nothing is sent',
    async (_what, behaviour, problem) => {
      const before = await nonces(wallet.address);
      signer.behave(behaviour);
      try {
        const orderId = await order();
        const condition = await waitForWalletReady('False', 'SignatureMismatch');
        expect(condition.message).toMatch(problem);
        expect(condition.message).toContain('not sent');
        expect(
          (await eventsOf(providerName)).some((event) => event.reason === 'SignatureMismatch'),
        ).toBe(true);
        expect(await bidOf(orderId)).toBe(0n);
        expect(await nonces(wallet.address)).toEqual(before);
        signer.behave('honest');
        await waitForBid(orderId, 90_000);
        await waitForWalletReady('True', 'SignerReady');
      } finally {
        signer.behave('honest');
      }
    },
    slow,
  );

  it(
    'refuses a Provider whose address the signer does not hold, and sends nothing for it',
    async () => {
      const stranger = Wallet.createRandom();
      const provider = (await client.get(ProviderKind, providerName))!;
      const strangerProvider: Provider = {
        apiVersion: provider.apiVersion,
        kind: 'Provider',
        metadata: { name: strangerName, labels: provider.metadata.labels! },
        spec: {
          ...provider.spec,
          remoteSigner: { ...provider.spec.remoteSigner!, address: stranger.address },
        },
      };
      await client.create(ProviderKind, strangerProvider);
      const condition = await waitForWalletReady('False', 'SignerAccountMissing', strangerName);
      expect(condition.message).toContain(
        `the remote signer at ${signer.url} does not sign for ${stranger.address}`,
      );
      const status = (await client.get(ProviderKind, strangerName))?.status;
      expect(status?.providerAddress).toBe(stranger.address);
      expect(status?.registered).not.toBe(true);
      expect(await nonces(stranger.address)).toEqual({ latest: 0, pending: 0 });
    },
    slow,
  );

  it('never puts the token in a log line, an Event or a status', async () => {
    expect(JSON.stringify(operator.lines)).not.toContain(token);
    for (const name of [providerName, strangerName]) {
      expect(JSON.stringify(await eventsOf(name))).not.toContain(token);
      expect(JSON.stringify((await client.get(ProviderKind, name))?.status)).not.toContain(token);
    }
  });
});
