// The quote suites' world: a provider that bids for real (its operator on a private anvil, one
// pool of 8 GPUs of a model no other suite sells) and its gateway, registered on chain at the
// test gateway's URL, so that a quote can be held against the bid the engine then places.
import type { Wallet } from 'ethers';
import { ProviderKind } from '../../operator/src/api/kinds.js';
import type { QuoteAnswer } from '../../operator/src/gateway/quote.js';
import { quotePath, type QuoteRequestJson } from '../../operator/src/gateway/quote-request.js';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { poolPricePerSecond } from '../../operator/src/market/pricing.js';
import { canonicalManifest } from '../../operator/src/workloads/canonical.js';
import { adminClient, gpuManifest, installCrdsAndRbac, runId, slow } from './cluster-fixtures.js';
import {
  createSuitePool,
  createSuiteProvider,
  removeSuite,
  testPrices,
  type OrderRequest,
  type SuitePool,
} from './market-fixtures.js';
import { stack, waitFor } from './stack.js';
import { startTestChain, tenantWallet, type TestChain } from './test-chain.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';
import { startOperator, type OperatorProcess } from './test-run-operator.js';

export { slow };

export interface QuoteWorld {
  readonly run: string;
  readonly chain: TestChain;
  readonly client: KubeClient;
  readonly gateway: TestGateway;
  readonly operator: OperatorProcess;
  /** The provider's wallet (registered on chain by its operator). */
  readonly provider: Wallet;
  /** Anvil account 1, funded with tokens. */
  readonly tenant: Wallet;
  /** 8 GPUs on one node, sold at `testPrices`. */
  readonly pool: SuitePool;
  stop(): Promise<void>;
}

/**
 * Starts the world and waits until the gateway quotes for the provider (registered on chain, its
 * pool's capacity counted).
 */
export async function startQuoteWorld(name: string): Promise<QuoteWorld> {
  stack();
  installCrdsAndRbac();
  const run = runId();
  const client = adminClient();
  const chain = await startTestChain(`${name}-${run}`);
  const provider = await chain.freshWallet();
  const pool: SuitePool = {
    name: `${name}-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-Q${run.toUpperCase()}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const providerName = `${name}-${run}`;
  const gateway = await startTestGateway();
  await createSuitePool(client, pool, 1);
  await createSuiteProvider(client, providerName, run, chain, provider, {
    gatewayUrl: gateway.url,
  });
  const operator = startOperator({ run, logLevel: 'debug' });
  const world: QuoteWorld = {
    run,
    chain,
    client,
    gateway,
    operator,
    provider,
    tenant: tenantWallet(chain),
    pool,
    async stop() {
      await operator.stop();
      await gateway.stop();
      await removeSuite(client, run, providerName, [pool]);
      await chain.stop();
      client.close();
    },
  };
  try {
    await operator.ready();
    await waitFor(
      'the provider registered on chain',
      async () => (await client.get(ProviderKind, providerName))?.status?.registered === true,
      slow,
      200,
    );
    await waitFor(
      "the gateway quoting from the pool's 8 free GPUs",
      async () => {
        const answer = await askQuote(world, quoteRequest(world, { gpus: 8 }));
        return answer.status === 200 && (answer.body as QuoteAnswer).bid;
      },
      slow,
      250,
    );
  } catch (error) {
    await world.stop();
    throw error;
  }
  return world;
}

/** The body of a quote for what `placeOrder` would order (market-fixtures.ts). */
export function quoteRequest(
  world: QuoteWorld,
  order: Omit<OrderRequest, 'model' | 'maxPricePerSecond'> & {
    readonly model?: string;
    readonly maxPricePerSecond?: bigint;
    readonly gpuMemoryMiB?: number;
  },
): QuoteRequestJson {
  const replicas = order.replicas ?? 1;
  return {
    manifest: canonicalManifest(order.manifest ?? gpuManifest(order.gpus, replicas)),
    resources: {
      gpuModel: order.model ?? world.pool.model,
      gpuCount: order.gpus * replicas,
      gpuMemoryMiB: order.gpuMemoryMiB ?? 0,
      cpuMillicores: 1000 * replicas,
      memoryMiB: 1024 * replicas,
      storageMiB: 1024 * replicas,
    },
    maxPricePerSecond: (order.maxPricePerSecond ?? 1_000_000n).toString(),
    provider: world.provider.address,
  };
}

/** POSTs a quote request (any body) to the world's gateway; the status and the parsed answer. */
export async function askQuote(
  world: QuoteWorld,
  body: unknown,
  init: RequestInit = {},
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${world.gateway.url}${quotePath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
  return { status: response.status, body: await response.json() };
}

/** The test pools' list price of a `gpuManifest(gpus, replicas)` order. */
export function listPrice(gpus: number, replicas = 1): bigint {
  return poolPricePerSecond(testPrices, {
    gpuCount: gpus * replicas,
    cpuMillicores: 1000 * replicas,
    memoryMiB: 1024 * replicas,
    storageMiB: 1024 * replicas,
  });
}
