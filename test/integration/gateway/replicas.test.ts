// Replay protection across gateway replicas and restarts, against the real API server: two
// gateways (each as the gateway's own ServiceAccount, examples/gateway-rbac.yaml) serve the same
// lease. A secret delivery accepted by one is refused as Replayed by the other and by a gateway
// started after the first stopped, so an older value cannot be put back over a newer one; a fresh
// signature is accepted; deliveries sent at once to both all land (the nonce record and the names
// delivered are written with the namespace's resourceVersion as precondition, and a request that
// loses the race reads again); a shell's nonce is recorded before its exec opens; reads record
// nothing. The lease is verified and its namespace made by the test, as the operator would:
// gateway.test.ts shows the operator's part, this suite the record the replicas share.
import { Wallet } from 'ethers';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { leaseConditionTypes } from '../../../operator/src/api/computelease.js';
import { annotations, labels } from '../../../operator/src/api/constants.js';
import { ComputeLeaseKind, ProviderKind } from '../../../operator/src/api/kinds.js';
import { shellPath } from '../../../operator/src/cli/shell-session.js';
import { nonceDigest, parseUsedNonces } from '../../../operator/src/gateway/lease-nonces.js';
import {
  signatureHeaders,
  signGatewayRequest,
} from '../../../operator/src/gateway/request-signature.js';
import { NamespaceKind, SecretKind, type KubeClient } from '../../../operator/src/kube/index.js';
import {
  leaseKey,
  leaseNamespaceName,
  tenantSecretName,
} from '../../../operator/src/workloads/names.js';
import {
  adminClient,
  createLease,
  deleteLeases,
  example,
  installCrdsAndRbac,
  runId,
  slow,
  testLease,
} from '../../harness/cluster-fixtures.js';
import { adminKubeConfig, deleteNamespace, waitFor } from '../../harness/stack.js';
import {
  createGatewayProvider,
  startTestGateway,
  testGatewayChain,
  type TestGateway,
} from '../../harness/test-gateway.js';
import { shellRefusal } from './shell-refusal.js';

const run = runId();
const leaseName = `gw-replicas-${run}`;
const providerName = `gw-replicas-${run}`;
const tenant = new Wallet(Wallet.createRandom().privateKey);
const providerWallet = Wallet.createRandom();

