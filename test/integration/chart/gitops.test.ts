// The GitOps fleet of examples/gitops/: each datacenter's values files, as the Argo CD
// ApplicationSet and the Flux HelmRelease name them, render into objects the API server accepts,
// and the datacenters' renders differ only where their values differ. Then one datacenter's state
// applied twice by a GitOps-like client, with the operator reconciling in between, changes
// nothing (`kubectl diff` empty, no object written again).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  waitFor,
} from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';
import { runId, slow } from '../../harness/cluster-fixtures.js';
import { testRunLabel } from '../../harness/test-run-operator.js';
import {
  chartDir,
  clusterScopedOfRun,
  dryRunCreate,
  ensureServiceMonitorCrd,
  getLive,
  isTestHook,
  objectKey,
  parseObjects,
  render,
  runTool,
  tool,
  toYamlStream,
  type KubeObject,
} from './helm.js';
import { startReleaseOperator, type OperatorDeployment, type ReleaseOperator } from './operator.js';

const gitopsDir = join(repoRoot, 'examples/gitops');
const datacenters = readdirSync(join(gitopsDir, 'datacenters')).sort();

type Values = Record<string, unknown>;
const readYaml = (path: string): Values => yaml.load(readFileSync(path, 'utf8')) as Values;

/** The values files (repository-relative) the ApplicationSet gives a datacenter, in order. */
function argoValuesFiles(datacenter: string): string[] {
  const appSet = readYaml(join(gitopsDir, 'argocd/applicationset.yaml')) as {
    spec: {
      generators: { git: { directories: { path: string }[] } }[];
      template: { spec: { source: { path: string; helm: { valueFiles: string[] } } } };
    };
  };
  const generated = appSet.spec.generators[0]!.git.directories.map((d) => d.path);
  expect(generated).toEqual(['examples/gitops/datacenters/*']);
  const source = appSet.spec.template.spec.source;
  expect(source.path).toBe('charts/supercloud-provider');
  return source.helm.valueFiles.map((file) =>
    join(source.path, file.replace('{{ .path.basename }}', datacenter)),
  );
}

/** The values files (repository-relative) the Flux HelmRelease of a datacenter names, in order. */
function fluxValuesFiles(datacenter: string): string[] {
  const built = parseObjects(
    tool('kubectl', ['kustomize', join(gitopsDir, 'flux/clusters', datacenter)]),
  );
  const release = built.find((object) => object.kind === 'HelmRelease') as
    { spec: { chart: { spec: { chart: string; valuesFiles: string[] } } } } | undefined;
  if (!release) throw new Error(`flux/clusters/${datacenter} builds no HelmRelease`);
  expect(release.spec.chart.spec.chart).toBe('./charts/supercloud-provider');
  // Flux does not read the chart's values.yaml unless it is named; Helm and Argo CD always do.
  return release.spec.chart.spec.valuesFiles
    .map((file) => join(file))
    .filter((file) => file !== 'charts/supercloud-provider/values.yaml');
}

/** Leaf paths of a values tree where `a` and `b` differ (lists compared whole). */
function differingPaths(a: unknown, b: unknown, prefix = ''): string[] {
  const isMap = (v: unknown): v is Values =>
    v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isMap(a) && isMap(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => differingPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix];
}

/** The values Helm computes for a datacenter (chart defaults, base, datacenter). */
function computedValues(valuesFiles: readonly string[]): Values {
  // Merged as Helm merges values files: maps deep-merge, anything else is replaced by the later file.
  const merge = (a: unknown, b: unknown): unknown => {
    const isMap = (v: unknown): v is Values =>
      v !== null && typeof v === 'object' && !Array.isArray(v);
    if (!isMap(a) || !isMap(b)) return b === undefined ? a : b;
    const out: Values = { ...a };
    for (const [key, value] of Object.entries(b)) out[key] = merge(a[key], value);
    return out;
  };
  return [join(chartDir, 'values.yaml'), ...valuesFiles]
    .map(readYaml)
    .reduce<Values>((acc, values) => merge(acc, values) as Values, {});
}

const renders = new Map(
  datacenters.map((datacenter) => {
    const files = argoValuesFiles(datacenter).map((file) => join(repoRoot, file));
    return [datacenter, { files, objects: parseObjects(render({ valuesFiles: files })) }];
  }),
);

