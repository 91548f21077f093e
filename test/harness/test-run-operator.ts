// The operator under test: `supercloud-operator run` as a child process (the real entry point),
// acting as the chart's ServiceAccount so the least-privilege ClusterRole in
// test/integration/controllers/rbac.yaml is what it runs with, and reconciling only the
// ComputeLeases of one test run (the stack is shared with other suites). Its JSON log lines are
// kept for assertions.
import type { Entry } from './entry.js';
import { spawnOperator, type OperatorProcess } from './operator.js';
import { stack } from './stack.js';

export type { OperatorProcess };

/** The ServiceAccount rbac.yaml binds, as the API server names it. */
export const operatorServiceAccount = 'system:serviceaccount:supercloud-system:supercloud-operator';
export const operatorGroups = [
  'system:serviceaccounts',
  'system:serviceaccounts:supercloud-system',
];

/** The label selecting one test run's leases. */
export const testRunLabel = 'supercloud.dev/test-run';

export interface StartOperatorOptions {
  /** Value of the test-run label of the leases to reconcile. */
  readonly run: string;
  readonly logLevel?: string;
  /** `--lease-workers` (default: the operator's). */
  readonly leaseWorkers?: number;
  /**
   * `--lease-verification`: `cluster` (default) for the suites of what a lease becomes; `chain`
   * for the suites where leases come from the chain.
   */
  readonly verification?: 'chain' | 'cluster';
  /** More flags, e.g. the chain timings. */
  readonly extraArgs?: readonly string[];
  /** Flags for Node itself (see spawnOperator). */
  readonly nodeArgs?: readonly string[];
  /** The sources under tsx (default) or the image's build. */
  readonly entry?: Entry;
}

/** Starts `supercloud-operator run` against the local stack. Stop it in afterAll. */
export function startOperator({
  run,
  logLevel = 'info',
  leaseWorkers,
  verification = 'cluster',
  extraArgs = [],
  nodeArgs = [],
  entry,
}: StartOperatorOptions): OperatorProcess {
  const args = [
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
    '--lease-verification',
    verification,
    '--log-level',
    logLevel,
    '--graceful-shutdown-seconds',
    '10',
    ...(leaseWorkers ? ['--lease-workers', String(leaseWorkers)] : []),
    ...extraArgs,
  ];
  return spawnOperator(args, nodeArgs, entry);
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
