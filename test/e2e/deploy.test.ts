// The tenant's journey end to end, as the README tells it, with the real CLI: `supercloud
// deploy` puts the order on chain, takes the provider's bid and waits through the provider's
// gateway (found in the ProviderRegistry) until the workload runs; then `status`, `events`,
// `secrets set|list` and `logs` talk to the gateway, and `lease close` ends it.
import { ComputeLeaseKind } from '../../operator/src/api/kinds.js';
import { NamespaceKind, PodKind, SecretKind } from '../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../operator/src/workloads/names.js';
import { gpuManifest, runId } from '../harness/cluster-fixtures.js';
import { startDeployWorld, type DeployWorld } from '../harness/deploy-world.js';
import { waitFor } from '../harness/stack.js';
import { cliJson as json } from '../harness/tenant-cli.js';

const slow = 240_000;

describe('a tenant deploys with the CLI and uses the workload through the gateway', () => {
  const run = runId();
  const secretValue = `hf_${run}_never-on-chain`;
  let world: DeployWorld;

  beforeAll(async () => {
    world = await startDeployWorld({
      run,
      prefix: 'dp',
      workload: gpuManifest(1, 1, { env: [{ name: 'HF_TOKEN', secret: 'hf-token' }] }),
    });
  }, slow);

  afterAll(() => world?.stop(), slow);

  it(
    'deploy with a secret → Running with its endpoints → status, Events, secrets, logs → close',
    async () => {
      const { client, gateway, operator, pool, supercloud } = world;
      const deployed = json(
        await supercloud(
          [
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
            '--secret',
            'hf-token',
            '--json',
          ],
          { env: { HF_TOKEN: secretValue } },
        ),
      );
      const leaseId = String(deployed.leaseId);
      expect(deployed.workload).toMatchObject({ leaseId, phase: 'Running' });
      // The value reached the container through the lease's Secret, and nothing else holds it.
      const namespace = leaseNamespaceName(leaseId);
      const [pod] = (await client.list(PodKind, { namespace })).items;
      expect(pod?.spec?.containers[0]?.env).toContainEqual({
        name: 'HF_TOKEN',
        valueFrom: { secretKeyRef: { name: 'tenant-secrets', key: 'hf-token' } },
      });
      const secret = await client.get(SecretKind, 'tenant-secrets', namespace);
      expect(Buffer.from(secret?.data?.['hf-token'] ?? '', 'base64').toString()).toBe(secretValue);
      const { items: leases } = await client.list(ComputeLeaseKind, {});
      expect(JSON.stringify(leases)).not.toContain(secretValue);

      expect(json(await supercloud(['status', leaseId, '--json']))).toMatchObject({
        phase: 'Running',
        services: [{ readyReplicas: 1 }],
      });
      const { events } = json(await supercloud(['events', leaseId, '--json'])) as {
        events: unknown[];
      };
      expect(events.length).toBeGreaterThan(0);
      expect(json(await supercloud(['secrets', 'list', leaseId, '--json']))).toEqual({
        names: ['hf-token'],
        registry: false,
      });
      const logs = await supercloud(['logs', leaseId, '--tail', '5']);
      expect(logs.code).toBe(0);
      expect(logs.stdout.trim().split('\n').length).toBeGreaterThan(0);
      expect(gateway.logged.join('\n')).not.toContain(secretValue);
      expect(operator.lines.map((line) => JSON.stringify(line)).join('\n')).not.toContain(
        secretValue,
      );

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
