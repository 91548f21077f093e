// The generated CRDs on a real API server: they install and become Established, kubectl explains
// and prints them, the `supercloud` category lists them, the schema and CEL rules refuse bad
// objects naming the field, and every example applies.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
} from '@kubernetes/client-node';
import { apiGroup, apiVersionName } from '../../../operator/src/api/constants.js';
import { customResourceKinds } from '../../../operator/src/api/crds.js';
import { badLeaseCorpus, corpusPool, validLease } from '../../../operator/src/workloads/testing/corpus.js';
import { defaultWorkloadPolicy, verifyLease } from '../../../operator/src/workloads/verify.js';
import { adminKubeConfig, stack } from '../../harness/stack.js';
import { repoRoot, toolPath } from '../../stack/paths.js';

/** A suffix that keeps this run's objects apart from any other's. */
const run = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
const leaseName = `crdtest-${run}`;
const poolName = `crdtest-${run}`;
const providerName = `crdtest-${run}`;

function kubectl(...args: string[]): string {
  return execFileSync(toolPath('kubectl'), ['--kubeconfig', stack().kubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The message of a refused API request (client-node puts the Status in `body`). */
function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
  try {
    return (JSON.parse(text) as { message?: string }).message ?? text;
  } catch {
    return text;
  }
}

const resource = (plural: string) => ({ group: apiGroup, version: apiVersionName, plural });
const leases = resource('computeleases');
const pools = resource('gpunodepools');
const providers = resource('providers');

/** client-node sends JSON patches unless told otherwise; these are merge patches. */
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Timeout of hooks and tests that wait for the cluster (jest's default is 5 s). */
const slow = 120_000;

describe('custom resource definitions', () => {
  let kubeConfig: KubeConfig;
  let api: CustomObjectsApi;
  const created: { plural: string; name: string }[] = [];

  /** Creates an object (unknown fields refused, as kubectl does) and deletes it after the tests. */
  async function create<T extends { metadata?: { name?: string } }>(plural: string, body: T) {
    const object = await api.createClusterCustomObject({
      ...resource(plural),
      body,
      fieldValidation: 'Strict',
    });
    created.push({ plural, name: body.metadata?.name ?? '' });
    return object as { metadata: { name: string; generation: number } };
  }

  beforeAll(() => {
    kubeConfig = adminKubeConfig();
    api = kubeConfig.makeApiClient(CustomObjectsApi);
    kubectl('apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds'));
  }, slow);

  afterAll(async () => {
    for (const { plural, name } of created.reverse()) {
      await api.deleteClusterCustomObject({ ...resource(plural), name }).catch(() => undefined);
    }
  }, slow);

  it('become Established with their names accepted', () => {
    const names = customResourceKinds.map((kind) => `crd/${kind.names.plural}.${apiGroup}`);
    kubectl('wait', '--for=condition=Established', '--timeout=60s', ...names);
    for (const name of names) {
      const conditions = JSON.parse(kubectl('get', name, '-o', 'jsonpath={.status.conditions}')) as {
        type: string;
        status: string;
      }[];
      expect(conditions).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ type: 'NamesAccepted', status: 'True' }),
          expect.objectContaining({ type: 'Established', status: 'True' }),
        ]),
      );
    }
  }, slow);

  it('are explained by kubectl, down to the manifest services', () => {
    const explained = kubectl('explain', 'computelease.spec.manifest.services');
    expect(explained).toContain('KIND:       ComputeLease');
    expect(explained).toMatch(/image\s+<string> -required-/);
    expect(explained).toContain('Container image reference');
    expect(kubectl('explain', 'gnp.spec.gpu.model')).toContain('GPU feature discovery');
    // kubectl wraps descriptions, so match across line breaks.
    expect(kubectl('explain', 'scp.spec.tenantIsolation.ingressNamespace')).toMatch(
      /may reach the\s+exposed\s+ports/,
    );
  });

  it('apply every example (server-side dry run: schema, defaults and CEL)', () => {
    const examples = readdirSync(join(repoRoot, 'examples'))
      // values-*.yaml are Helm values for the chart, not objects.
      .filter((file) => file.endsWith('.yaml') && !file.startsWith('values-'))
      .map((file) => join(repoRoot, 'examples', file));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    const output = kubectl('apply', '--dry-run=server', ...examples.flatMap((f) => ['-f', f]));
    expect(output).toContain('computelease.supercloud.dev/lease-1001');
    expect(output).toContain('gpunodepool.supercloud.dev/h100');
    expect(output).toContain('provider.supercloud.dev/default');
  });

  describe('with objects of each kind', () => {
    beforeAll(async () => {
      await create('gpunodepools', { ...corpusPool, metadata: { name: poolName } });
      const lease = validLease(leaseName, 990_000 + Math.floor(Math.random() * 1e4));
      await create('computeleases', { ...lease, spec: { ...lease.spec, pool: poolName } });
      await create('providers', {
        apiVersion: `${apiGroup}/${apiVersionName}`,
        kind: 'Provider',
        metadata: { name: providerName },
        spec: {
          chain: {
            chainId: 31337,
            rpcUrls: ['http://127.0.0.1:8545'],
            marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
            registry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
          },
          walletSecretRef: { name: 'wallet', namespace: 'supercloud-system' },
          gatewayUrl: 'https://gateway.example',
        },
      });
      await api.patchClusterCustomObjectStatus(
        {
          ...leases,
          name: leaseName,
          body: { status: { phase: 'Running', readyReplicas: 1, namespace: 'lease-x' } },
        },
        mergePatch,
      );
      await api.patchClusterCustomObjectStatus(
        {
          ...pools,
          name: poolName,
          body: {
            status: {
              nodes: 4,
              readyNodes: 3,
              gpus: { capacity: 32, allocatable: 32, allocated: 8, free: 16, largestFreeOnNode: 8 },
            },
          },
        },
        mergePatch,
      );
      await api.patchClusterCustomObjectStatus(
        {
          ...providers,
          name: providerName,
          body: {
            status: {
              providerAddress: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
              registered: true,
              lastProcessedBlock: 1234,
            },
          },
        },
        mergePatch,
      );
    }, slow);

    it('are defaulted by the API server as the TypeScript schema defaults them', async () => {
      const stored = (await api.getClusterCustomObject({ ...leases, name: leaseName })) as {
        spec: { manifest: { services: { replicas: number; runAsUser: number }[] } };
      };
      expect(stored.spec.manifest.services[0]).toMatchObject({ replicas: 1, runAsUser: 65532 });
      const pool = { ...corpusPool, metadata: { name: poolName } };
      expect(verifyLease(stored.spec, pool, defaultWorkloadPolicy)).toMatchObject({ verified: true });
    });

    it('show their printer columns', () => {
      const lease = kubectl('get', 'computelease', leaseName);
      expect(lease.split('\n')[0]).toMatch(/^NAME\s+PHASE\s+TENANT\s+POOL\s+GPUS\s+PRICE\s+AGE$/);
      expect(lease).toMatch(new RegExp(`${leaseName}\\s+Running\\s+0x70997970\\w+\\s+${poolName}\\s+2\\s+1388888888888888`));
      expect(kubectl('get', 'cl', leaseName, '-o', 'wide').split('\n')[0]).toMatch(/READY\s+NAMESPACE\s+MESSAGE/);

      const pool = kubectl('get', 'gnp', poolName);
      expect(pool.split('\n')[0]).toMatch(/^NAME\s+MODEL\s+NODES\s+READY\s+GPUS FREE\s+GPUS TOTAL\s+AGE$/);
      expect(pool).toMatch(new RegExp(`${poolName}\\s+NVIDIA-H100-80GB-HBM3\\s+4\\s+3\\s+16\\s+32`));

      const provider = kubectl('get', 'scp', providerName);
      expect(provider.split('\n')[0]).toMatch(/^NAME\s+ADDRESS\s+REGISTERED\s+LAST BLOCK\s+AGE$/);
      expect(provider).toMatch(/0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC\s+true\s+1234/);
    });

    it('are all listed by `kubectl get supercloud`', () => {
      const listed = kubectl('get', 'supercloud', '-o', 'name');
      expect(listed).toContain(`computelease.supercloud.dev/${leaseName}`);
      expect(listed).toContain(`gpunodepool.supercloud.dev/${poolName}`);
      expect(listed).toContain(`provider.supercloud.dev/${providerName}`);
    });

    it('keep status out of reach of spec writes (status subresource)', async () => {
      await api.patchClusterCustomObject(
        { ...leases, name: leaseName, body: { status: { phase: 'Closed' } } },
        mergePatch,
      );
      const stored = (await api.getClusterCustomObject({ ...leases, name: leaseName })) as {
        status: { phase: string };
      };
      expect(stored.status.phase).toBe('Running');
    });

    it('keep a lease identity immutable (CEL)', async () => {
      for (const [field, value] of [
        ['leaseId', '1'],
        ['tenant', '0x0000000000000000000000000000000000000001'],
        ['pool', 'a100'],
      ] as const) {
        const patch = api.patchClusterCustomObject(
          { ...leases, name: leaseName, body: { spec: { [field]: value } } },
          mergePatch,
        );
        await expect(patch).rejects.toMatchObject({ code: 422 });
        const message = await patch.catch(apiMessage);
        expect(message).toContain(`spec.${field}`);
        expect(message).toContain(`${field} is immutable`);
      }
    });

    it('keep a close final (CEL)', async () => {
      await api.patchClusterCustomObject(
        { ...leases, name: leaseName, body: { spec: { closeRequested: { reason: 'Test' } } } },
        mergePatch,
      );
      const reopen = api.patchClusterCustomObject(
        { ...leases, name: leaseName, body: { spec: { closeRequested: null } } },
        mergePatch,
      );
      expect(await reopen.catch(apiMessage)).toContain('closeRequested cannot be removed');
    });

    it.each([
      ['both a wallet Secret and a remote signer', true, true],
      ['neither a wallet Secret nor a remote signer', false, false],
    ])('refuse a Provider with %s (CEL)', (_what, wallet, signer) => {
      const provider = {
        apiVersion: `${apiGroup}/${apiVersionName}`,
        kind: 'Provider',
        metadata: { name: `${providerName}-key` },
        spec: {
          chain: {
            chainId: 31337,
            rpcUrls: ['http://127.0.0.1:8545'],
            marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
            registry: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
          },
          ...(wallet ? { walletSecretRef: { name: 'wallet', namespace: 'supercloud-system' } } : {}),
          ...(signer
            ? {
                remoteSigner: {
                  url: 'https://web3signer.example:9000',
                  address: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
                },
              }
            : {}),
          gatewayUrl: 'https://gateway.example',
        },
      };
      const refused = create('providers', provider);
      return Promise.all([
        expect(refused).rejects.toMatchObject({ code: 422 }),
        refused.catch(apiMessage).then((message) =>
          expect(message).toContain(
            'set exactly one of walletSecretRef (the key in a Secret) and remoteSigner (the key in a remote signer)',
          ),
        ),
      ]);
    });

    it('refuse a pool whose name is not a DNS label (CEL on metadata.name)', async () => {
      const refused = create('gpunodepools', { ...corpusPool, metadata: { name: `pool.${run}` } });
      await expect(refused).rejects.toMatchObject({ code: 422 });
      expect(await refused.catch(apiMessage)).toContain('must be a DNS label');
    });
  });

  describe('the bad-lease corpus', () => {
    // Refused by the schema and CEL rules (naming the field, or the list item of a duplicate
    // key), or accepted and then rejected by verifyLease (misfits and hash mismatches, which
    // need the pool or the canonical hash). Never both accepted and verified.
    it.each(badLeaseCorpus.map((c) => [c.name, c] as const))('%s', async (_name, badCase) => {
      const { lease, field } = badCase;
      try {
        await create('computeleases', lease);
      } catch (error) {
        const code = (error as { code?: number }).code;
        if (badCase.tooLargeForApiServer) {
          expect(code).toBe(413);
          return;
        }
        expect([400, 422]).toContain(code);
        const message = apiMessage(error);
        const listItem = field.replace(/\.[A-Za-z]+$/, '');
        expect(message.includes(field) || message.includes(`${listItem}: Duplicate value`)).toBe(true);
        return;
      }
      const verification = verifyLease(lease.spec, corpusPool, defaultWorkloadPolicy);
      expect(verification.verified).toBe(false);
      if (!verification.verified) expect(verification.issues.map((i) => i.path)).toContain(field);
    }, slow);
  });
});
