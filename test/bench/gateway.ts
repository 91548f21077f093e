// make bench BENCH=gateway: the provider gateway under load, on the local stack, run in this
// process as its own ServiceAccount. Tenants (50 by default: SUPERCLOUD_GATEWAY_TENANTS), each
// with a running hand-applied lease, ask at once: each signs and sends 20 status requests, then
// 20 log tails, one after the other (SUPERCLOUD_GATEWAY_REQUESTS); the latency of each request,
// signing included, is what a tenant waits. Then one tenant follows a log while lines are
// appended to its pod's log file: lines per second from the first append to the last line read.
import { HDNodeWallet } from 'ethers';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import { GpuNodePoolKind, ProviderKind } from '../../operator/src/api/kinds.js';
import { signGatewayRequest } from '../../operator/src/gateway/request-signature.js';
import { PodKind } from '../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
import {
  adminClient,
  boughtFor,
  createLease,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  deletePools,
  example,
  gpuManifest,
  installCrdsAndRbac,
  phaseIs,
  runId,
  testLease,
  testPool,
  waitForLease,
} from '../harness/cluster-fixtures.js';
import { appendPodLog, removePodLogs, setPodLogs } from '../harness/pod-logs.js';
import {
  createGatewayProvider,
  startTestGateway,
  testGatewayChain,
} from '../harness/test-gateway.js';
import { startOperator } from '../harness/test-run-operator.js';
import { percentile, seconds, type Section } from './report.js';

const { chainId, marketplace } = testGatewayChain;

