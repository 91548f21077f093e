// A reconcile that throws is retried with exponential backoff, and every failure shows in
// /metrics under controller-runtime's names.
import {
  ConfigMapKind,
  controller,
  createManager,
  type Manager,
} from '../../../operator/src/kube/index.js';
import { adminKubeConfig, createTestNamespace, waitFor } from '../../harness/stack.js';
import { adminClient, metricValue, tearDown, testLogger, testTimeoutMs } from './helpers.js';

const failures = 6;

describe('a failing reconcile', () => {
  let namespace: string;
  let manager: Manager;
  const admin = adminClient();
  const attempts: number[] = [];

  beforeAll(async () => {
    namespace = await createTestNamespace(adminKubeConfig(), 'runtime-retry');
    manager = createManager({
      kubeConfig: adminKubeConfig(),
      namespace,
      leaderElection: false,
      healthAddress: '127.0.0.1:0',
      logger: testLogger(),
    });
    manager.add(
      controller({
        name: 'flaky',
        for: ConfigMapKind,
        filter: (object) => object.metadata?.name === 'flaky',
        reconcile: async () => {
          attempts.push(performance.now());
          // The first attempt crashes like a bug would; the next ones fail like an outage would.
          if (attempts.length === 1) (undefined as unknown as { field: string }).field.trim();
          if (attempts.length <= failures) throw new Error('the cloud is on fire');
        },
      }),
    );
    await manager.start();
  }, testTimeoutMs);

  afterAll(() => tearDown(manager, admin, namespace), testTimeoutMs);

  it(
    'is retried with growing delays until it succeeds, and counted in the metrics',
    async () => {
      await admin.create(ConfigMapKind, { metadata: { name: 'flaky', namespace }, data: {} });
      await waitFor(
        'the flaky reconcile to succeed',
        async () => attempts.length > failures,
        30_000,
        20,
      );

      // Delays are at least 5 ms × 2^n (a timer never fires early); they are only lower bounds.
      const gaps = attempts.slice(1).map((at, i) => at - attempts[i]!);
      gaps.forEach((gap, n) => expect(gap).toBeGreaterThanOrEqual(5 * 2 ** n - 1));
      expect(gaps[failures - 1]!).toBeGreaterThan(gaps[0]!);

      const metrics = await (await fetch(`${manager.healthUrl}/metrics`)).text();
      const value = (name: string, labels: Record<string, string>) =>
        metricValue(metrics, name, labels);
      expect(value('controller_runtime_reconcile_errors_total', { controller: 'flaky' })).toBe(
        failures,
      );
      expect(value('controller_runtime_reconcile_panics_total', { controller: 'flaky' })).toBe(1);
      expect(
        value('controller_runtime_reconcile_total', { controller: 'flaky', result: 'error' }),
      ).toBe(failures);
      expect(
        value('controller_runtime_reconcile_total', { controller: 'flaky', result: 'success' }),
      ).toBe(1);
      expect(value('workqueue_retries_total', { name: 'flaky', controller: 'flaky' })).toBe(
        failures,
      );
      expect(value('workqueue_adds_total', { name: 'flaky', controller: 'flaky' })).toBe(
        failures + 1,
      );
      expect(value('workqueue_depth', { name: 'flaky' })).toBe(0);
      expect(
        value('controller_runtime_reconcile_time_seconds_count', { controller: 'flaky' }),
      ).toBe(failures + 1);
      expect(value('rest_client_requests_total', { method: 'GET', code: '200' })).toBeGreaterThan(
        0,
      );
      expect(metrics).toContain('process_resident_memory_bytes');
      const probe = async (path: string) => {
        const response = await fetch(`${manager.healthUrl}${path}`);
        return `${response.status} ${await response.text()}`;
      };
      expect(await probe('/healthz')).toBe('200 ok');
      expect(await probe('/readyz')).toBe('200 ok');
      expect(metrics).toContain('nodejs_eventloop_lag_seconds');
    },
    testTimeoutMs,
  );
});
