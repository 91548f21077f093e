// The chart's Grafana dashboard and Prometheus alerts (metrics.grafanaDashboard,
// metrics.prometheusRule): rendered behind their flags and accepted by the API server; the rules
// checked and unit-tested by promtool (a test file per alert in alerts/); the dashboard's queries
// parsed by promtool; and every metric a dashboard query or a rule reads exported by a running
// operator (its live /metrics, with a Provider on a chain).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Wallet } from 'ethers';
import yaml from 'js-yaml';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import type { KubeClient } from '../../../operator/src/kube/index.js';
import {
  adminClient,
  createLease,
  example,
  installCrdsAndRbac,
  runId,
  slow,
  testLease,
  type Lease,
} from '../../harness/cluster-fixtures.js';
import {
  createProvider,
  createWalletSecret,
  marketProvider,
  metricValue,
  removeSuite,
  startChainOperator,
} from '../../harness/market-fixtures.js';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  waitFor,
} from '../../harness/stack.js';
import { freePort, startTestChain, type TestChain } from '../../harness/test-chain.js';
import type { OperatorProcess } from '../../harness/test-run-operator.js';
import { repoRoot, toolPath } from '../../stack/paths.js';
import {
  chartDir,
  dryRunCreate,
  exampleValues,
  parseObjects,
  templateArgs,
  tool,
  valuesFile,
  type KubeObject,
} from './helm.js';
import {
  dashboardQueries,
  exportedNames,
  metricNames,
  withVariablesReplaced,
  type Dashboard,
} from './promql-names.js';

const alertsDir = join(repoRoot, 'test/integration/chart/alerts');
const alertTestFiles = readdirSync(alertsDir).filter((file) => file.endsWith('.yaml'));
const dashboard = JSON.parse(
  readFileSync(join(chartDir, 'dashboards/supercloud-provider.json'), 'utf8'),
) as Dashboard;
const flagsOn = ['metrics.grafanaDashboard.enabled=true', 'metrics.prometheusRule.enabled=true'];

interface Rule {
  alert: string;
  expr: string;
}
interface PrometheusRule extends KubeObject {
  spec: { groups: { name: string; rules: Rule[] }[] };
}

/** `helm template` of values-minimal.yaml with `--set`s, and more values on top if given. */
function renderWith(
  set: readonly string[],
  namespace = 'supercloud-system',
  values?: Record<string, unknown>,
): KubeObject[] {
  const valuesFiles = [exampleValues('minimal'), ...(values ? [valuesFile('more', values)] : [])];
  return parseObjects(
    tool('helm', [
      ...templateArgs({ namespace, valuesFiles }),
      ...set.flatMap((value) => ['--set', value]),
    ]),
  );
}

const prometheusRuleOf = (objects: KubeObject[]) =>
  objects.find((o) => o.kind === 'PrometheusRule') as PrometheusRule | undefined;
const dashboardConfigMapOf = (objects: KubeObject[]) =>
  objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')) as
    (KubeObject & { data: Record<string, string>; metadata: { annotations?: object } }) | undefined;
const rulesOf = (rule: PrometheusRule | undefined): Rule[] =>
  (rule?.spec.groups ?? []).flatMap((group) => group.rules);

/** Runs the Go-built promtool; never throws (look at `status`). */
function promtool(args: readonly string[], cwd: string) {
  const result = spawnSync(toolPath('promtool'), args, { encoding: 'utf8', cwd });
  if (result.error) throw result.error;
  return { status: result.status, output: result.stdout + result.stderr };
}

/** A fresh directory holding `rules.yaml` (a Prometheus rule file) and copies of the alert tests. */
function ruleDirectory(groups: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'supercloud-rules-'));
  writeFileSync(join(dir, 'rules.yaml'), yaml.dump({ groups }, { lineWidth: -1 }));
  for (const file of alertTestFiles) copyFileSync(join(alertsDir, file), join(dir, file));
  return dir;
}

