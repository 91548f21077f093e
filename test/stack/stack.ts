import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  anvilAccounts,
  areContractsDeployed,
  deployStackContracts,
  isAnvilServing,
  localChainId,
  startAnvil,
  stopAnvil,
} from './anvil.js';
import {
  readStackDescription,
  writeStackDescription,
  type StackContracts,
  type StackDescription,
  type StackNodeGroup,
} from './description.js';
import { createNodes, countReadyNodes, isApiServerReady, loadKubeConfig } from './kube.js';
import {
  componentPid,
  createControlPlane,
  deleteControlPlane,
  kwokCluster,
  kwokWorkdir,
  type ControlPlanePorts,
} from './kwok.js';
import { nodeObjects } from './nodes.js';
import { ensurePodDebugging } from './pod-debugging.js';
import { stackDir } from './paths.js';
import { isAlive, isPortTaken, waitFor } from './process.js';

/** Ports of the local stack on 127.0.0.1; each can be moved with an environment variable. */
export interface StackPorts extends ControlPlanePorts {
  readonly anvil: number;
}

export function stackPortsFromEnv(env: NodeJS.ProcessEnv = process.env): StackPorts {
  const port = (name: string, fallback: number): number => {
    const value = env[`SUPERCLOUD_${name}_PORT`];
    const parsed = value === undefined ? fallback : Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0 || parsed > 65535) {
      throw new Error(`SUPERCLOUD_${name}_PORT=${value} is not a TCP port`);
    }
    return parsed;
  };
  return {
    apiServer: port('APISERVER', 36443),
    etcd: port('ETCD', 32379),
    etcdPeer: port('ETCD_PEER', 32380),
    controllerManager: port('CONTROLLER_MANAGER', 30257),
    scheduler: port('SCHEDULER', 30259),
    kwokController: port('KWOK', 30247),
    anvil: port('ANVIL', 8545),
  };
}

export type Log = (message: string) => void;

/** True when the described stack's API server and chain both answer. */
export async function isStackHealthy(description: StackDescription): Promise<boolean> {
  const [api, chain] = await Promise.all([
    isApiServerReady(loadKubeConfig(description.kubeconfig)).catch(() => false),
    isAnvilServing(description.rpcUrl),
  ]);
  return api && chain;
}

async function requireFreePorts(ports: StackPorts): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    if (await isPortTaken(port)) {
      const variable = `SUPERCLOUD_${name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}_PORT`;
      throw new Error(
        `port ${port} on 127.0.0.1 (${name}) is taken by another process; stop it or choose another port with ${variable}=<port>`,
      );
    }
  }
}

/** How long an API server outage with the rest of the stack alive is waited out before a clean-up. */
const outagePatienceMs = 120_000;

/**
 * True when the described stack's API server comes back within `outagePatienceMs` while etcd and
 * anvil run: an outage test (tests stop or SIGSTOP the API server for a while) is no killed run,
 * and tearing the shared stack down would break the suites using it.
 */
async function outageWaitedOut(description: StackDescription, log: Log): Promise<boolean> {
  const etcd = componentPid('etcd');
  if (etcd === undefined || !isAlive(etcd) || !(await isAnvilServing(description.rpcUrl))) {
    return false;
  }
  log(
    `the API server is not answering but etcd and anvil run (an outage test?); waiting up to ${outagePatienceMs / 1000} s`,
  );
  return waitFor('the stack', () => isStackHealthy(description), outagePatienceMs, 1_000).then(
    () => true,
    () => false,
  );
}

/**
 * Brings the local stack up, or reuses the one that is up. A stack left half-started by a killed
 * run is torn down first, so a failed start never blocks the next one; one whose API server is in
 * an outage (etcd and anvil running) is waited for first.
 */
export async function stackUp(
  groups: readonly StackNodeGroup[],
  log: Log,
): Promise<StackDescription> {
  const existing = readStackDescription();
  if (existing && ((await isStackHealthy(existing)) || (await outageWaitedOut(existing, log)))) {
    log(`the local stack is already up (${existing.apiServer}, ${existing.rpcUrl}); reusing it`);
    await ensurePodDebugging(existing.kubeconfig, log);
    // A description written before the contracts existed, a chain that lost them, or contracts
    // changed since they were deployed.
    const contracts = existing.contracts as StackContracts | undefined;
    if (await areContractsDeployed(existing.rpcUrl, contracts)) return existing;
    log('deploying the contracts: the chain does not have them, or has older ones');
    const redeployed: StackDescription = {
      ...existing,
      contracts: await deployStackContracts(existing.rpcUrl),
    };
    writeStackDescription(redeployed);
    return redeployed;
  }
  if (existing) log('found a stack that is not answering (a killed run?); cleaning it up');
  await stackDown(() => undefined);

  const ports = stackPortsFromEnv();
  await requireFreePorts(ports);
  mkdirSync(join(stackDir, 'logs'), { recursive: true });

  const started = Date.now();
  log(
    'starting etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok (kwokctl, binary runtime)',
  );
  const kubeconfig = createControlPlane(ports);
  const kubeConfig = loadKubeConfig(kubeconfig);
  await waitFor('the API server to be ready', () => isApiServerReady(kubeConfig), 120_000);

  const nodes = nodeObjects(groups);
  log(
    `creating ${nodes.length} KWOK nodes: ${groups.map((g) => `${g.nodes} × ${g.pool}`).join(', ')}`,
  );
  await createNodes(kubeConfig, nodes);
  await waitFor(
    `${nodes.length} nodes to be Ready`,
    async () => (await countReadyNodes(kubeConfig)) >= nodes.length,
    120_000 + nodes.length * 100,
  );
  log('configuring `kubectl logs` and `kubectl exec` for the pods (KWOK ClusterLogs, ClusterExec)');
  await ensurePodDebugging(kubeconfig, log);

  log(`starting anvil on 127.0.0.1:${ports.anvil}`);
  const anvil = await startAnvil(ports.anvil);
  log('deploying the token, the provider registry and the marketplace; funding accounts 1..4');
  const contracts = await deployStackContracts(anvil.rpcUrl);

  const description: StackDescription = {
    kubeconfig,
    apiServer: `https://127.0.0.1:${ports.apiServer}`,
    kwok: { cluster: kwokCluster, workdir: kwokWorkdir },
    etcdEndpoint: `http://127.0.0.1:${ports.etcd}`,
    rpcUrl: anvil.rpcUrl,
    chainId: localChainId,
    anvilPid: anvil.pid,
    accounts: anvilAccounts,
    contracts,
    nodeGroups: groups,
    startedAt: new Date().toISOString(),
  };
  writeStackDescription(description);
  log(`the local stack is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return description;
}

/** Stops every process the stack started (by pid) and removes its state. */
export async function stackDown(log: Log): Promise<void> {
  await stopAnvil();
  deleteControlPlane();
  rmSync(stackDir, { recursive: true, force: true });
  log('the local stack is down');
}
