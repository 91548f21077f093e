// The tenant's journey end to end, as the README tells it, with the real CLI: `supercloud
// deploy` puts the order on chain, takes the provider's bid and waits through the provider's
// gateway (found in the ProviderRegistry) until the workload runs; then `status`, `events`,
// `secrets set|list` and `logs` talk to the gateway, and `lease close` ends it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import type { Wallet } from 'ethers';
import { NamespaceKind, type KubeClient } from '../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
import { stack, waitFor } from '../harness/stack.js';
import { fundedTenant, stackTestChain, type TestChain } from '../harness/test-chain.js';
import {
  adminClient,
  gpuManifest,
  installCrdsAndRbac,
  runId,
} from '../harness/cluster-fixtures.js';
import type { OperatorProcess } from '../harness/operator.js';
import {
  createSuitePool,
  createSuiteProvider,
  removeSuite,
  startChainOperator,
  type SuitePool,
} from '../harness/market-fixtures.js';
import { startTestGateway, type TestGateway } from '../harness/test-gateway.js';
import { repoRoot } from '../stack/paths.js';

const slow = 240_000;

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

describe('a tenant deploys with the CLI and uses the workload through the gateway', () => {
  const run = runId();
  const pool: SuitePool = {
    name: `dp-h100-${run}`,
    model: `NVIDIA-H100-80GB-HBM3-D${run.toUpperCase()}`,
    memoryMiB: 81_559,
    nodes: [],
  };
  const providerName = `dp-${run}`;
  let client: KubeClient;
  let chain: TestChain;
  let tenant: Wallet;
  let gateway: TestGateway;
  let operator: OperatorProcess;
  let workdir: string;

  /** The real CLI from source, as a tenant runs it: the chain from the environment, the key from a file. */
  function supercloud(args: readonly string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      execFile(
        join(repoRoot, 'node_modules/.bin/tsx'),
        [join(repoRoot, 'operator/src/cli/main.ts'), ...args, '--key-file', join(workdir, 'key')],
        {
          cwd: workdir,
          env: {
            PATH: process.env.PATH ?? '',
            HOME: workdir,
            SUPERCLOUD_RPC_URL: chain.rpcUrl,
            SUPERCLOUD_MARKETPLACE: chain.contracts.marketplace,
          },
          timeout: 180_000,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }
  const json = (result: CliResult): Record<string, unknown> => {
    if (result.code !== 0) throw new Error(`supercloud failed (${result.code}): ${result.stderr}`);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  };

  beforeAll(async () => {
    stack();
    installCrdsAndRbac();
    client = adminClient();
    chain = stackTestChain();
    tenant = await fundedTenant(chain);
    const wallet = await chain.freshWallet();
    await createSuitePool(client, pool, 1);
    gateway = await startTestGateway();
    await createSuiteProvider(client, providerName, run, chain, wallet, {
      gatewayUrl: gateway.url,
    });
    operator = startChainOperator(run);
    await operator.ready();
    workdir = mkdtempSync(join(tmpdir(), 'supercloud-deploy-'));
    writeFileSync(join(workdir, 'key'), tenant.privateKey, { mode: 0o600 });
    writeFileSync(join(workdir, 'workload.yaml'), yaml.dump(gpuManifest(1)));
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    await gateway?.stop();
    if (client) await removeSuite(client, run, providerName, [pool]);
    await chain?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  }, slow);

  it(
    'deploy → Running with its endpoints → status, Events, secrets, logs → close',
    async () => {
      const deployed = json(
        await supercloud([
          'deploy',
          '-f',
          'workload.yaml',
          '--gpu-model',
          pool.model,
          '--max-price',
          '1000000',
          '--deposit',
          '1h',
          '--bidding-seconds',
          '120',
          '--accept-first',
          '--json',
        ]),
      );
      const leaseId = String(deployed.leaseId);
      expect(deployed.workload).toMatchObject({ leaseId, phase: 'Running' });

      expect(json(await supercloud(['status', leaseId, '--json']))).toMatchObject({
        phase: 'Running',
        services: [{ readyReplicas: 1 }],
      });
      const { events } = json(await supercloud(['events', leaseId, '--json'])) as {
        events: unknown[];
      };
      expect(events.length).toBeGreaterThan(0);
      expect(
        json(await supercloud(['secrets', 'set', leaseId, 'hf-token=not-on-chain', '--json'])),
      ).toEqual({ names: ['hf-token'], registry: false });
      expect(json(await supercloud(['secrets', 'list', leaseId, '--json']))).toEqual({
        names: ['hf-token'],
        registry: false,
      });
      const logs = await supercloud(['logs', leaseId, '--tail', '5']);
      expect(logs.code).toBe(0);
      expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(0);
      expect(gateway.logged.join('\n')).not.toContain('not-on-chain');

      json(await supercloud(['lease', 'close', leaseId, '--json']));
      await waitFor(
        `the namespace of lease ${leaseId} deleted`,
        async () => (await client.get(NamespaceKind, leaseNamespaceName(leaseId))) === undefined,
        90_000,
        250,
      );
      const closed = await supercloud(['status', leaseId]);
      expect({ out: closed.stdout, err: closed.stderr }).toEqual({
        out: expect.stringMatching(/Clos(ing|ed)/),
        err: '',
      });
    },
    slow,
  );
});