describe('the dashboard and the alerts in the chart', () => {
  it('are left out by default', () => {
    const objects = renderWith([]);
    expect(prometheusRuleOf(objects)).toBeUndefined();
    expect(dashboardConfigMapOf(objects)).toBeUndefined();
  });

  it('render behind their flags: the dashboard file in a ConfigMap for the sidecar, the alerts in a PrometheusRule', () => {
    const objects = renderWith([...flagsOn, 'metrics.prometheusRule.labels.release=prometheus']);
    const configMap = dashboardConfigMapOf(objects);
    expect(configMap?.metadata).toMatchObject({
      name: 'supercloud-provider-dashboard',
      namespace: 'supercloud-system',
      labels: { grafana_dashboard: '1' },
    });
    expect(JSON.parse(configMap?.data['supercloud-provider.json'] ?? '{}')).toEqual(dashboard);
    const rule = prometheusRuleOf(objects);
    expect(rule?.metadata.labels).toMatchObject({ release: 'prometheus' });
    expect(rulesOf(rule).map((r) => r.alert)).toEqual([
      'SupercloudWalletGasLow',
      'SupercloudFollowerLagging',
      'SupercloudRpcUnreachable',
      'SupercloudReconcileErrorsRising',
      'SupercloudLeaseStuckDeploying',
      'SupercloudLeaseEscrowRunningOut',
      'SupercloudLeaderLost',
    ]);
    // Every expression reads the series of this release's metrics Service only.
    for (const { expr } of rulesOf(rule)) {
      for (const matchers of expr.matchAll(/\{([^}]*)\}/g)) {
        expect(matchers[1]).toContain(
          'namespace="supercloud-system", job="supercloud-provider-metrics"',
        );
      }
    }
  });

  it('put the dashboard where the sidecar looks, with the label it looks for', () => {
    const configMap = dashboardConfigMapOf(
      renderWith([
        'metrics.grafanaDashboard.enabled=true',
        'metrics.grafanaDashboard.label=dashboards',
        'metrics.grafanaDashboard.labelValue=supercloud',
        'metrics.grafanaDashboard.namespace=monitoring',
        'metrics.grafanaDashboard.annotations.grafana_folder=GPU',
      ]),
    );
    expect(configMap?.metadata).toMatchObject({
      namespace: 'monitoring',
      labels: { dashboards: 'supercloud' },
      annotations: { grafana_folder: 'GPU' },
    });
    expect(configMap?.metadata.labels).not.toHaveProperty('grafana_dashboard');
  });

  it('take their thresholds from the values: gas, lag beyond the confirmations, funding warning', () => {
    const exprOf = (objects: KubeObject[], alert: string) =>
      rulesOf(prometheusRuleOf(objects)).find((r) => r.alert === alert)?.expr;
    const objects = renderWith(
      [
        ...flagsOn,
        'metrics.prometheusRule.followerLagBlocks=7',
        'provider.chain.confirmations=12',
        'provider.settlement.fundingWarningSeconds=600',
      ],
      undefined,
      // A decimal string: --set would make it a number, which the schema refuses.
      { metrics: { prometheusRule: { walletGasLowWei: '1000' } } },
    );
    expect(exprOf(objects, 'SupercloudWalletGasLow')).toContain('asset="native"} < 1000 and');
    expect(exprOf(objects, 'SupercloudFollowerLagging')).toContain('} > 19 and');
    expect(exprOf(objects, 'SupercloudLeaseEscrowRunningOut')).toMatch(/\) < 600$/);
  });

  it('without leader election read the one replica, and leave the leader alert out', () => {
    const rules = rulesOf(
      prometheusRuleOf(
        renderWith([...flagsOn, 'operator.replicas=1', 'operator.leaderElection.enabled=false']),
      ),
    );
    expect(rules.map((r) => r.alert)).not.toContain('SupercloudLeaderLost');
    expect(rules.filter((r) => r.expr.includes('leader_election_master_status'))).toEqual([]);
    expect(rules).toHaveLength(6);
  });

  describe('are accepted by the API server', () => {
    const kubeConfig = adminKubeConfig();
    let namespace: string;

    beforeAll(async () => {
      namespace = await createTestNamespace(kubeConfig, 'chart-monitoring');
      tool('kubectl', [
        'apply',
        '--server-side',
        '-f',
        join(repoRoot, 'test/integration/chart/fixtures/prometheusrule-crd.yaml'),
      ]);
      tool('kubectl', [
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/prometheusrules.monitoring.coreos.com',
      ]);
    });

    afterAll(async () => {
      await deleteNamespace(kubeConfig, namespace);
    });

    it('in a server-side dry run (the PrometheusRule CRD a stand-in with its fields only)', () => {
      const objects = renderWith(flagsOn, namespace);
      const monitoring = [prometheusRuleOf(objects), dashboardConfigMapOf(objects)];
      expect(monitoring).not.toContain(undefined);
      const result = dryRunCreate(monitoring as KubeObject[]);
      expect(result.stderr).toBe('');
      expect(result.stdout.trim().split('\n')).toEqual([
        'prometheusrule.monitoring.coreos.com/supercloud-provider',
        'configmap/supercloud-provider-dashboard',
      ]);
    });
  });
});