function envCount(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  return Number.isInteger(value) && value > 0 ? value : fallback;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

export async function gatewayFigures(): Promise<Section> {
  const tenants = envCount('SUPERCLOUD_GATEWAY_TENANTS', 50);
  const requests = envCount('SUPERCLOUD_GATEWAY_REQUESTS', 20);
  const followLines = envCount('SUPERCLOUD_GATEWAY_FOLLOW_LINES', 5_000);
  const run = runId();
  const poolName = `gwb-${run}`;
  const providerName = `gwb-${run}`;
  const client = adminClient();
  installCrdsAndRbac();
  const provider = HDNodeWallet.createRandom();
  await client.create(GpuNodePoolKind, testPool(poolName));
  const nodes = await createPoolNodes(poolName, Math.ceil(tenants / 8));
  await createGatewayProvider(client, providerName, provider.address);
  const operator = startOperator({ run });
  const gateway = await startTestGateway();
  const wallets = Array.from({ length: tenants }, () => HDNodeWallet.createRandom());
  const names = wallets.map((_, i) => `gwb-${run}-${i}`);
  let followed: string | undefined;
  try {
    await operator.ready();
    const base = example<ComputeLease>('computelease-h100.yaml');
    const leases = await mapWithConcurrency([...wallets.keys()], 10, (i) =>
      createLease(
        client,
        testLease(base, run, names[i]!, {
          tenant: wallets[i]!.address,
          provider: provider.address,
          pool: poolName,
          manifest: gpuManifest(1),
          resources: boughtFor(1),
        }),
      ),
    );
    await mapWithConcurrency(names, 10, (name) =>
      waitForLease(client, name, 'Running', phaseIs('Running'), 300_000),
    );

    /** One signed request; its latency in ms (signing included), failing on an error status. */
    const timed = async (
      wallet: HDNodeWallet,
      lease: ComputeLease,
      route: string,
    ): Promise<number> => {
      const path = `/v1/leases/${lease.spec.leaseId}/${route}`;
      const started = performance.now();
      const headers = await signGatewayRequest(
        wallet,
        { chainId, marketplace },
        { method: 'GET', path, leaseId: BigInt(lease.spec.leaseId) },
      );
      const response = await fetch(`${gateway.url}${path}`, { headers });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${route}: HTTP ${response.status}`);
      return performance.now() - started;
    };
    const load = async (route: string) => {
      const started = performance.now();
      const latencies = (
        await Promise.all(
          wallets.map(async (wallet, i) => {
            const own: number[] = [];
            for (let r = 0; r < requests; r++) own.push(await timed(wallet, leases[i]!, route));
            return own;
          }),
        )
      )
        .flat()
        .sort((a, b) => a - b);
      return { latencies, perSecond: latencies.length / ((performance.now() - started) / 1000) };
    };
    const status = await load('status');
    const logs = await load('logs?tail=10');

    followed = leaseNamespaceName(leases[0]!.spec.leaseId);
    const follow = await followThroughput(
      client,
      gateway.url,
      wallets[0]!,
      leases[0]!,
      followLines,
    );
    return {
      title: 'Provider gateway: tenants at once, and a followed log',
      method: `${tenants} tenants at once, each with a running lease, each sending ${requests} signed requests in turn (\`SUPERCLOUD_GATEWAY_TENANTS\`, \`SUPERCLOUD_GATEWAY_REQUESTS\`); the gateway in the bench process as its own ServiceAccount; then one follow of ${followLines} lines appended to a pod's log file`,
      figures: [
        {
          name: 'status: p50 / p99 latency, requests per second',
          value: `${ms(percentile(status.latencies, 50))} / ${ms(percentile(status.latencies, 99))}, ${status.perSecond.toFixed(0)}/s`,
          reference: 'signing included; the rate limit is 10/s per tenant (bursts of 40)',
        },
        {
          name: 'logs (tail 10): p50 / p99 latency, requests per second',
          value: `${ms(percentile(logs.latencies, 50))} / ${ms(percentile(logs.latencies, 99))}, ${logs.perSecond.toFixed(0)}/s`,
          reference: 'through the API server’s pods/log',
        },
        {
          name: 'log follow: lines per second',
          value: `${follow.perSecond.toFixed(0)} lines/s (${followLines} lines in ${seconds(follow.ms)})`,
          reference: 'from the first append to the last line received',
        },
      ],
    };
  } finally {
    await gateway.stop();
    await deleteLeases(client, names);
    if (followed) removePodLogs(followed);
    await operator.stop();
    await client.delete(ProviderKind, providerName);
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    client.close();
  }
}

/** Follows one lease's log through the gateway while `lines` lines are appended to its file. */
async function followThroughput(
  client: ReturnType<typeof adminClient>,
  url: string,
  wallet: HDNodeWallet,
  lease: ComputeLease,
  lines: number,
): Promise<{ ms: number; perSecond: number }> {
  const namespace = leaseNamespaceName(lease.spec.leaseId);
  const [pod] = (await client.list(PodKind, { namespace })).items;
  if (!pod?.metadata?.name) throw new Error(`lease ${lease.spec.leaseId} has no pod`);
  const files = setPodLogs(namespace, pod.metadata.name, ['before the follow']);
  const path = `/v1/leases/${lease.spec.leaseId}/logs?follow=true`;
  const headers = await signGatewayRequest(
    wallet,
    { chainId, marketplace },
    { method: 'GET', path, leaseId: BigInt(lease.spec.leaseId) },
  );
  const abort = new AbortController();
  const response = await fetch(`${url}${path}`, { headers, signal: abort.signal });
  if (!response.ok || !response.body) throw new Error(`follow: HTTP ${response.status}`);
  const last = `line ${lines}`;
  const received = (async () => {
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of response.body!) {
      text += decoder.decode(chunk as Uint8Array, { stream: true });
      if (text.includes(`${last}\n`)) return performance.now();
      text = text.slice(-64);
    }
    throw new Error('the follow ended before the last line');
  })();
  const started = performance.now();
  for (let i = 1; i <= lines; i++) appendPodLog(files, `line ${i}`);
  const ended = await received;
  abort.abort();
  const elapsed = ended - started;
  return { ms: elapsed, perSecond: lines / (elapsed / 1000) };
}
