// The provider gateway for the suites: run in the test process, against the local stack, as the
// gateway's own ServiceAccount (examples/gateway-rbac.yaml, by impersonation), so a rule
// it lacks fails the suite. Its log lines are kept for assertions (e.g. that no secret is logged).
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ProviderKind } from '../../operator/src/api/kinds.js';
import type { Provider } from '../../operator/src/api/provider.js';
import { createGateway } from '../../operator/src/gateway/server.js';
import { InformerCache, KubeClient } from '../../operator/src/kube/index.js';
import { createLogger } from '../../operator/src/logging/logger.js';
import { repoRoot } from '../stack/paths.js';
import { kubectl } from './cluster-fixtures.js';
import { adminKubeConfig } from './stack.js';

export const gatewayServiceAccount = 'system:serviceaccount:supercloud-system:supercloud-gateway';

export interface TestGateway {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Every line the gateway logged. */
  readonly logged: readonly string[];
  stop(): Promise<void>;
}

/** Applies the gateway's RBAC and starts a gateway on a free loopback port. */
export async function startTestGateway(): Promise<TestGateway> {
  kubectl(['apply', '-f', join(repoRoot, 'examples/gateway-rbac.yaml')]);
  const client = new KubeClient({
    kubeConfig: adminKubeConfig(),
    impersonate: { user: gatewayServiceAccount },
  });
  const cache = new InformerCache(client);
  const logged: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString());
      done();
    },
  });
  const gateway = createGateway({
    client,
    cache,
    logger: createLogger({ level: 'debug', stream }),
  });
  cache.start();
  await cache.waitForSync();
  const { port } = await gateway.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}`,
    logged,
    async stop() {
      await gateway.close();
      await cache.stop();
      client.close();
    },
  };
}

/** The chain a test gateway's Provider is on: the domain of the tenants' signatures. */
export const testGatewayChain = {
  chainId: 31337,
  marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
} as const;

/**
 * A Provider whose wallet is `providerAddress` (in its status, as the operator would write it),
 * on {@link testGatewayChain}, for leases applied by hand: the gateway takes the signatures'
 * domain from it. No test-run label, so an operator under test leaves it alone.
 */
export async function createGatewayProvider(
  client: KubeClient,
  name: string,
  providerAddress: string,
): Promise<void> {
  const { chainId, marketplace } = testGatewayChain;
  await client.create(ProviderKind, {
    apiVersion: ProviderKind.apiVersion,
    kind: 'Provider',
    metadata: { name },
    spec: {
      chain: { chainId, rpcUrls: ['http://127.0.0.1:1'], marketplace, registry: marketplace },
      walletSecretRef: { name: 'none', namespace: 'supercloud-system' },
      gatewayUrl: 'https://gateway.test.example',
    },
  } as unknown as Provider);
  await client.patch(
    ProviderKind,
    name,
    'merge',
    { status: { providerAddress } },
    { subresource: 'status' },
  );
}
