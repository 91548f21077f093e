// The Provider reconcile's branches that end before a chain session exists (no wallet key),
// against an in-memory API server (FakeKubeClient) whose writes reach the informer cache. The
// branches with a key (RPC, registration, bidding) need a chain: test/integration/market/.
import { Registry } from 'prom-client';
import { GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import { ProviderSpec, type Provider } from '../../api/provider.js';
import { withDefaults } from '../../api/validate.js';
import type { ReconcileContext } from '../../kube/controller.js';
import { KubeApiError } from '../../kube/errors.js';
import { EventRecorder } from '../../kube/events.js';
import { InformerCache } from '../../kube/informer-cache.js';
import { NamespaceKind, SecretKind } from '../../kube/objects.js';
import { FakeClock } from '../../kube/testing/fake-clock.js';
import { FakeKubeClient, type FakeRequest } from '../../kube/testing/fake-client.js';
import { silentLogger } from '../../logging/logger.js';
import { providerReconciler } from './reconciler.js';
import { ChainSide } from '../../chain-side/chain-side.js';
import { defaultChainTimings } from '../../chain-side/session.js';

const resyncMs = 30_000;
const secretNamespace = 'supercloud-system';

/** A Provider as the API server stores it (defaults filled in), its key in Secret `wallet`. */
function provider(): Provider {
  return {
    apiVersion: ProviderKind.apiVersion,
    kind: 'Provider',
    metadata: { name: 'acme' },
    spec: withDefaults(ProviderSpec, {
      chain: {
        chainId: 31337,
        rpcUrls: ['http://127.0.0.1:1'],
        marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
        registry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
      },
      walletSecretRef: { name: 'wallet', namespace: secretNamespace },
      gatewayUrl: 'https://gateway.example',
    }) as ProviderSpec,
  };
}

async function harness() {
  const clock = new FakeClock();
  const api = new FakeKubeClient({ clock });
  const cache = new InformerCache(api.client, { clock, listerWatcher: api.listerWatcher });
  cache.informer(ProviderKind);
  cache.informer(GpuNodePoolKind);
  cache.start();
  await cache.waitForSync();
  api.seed(NamespaceKind, { metadata: { name: secretNamespace } });

  const registry = new Registry();
  const events = new EventRecorder(
    { create: async () => undefined, updateSeries: async () => undefined },
    { reportingInstance: 'test', clock },
  );
  const chainSide = new ChainSide({
    client: api.client,
    cache,
    events,
    registry,
    timings: defaultChainTimings,
    logger: silentLogger(),
  });
  const leading = new AbortController();
  const chainSideRun = chainSide.start(leading.signal);
  const reconciler = providerReconciler({ registry, chainSide, resyncMs });
  const context: ReconcileContext = {
    log: silentLogger(),
    client: api.client,
    cache,
    events,
    signal: new AbortController().signal,
  };
  const reconcile = async (name = 'acme') => {
    api.requests.length = 0;
    return reconciler({ name, key: name }, context);
  };
  const seedSecret = (data: Record<string, string>) =>
    api.seed(SecretKind, { metadata: { namespace: secretNamespace, name: 'wallet' }, data });
  const condition = (type: string) =>
    api.stored(ProviderKind, 'acme')?.status?.conditions?.find((c) => c.type === type);
  return {
    api,
    reconcile,
    seedSecret,
    condition,
    stop: async () => {
      leading.abort();
      await chainSideRun;
      await cache.stop();
    },
  };
}

type Harness = Awaited<ReturnType<typeof harness>>;
let h: Harness;
afterEach(async () => {
  await h?.stop();
});

const base64 = (text: string) => Buffer.from(text).toString('base64');
/** The status writes of the last reconcile. */
const statusWrites = (): FakeRequest[] =>
  h.api.requests.filter((r) => r.kind === 'Provider' && r.subresource === 'status');

describe('providerReconciler', () => {
  describe('a Provider that is gone', () => {
    it('sends nothing', async () => {
      h = await harness();
      expect(await h.reconcile('no-such-provider')).toBeUndefined();
      expect(h.api.requests).toEqual([]);
    });
  });

  describe('a wallet Secret that gives no key', () => {
    it('reports SecretNotFound when the Secret does not exist, and looks again after the resync interval', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
      expect(h.api.requests.map((r) => `${r.method} ${r.kind}`)).toEqual([
        'GET Secret',
        'PATCH Provider',
      ]);
      expect(h.api.requests[0]).toMatchObject({ namespace: secretNamespace, name: 'wallet' });
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'SecretNotFound',
        message: `Secret ${secretNamespace}/wallet not found (or not readable): create it with the key privateKey`,
      });
      expect(h.condition('Ready')).toMatchObject({ status: 'False', reason: 'NotReady' });
      expect(h.condition('ChainConnected')).toBeUndefined();
      expect(h.api.stored(ProviderKind, 'acme')?.status).not.toHaveProperty('providerAddress');
    });

    it('reports KeyMissing when the Secret has no entry under the key', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      h.seedSecret({ otherKey: base64('0x01') });
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'KeyMissing',
        message: `Secret ${secretNamespace}/wallet has no key privateKey`,
      });
    });

    it('reports KeyInvalid for a value that is not a 32-byte hex key, and never writes the value anywhere', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      const secretValue = 'deadbeef-not-a-private-key';
      h.seedSecret({ privateKey: base64(secretValue) });
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'KeyInvalid',
        message: `Secret ${secretNamespace}/wallet key privateKey is not a hex private key (32 bytes)`,
      });
      const sent = JSON.stringify(h.api.writes());
      expect(sent).not.toContain(secretValue);
      expect(sent).not.toContain(base64(secretValue));
    });
  });

  describe('a signer configuration that gives no signer', () => {
    const signerAddress = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    /** The Provider with a remote signer in place of (or, with `both`, beside) the wallet Secret. */
    const remote = (credentials: boolean, both = false): Provider => {
      const base = provider();
      const { walletSecretRef, ...spec } = base.spec;
      return {
        ...base,
        spec: {
          ...spec,
          ...(both ? { walletSecretRef } : {}),
          remoteSigner: {
            url: 'http://127.0.0.1:1',
            address: signerAddress,
            timeoutSeconds: 10,
            ...(credentials
              ? {
                  credentialsSecretRef: {
                    name: 'signer',
                    namespace: secretNamespace,
                    tokenKey: 'token',
                    caKey: 'ca.crt',
                  },
                }
              : {}),
          },
        },
      };
    };

    it('reports SignerConfigInvalid when both the wallet Secret and a remote signer are set, reading nothing', async () => {
      h = await harness();
      h.api.seed(ProviderKind, remote(false, true));
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
      expect(h.api.requests.map((r) => `${r.method} ${r.kind}`)).toEqual(['PATCH Provider']);
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'SignerConfigInvalid',
        message:
          'set exactly one of spec.walletSecretRef (the key in a Secret) and spec.remoteSigner (the key in a remote signer)',
      });
    });

    it("reports SecretNotFound when the remote signer's credentials Secret does not exist", async () => {
      h = await harness();
      h.api.seed(ProviderKind, remote(true));
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
      expect(h.api.requests[0]).toMatchObject({
        method: 'GET',
        kind: 'Secret',
        namespace: secretNamespace,
        name: 'signer',
      });
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'SecretNotFound',
        message: `Secret ${secretNamespace}/signer (the remote signer's credentials) not found (or not readable)`,
      });
    });

    it('reports KeyMissing when the credentials Secret has neither a token nor a CA, and writes no value anywhere', async () => {
      h = await harness();
      h.api.seed(ProviderKind, remote(true));
      const unrelated = 'an-unrelated-secret-value';
      h.api.seed(SecretKind, {
        metadata: { namespace: secretNamespace, name: 'signer' },
        data: { other: base64(unrelated) },
      });
      await h.reconcile();
      expect(h.condition('WalletReady')).toMatchObject({
        status: 'False',
        reason: 'KeyMissing',
        message: `Secret ${secretNamespace}/signer has neither key token (a bearer token) nor ca.crt (a CA bundle)`,
      });
      expect(JSON.stringify(h.api.writes())).not.toContain(unrelated);
    });
  });

  describe('status writes', () => {
    it('writes the status once, and not again while nothing in it changed', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      await h.reconcile();
      expect(statusWrites()).toHaveLength(1);
      await h.reconcile();
      expect(statusWrites()).toHaveLength(0);
      h.seedSecret({ otherKey: base64('0x01') });
      await h.reconcile();
      expect(statusWrites()).toHaveLength(1);
      expect(h.condition('WalletReady')?.reason).toBe('KeyMissing');
    });

    it('writes the status by server-side apply on the status subresource, as the operator', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      await h.reconcile();
      const [write] = statusWrites();
      expect(write).toMatchObject({
        method: 'PATCH',
        name: 'acme',
        patchType: 'apply',
        fieldManager: 'supercloud-operator',
        force: true,
      });
    });

    it('ends quietly when the Provider was deleted before its status was written', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      h.api.refuse((r) => r.subresource === 'status', 404, 'providers "acme" not found');
      expect(await h.reconcile()).toEqual({ requeueAfterMs: resyncMs });
    });

    it('throws when the status write fails otherwise, to be retried', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      h.api.refuse((r) => r.subresource === 'status', 500, 'etcdserver: request timed out');
      const error = await h.reconcile().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(KubeApiError);
      expect(error).toMatchObject({ code: 500 });
    });

    it('still writes what it learned when reading the Secret fails, then throws', async () => {
      h = await harness();
      h.api.seed(ProviderKind, provider());
      h.api.refuse((r) => r.kind === 'Secret', 403, 'secrets "wallet" is forbidden');
      const error = await h.reconcile().catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 403 });
      expect(statusWrites()).toHaveLength(1);
      expect(h.condition('Ready')?.status).toBe('False');
    });
  });
});
