// Shared by the runtime's integration tests: objects in bulk, convergence checks, metrics
// parsing, etcd access, and the figures file the tests report into.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mapWithConcurrency } from '../../../operator/src/market/concurrency.js';
import { stackDir, toolPath } from '../../stack/paths.js';
import { adminKubeConfig, deleteNamespace, stack, waitFor } from '../../harness/stack.js';
import { isApiServerReady } from '../../stack/kube.js';
import { startComponents } from '../../stack/kwok.js';
import {
  ConfigMapKind,
  KubeClient,
  type Manager,
  type ObjectOf,
} from '../../../operator/src/kube/index.js';
import { createLogger, type Logger } from '../../../operator/src/logging/logger.js';
import { isSource, mirrorName, roleLabel } from './fixtures/mirror-controller.js';

export type ConfigMap = ObjectOf<typeof ConfigMapKind>;

/** A plain admin client for the test's own writes and checks (not counted as the controller's). */
export function adminClient(): KubeClient {
  return new KubeClient({ kubeConfig: adminKubeConfig() });
}

/**
 * Logs of the runtime under test: silent unless RUNTIME_TEST_LOG=<level> is set, then JSON lines
 * in the stack's logs/runtime-tests.log.
 */
export function testLogger(): Logger {
  const level = process.env.RUNTIME_TEST_LOG;
  if (level === undefined) return createLogger({ silent: true });
  mkdirSync(join(stackDir, 'logs'), { recursive: true });
  const stream = createWriteStream(join(stackDir, 'logs', 'runtime-tests.log'), { flags: 'a' });
  return createLogger({ level, stream });
}

export const sourceName = (index: number): string => `src-${String(index).padStart(4, '0')}`;

/** Creates (or overwrites) source ConfigMaps with `value` in their data, `concurrency` at a time. */
export async function writeSources(
  client: KubeClient,
  namespace: string,
  names: readonly string[],
  value: (name: string) => string,
  concurrency = 32,
): Promise<void> {
  await mapWithConcurrency(names, concurrency, async (name) => {
    const body: ConfigMap = {
      metadata: { name, namespace, labels: { [roleLabel]: 'source' } },
      data: { value: value(name) },
    };
    await client.patch(
      ConfigMapKind,
      name,
      'apply',
      { apiVersion: 'v1', kind: 'ConfigMap', ...body },
      {
        namespace,
        fieldManager: 'runtime-test',
        force: true,
      },
    );
  });
}

export async function deleteSources(
  client: KubeClient,
  namespace: string,
  names: readonly string[],
): Promise<void> {
  await mapWithConcurrency(names, 32, (name) => client.delete(ConfigMapKind, name, { namespace }));
}

/**
 * Differences between the sources and their mirrors in the namespace: a missing or stale mirror
 * (the controller's job), or, unless `ignoreLeftovers`, a mirror left over without its source
 * (the garbage collector's job, in kube-controller-manager). Empty when converged.
 */
export async function mirrorDifferences(
  client: KubeClient,
  namespace: string,
  ignoreLeftovers = false,
): Promise<string[]> {
  const { items } = await client.list(ConfigMapKind, { namespace });
  const byName = new Map(items.map((item) => [item.metadata?.name ?? '', item]));
  const differences: string[] = [];
  const sources = items.filter(isSource);
  for (const source of sources) {
    const mirror = byName.get(mirrorName(source.metadata?.name ?? ''));
    if (!mirror) differences.push(`${source.metadata?.name}: no mirror`);
    else if (mirror.data?.value !== source.data?.value) {
      differences.push(
        `${source.metadata?.name}: mirror has ${mirror.data?.value}, source ${source.data?.value}`,
      );
    }
  }
  if (ignoreLeftovers) return differences;
  const sourceNames = new Set(sources.map((s) => s.metadata?.name));
  for (const item of items) {
    if (item.metadata?.labels?.[roleLabel] !== 'mirror') continue;
    const owner = item.metadata?.name?.replace(/-mirror$/, '');
    if (!sourceNames.has(owner)) differences.push(`${item.metadata?.name}: left over`);
  }
  return differences;
}

/**
 * Polls until the mirrors match the sources; returns how long it took (ms). With
 * `ignoreLeftovers`, mirrors of deleted sources (removed by the garbage collector) are ignored.
 */
export async function waitForMirrors(
  client: KubeClient,
  namespace: string,
  timeoutMs: number,
  intervalMs = 250,
  ignoreLeftovers = false,
): Promise<number> {
  const started = Date.now();
  let last: string[] = [];
  while (Date.now() - started < timeoutMs) {
    last = await mirrorDifferences(client, namespace, ignoreLeftovers).catch((error: unknown) => [
      String(error),
    ]);
    if (last.length === 0) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(
    `mirrors did not converge in ${timeoutMs / 1000} s; ${last.length} differences, e.g. ${last.slice(0, 5).join('; ')}`,
  );
}

/** The value of one sample in Prometheus text format (undefined when absent). */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const matches = Object.entries(labels).every(([key, value]) =>
      line.includes(`${key}="${value}"`),
    );
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** Runs etcdctl against the stack's etcd. */
export function etcdctl(...args: string[]): string {
  return execFileSync(toolPath('etcdctl'), ['--endpoints', stack().etcdEndpoint, ...args], {
    encoding: 'utf8',
  });
}

/** etcd's current revision. */
export function etcdRevision(): number {
  const status = JSON.parse(etcdctl('endpoint', 'status', '--write-out', 'json')) as {
    Status: { header: { revision: number } };
  }[];
  return status[0]!.Status.header.revision;
}

const figuresFile = join(stackDir, 'figures', 'runtime.json');

/** Prints a measured figure and records it in .stack/figures/runtime.json for the benchmark report. */
export function reportFigure(name: string, value: number, unit: string, details?: unknown): void {
  console.log(`[figure] ${name}: ${value} ${unit}${details ? ` ${JSON.stringify(details)}` : ''}`);
  mkdirSync(join(stackDir, 'figures'), { recursive: true });
  const figures = existsSync(figuresFile)
    ? (JSON.parse(readFileSync(figuresFile, 'utf8')) as Record<string, unknown>)
    : {};
  figures[name] = { value, unit, details, measuredAt: new Date().toISOString() };
  writeFileSync(figuresFile, JSON.stringify(figures, null, 2) + '\n');
}

/**
 * Per-test timeout: jest ignores `testTimeout` inside a project's configuration, so these tests
 * (which stop the API server for 20 s, or wait for a lease to expire) pass it explicitly.
 */
export const testTimeoutMs = 300_000;

/**
 * What every runtime suite does last: the API server running again (an outage test may have
 * stopped it; the test files after this one need it), the manager stopped, the client closed and
 * the test namespace deleted.
 */
export async function tearDown(
  manager: Manager | undefined,
  admin: KubeClient,
  namespace: string | undefined,
): Promise<void> {
  startComponents();
  await waitFor('the API server', () => isApiServerReady(adminKubeConfig()), 120_000);
  await manager?.stop();
  admin.close();
  if (namespace) await deleteNamespace(adminKubeConfig(), namespace);
}
