// The world a tenant's `supercloud deploy` meets on the local stack: a provider (its Provider,
// wallet and pool of KWOK GPU nodes of a model of its own), its chain operator and its gateway
// registered on chain, and a funded tenant whose key and workload file sit in a folder of its
// own. Shared by the e2e deploy story and the deploy benchmark.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Wallet } from 'ethers';
import yaml from 'js-yaml';
import type { KubeClient } from '../../operator/src/kube/index.js';
import { adminClient, installCrdsAndRbac, type gpuManifest } from './cluster-fixtures.js';
import {
  createSuitePool,
  createSuiteProvider,
  removeSuite,
  startChainOperator,
  type SuitePool,
} from './market-fixtures.js';
import type { OperatorProcess } from './operator.js';
import { stack } from './stack.js';
import { tenantCli, type TenantCli, type TenantCliOptions } from './tenant-cli.js';
import { fundedTenant, stackTestChain, type TestChain } from './test-chain.js';
import { startTestGateway, type TestGateway } from './test-gateway.js';

export interface DeployWorld {
  readonly client: KubeClient;
  readonly chain: TestChain;
  readonly tenant: Wallet;
  readonly pool: SuitePool;
  readonly gateway: TestGateway;
  readonly operator: OperatorProcess;
  /** The tenant's folder: `key` (its private key, mode 600) and `workload.yaml`. */
  readonly workdir: string;
  /** The tenant's `supercloud`, with `--key-file key` added to every command. */
  readonly supercloud: TenantCli;
  stop(): Promise<void>;
}

export interface DeployWorldOptions {
  /** A run id (`runId()`) naming the world's objects. */
  readonly run: string;
  /** Short prefix of its pool and Provider names. */
  readonly prefix: string;
  readonly workload: ReturnType<typeof gpuManifest>;
  /** KWOK GPU nodes in the pool. */
  readonly nodes?: number;
  readonly entry?: TenantCliOptions['entry'];
}

/** @example const world = await startDeployWorld({ run, prefix: 'dp', workload: gpuManifest(1) }) */
export async function startDeployWorld(options: DeployWorldOptions): Promise<DeployWorld> {
  const { run, prefix } = options;
  stack();
  installCrdsAndRbac();
  const client = adminClient();
  const chain = stackTestChain();
  const tenant = await fundedTenant(chain);
  const wallet = await chain.freshWallet();
  const pool: SuitePool = {
    name: `${prefix}-h100-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-${prefix.toUpperCase()}${run.toUpperCase()}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const providerName = `${prefix}-${run}`;
  await createSuitePool(client, pool, options.nodes ?? 1);
  const gateway = await startTestGateway();
  await createSuiteProvider(client, providerName, run, chain, wallet, {
    gatewayUrl: gateway.url,
  });
  const operator = startChainOperator(run);
  await operator.ready();
  const workdir = mkdtempSync(join(tmpdir(), `supercloud-${prefix}-`));
  writeFileSync(join(workdir, 'key'), tenant.privateKey, { mode: 0o600 });
  writeFileSync(join(workdir, 'workload.yaml'), yaml.dump(options.workload));
  const supercloud = tenantCli({
    workdir,
    rpcUrl: chain.rpcUrl,
    marketplace: chain.contracts.marketplace,
    extraArgs: ['--key-file', join(workdir, 'key')],
    ...(options.entry ? { entry: options.entry } : {}),
  });
  return {
    client,
    chain,
    tenant,
    pool,
    gateway,
    operator,
    workdir,
    supercloud,
    async stop() {
      await operator.stop();
      await gateway.stop();
      await removeSuite(client, run, providerName, [pool]);
      await chain.stop();
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}
