// The provider gateway against the real API server, run with its own least privilege (the
// ServiceAccount of examples/gateway-rbac.yaml, by impersonation): a tenant's signed
// requests read the lease's status and Events and deliver a secret; the lease waits for the
// secret, then runs with it from the lease's Secret, and the value shows up in no gateway log,
// no ComputeLease and no answer. Forged, replayed, cross-chain, oversized and foreign requests
// are refused with their reason.
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { ComputeLeaseKind, ProviderKind } from '../../../operator/src/api/kinds.js';
import { signGatewayRequest } from '../../../operator/src/gateway/request-signature.js';
import type { KubeClient } from '../../../operator/src/kube/index.js';
import { DeploymentKind, PodKind, SecretKind } from '../../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import { repoRoot } from '../../stack/paths.js';
import {
  adminClient,
  createLease,
  deleteLeases,
  example,
  installCrdsAndRbac,
  kubectl,
  phaseIs,
  runId,
  slow,
  testLease,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import { appendPodLog, removePodLogs, setPodLogs } from '../../harness/pod-logs.js';
import { waitFor } from '../../harness/stack.js';
import {
  createGatewayProvider,
  startTestGateway,
  testGatewayChain,
  type TestGateway,
} from '../../harness/test-gateway.js';
import { startOperator, type OperatorProcess } from '../../harness/test-run-operator.js';

const run = runId();
const leaseName = `gw-${run}`;
const otherLeaseName = `gw-other-${run}`;
const providerName = `gw-${run}`;
const { chainId, marketplace } = testGatewayChain;
const secretValue = `hf_${run}_do-not-log-me`;

const tenant = new Wallet(Wallet.createRandom().privateKey);
const otherTenant = new Wallet(Wallet.createRandom().privateKey);
const providerWallet = Wallet.createRandom();

/** The H100 example's manifest, its environment taking HF_TOKEN from a secret. */
function secretManifest(base: ComputeLease['spec']['manifest']): ComputeLease['spec']['manifest'] {
  const manifest = structuredClone(base);
  manifest.services[0]!.env = [{ name: 'HF_TOKEN', secret: 'hf-token' }];
  return manifest;
}

describe('the provider gateway', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let gateway: TestGateway;
  let url: string;
  let lease: ComputeLease;
  let otherLease: ComputeLease;

  /** A request signed by `signer` (the tenant by default) for `chain`. */
  async function call(
    method: string,
    path: string,
    options: { signer?: Wallet; body?: string; chain?: number; leaseId?: bigint } = {},
  ): Promise<Response> {
    const leaseId = options.leaseId ?? BigInt(lease.spec.leaseId);
    const headers = await signGatewayRequest(
      options.signer ?? tenant,
      { chainId: options.chain ?? chainId, marketplace },
      { method, path, leaseId, ...(options.body !== undefined ? { body: options.body } : {}) },
    );
    return fetch(`${url}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: options.body } : {}),
    });
  }
  const route = (name: string, leaseId = lease.spec.leaseId) => `/v1/leases/${leaseId}/${name}`;
  const errorCode = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    kubectl(['apply', '--server-side', '-f', join(repoRoot, 'examples/gpunodepool-h100.yaml')]);
    // The Provider the leases were won by: its chain is the signatures' domain. No test-run
    // label: the operator under test leaves it alone.
    await createGatewayProvider(client, providerName, providerWallet.address);
    operator = startOperator({ run });
    await operator.ready();
    const base = example<ComputeLease>('computelease-h100.yaml');
    const owned = { tenant: tenant.address, provider: providerWallet.address };
    lease = await createLease(
      client,
      testLease(base, run, leaseName, { ...owned, manifest: secretManifest(base.spec.manifest) }),
    );
    otherLease = await createLease(
      client,
      testLease(base, run, otherLeaseName, {
        tenant: otherTenant.address,
        provider: providerWallet.address,
      }),
    );

    gateway = await startTestGateway();
    url = gateway.url;
  }, slow);

  afterAll(async () => {
    await gateway?.stop();
    await deleteLeases(client, [leaseName, otherLeaseName]);
    await client.delete(ProviderKind, providerName);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'holds a lease that needs a secret until the tenant delivers it, then runs it with the value from the lease Secret',
    async () => {
      const waiting = await waitForLease(client, leaseName, 'waiting for its secret', (l) =>
        (l.status?.conditions ?? []).some((c) => c.reason === 'SecretsMissing'),
      );
      expect(waiting.status?.phase).toBe('Deploying');
      const namespace = leaseNamespaceName(lease.spec.leaseId);
      expect(await client.get(DeploymentKind, 'llm', namespace)).toBeUndefined();

      const body = JSON.stringify({ values: { 'hf-token': secretValue } });
      const put = await call('PUT', route('secrets'), { body });
      expect(put.status).toBe(200);
      expect(await put.json()).toEqual({ names: ['hf-token'], registry: false });

      await waitForLease(client, leaseName, 'Running', phaseIs('Running'), 90_000);
      const deployment = await client.get(DeploymentKind, 'llm', namespace);
      expect(deployment?.spec?.template.spec?.containers[0]?.env).toContainEqual({
        name: 'HF_TOKEN',
        valueFrom: { secretKeyRef: { name: 'tenant-secrets', key: 'hf-token' } },
      });
      const secret = await client.get(SecretKind, 'tenant-secrets', namespace);
      expect(Buffer.from(secret?.data?.['hf-token'] ?? '', 'base64').toString()).toBe(secretValue);

      const listed = await call('GET', route('secrets'));
      expect(await listed.json()).toEqual({ names: ['hf-token'], registry: false });
      const stored = await client.get(ComputeLeaseKind, leaseName);
      expect(JSON.stringify(stored)).not.toContain(secretValue);
      expect(gateway.logged.join('\n')).not.toContain(secretValue);
      expect(operator.lines.map((line) => JSON.stringify(line)).join('\n')).not.toContain(
        secretValue,
      );
    },
    slow,
  );

  it(
    "answers the tenant with the lease's phase, services, endpoints and Events",
    async () => {
      await waitForLease(client, leaseName, 'Running', phaseIs('Running'), 90_000);
      const status = await call('GET', route('status'));
      expect(status.status).toBe(200);
      expect(await status.json()).toMatchObject({
        leaseId: lease.spec.leaseId,
        phase: 'Running',
        services: [{ name: 'llm', replicas: 1, readyReplicas: 1 }],
        endpoints: [expect.objectContaining({ service: 'llm', port: 8000 })],
      });
      const events = await call('GET', route('events'));
      const { events: list } = (await events.json()) as { events: { object: string }[] };
      expect(list.length).toBeGreaterThan(0);
      expect(list.some((event) => event.object.startsWith('ComputeLease/'))).toBe(true);
    },
    slow,
  );

  it(
    'refuses forged, replayed, cross-chain, oversized and foreign requests, each with its reason',
    async () => {
      expect(await errorCode(await call('GET', route('status'), { signer: otherTenant }))).toBe(
        'NotTheTenant',
      );
      // The other tenant asks for its own lease's data with a signature for this lease.
      const crossLease = await call('GET', route('status', otherLease.spec.leaseId), {
        leaseId: BigInt(lease.spec.leaseId),
      });
      expect(crossLease.status).toBe(403);
      expect(await errorCode(await call('GET', route('status'), { chain: 1 }))).toBe('WrongChain');

      const path = route('status');
      const headers = await signGatewayRequest(
        tenant,
        { chainId, marketplace },
        { method: 'GET', path, leaseId: BigInt(lease.spec.leaseId) },
      );
      expect((await fetch(`${url}${path}`, { headers })).status).toBe(200);
      const replayed = await fetch(`${url}${path}`, { headers });
      expect(replayed.status).toBe(401);
      expect(await errorCode(replayed)).toBe('Replayed');

      const huge = JSON.stringify({ values: { big: 'x'.repeat(100 * 1024) } });
      expect((await call('PUT', route('secrets'), { body: huge })).status).toBe(413);
      const unsigned = await fetch(`${url}${route('status')}`);
      expect(await errorCode(unsigned)).toBe('Unsigned');
      expect(await errorCode(await fetch(`${url}/v1/leases/1/nothing`))).toBe('NoSuchRoute');
      expect(
        await errorCode(
          await call('GET', route('status', '999999999999'), { leaseId: 999999999999n }),
        ),
      ).toBe('NoSuchLease');
    },
    slow,
  );

  it(
    "follows a replica's log across a pod replacement, and ends when the lease closes",
    async () => {
      const namespace = leaseNamespaceName(lease.spec.leaseId);
      const running = async () =>
        (await client.list(PodKind, { namespace })).items.filter(
          (pod) => pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp,
        );
      const [first] = await running();
      const firstName = first?.metadata?.name;
      if (!firstName) throw new Error(`lease ${lease.spec.leaseId} has no running pod`);
      const firstFiles = setPodLogs(namespace, firstName, [`first pod ${run}`]);
      const follow = await call('GET', `${route('logs')}?follow=true`);
      expect(follow.status).toBe(200);
      let seen = '';
      const ended = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of follow.body!) seen += decoder.decode(chunk as Uint8Array);
      })();
      const shows = (text: string) =>
        waitFor(`the follow to show "${text}"`, async () => seen.includes(text), 30_000, 50);
      await shows(`first pod ${run}`);
      appendPodLog(firstFiles, `appended ${run}`);
      await shows(`appended ${run}`);

      await client.delete(PodKind, firstName, { namespace });
      let nextName = '';
      await waitFor(
        'the replacement pod',
        async () => {
          const [next] = (await running()).filter((pod) => pod.metadata?.name !== firstName);
          nextName = next?.metadata?.name ?? '';
          return nextName !== '';
        },
        30_000,
        20,
      );
      setPodLogs(namespace, nextName, [`replacement pod ${run}`]);
      await shows(`replacement pod ${run}`);
      // Each line once: the reopened log does not repeat what was sent.
      expect(seen.split(`first pod ${run}`)).toHaveLength(2);

      await client.patch(ComputeLeaseKind, leaseName, 'merge', {
        spec: { closeRequested: { reason: 'ClosedByTenant' } },
      });
      await ended;
      removePodLogs(namespace);
    },
    slow,
  );
});
