// The provider gateway for the suites: run in the test process, against the local stack, as the
// gateway's own ServiceAccount (examples/gateway-rbac.yaml, by impersonation), so a rule
// it lacks fails the suite. Its log lines are kept for assertions (e.g. that no secret is logged).
import { join } from 'node:path';
import { Writable } from 'node:stream';
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