describe('promtool', () => {
  let rule: PrometheusRule | undefined;
  /** Where the rendered rules are `rules.yaml`, beside copies of the alert tests. */
  let dir: string;

  beforeAll(() => {
    rule = prometheusRuleOf(renderWith(flagsOn));
    dir = ruleDirectory(rule?.spec.groups);
  });

  it('check rules: the rendered rules are valid', () => {
    expect(promtool(['check', 'rules', 'rules.yaml'], dir)).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS: 7 rules found'),
    });
  });

  it('every alert has a unit test file, and every file tests alerts of the rules', () => {
    const alerts = rulesOf(rule).map((r) => r.alert);
    const tested = new Set(
      alertTestFiles.flatMap((file) =>
        [...readFileSync(join(alertsDir, file), 'utf8').matchAll(/alertname: (\w+)/g)].map(
          (match) => match[1],
        ),
      ),
    );
    expect([...tested].sort()).toEqual([...alerts].sort());
    expect(alertTestFiles).toHaveLength(alerts.length);
  });

  it.each(alertTestFiles)('test rules: %s passes', (file) => {
    expect(promtool(['test', 'rules', file], dir)).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS'),
    });
  });

  it('test rules fails a unit test whose alert does not fire as expected (the tests can fail)', () => {
    const broken = readFileSync(join(alertsDir, 'rpc-unreachable.yaml'), 'utf8').replace(
      'eval_time: 6m',
      'eval_time: 8m',
    );
    writeFileSync(join(dir, 'broken.yaml'), broken);
    const result = promtool(['test', 'rules', 'broken.yaml'], dir);
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('SupercloudRpcUnreachable');
  });

  it("check rules: every dashboard query parses (as a recording rule, Grafana's variables filled in)", () => {
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThan(20);
    const recordDir = ruleDirectory([
      {
        name: 'dashboard',
        rules: queries.map(({ expr }, i) => ({
          record: `dashboard:query_${i}`,
          expr: withVariablesReplaced(expr),
        })),
      },
    ]);
    expect(promtool(['check', 'rules', 'rules.yaml'], recordDir)).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${queries.length} rules found`),
    });
  });
});

describe('the PromQL tokenizer of this test', () => {
  it('finds metric names, not functions, keywords, labels, numbers, durations or variables', () => {
    expect(
      [
        ...metricNames(
          'histogram_quantile(0.99, sum by (le, controller) (rate(a_bucket{job="$job", x=~"b|c"}[$__rate_interval]))) ' +
            '/ on (instance) group_left (name) (b == 1) * 1e18 or absent(c{d="e"}) unless max without (pod) (d_total offset 5m)',
        ),
      ].sort(),
    ).toEqual(['a_bucket', 'b', 'c', 'd_total']);
  });

  it('reads the names a /metrics page exports, histogram series included', () => {
    const names = exportedNames(
      [
        '# HELP a_seconds A histogram.',
        '# TYPE a_seconds histogram',
        'a_seconds_bucket{le="1"} 0',
        '# HELP b_total A counter without samples yet.',
        '# TYPE b_total counter',
        'c 1',
      ].join('\n'),
    );
    expect([...names].sort()).toEqual([
      'a_seconds',
      'a_seconds_bucket',
      'a_seconds_count',
      'a_seconds_sum',
      'b_total',
      'c',
    ]);
  });
});

describe('every metric the dashboard and the alerts read, a running operator exports', () => {
  const run = runId();
  const providerName = `monitoring-${run}`;
  let chain: TestChain;
  let client: KubeClient;
  let wallet: Wallet;
  let operator: OperatorProcess;
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await operator.metrics(), name, labels);

  beforeAll(async () => {
    installCrdsAndRbac();
    client = adminClient();
    chain = await startTestChain(`monitoring-${run}`);
    wallet = await chain.freshWallet();
    await createWalletSecret(client, `wallet-${run}`, wallet);
    // The first RPC URL refuses connections: the operator fails over to the chain, and counts the
    // failed sends.
    const provider = marketProvider(providerName, run, chain, `wallet-${run}`);
    provider.spec.chain.rpcUrls = [`http://127.0.0.1:${await freePort()}`, chain.rpcUrl];
    await createProvider(client, provider);
    operator = startChainOperator(run);
    await operator.ready();
    await waitFor(
      'the chain follower to reach the chain',
      async () => (await metric('supercloud_follower_connected')) === 1,
      60_000,
      200,
    );
  }, slow);

  afterAll(async () => {
    await operator?.stop();
    if (client) await removeSuite(client, run, providerName, []);
    await chain?.stop();
  }, slow);

  it('reads every name of a dashboard query and a rule expression from /metrics', async () => {
    const rules = rulesOf(prometheusRuleOf(renderWith(flagsOn)));
    const used = new Map<string, string>();
    for (const { where, expr } of [
      ...dashboardQueries(dashboard),
      ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
    ]) {
      for (const name of metricNames(expr)) used.set(name, where);
    }
    expect(used.size).toBeGreaterThan(25);
    const exported = exportedNames(await operator.metrics());
    const missing = [...used].filter(([name]) => !exported.has(name));
    expect(missing).toEqual([]);
  });

  it('counts the RPC sends that failed (the refused first URL) beside the requests', async () => {
    expect(await metric('supercloud_rpc_errors_total')).toBeGreaterThanOrEqual(1);
    expect(await metric('supercloud_rpc_requests_total')).toBeGreaterThan(0);
  });

  it("counts this operator's leases by phase, as their status says, and no running lease's escrow", async () => {
    const lease = testLease(example<Lease>('computelease-h100.yaml'), run, `lease-mon-${run}`);
    await createLease(client, lease);
    await waitFor(
      'supercloud_leases to count the lease under the phase of its status',
      async () => {
        const phase = (await client.get(ComputeLeaseKind, lease.metadata.name!))?.status?.phase;
        const text = await operator.metrics();
        // The operator serves this run's leases only: the one lease, under its phase.
        return (
          phase !== undefined &&
          metricValue(text, 'supercloud_leases', { phase }) === 1 &&
          metricValue(text, 'supercloud_leases') === 1
        );
      },
      60_000,
      200,
    );
    // No Running lease: no escrow to run out (+Inf, which metricValue does not read).
    expect(await operator.metrics()).toMatch(
      /^supercloud_running_leases_funded_seconds_min \+Inf$/m,
    );
    await client.delete(ComputeLeaseKind, lease.metadata.name!);
  });
});
