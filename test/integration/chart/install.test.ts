// `helm install` of examples/values-local.yaml on the local stack, then the release's operator (the
// container's arguments, run locally as the release's ServiceAccount: a verb missing from the
// chart's ClusterRole fails here) registers the provider on the stack's chain, bids on a tenant's
// order and takes the lease it wins to Running; `helm test`'s checks (its hooks' commands, run
// locally as the hooks' ServiceAccount) pass against it; re-applying the release changes nothing; `helm
// upgrade` of one price patches that pool only; `helm uninstall` leaves the running lease and its
// workload alone. The release gets its own namespace, Provider, wallet, pool and nodes. The
// chart's admission policy is enforced before the operator starts, so the lease reaching Running
// shows the policy refuses nothing the operator needs (admission-policy.test.ts shows what it
// refuses).
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import { Wallet } from 'ethers';
import { buildOrderRequest } from '../../../operator/src/cli/order-request.js';
import { TenantClient } from '../../../operator/src/cli/tenant.js';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import { computeLeaseName } from '../../../operator/src/workloads/names.js';
import {
  adminKubeConfig,
  chainProvider,
  chainWallet,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';
import { poolLabel } from '../../stack/nodes.js';
import {
  adminClient,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  gpuManifest,
  phaseIs,
  runId,
  slow,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import { forbiddenErrors, testRunLabel } from '../../harness/test-run-operator.js';
import {
  chartDir,
  exampleValues,
  getLive,
  objectKey,
  releaseObjects,
  runTool,
  tool,
  valuesFile,
  type KubeObject,
} from './helm.js';
import { startReleaseOperator, type OperatorDeployment, type ReleaseOperator } from './operator.js';
import { releaseOperator, waitForAdmissionPolicy } from './admission.js';
import { releaseTestHooks, runTestPod, testHookNeeds } from './helm-test.js';

interface PoolValues {
  name: string;
  nodeSelector: Record<string, string>;
  prices: Record<string, string>;
  [key: string]: unknown;
}

const crdNames = [
  'providers.supercloud.dev',
  'gpunodepools.supercloud.dev',
  'computeleases.supercloud.dev',
];

/** What changes when an object is written: its generation where it has one, else its version. */
function fingerprint(object: KubeObject): string {
  const live = getLive(object);
  if (!live) return 'absent';
  return live.metadata.generation !== undefined
    ? `generation ${live.metadata.generation}`
    : `resourceVersion ${live.metadata.resourceVersion}`;
}

function fingerprints(objects: readonly KubeObject[]): Map<string, string> {
  return new Map(objects.map((object) => [objectKey(object), fingerprint(object)]));
}

describe('helm install / upgrade / uninstall on the local stack', () => {
  const kubeConfig = adminKubeConfig();
  const client = adminClient();
  const run = runId();
  const release = `sc-${run}`;
  const pool = `chart-${run}`;
  /** The lease the tenant's order becomes (its id is known once the order is placed). */
  let leaseName = '';
  let namespace: string;
  let nodes: string[] = [];
  let operator: ReleaseOperator | undefined;

  // values-local.yaml as is, but with a Provider, a pool and nodes of this run's own, so the
  // release never meets the objects of other suites on the shared stack.
  const local = yaml.load(readFileSync(exampleValues('local'), 'utf8')) as {
    nodePools: PoolValues[];
  };
  const h100 = local.nodePools.find((p) => p.name === 'h100')!;
  // A model of its own, so only this release's pool bids on the test's order.
  const model = `NVIDIA-H100-80GB-HBM3-C${run.toUpperCase()}`;
  // Prices in the stack token's base units (6 decimals): the tenant can pay for an hour.
  const prices = {
    perGpuHour: '3600000',
    perCpuCoreHour: '36000',
    perGiBMemoryHour: '0',
    perGiBStorageHour: '0',
  };
  const ownPool = (poolPrices: Record<string, string>): PoolValues => ({
    ...h100,
    name: pool,
    nodeSelector: { [poolLabel]: pool },
    gpu: { ...(h100.gpu as object), model },
    prices: poolPrices,
  });
  // The running stack's chain and a wallet of the release's own (funded below).
  const wallet = Wallet.createRandom();
  const { chainId, rpcUrl, contracts } = stack();
  const releaseValues = (poolPrices: Record<string, string>) => ({
    provider: {
      name: `chart-${run}`,
      // The operator below serves this run's labels only (the stack is shared).
      labels: { [testRunLabel]: run },
      chain: {
        chainId,
        rpcUrls: [rpcUrl],
        registry: contracts.registry,
        marketplace: contracts.marketplace,
        confirmations: 0,
        startBlock: contracts.deployBlock,
      },
    },
    wallet: { create: true, privateKey: wallet.privateKey, address: wallet.address },
    nodePools: [ownPool(poolPrices)],
  });
  const overrides = valuesFile('own-objects', releaseValues(prices));
  const helmArgs = (...valuesFiles: string[]) => [
    release,
    chartDir,
    '--namespace',
    namespace,
    ...[exampleValues('local'), ...valuesFiles].flatMap((file) => ['--values', file]),
  ];

  beforeAll(async () => {
    await chainProvider().send('anvil_setBalance', [
      wallet.address,
      `0x${(10n ** 20n).toString(16)}`,
    ]);
    namespace = await createTestNamespace(kubeConfig, 'chart');
    nodes = await createPoolNodes(pool, 1);
    tool('helm', ['install', ...helmArgs(overrides), '--wait=false']);
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    runTool('helm', ['uninstall', release, '--namespace', namespace]);
    if (leaseName) await deleteLeases(client, [leaseName]);
    await deleteNodes(client, nodes);
    await deleteNamespace(kubeConfig, namespace);
  }, slow);

  it('creates the CRDs, the RBAC, the Provider and the pools', () => {
    for (const crd of crdNames) {
      tool('kubectl', ['wait', '--for=condition=Established', '--timeout=30s', `crd/${crd}`]);
    }
    const objects = releaseObjects(release, namespace);
    const kinds = objects.map((object) => object.kind).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'ClusterRole',
        'ClusterRoleBinding',
        'Deployment',
        'GpuNodePool',
        'PodDisruptionBudget',
        'Provider',
        'Role',
        'RoleBinding',
        'Secret',
        'Service',
        'ServiceAccount',
        'ValidatingAdmissionPolicy',
        'ValidatingAdmissionPolicyBinding',
      ]),
    );
    for (const object of objects)
      expect([objectKey(object), getLive(object) !== undefined]).toEqual([objectKey(object), true]);
    const livePool = getLive({
      apiVersion: 'supercloud.dev/v1alpha1',
      kind: 'GpuNodePool',
      metadata: { name: pool },
    });
    expect(livePool?.spec).toMatchObject({
      nodeSelector: { [poolLabel]: pool },
      prices,
    });
  });

  it('lets the operator read its wallet Secret and no other', () => {
    const serviceAccount = `system:serviceaccount:${namespace}:${release}-supercloud-provider`;
    const canI = (verb: string, what: string, ...more: string[]) =>
      runTool('kubectl', [
        'auth',
        'can-i',
        verb,
        what,
        ...more,
        '--as',
        serviceAccount,
        '--namespace',
        namespace,
      ]).stdout.trim();
    expect(canI('get', `secret/${release}-supercloud-provider-wallet`)).toBe('yes');
    expect(canI('get', 'secret/another-secret')).toBe('no');
    expect(canI('list', 'secrets')).toBe('no');
    expect(canI('patch', 'providers.supercloud.dev', '--subresource=status')).toBe('yes');
  });

  it("runs the gateway as a ServiceAccount of its own, which can read no Secret (the wallet's included)", () => {
    const gatewayAccount = `${release}-supercloud-provider-gateway`;
    const gateway = getLive({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: gatewayAccount, namespace },
    }) as { spec?: { template: { spec: { serviceAccountName?: string } } } } | undefined;
    expect(gateway?.spec?.template.spec.serviceAccountName).toBe(gatewayAccount);
    const canI = (verb: string, what: string) =>
      runTool('kubectl', [
        'auth',
        'can-i',
        verb,
        what,
        '--as',
        `system:serviceaccount:${namespace}:${gatewayAccount}`,
        '--namespace',
        namespace,
      ]).stdout.trim();
    expect(canI('get', `secret/${release}-supercloud-provider-wallet`)).toBe('no');
    expect(canI('list', 'secrets')).toBe('no');
    expect(canI('delete', 'secrets')).toBe('no');
    expect(canI('create', 'secrets')).toBe('yes');
    expect(canI('list', 'computeleases.supercloud.dev')).toBe('yes');
  });

  it(
    "the operator, as the chart's ServiceAccount, bids on a tenant's order and takes the lease it wins to Running",
    async () => {
      const deployment = getLive({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: release + '-supercloud-provider', namespace },
      }) as unknown as OperatorDeployment;
      // The policy confining the operator to lease namespaces is in force before it acts.
      await waitForAdmissionPolicy(releaseOperator(release, namespace), release, `chart-${run}`);
      operator = startReleaseOperator(deployment, [
        '--lease-selector',
        `${testRunLabel}=${run}`,
        '--chain-poll-ms',
        '250',
      ]);
      await operator.ready();
      // The tenant (stack account 1) orders one GPU with the tenant CLI's library.
      const tenant = new TenantClient({
        provider: chainProvider(),
        marketplace: contracts.marketplace,
        signer: chainWallet(1, chainProvider()),
      });
      const { orderId } = await tenant.createOrder(
        buildOrderRequest(JSON.stringify(gpuManifest(1)), {
          gpuModel: model,
          maxPrice: '2000',
          deposit: '1h',
          biddingSeconds: '3600',
        }),
      );
      await waitFor(
        `the release's bid on order ${orderId}`,
        async () => (await tenant.bids(orderId)).some((b) => b.provider === wallet.address),
        90_000,
        250,
      );
      await tenant.acceptBid(orderId, wallet.address);
      leaseName = computeLeaseName(orderId.toString());
      const running = await waitForLease(client, leaseName, 'Running', phaseIs('Running'), 120_000);
      expect(running.spec.pool).toBe(pool);
      expect(running.status?.namespace).toBeTruthy();
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );

  it(
    "helm test: the hooks' checks pass against the release's operator, as a ServiceAccount that may read its Provider only",
    async () => {
      const { pods, needs } = releaseTestHooks(release, namespace);
      expect(pods.map((pod) => pod.metadata.name).sort()).toEqual([
        `${release}-supercloud-provider-test-chain-connection`,
        `${release}-supercloud-provider-test-operator-ready`,
      ]);
      const healthUrl = await operator!.healthUrl();
      const chainCheck = pods.find((pod) => pod.spec.containers[0]!.args[1] === 'provider')!;
      // Before helm created the hooks' RBAC, the ServiceAccount may read nothing.
      testHookNeeds.create(needs.filter((o) => o.kind === 'ServiceAccount'));
      const refused = await runTestPod(chainCheck, healthUrl, ['--timeout', '2']);
      expect(refused.exitCode).toBe(1);
      expect(refused.output).toContain('forbidden');
      testHookNeeds.create(needs);
      try {
        for (const pod of pods) {
          const result = await runTestPod(pod, healthUrl);
          expect(result).toMatchObject({ exitCode: 0 });
          expect(result.output).toMatch(/^ok: /);
        }
        const chain = await runTestPod(chainCheck, healthUrl);
        expect(chain.output).toContain(`ok: Provider chart-${run} has ChainConnected, WalletReady`);
        expect(chain.output).toMatch(/ChainConnected \(head at block \d+\)/);
        // Another Provider is out of its reach.
        const other = await runTestPod(
          {
            ...chainCheck,
            spec: {
              ...chainCheck.spec,
              containers: [{ args: ['check', 'provider', '--name=default'] }],
            },
          },
          healthUrl,
          ['--timeout', '2'],
        );
        expect(other.exitCode).toBe(1);
        expect(other.output).toContain('forbidden');
      } finally {
        testHookNeeds.remove(needs);
      }
    },
    slow,
  );

  it('applying the release again changes nothing once the operator reconciled (kubectl diff is empty)', () => {
    const manifest = tool('helm', ['get', 'manifest', release, '--namespace', namespace]);
    const before = fingerprints(releaseObjects(release, namespace));
    const diff = runTool('kubectl', ['diff', '-f', '-'], manifest);
    expect({ status: diff.status, diff: diff.stdout, error: diff.stderr }).toEqual({
      status: 0,
      diff: '',
      error: '',
    });
    const serverDiff = runTool(
      'kubectl',
      ['diff', '--server-side', '--field-manager=helm', '--force-conflicts', '-f', '-'],
      manifest,
    );
    expect({ status: serverDiff.status, diff: serverDiff.stdout }).toEqual({ status: 0, diff: '' });
    // A no-op upgrade, as a GitOps controller re-syncing the same state would do.
    tool('helm', ['upgrade', ...helmArgs(overrides)]);
    expect(fingerprints(releaseObjects(release, namespace))).toEqual(before);
  });

  it('helm upgrade with a changed pool price changes the pool and nothing else', async () => {
    const objects = releaseObjects(release, namespace);
    const before = fingerprints(objects);
    const newPrice = { ...prices, perGpuHour: '3700000' };
    const repriced = valuesFile('repriced', releaseValues(newPrice));
    tool('helm', ['upgrade', ...helmArgs(repriced)]);
    const after = fingerprints(releaseObjects(release, namespace));
    const changed = [...after.keys()].filter((key) => after.get(key) !== before.get(key));
    expect(changed).toEqual([`GpuNodePool//${pool}`]);
    const livePool = getLive({
      apiVersion: 'supercloud.dev/v1alpha1',
      kind: 'GpuNodePool',
      metadata: { name: pool },
    });
    expect(livePool?.spec).toMatchObject({ prices: newPrice });
  });

  it(
    "helm uninstall removes the release's objects and leaves the running lease and its workload alone",
    async () => {
      const objects = releaseObjects(release, namespace);
      // The pods of the Deployment would go with it; the local process goes the same way.
      await operator?.stop();
      tool('helm', ['uninstall', release, '--namespace', namespace, '--wait']);
      for (const object of objects)
        expect([objectKey(object), getLive(object)]).toEqual([objectKey(object), undefined]);
      const lease = await client.get(ComputeLeaseKind, leaseName);
      expect(lease?.status?.phase).toBe('Running');
      const leaseNamespace = lease!.status!.namespace!;
      expect(
        getLive({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: leaseNamespace } }),
      ).toBeDefined();
      const deployments = JSON.parse(
        tool('kubectl', ['get', 'deployments', '--namespace', leaseNamespace, '--output', 'json']),
      ) as { items: unknown[] };
      expect(deployments.items.length).toBeGreaterThan(0);
      for (const crd of crdNames) {
        expect(
          getLive({
            apiVersion: 'apiextensions.k8s.io/v1',
            kind: 'CustomResourceDefinition',
            metadata: { name: crd },
          }),
        ).toBeDefined();
      }
    },
    slow,
  );
});
