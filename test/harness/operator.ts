// `supercloud-operator run` (operator/src/main.ts, the image's entry point) as a child process of
// a test, its JSON log lines kept for assertions. Suites choose the arguments: the identity it
// acts as, the leases it reconciles.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../stack/paths.js';
import type { Entry } from './entry.js';
import { waitFor } from './stack.js';

export interface OperatorProcess {
  readonly child: ChildProcess;
  /** The command line after the entry point (`run` and its flags). */
  readonly args: readonly string[];
  /** Every log line so far, parsed (a line that is not JSON as `{ message }`). */
  readonly lines: Record<string, unknown>[];
  /** Resolves to the exit code once the process ended. */
  readonly exited: Promise<number | null>;
  /** The /healthz, /readyz, /metrics base URL, once the operator serves it. */
  healthUrl(): Promise<string>;
  /** The Prometheus text of /metrics. */
  metrics(): Promise<string>;
  /** Resolves once the ComputeLease controller runs (caches synced, leadership acquired). */
  ready(): Promise<void>;
  /** SIGTERM, then waits for the exit; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `supercloud-operator <args>` with the Node running the tests (24); `nodeArgs` go to Node
 * itself (e.g. `--inspect=127.0.0.1:0` for a bench that collects garbage before reading memory).
 */
export function spawnOperator(
  args: readonly string[],
  nodeArgs: readonly string[] = [],
  entry: Entry = 'source',
): OperatorProcess {
  const entryArgs =
    entry === 'dist'
      ? [join(repoRoot, 'dist/main.js')]
      : ['--import', 'tsx', join(repoRoot, 'operator/src/main.ts')];
  const child = spawn(process.execPath, [...nodeArgs, ...entryArgs, ...args], {
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
  // A wait that fails says why: the exit code and the last log lines.
  const waitForLine = (what: string, found: () => boolean): Promise<void> =>
    waitFor(what, async () => found(), 60_000, 100).catch((error: Error) => {
      const tail = lines.slice(-10).map((line) => JSON.stringify(line));
      throw new Error(
        `${error.message} (exit code ${child.exitCode}); last log lines:\n${tail.join('\n')}`,
      );
    });
  const healthUrl = async (): Promise<string> => {
    const url = (): string | undefined =>
      lines.find((line) => typeof line.url === 'string')?.url as string | undefined;
    await waitForLine('the operator to serve /metrics', () => url() !== undefined);
    return url()!;
  };
  return {
    child,
    args,
    lines,
    exited,
    healthUrl,
    async metrics() {
      return (await fetch(`${await healthUrl()}/metrics`)).text();
    },
    ready: () =>
      waitForLine('the ComputeLease controller to start', () =>
        lines.some((line) => line.controller === 'computelease' && line.message === 'started'),
      ),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
