// `supercloud-operator gateway`: runs the provider gateway as its own process (its own
// Deployment in the chart, with its own ServiceAccount: it never holds the wallet key and the
// operator never faces the internet). See docs/adr/0013-provider-gateway.md.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { KubeClient } from '../kube/client.js';
import { InformerCache } from '../kube/informer-cache.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { createLogger, logLevels } from '../logging/logger.js';
import { parseListenAddress } from '../metrics/server.js';
import { createGateway } from './server.js';

interface GatewayFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly as?: string;
  readonly listen: string;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly logLevel: string;
}

async function runGateway(flags: GatewayFlags): Promise<void> {
  const logger = createLogger({ level: flags.logLevel, fields: { component: 'gateway' } });
  const { host, port } = parseListenAddress(flags.listen);
  if ((flags.tlsCert === undefined) !== (flags.tlsKey === undefined)) {
    throw new Error('--tls-cert and --tls-key go together');
  }
  const kubeConfig = loadKubeConfig(
    flags.kubeconfig
      ? { kubeconfig: flags.kubeconfig, ...(flags.context ? { context: flags.context } : {}) }
      : process.env.KUBERNETES_SERVICE_HOST
        ? { inCluster: true }
        : {},
  );
  const client = new KubeClient({
    kubeConfig,
    ...(flags.as ? { impersonate: { user: flags.as } } : {}),
    userAgent: 'supercloud-gateway',
  });
  const cache = new InformerCache(client, { logger });
  const gateway = createGateway({
    client,
    cache,
    logger,
    ...(flags.tlsCert && flags.tlsKey
      ? {
          tls: {
            cert: readFileSync(flags.tlsCert, 'utf8'),
            key: readFileSync(flags.tlsKey, 'utf8'),
          },
        }
      : {}),
  });
  cache.start();
  await cache.waitForSync();
  const address = await gateway.listen(port, host);
  logger.info('serving', {
    address: `${address.address}:${address.port}`,
    tls: Boolean(flags.tlsCert),
  });
  const stop = (): void => {
    logger.info('stopping');
    void Promise.all([gateway.close(), cache.stop()]).finally(() => {
      client.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

export function gatewayCommand(): Command {
  return new Command('gateway')
    .description(
      "serve tenants their leases' status, Events, logs, secrets and shells (signed requests)",
    )
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context other than the current one')
    .option(
      '--as <user>',
      'act as this user (impersonation), e.g. system:serviceaccount:ns:gateway',
    )
    .option('--listen <host:port>', 'address to serve on', '127.0.0.1:8443')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS (with --tls-key)')
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .addOption(new Option('--log-level <level>', 'log level').default('info').choices(logLevels))
    .action(async (flags: GatewayFlags) => runGateway(flags));
}
