// A real Flux (source-controller and helm-controller, built by `make setup`) runs the fleet of
// examples/gitops/ on the local stack: the fleet repository (examples/gitops/ and the chart, as
// in this repository) is served over smart HTTP by a local git server; the datacenter's
// GitRepository and HelmRelease are what `kubectl kustomize examples/gitops/flux/clusters/<dc>`
// builds. Flux installs the datacenter's release from Git; the release's operator (a local
// process as the release's ServiceAccount: KWOK runs no containers) takes a lease to Running; a
// commit to the fleet repository (a new price, a new pool) reaches the cluster through Flux
// alone; a hand edit of a pool is put back by Flux's drift detection; and over several of Flux's
// reconcile intervals nothing but status is written to the release's objects: the operator and
// Flux never fight.
//
// What the test changes for a shared stack, and why (none of it is in the example):
// - the fleet's chain is the stack's anvil, and the datacenter's Provider, pools and GPU models
//   carry the run's id (cluster-scoped names, and no other suite's order matches the pools);
//   the stack has no NVIDIA runtime, so the pools name no runtimeClassName;
// - the GitRepository and the HelmRelease live in the test's namespace (watched by the test's
//   own controllers), the release is named after the run and installed in that namespace,
//   intervals are seconds instead of minutes;
// - install and upgrade do not wait for the release's Deployments to become Ready
//   (`disableWait`): their pods never run on KWOK nodes;
// - the lease is applied by hand and verified against the cluster (`--lease-verification
//   cluster`), as the other chart tests do.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Wallet } from 'ethers';
import yaml from 'js-yaml';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../../operator/src/api/kinds.js';
import {
  adminClient,
  boughtFor,
  createLease,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  example,
  gpuManifest,
  phaseIs,
  runId,
  slow,
  testLease,
  waitForLease,
  type Lease,
} from '../../harness/cluster-fixtures.js';
import { startGitServer, type GitServer, type ServedRepository } from '../../harness/git-server.js';
import {
  adminKubeConfig,
  chainProvider,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';
import { counterTotal, forbiddenErrors, testRunLabel } from '../../harness/test-run-operator.js';
import { poolLabel } from '../../stack/nodes.js';
import { repoRoot } from '../../stack/paths.js';
import { installFluxCrds, startFluxControllers, type FluxControllers } from './flux.js';
import {
  chartDir,
  ensureServiceMonitorCrd,
  getLive,
  parseObjects,
  releaseObjects,
  runTool,
  tool,
  toYamlStream,
  type KubeObject,
} from './helm.js';
import { recordWrites } from './object-writes.js';
import { startReleaseOperator, type OperatorDeployment, type ReleaseOperator } from './operator.js';

interface PoolValues {
  name: string;
  nodeSelector: Record<string, string>;
  gpu: { model: string; [key: string]: unknown };
  prices: Record<string, string>;
  runtimeClassName?: string;
  [key: string]: unknown;
}

interface DatacenterValues {
  provider: Record<string, unknown>;
  nodePools: PoolValues[];
}

interface FluxCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** Flux's reconcile interval of the test's objects (the example's are minutes). */
const helmReleaseInterval = '10s';
const gitRepositoryInterval = '5s';
/** How many of helm-controller's reconciles the no-fight window spans. */
const reconcilesWatched = 3;

const gitopsPath = 'examples/gitops';
const datacenter = 'fra1';
const readYaml = <T>(path: string): T => yaml.load(readFileSync(path, 'utf8')) as T;

describe(`Flux runs datacenter ${datacenter} of the fleet from a git server`, () => {
  const kubeConfig = adminKubeConfig();
  const client = adminClient();
  const run = runId();
  const release = `flux-${run}`;
  const wallet = Wallet.createRandom();
  const walletSecret = 'supercloud-provider-wallet';
  const leaseName = `lease-flux-${run}`;
  /** GPU models of the run's own: no other suite's order matches the fleet's pools. */
  const modelOfRun = (model: string) => `${model}-F${run.toUpperCase()}`;
  let namespace = '';
  let git: GitServer | undefined;
  let fleet: ServedRepository;
  let flux: FluxControllers | undefined;
  let operator: ReleaseOperator | undefined;
  let nodes: string[] = [];
  /** The release's objects as Helm applied them (read once installed; removed in afterAll). */
  let installed: KubeObject[] = [];
  /** The GitRepository and HelmRelease the test applied. */
  let fluxObjects: KubeObject[] = [];

  const datacenterFile = () =>
    join(fleet.workTree, gitopsPath, 'datacenters', datacenter, 'values.yaml');
  const readDatacenter = () => readYaml<DatacenterValues>(datacenterFile());
  const writeDatacenter = (values: DatacenterValues) =>
    writeFileSync(datacenterFile(), yaml.dump(values));
  const poolName = (pool: string) => `${pool}-${run}`;
  const livePool = async (pool: string) => client.get(GpuNodePoolKind, poolName(pool));
  /** A pool of the datacenter as the fleet repository's work tree has it now. */
  const fleetPool = (pool: string) =>
    readDatacenter().nodePools.find((entry) => entry.name === poolName(pool))!;
  const helmRelease = () => getLive(fluxObjects.find((o) => o.kind === 'HelmRelease')!);
  const conditions = (object: KubeObject | undefined) =>
    ((object?.status as { conditions?: FluxCondition[] } | undefined)?.conditions ?? []).map(
      ({ type, status, reason, message }) => ({ type, status, reason, message }),
    );

  /** The fleet repository: this repository's examples/gitops/ and chart, for the stack. */
  function writeFleet(workTree: string): void {
    cpSync(join(repoRoot, gitopsPath), join(workTree, gitopsPath), { recursive: true });
    mkdirSync(dirname(join(workTree, 'charts/supercloud-provider')), { recursive: true });
    cpSync(chartDir, join(workTree, 'charts/supercloud-provider'), { recursive: true });
    const basePath = join(workTree, gitopsPath, 'base/values.yaml');
    const base = readYaml<{ provider: Record<string, unknown>; operator: Record<string, unknown> }>(
      basePath,
    );
    const { chainId, rpcUrl, contracts } = stack();
    base.provider.chain = {
      chainId,
      rpcUrls: [rpcUrl],
      registry: contracts.registry,
      marketplace: contracts.marketplace,
      confirmations: 0,
      startBlock: contracts.deployBlock,
    };
    // The operator of the run serves the run's Provider and leases only (the stack is shared).
    base.operator = { ...base.operator, leaseSelector: `${testRunLabel}=${run}` };
    writeFileSync(basePath, yaml.dump(base));
    const values = readYaml<DatacenterValues>(
      join(repoRoot, gitopsPath, 'datacenters', datacenter, 'values.yaml'),
    );
    values.provider = {
      ...values.provider,
      name: `${datacenter}-${run}`,
      labels: { [testRunLabel]: run },
    };
    values.nodePools = values.nodePools.map(({ runtimeClassName: _none, ...pool }) => ({
      ...pool,
      name: poolName(pool.name),
      nodeSelector: { [poolLabel]: poolName(pool.name) },
      gpu: { ...pool.gpu, model: modelOfRun(pool.gpu.model) },
    }));
    writeFileSync(
      join(workTree, gitopsPath, 'datacenters', datacenter, 'values.yaml'),
      yaml.dump(values),
    );
  }

  /** The datacenter's Flux objects as the example builds them, placed for the shared stack. */
  function datacenterFluxObjects(url: string): KubeObject[] {
    const built = parseObjects(
      tool('kubectl', ['kustomize', join(fleet.workTree, gitopsPath, 'flux/clusters', datacenter)]),
    );
    return built.map((object) => {
      const spec = object.spec as Record<string, unknown>;
      const metadata = { ...object.metadata, namespace };
      if (object.kind === 'GitRepository') {
        return { ...object, metadata, spec: { ...spec, url, interval: gitRepositoryInterval } };
      }
      if (object.kind !== 'HelmRelease') throw new Error(`unexpected ${object.kind} in the build`);
      return {
        ...object,
        metadata,
        spec: {
          ...spec,
          interval: helmReleaseInterval,
          releaseName: release,
          targetNamespace: namespace,
          storageNamespace: namespace,
          install: { ...(spec.install as object), disableWait: true },
          upgrade: { ...(spec.upgrade as object), disableWait: true },
        },
      };
    });
  }

  beforeAll(async () => {
    const chain = chainProvider();
    await chain.send('anvil_setBalance', [wallet.address, `0x${(10n ** 20n).toString(16)}`]);
    chain.destroy();
    namespace = await createTestNamespace(kubeConfig, 'chart-flux');
    ensureServiceMonitorCrd();
    installFluxCrds();
    // The wallet Secret the fleet's values name, made as a provider's secret manager would.
    tool(
      'kubectl',
      ['apply', '-f', '-'],
      yaml.dump({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: walletSecret, namespace },
        stringData: { privateKey: wallet.privateKey },
      }),
    );
    nodes = await createPoolNodes(poolName('h100'), 1);
    git = await startGitServer();
    fleet = git.createRepository('fleet');
    writeFleet(fleet.workTree);
    fleet.commit(`the fleet, ${datacenter} on the local stack`);
    flux = await startFluxControllers(namespace);
    fluxObjects = datacenterFluxObjects(fleet.url);
    tool('kubectl', ['apply', '--server-side', '-f', '-'], toYamlStream(fluxObjects));
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    await deleteLeases(client, [leaseName]).catch(() => undefined);
    // Deleting the HelmRelease has helm-controller uninstall the release (cluster-scoped objects
    // included); then source-controller lets the GitRepository and the HelmChart go.
    for (const object of [...fluxObjects].reverse()) {
      const result = runTool('kubectl', [
        'delete',
        '--ignore-not-found',
        '--timeout=60s',
        `${object.kind}.${object.apiVersion.split('/')[0]}`,
        object.metadata.name,
        '--namespace',
        namespace,
      ]);
      // Flux did not get to its finalizer in time: nothing else will, so drop it.
      if (result.status !== 0) {
        runTool('kubectl', [
          'patch',
          `${object.kind}.${object.apiVersion.split('/')[0]}`,
          object.metadata.name,
          '--namespace',
          namespace,
          '--type=merge',
          '--patch={"metadata":{"finalizers":null}}',
        ]);
      }
    }
    await flux?.stop();
    await git?.close();
    // Whatever the uninstall left (it failed, or never ran) goes too.
    if (installed.length > 0) {
      runTool(
        'kubectl',
        ['delete', '--ignore-not-found', '--wait=false', '-f', '-'],
        toYamlStream(installed),
      );
    }
    await deleteNodes(client, nodes);
    if (namespace) await deleteNamespace(kubeConfig, namespace);
  }, slow);

  it(
    "installs the datacenter's release from the fleet repository",
    async () => {
      await waitFor(
        'the HelmRelease to be Ready',
        async () =>
          conditions(helmRelease()).some((c) => c.type === 'Ready' && c.status === 'True'),
        120_000,
        500,
      ).catch((error: Error) => {
        throw new Error(`${error.message}: ${JSON.stringify(conditions(helmRelease()))}`);
      });
      installed = releaseObjects(release, namespace);
      const values = readDatacenter();
      const provider = getLive({
        apiVersion: 'supercloud.dev/v1alpha1',
        kind: 'Provider',
        metadata: { name: `${datacenter}-${run}` },
      });
      expect(provider?.spec).toMatchObject({ gatewayUrl: values.provider.gatewayUrl });
      for (const pool of values.nodePools) {
        const live = await client.get(GpuNodePoolKind, pool.name);
        expect(live?.spec).toMatchObject({ prices: pool.prices, gpu: pool.gpu });
      }
      expect(installed.map((object) => object.kind)).toEqual(
        expect.arrayContaining(['Deployment', 'GpuNodePool', 'Provider', 'ClusterRole']),
      );
    },
    slow,
  );

  it(
    "the release's operator, as its ServiceAccount, takes a lease on the fleet's pool to Running",
    async () => {
      const deployment = getLive({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: `${release}-supercloud-provider`, namespace },
      }) as unknown as OperatorDeployment;
      operator = startReleaseOperator(deployment, ['--lease-verification', 'cluster']);
      await operator.ready();
      const lease = testLease(example<Lease>('computelease-h100.yaml'), run, leaseName, {
        pool: poolName('h100'),
        provider: wallet.address,
        resources: { ...boughtFor(1), gpuModel: fleetPool('h100').gpu.model },
        manifest: gpuManifest(1),
      });
      await createLease(client, lease);
      const running = await waitForLease(client, leaseName, 'Running', phaseIs('Running'), 120_000);
      expect(running.status?.namespace).toBeTruthy();
      expect(forbiddenErrors(operator.lines)).toEqual([]);
    },
    slow,
  );

  it(
    'a commit to the fleet repository (a new price, a new pool) reaches the cluster through Flux alone',
    async () => {
      const values = readDatacenter();
      const h100 = values.nodePools.find((pool) => pool.name === poolName('h100'))!;
      const newPrice = String(BigInt(h100.prices.perGpuHour!) + 100_000n);
      h100.prices = { ...h100.prices, perGpuHour: newPrice };
      const h200: PoolValues = {
        ...h100,
        name: poolName('h200'),
        nodeSelector: { [poolLabel]: poolName('h200') },
        gpu: { ...h100.gpu, model: modelOfRun('NVIDIA-H200'), memoryMiB: 143771 },
      };
      values.nodePools.push(h200);
      writeDatacenter(values);
      fleet.commit(`${datacenter}: H100 at ${newPrice} per GPU-hour, and an H200 pool`);
      await waitFor(
        `pool ${h100.name} at the committed price and pool ${h200.name}`,
        async () =>
          (await livePool('h100'))?.spec.prices.perGpuHour === newPrice &&
          (await livePool('h200')) !== undefined,
        120_000,
        500,
      );
      expect((await livePool('h100'))?.spec.prices).toEqual(h100.prices);
      const { nodeSelector, gpu, prices } = h200;
      expect((await livePool('h200'))?.spec).toMatchObject({ nodeSelector, gpu, prices });
      installed = releaseObjects(release, namespace);
    },
    slow,
  );

  it(
    "a hand edit of a pool is put back by Flux's drift detection",
    async () => {
      const inGit = fleetPool('a100');
      const edited = JSON.parse(
        tool('kubectl', [
          'patch',
          'gpunodepools.supercloud.dev',
          inGit.name,
          '--type=merge',
          '--field-manager=sre-by-hand',
          '--patch',
          JSON.stringify({ spec: { prices: { perGpuHour: '1' } } }),
          '--output=json',
        ]),
      ) as { spec: { prices: Record<string, string> } };
      expect(edited.spec.prices.perGpuHour).toBe('1');
      await waitFor(
        `pool ${inGit.name} back at the price in Git`,
        async () => (await livePool('a100'))?.spec.prices.perGpuHour === inGit.prices.perGpuHour,
        90_000,
        500,
      );
      // Put back by helm-controller's drift correction (its Event, logged at debug level).
      const corrections = flux!.helm.lines
        .map((line) => String(line.msg))
        .filter((message) => message.includes('has been corrected'));
      expect(corrections.join('\n')).toContain(`GpuNodePool/${inGit.name} configured`);
    },
    slow,
  );

  it(
    `over ${reconcilesWatched} reconciles of the release, nothing but status is written to its objects`,
    async () => {
      const reconciles = async () =>
        counterTotal(
          await (await fetch(flux!.helm.metricsUrl)).text(),
          'controller_runtime_reconcile_total',
          {
            controller: 'helmrelease',
          },
        );
      const objects = releaseObjects(release, namespace);
      const recorder = await recordWrites(client, objects);
      const start = await reconciles();
      await waitFor(
        `${reconcilesWatched} reconciles of the HelmRelease`,
        async () => (await reconciles()) >= start + reconcilesWatched,
        reconcilesWatched * 30_000,
        500,
      );
      const writes = recorder.stop();
      // Writes to what an object asks for (spec, labels, ...) would be two writers in turn.
      expect(writes.filter((write) => !write.statusOnly)).toEqual([]);
      expect(conditions(helmRelease())).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'True' })]),
      );
      // The operator kept serving, and reports on the pool's spec as Flux last applied it.
      expect((await client.get(ComputeLeaseKind, leaseName))?.status?.phase).toBe('Running');
      const pool = await livePool('h100');
      expect(pool?.status?.observedGeneration).toBe(pool?.metadata.generation);
    },
    slow,
  );
});
