// `supercloud shell` end to end with the real CLI: the tenant orders and takes this world's
// provider's bid, the CLI finds that provider's gateway on chain, and a command run in the
// replica prints its output and exits with the command's code (`--json`: one object with stdout,
// stderr and exitCode); once the lease is closed the gateway refuses and the CLI says why,
// exiting 1.
import { join } from 'node:path';
import { ProviderKind } from '../../operator/src/api/kinds.js';
import { gpuManifest, runId } from '../harness/cluster-fixtures.js';
import { startDeployWorld, type DeployWorld } from '../harness/deploy-world.js';
import { waitFor } from '../harness/stack.js';
import { cliJson as json, tenantCli, type CliResult } from '../harness/tenant-cli.js';

const slow = 240_000;

describe('a tenant runs commands in its replica with supercloud shell', () => {
  const run = runId();
  const prefix = 'sh';
  let world: DeployWorld;

  beforeAll(async () => {
    world = await startDeployWorld({ run, prefix, workload: gpuManifest(1) });
    await world.client.patch(ProviderKind, `${prefix}-${run}`, 'merge', {
      spec: { gateway: { shell: { enabled: true } } },
    });
  }, slow);

  afterAll(() => world?.stop(), slow);

  it(
    'leased → shell prints the output and exits with the command’s code → closed: refused',
    async () => {
      const { client, pool, supercloud } = world;
      // The order goes to this world's provider by name: other providers on the shared chain
      // may bid too, and the first bid is not always ours.
      let provider = '';
      await waitFor(
        "the world's provider to know its address",
        async () => {
          const found = await client.get(ProviderKind, `${prefix}-${run}`);
          provider = found?.status?.providerAddress ?? '';
          return provider !== '';
        },
        60_000,
        250,
      );
      const { orderId } = json(
        await supercloud([
          'order',
          'create',
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
          '--json',
        ]),
      );
      await waitFor(
        "the world's provider to bid",
        async () => {
          const { bids } = json(await supercloud(['order', 'bids', String(orderId), '--json']));
          return (bids as { provider: string }[]).some((bid) => bid.provider === provider);
        },
        60_000,
        500,
      );
      const { leaseId: id } = json(
        await supercloud(['order', 'accept', String(orderId), '--provider', provider, '--json']),
      );
      const leaseId = String(id);
      await waitFor(
        `lease ${leaseId} Running`,
        async () => json(await supercloud(['status', leaseId, '--json'])).phase === 'Running',
        120_000,
        500,
      );
      // The world's CLI adds --key-file after every command: here it must come before `--`,
      // after which everything is the remote command.
      const cli = tenantCli({
        workdir: world.workdir,
        rpcUrl: world.chain.rpcUrl,
        marketplace: world.chain.contracts.marketplace,
      });
      const shell = (...args: string[]): Promise<CliResult> =>
        cli(['shell', leaseId, '--key-file', join(world.workdir, 'key'), ...args]);

      const plain = await shell('--', 'echo', `hello ${run}`);
      expect(plain).toEqual({ code: 0, stdout: `hello ${run}\n`, stderr: '' });

      const failed = await shell(
        '--json',
        '--',
        'sh',
        '-c',
        `echo out-${run}; echo err-${run} >&2; exit 7`,
      );
      expect(failed.code).toBe(7);
      expect(JSON.parse(failed.stdout)).toEqual({
        leaseId,
        stdout: `out-${run}\n`,
        stderr: `err-${run}\n`,
        exitCode: 7,
      });

      json(await supercloud(['lease', 'close', leaseId, '--json']));
      // The gateway learns of the close when the operator's follower does.
      let refused: CliResult | undefined;
      await waitFor(
        'the gateway to refuse a shell into the closed lease',
        async () =>
          /refused: lease [0-9]+ is closed/.test((refused = await shell('--', 'true')).stderr),
        60_000,
        500,
      );
      expect(refused?.code).toBe(1);
    },
    slow,
  );
});
