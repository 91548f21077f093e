// ComputeLease applied → Deployment created → pods Running, over a burst of leases run by the
// operator process (as its least-privilege ServiceAccount) on a pool of KWOK nodes of its own,
// and the API requests the operator sent per lease.
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import { ComputeLeaseKind, GpuNodePoolKind } from '../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  InformerCache,
  PodKind,
  type KubeObject,
} from '../../operator/src/kube/index.js';
import { mapWithConcurrency } from '../../operator/src/market/concurrency.js';
import { waitFor } from '../stack/process.js';
import {
  adminClient,
  boughtFor,
  createPoolNodes,
  deleteLeases,
  deleteNodes,
  deletePools,
  example,
  gpuManifest,
  installCrdsAndRbac,
  runId,
  testLease,
  testPool,
} from '../harness/cluster-fixtures.js';
import { counterTotal, startOperator } from '../harness/test-run-operator.js';
import { seconds, type Section } from './report.js';

export interface LeaseLatencyOptions {
  /** Leases applied in one burst (one 1-GPU replica each). */
  readonly leases?: number;
  /** Lease creations in flight at once. */
  readonly concurrency?: number;
  /** The operator's `--lease-workers`. */
  readonly leaseWorkers?: number;
}

/** The figures of one run, for tests that check them. */
export interface LeaseLatencyResult {
  readonly section: Section;
  readonly deploymentCreatedMs: readonly number[];
  readonly podsRunningMs: readonly number[];
  readonly requestsPerLease: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function namespaceOf(object: KubeObject): string {
  return object.metadata?.namespace ?? '';
}

/**
 * Runs the measurement and cleans up after itself.
 *
 * @example console.log(formatSection((await measureLeaseLatency({ leases: 100 })).section))
 */
export async function measureLeaseLatency(
  options: LeaseLatencyOptions = {},
): Promise<LeaseLatencyResult> {
  const count = options.leases ?? 100;
  const run = runId();
  const poolName = `bench-${run}`;
  const client = adminClient();
  installCrdsAndRbac();
  const nodes = await createPoolNodes(poolName, Math.ceil(count / 8));
  await client.create(GpuNodePoolKind, testPool(poolName));
  const operator = startOperator({
    run,
    ...(options.leaseWorkers ? { leaseWorkers: options.leaseWorkers } : {}),
  });

  // The bench's own watches: when each lease namespace first has a Deployment, and all its pods Running.
  const cache = new InformerCache(client);
  const appliedAt = new Map<string, number>();
  const deploymentAt = new Map<string, number>();
  const runningAt = new Map<string, number>();
  cache.informer(DeploymentKind).addHandler({
    onAdd: (deployment) => {
      const namespace = namespaceOf(deployment);
      if (appliedAt.has(namespace) && !deploymentAt.has(namespace))
        deploymentAt.set(namespace, Date.now());
    },
  });
  const onPod = (pod: KubeObject & { status?: { phase?: string } }): void => {
    const namespace = namespaceOf(pod);
    if (appliedAt.has(namespace) && !runningAt.has(namespace) && pod.status?.phase === 'Running') {
      runningAt.set(namespace, Date.now());
    }
  };
  cache.informer(PodKind).addHandler({ onAdd: onPod, onUpdate: (_old, pod) => onPod(pod) });
  cache.start();
  const names: string[] = [];
  try {
    await cache.waitForSync();
    await operator.ready();
    const requestsByMethod = (text: string) =>
      new Map(
        ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].map((method) => [
          method,
          counterTotal(text, 'rest_client_requests_total', { method }),
        ]),
      );
    const before = requestsByMethod(await operator.metrics());
    const base = example<ComputeLease>('computelease-h100.yaml');
    const leases = Array.from({ length: count }, (_, i) =>
      testLease(base, run, `bench-${run}-${i}`, {
        pool: poolName,
        resources: boughtFor(1),
        manifest: gpuManifest(1),
      }),
    );
    names.push(...leases.map((lease) => lease.metadata.name!));
    const started = Date.now();
    await mapWithConcurrency(leases, options.concurrency ?? 10, async (lease) => {
      appliedAt.set(`lease-${lease.spec.leaseId}`, Date.now());
      await client.create(ComputeLeaseKind, lease);
    });
    await waitFor(
      `pods of ${count} leases Running`,
      async () => runningAt.size === count,
      300_000,
      200,
    );
    const wall = Date.now() - started;
    // Let the status writes that follow the pods settle before counting requests.
    await waitFor(
      `${count} leases Running in their status`,
      async () =>
        (
          await client.list(ComputeLeaseKind, { labelSelector: `supercloud.dev/test-run=${run}` })
        ).items.every((lease) => lease.status?.phase === 'Running'),
      120_000,
      500,
    );
    const after = requestsByMethod(await operator.metrics());
    const byMethod = [...after]
      .map(([method, n]) => [method, n - (before.get(method) ?? 0)] as const)
      .filter(([, n]) => n > 0);
    const requests = byMethod.reduce((sum, [, n]) => sum + n, 0);
    const since = (ends: Map<string, number>) =>
      [...ends].map(([namespace, at]) => at - appliedAt.get(namespace)!).sort((a, b) => a - b);
    const deploymentCreatedMs = since(deploymentAt);
    const podsRunningMs = since(runningAt);
    const requestsPerLease = requests / count;
    const section: Section = {
      title: 'ComputeLease → workload',
      method: `${count} ComputeLeases (one 1-GPU replica each) created ${options.concurrency ?? 10} at a time on a pool of ${nodes.length} KWOK nodes; the operator runs as a child process impersonating its ServiceAccount (least-privilege RBAC); times from the create request to the bench's watch seeing the Deployment and the pod Running. All ${count} Running after ${seconds(wall)}.`,
      figures: [
        {
          name: 'applied → Deployment created, p50',
          value: seconds(percentile(deploymentCreatedMs, 50)),
        },
        {
          name: 'applied → Deployment created, p99',
          value: seconds(percentile(deploymentCreatedMs, 99)),
        },
        { name: 'applied → pods Running, p50', value: seconds(percentile(podsRunningMs, 50)) },
        {
          name: 'applied → pods Running, p99',
          value: seconds(percentile(podsRunningMs, 99)),
          reference: '≤ 5 s (Kubernetes pod-startup SLO)',
        },
        {
          name: 'API requests per lease (operator)',
          value: `${requestsPerLease.toFixed(1)} (${byMethod.map(([m, n]) => `${m} ${(n / count).toFixed(1)}`).join(', ')})`,
        },
      ],
    };
    return { section, deploymentCreatedMs, podsRunningMs, requestsPerLease };
  } finally {
    await cache.stop();
    await deleteLeases(client, names);
    await deletePools(client, [poolName]);
    await deleteNodes(client, nodes);
    await operator.stop();
    client.close();
  }
}

/** The benchmark section (test/bench/run.ts). */
export async function leaseLatency(): Promise<Section> {
  return (await measureLeaseLatency({ leases: 100 })).section;
}