describe('replay protection shared by gateway replicas', () => {
  let client: KubeClient;
  let lease: ComputeLease;
  let namespace: string;
  /** Two replicas; `second` is replaced by a fresh one to show a restart. */
  let first: TestGateway;
  let second: TestGateway;

  const route = (name: string) => `/v1/leases/${lease.spec.leaseId}/${name}`;
  /** A PUT secrets delivering `values`, signed once: its headers can be sent again. */
  async function signedDelivery(values: Record<string, string>) {
    const body = JSON.stringify({ values });
    const headers = await signGatewayRequest(tenant, testGatewayChain, {
      method: 'PUT',
      path: route('secrets'),
      leaseId: BigInt(lease.spec.leaseId),
      body,
    });
    return { body, headers };
  }
  const send = (gateway: TestGateway, signed: { body: string; headers: Record<string, string> }) =>
    fetch(`${gateway.url}${route('secrets')}`, { method: 'PUT', ...signed });
  const answer = async (response: Response) => ({
    status: response.status,
    body: (await response.json()) as unknown,
  });
  const replayed = {
    status: 401,
    body: {
      error: { code: 'Replayed', message: 'this signed request was already used; sign it again' },
    },
  };
  const liveAnnotations = async () =>
    (await client.get(NamespaceKind, namespace))?.metadata?.annotations ?? {};
  const secretValue = async (key: string) => {
    const secret = await client.get(SecretKind, tenantSecretName, namespace);
    const data = secret?.data?.[key];
    return data === undefined ? undefined : Buffer.from(data, 'base64').toString();
  };

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    await createGatewayProvider(client, providerName, providerWallet.address);
    lease = await createLease(
      client,
      testLease(example<ComputeLease>('computelease-h100.yaml'), run, leaseName, {
        tenant: tenant.address,
        provider: providerWallet.address,
      }),
    );
    // What the operator writes once the chain confirms the lease, and the namespace it makes.
    await client.patch(
      ComputeLeaseKind,
      leaseName,
      'merge',
      {
        status: {
          phase: 'Running',
          conditions: [
            {
              type: leaseConditionTypes.Verified,
              status: 'True',
              reason: 'HashMatches',
              message: 'set by the test',
              lastTransitionTime: new Date().toISOString(),
            },
          ],
        },
      },
      { subresource: 'status' },
    );
    namespace = leaseNamespaceName(lease.spec.leaseId);
    await client.create(NamespaceKind, {
      metadata: { name: namespace, labels: { [labels.lease]: leaseKey(lease.spec.leaseId) } },
    });
    // Started after the lease is verified: their caches see it so from the start.
    [first, second] = await Promise.all([startTestGateway(), startTestGateway()]);
  }, slow);

  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await deleteLeases(client, [leaseName]);
    await client.delete(ProviderKind, providerName);
    if (namespace) await deleteNamespace(adminKubeConfig(), namespace);
    client.close();
  }, slow);

  it(
    'refuses on another replica, and after a restart, a delivery one replica accepted: an older value is not put back',
    async () => {
      const older = await signedDelivery({ 'api-key': `older-${run}` });
      expect(await answer(await send(first, older))).toEqual({
        status: 200,
        body: { names: ['api-key'], registry: false },
      });
      const newer = await signedDelivery({ 'api-key': `newer-${run}` });
      expect((await send(second, newer)).status).toBe(200);
      expect(await secretValue('api-key')).toBe(`newer-${run}`);

      expect(await answer(await send(second, older))).toEqual(replayed);
      await second.stop();
      second = await startTestGateway();
      expect(await answer(await send(second, older))).toEqual(replayed);
      expect(await answer(await send(second, newer))).toEqual(replayed);
      expect(await secretValue('api-key')).toBe(`newer-${run}`);

      // Signed again, the same delivery is a new request.
      expect((await send(second, await signedDelivery({ 'api-key': `again-${run}` }))).status).toBe(
        200,
      );
      expect(await secretValue('api-key')).toBe(`again-${run}`);

      // The record names digests, never the nonce, and nothing the tenant sent is logged.
      const record = (await liveAnnotations())[annotations.gatewayNonces] ?? '';
      const nonce = older.headers[signatureHeaders.nonce] ?? '';
      expect(parseUsedNonces(record).map((entry) => entry.digest)).toContain(
        nonceDigest(tenant.address, nonce),
      );
      expect(record).not.toContain(nonce.slice(2));
      const logged = [...first.logged, ...second.logged].join('\n');
      expect(logged).not.toContain(nonce.slice(2));
      expect(logged).not.toContain(`older-${run}`);
    },
    slow,
  );

  it(
    'lands every delivery sent at once to both replicas, each with its own signature',
    async () => {
      const names = Array.from({ length: 8 }, (_, i) => `key-${i}`);
      const deliveries = await Promise.all(
        names.map((name) => signedDelivery({ [name]: `${name}-${run}` })),
      );
      const responses = await Promise.all(
        deliveries.map((delivery, i) => send(i % 2 === 0 ? first : second, delivery)),
      );
      expect(responses.map((response) => response.status)).toEqual(names.map(() => 200));

      const live = await liveAnnotations();
      const delivered = (live[annotations.tenantSecrets] ?? '').split(',');
      expect(delivered).toEqual(expect.arrayContaining(['api-key', ...names]));
      const recorded = parseUsedNonces(live[annotations.gatewayNonces]).map((e) => e.digest);
      for (const delivery of deliveries) {
        const nonce = delivery.headers[signatureHeaders.nonce] ?? '';
        expect(recorded).toContain(nonceDigest(tenant.address, nonce));
      }
      for (const name of names) expect(await secretValue(name)).toBe(`${name}-${run}`);
    },
    slow,
  );

  it(
    "records a shell's nonce before its exec opens: replayed on another replica, it is refused",
    async () => {
      await client.patch(ProviderKind, providerName, 'merge', {
        spec: { gateway: { shell: { enabled: true } } },
      });
      const path = shellPath({ leaseId: BigInt(lease.spec.leaseId), command: ['true'] });
      const signed = () =>
        signGatewayRequest(tenant, testGatewayChain, {
          method: 'GET',
          path,
          leaseId: BigInt(lease.spec.leaseId),
        });
      // Until a replica's informer shows shells on, it refuses them; such a refusal records
      // nothing but spends its signature on that replica, so each try is signed anew. Once on,
      // the exec finds no replica (no operator runs the lease): after the record.
      for (const gateway of [first, second]) {
        await waitFor(
          'the gateway to offer shells',
          async () =>
            (await shellRefusal(gateway.url, path, await signed())).code !== 'ShellDisabled',
          20_000,
          50,
        );
      }
      const headers = await signed();
      expect(await shellRefusal(first.url, path, headers)).toEqual({
        status: 404,
        code: 'NoSuchReplica',
      });
      expect(await shellRefusal(second.url, path, headers)).toEqual({
        status: 401,
        code: 'Replayed',
      });
    },
    slow,
  );

  it(
    'records nothing for a read: reads stay a check of the replica that serves them',
    async () => {
      const before = (await liveAnnotations())[annotations.gatewayNonces];
      const path = route('status');
      const headers = await signGatewayRequest(tenant, testGatewayChain, {
        method: 'GET',
        path,
        leaseId: BigInt(lease.spec.leaseId),
      });
      expect((await fetch(`${first.url}${path}`, { headers })).status).toBe(200);
      expect((await liveAnnotations())[annotations.gatewayNonces]).toBe(before);
    },
    slow,
  );
});