describe('the GitOps fleet', () => {
  it('has three datacenters, each with a Flux cluster directory', () => {
    expect(datacenters.length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(join(gitopsDir, 'flux/clusters')).sort()).toEqual(datacenters);
  });

  it.each(datacenters)('%s: Argo CD and Flux give it the same values files', (datacenter) => {
    expect(fluxValuesFiles(datacenter)).toEqual(argoValuesFiles(datacenter));
  });

  it.each(datacenters)('%s: passes helm lint --strict', (datacenter) => {
    const files = renders.get(datacenter)!.files;
    tool('helm', ['lint', '--strict', chartDir, ...files.flatMap((file) => ['--values', file])]);
  });

  describe('every object is accepted by the API server', () => {
    const kubeConfig = adminKubeConfig();
    let namespace: string;
    beforeAll(async () => {
      namespace = await createTestNamespace(kubeConfig, 'chart-fleet', {
        'pod-security.kubernetes.io/enforce': 'restricted',
        'pod-security.kubernetes.io/warn': 'restricted',
      });
      ensureServiceMonitorCrd();
    }, slow);
    afterAll(async () => deleteNamespace(kubeConfig, namespace), slow);

    it.each(datacenters)('%s', (datacenter) => {
      const run = runId();
      const objects = parseObjects(
        render({ namespace, valuesFiles: renders.get(datacenter)!.files }),
      ).map((object) => clusterScopedOfRun(object, run));
      const result = dryRunCreate(objects);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim().split('\n')).toHaveLength(objects.length);
    });
  });

  describe.each(
    datacenters.flatMap((a, i) => datacenters.slice(i + 1).map((b) => [a, b] as const)),
  )('%s and %s', (a, b) => {
    const renderA = renders.get(a)!;
    const renderB = renders.get(b)!;
    const valuesA = computedValues(renderA.files);
    const valuesB = computedValues(renderB.files);
    const changedValues = differingPaths(valuesA, valuesB);
    const byKey = (objects: readonly KubeObject[]) =>
      new Map(objects.map((o) => [objectKey(o), o]));
    const objectsA = byKey(renderA.objects);
    const objectsB = byKey(renderB.objects);

    it('set different values only for the provider and the pools', () => {
      expect(changedValues.length).toBeGreaterThan(0);
      expect(changedValues.filter((path) => !/^(provider\.|nodePools$)/.test(path))).toEqual([]);
    });

    it('render the same objects, but for the Provider, the pools and the gateway host', () => {
      // The one value used outside the Provider: the Ingress serves the host of provider.gatewayUrl.
      const shared = (objects: Map<string, KubeObject>, values: Values) => {
        const host = new URL((values.provider as { gatewayUrl: string }).gatewayUrl).hostname;
        const others = [...objects].filter(
          ([, o]) => o.kind !== 'Provider' && o.kind !== 'GpuNodePool',
        );
        return JSON.parse(JSON.stringify(others).replaceAll(host, '<gateway host>')) as unknown;
      };
      expect(shared(objectsA, valuesA)).toEqual(shared(objectsB, valuesB));
    });

    it('render Providers that differ exactly where provider.* values differ', () => {
      const provider = (objects: Map<string, KubeObject>) =>
        [...objects.values()].find((o) => o.kind === 'Provider')!;
      const renderedDiff = differingPaths(provider(objectsA).spec, provider(objectsB).spec).map(
        (path) => `provider.${path}`,
      );
      const providerValues = changedValues.filter((path) => path.startsWith('provider.'));
      expect(renderedDiff.sort()).toEqual(providerValues.sort());
    });

    it('render one GpuNodePool per nodePools entry, its spec the entry', () => {
      for (const [objects, values] of [
        [objectsA, valuesA],
        [objectsB, valuesB],
      ] as const) {
        const pools = [...objects.values()].filter((o) => o.kind === 'GpuNodePool');
        const entries = values.nodePools as { name: string }[];
        expect(pools.map((pool) => ({ name: pool.metadata.name, ...pool.spec }))).toEqual(entries);
      }
    });
  });
});

describe('applying the same Git state twice changes nothing', () => {
  const kubeConfig = adminKubeConfig();
  const run = runId();
  const datacenter = datacenters[0]!;
  let namespace: string;
  let objects: KubeObject[] = [];
  let operator: ReleaseOperator | undefined;
  const fieldManager = 'gitops-test';
  const apply = (): void => {
    tool(
      'kubectl',
      ['apply', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'],
      toYamlStream(objects),
    );
  };
  const fingerprints = () =>
    new Map(
      objects.map((object) => {
        const live = getLive(object);
        return [objectKey(object), live?.metadata.generation ?? live?.metadata.resourceVersion];
      }),
    );

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'chart-gitops');
    ensureServiceMonitorCrd();
    // The release name makes the RBAC objects this run's; the Provider and pools get its suffix.
    // The helm test hooks are left out, as Argo CD and Flux leave them (helm test runs them).
    objects = parseObjects(
      render({ release: `gitops-${run}`, namespace, valuesFiles: renders.get(datacenter)!.files }),
    )
      .filter((object) => !isTestHook(object))
      .map((object) =>
        object.kind === 'Provider' || object.kind === 'GpuNodePool'
          ? clusterScopedOfRun(object, run)
          : object,
      );
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    runTool(
      'kubectl',
      ['delete', '--ignore-not-found', '--wait=false', '-f', '-'],
      toYamlStream(objects),
    );
    await deleteNamespace(kubeConfig, namespace);
  }, slow);

  it(
    `${datacenter}: kubectl diff is empty after the operator reconciled, and a second apply writes nothing`,
    async () => {
      apply();
      const deployment = objects.find(
        (object) => object.kind === 'Deployment',
      ) as unknown as OperatorDeployment;
      operator = startReleaseOperator(deployment, ['--lease-selector', `${testRunLabel}=${run}`]);
      await operator.ready();
      const pools = objects.filter((object) => object.kind === 'GpuNodePool');
      await waitFor(
        'the operator to report on every pool',
        async () =>
          pools.every((pool) => {
            const live = getLive(pool) as { status?: { observedGeneration?: number } } | undefined;
            return live?.status?.observedGeneration !== undefined;
          }),
        60_000,
      );
      const before = fingerprints();
      const diff = runTool(
        'kubectl',
        ['diff', '--server-side', `--field-manager=${fieldManager}`, '-f', '-'],
        toYamlStream(objects),
      );
      expect({ status: diff.status, diff: diff.stdout, error: diff.stderr }).toEqual({
        status: 0,
        diff: '',
        error: '',
      });
      apply();
      expect(fingerprints()).toEqual(before);
    },
    slow,
  );
});
