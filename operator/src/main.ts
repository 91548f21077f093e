#!/usr/bin/env node
// supercloud-operator: runs the controllers against a cluster, or the provider gateway.
//
//   supercloud-operator run --kubeconfig ~/.kube/config --leader-elect
//   supercloud-operator gateway --listen 0.0.0.0:8443
//   supercloud-operator check provider --name default     (the chart's helm test hooks)
//
// In a pod it uses the pod's service account; SIGTERM stops it gracefully (in-flight reconciles
// finish, the leader lease is released).
import { Command, Option } from 'commander';
import { addControllers } from './controllers/index.js';
import { OptionsError, parseRunFlags, runDefaults, type RunFlags } from './config/options.js';
import { checkCommand } from './checks/command.js';
import { gatewayCommand } from './gateway/command.js';
import { createManager } from './kube/manager.js';
import { loadKubeConfig } from './kube/kubeconfig.js';
import { createLogger, logLevels } from './logging/logger.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

async function run(flags: RunFlags): Promise<void> {
  const options = parseRunFlags(flags, process.env);
  const logger = createLogger({ level: options.logLevel, fields: { component: 'operator' } });
  const manager = createManager({
    kubeConfig: loadKubeConfig(options.kubeConfig),
    ...(options.impersonate ? { impersonate: options.impersonate } : {}),
    leaderElection: options.leaderElection,
    healthAddress: options.healthAddress,
    gracefulShutdownMs: options.gracefulShutdownMs,
    logger,
  });
  addControllers(manager, {
    verification: options.leaseVerification,
    ingressNamespace: options.ingressNamespace,
    ...(options.ingress ? { ingress: options.ingress } : {}),
    workers: options.leaseWorkers,
    ...(options.leaseSelector ? { leaseSelector: options.leaseSelector } : {}),
    chainTimings: {
      pollIntervalMs: options.chainPollMs,
      sweepIntervalMs: options.chainSweepMs,
      settlementIntervalMs: options.settlementIntervalMs,
    },
  });
  // One shutdown path: the manager stops the controllers, then the chain sessions (a runnable).
  manager.stopOnSignals();
  logger.info('starting', {
    server: manager.client.server.href,
    identity: manager.identity,
    impersonate: options.impersonate?.user,
    leaderElection: options.leaderElection,
    leaseSelector: options.leaseSelector?.text,
  });
  await manager.start();
}

function program(): Command {
  const command = new Command('supercloud-operator').description(
    'The supercloud operator: turns ComputeLeases into isolated GPU workloads on GpuNodePools.',
  );
  command
    .command('run')
    .description('run the controllers until SIGTERM')
    .option(
      '--kubeconfig <path>',
      'kubeconfig file (default: in-cluster, else $KUBECONFIG or ~/.kube/config)',
    )
    .option('--context <name>', 'kubeconfig context other than the current one')
    .option('--as <user>', 'act as this user (impersonation), e.g. system:serviceaccount:ns:name')
    .option(
      '--as-group <group>',
      'act as a member of this group (repeatable; needs --as)',
      collect,
      [],
    )
    .option('--leader-elect', 'run the controllers only while holding the leader lease', false)
    .option(
      '--leader-election-namespace <ns>',
      'namespace of the leader lease',
      runDefaults.leaderElectionNamespace,
    )
    .option('--leader-election-id <name>', 'name of the leader lease', runDefaults.leaderElectionId)
    .option(
      '--health-address <host:port>',
      '/healthz, /readyz and /metrics address',
      runDefaults.healthAddress,
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .default(runDefaults.logLevel)
        .choices(logLevels),
    )
    .option(
      '--ingress-namespace <ns>',
      'namespace allowed to reach exposed ports when no Provider object sets one',
      runDefaults.ingressNamespace,
    )
    .option(
      '--ingress-domain <domain>',
      "publish leases' HTTP ports at https://<lease>-<service>.<domain> through an Ingress (none without)",
    )
    .option(
      '--ingress-class <name>',
      "IngressClass of the leases' Ingresses (default: the cluster's default class)",
    )
    .option(
      '--ingress-cluster-issuer <name>',
      "cert-manager ClusterIssuer of each lease host's certificate (default: the ingress controller's default certificate)",
    )
    .option(
      '--lease-selector <selector>',
      'only reconcile ComputeLeases and Providers with these labels (k=v,k!=v,k,!k)',
    )
    .option('--lease-workers <n>', 'concurrent ComputeLease reconciles', runDefaults.leaseWorkers)
    .option(
      '--chain-poll-ms <ms>',
      'how often the chain follower polls for new blocks',
      runDefaults.chainPollMs,
    )
    .option(
      '--chain-sweep-ms <ms>',
      'how often finished auctions are checked and leases resynced with the chain',
      runDefaults.chainSweepMs,
    )
    .option(
      '--settlement-interval-ms <ms>',
      "how often lease escrows are read (withdrawals follow the Provider's schedule)",
      runDefaults.settlementIntervalMs,
    )
    .option(
      '--lease-verification <mode>',
      'chain: a ComputeLease runs only if its lease is active on chain, ours, with its manifest hash; cluster: cluster rules only (no chain)',
      runDefaults.leaseVerification,
    )
    .option(
      '--graceful-shutdown-seconds <s>',
      'how long in-flight reconciles may take to finish on SIGTERM',
      runDefaults.gracefulShutdownSeconds,
    )
    .action(async (flags: RunFlags) => run(flags));
  command.addCommand(gatewayCommand());
  command.addCommand(checkCommand());
  return command;
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`supercloud-operator: ${message}`);
    process.exit(error instanceof OptionsError ? 2 : 1);
  });
