// The operator under test: `supercloud-operator run` as a child process (the real entry point),
// acting as the chart's ServiceAccount so the least-privilege ClusterRole in rbac.yaml is what
// it runs with, and reconciling only the ComputeLeases of one test run (the stack is shared with
// other suites). Its JSON log lines are kept for assertions.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stack, waitFor } from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';

/** The ServiceAccount rbac.yaml binds, as the API server names it. */
export const operatorServiceAccount = 'system:serviceaccount:supercloud-system:supercloud-operator';
export const operatorGroups = [
  'system:serviceaccounts',
  'system:serviceaccounts:supercloud-system',
];

/** The label selecting one test run's leases. */
export const testRunLabel = 'supercloud.dev/test-run';

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** Every log line so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Resolves to the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  /** The /healthz, /readyz, /metrics base URL, once the operator serves it. */
  healthUrl(): Promise<string>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Resolves once the controllers run (caches synced, leadership acquired). */
  ready(): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

export interface StartOperatorOptions {
  /** Value of the test-run label of the leases to reconcile. */
  readonly run: string;
  readonly logLevel?: string;
  /** `--lease-workers` (default: the operator's). */
  readonly leaseWorkers?: number;
}

/** Starts `supercloud-operator run` against the local stack. Stop it in afterAll. */
export function startOperator({
  run,
  logLevel = 'info',
  leaseWorkers,
}: StartOperatorOptions): OperatorProcess {
  const args = [
    join(repoRoot, 'operator/src/main.ts'),
    'run',
    '--kubeconfig',
    stack().kubeconfig,
    '--as',
    operatorServiceAccount,
    ...operatorGroups.flatMap((group) => ['--as-group', group]),
    '--leader-elect',
    // Each run elects on its own Lease, so an operator of another suite never holds it.
    '--leader-election-id',
    `supercloud-operator-${run}`,
    '--health-address',
    '127.0.0.1:0',
    '--lease-selector',
    `${testRunLabel}=${run}`,
    '--log-level',
    logLevel,
    '--graceful-shutdown-seconds',
    '10',
    ...(leaseWorkers ? ['--lease-workers', String(leaseWorkers)] : []),
  ];
  // The Node running the tests (24, from node_modules), whatever `node` the PATH would find.
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const keep = (line: string): void => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ message: line });
    }
    if (process.env.OPERATOR_TEST_LOG) console.log(line);
  };
  createInterface({ input: child.stdout! }).on('line', keep);
  createInterface({ input: child.stderr! }).on('line', keep);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  const healthUrl = async (): Promise<string> => {
    let url: string | undefined;
    await waitFor(
      'the operator to serve /metrics',
      async () => {
        url = lines.find((line) => typeof line.url === 'string')?.url as string | undefined;
        return url !== undefined;
      },
      60_000,
      100,
    );
    return url!;
  };
  return {
    child,
    lines,
    exited,
    healthUrl,
    async metrics() {
      return (await fetch(`${await healthUrl()}/metrics`)).text();
    },
    async ready() {
      await waitFor(
        'the ComputeLease controller to start',
        async () =>
          lines.some((line) => line.controller === 'computelease' && line.message === 'started'),
        60_000,
        100,
      );
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Sum of a counter over its label sets in Prometheus text, optionally only where labels match. */
export function counterTotal(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/** Log lines that report a permission the operator lacks (a gap in rbac.yaml). */
export function forbiddenErrors(lines: readonly Record<string, unknown>[]): string[] {
  return lines
    .filter((line) => JSON.stringify(line).includes('"code":403'))
    .map((line) =>
      String((line.error as { message?: string } | undefined)?.message ?? line.message),
    );
}
