// The operator of an installed release as a local process: KWOK runs no containers, so the test
// runs the container's own arguments (read back from the live Deployment) through the same entry
// point, acting as the release's ServiceAccount so the chart's RBAC is what it runs with.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stack, waitFor } from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';

/** The parts of a Deployment the launcher reads. */
export interface OperatorDeployment {
  metadata: { namespace?: string };
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: { name: string; args?: string[] }[];
      };
    };
  };
}

export interface ReleaseOperator {
  /** The arguments it runs with: the container's, then the local-process additions. */
  readonly args: readonly string[];
  /** Every log line so far, parsed. */
  readonly lines: Record<string, unknown>[];
  /** Resolves once the ComputeLease controller runs (caches synced, leadership acquired). */
  ready(): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * What a pod's process gets that a local one must be told: the cluster (a kubeconfig acting as
 * the pod's ServiceAccount) and a free local port for /healthz instead of the pod's.
 */
export function localProcessArgs(
  deployment: OperatorDeployment,
  extra: readonly string[] = [],
): string[] {
  const namespace = deployment.metadata.namespace;
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c) => c.name === 'operator');
  if (!namespace || !container?.args) {
    throw new Error('the Deployment has no namespace or no operator container with arguments');
  }
  return [
    ...container.args.filter((arg) => !arg.startsWith('--health-address')),
    '--health-address=127.0.0.1:0',
    '--kubeconfig',
    stack().kubeconfig,
    '--as',
    `system:serviceaccount:${namespace}:${pod.serviceAccountName}`,
    '--as-group',
    'system:serviceaccounts',
    '--as-group',
    `system:serviceaccounts:${namespace}`,
    ...extra,
  ];
}

/** Starts the release's operator (operator/src/main.ts, the image's entry point) locally. */
export function startReleaseOperator(
  deployment: OperatorDeployment,
  extra: readonly string[] = [],
): ReleaseOperator {
  const args = localProcessArgs(deployment, extra);
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'operator/src/main.ts'), ...args],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
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
  return {
    args,
    lines,
    async ready() {
      await waitFor(
        'the ComputeLease controller of the release operator to start',
        async () =>
          lines.some((line) => line.controller === 'computelease' && line.message === 'started'),
        60_000,
        100,
      ).catch((error: Error) => {
        const tail = lines.slice(-10).map((line) => JSON.stringify(line));
        throw new Error(
          `${error.message} (exit code ${child.exitCode}); last log lines:\n${tail.join('\n')}`,
        );
      });
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
