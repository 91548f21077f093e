// The tenant's `supercloud` process as a tenant runs it: in a folder and HOME of its own, the
// chain from the environment, nothing inherited but PATH. From source by default (tsx); from the
// compiled `dist/cli/main.js` when the time it takes is what is measured.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../stack/paths.js';
import type { Entry } from './entry.js';

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface TenantCliOptions {
  /** The working folder, also HOME (so no ~/.supercloud of the machine's user is read). */
  readonly workdir: string;
  readonly rpcUrl: string;
  readonly marketplace: string;
  /** Arguments added after every command's own, e.g. `['--key-file', path]`. */
  readonly extraArgs?: readonly string[];
  readonly entry?: Entry;
  readonly timeoutMs?: number;
}

export interface RunOptions {
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Each complete stderr line as it arrives (the CLI's progress lines under --json). */
  readonly onStderrLine?: (line: string) => void;
}

export type TenantCli = (args: readonly string[], run?: RunOptions) => Promise<CliResult>;

/** @example const supercloud = tenantCli({ workdir, rpcUrl, marketplace }); await supercloud(['order', 'list']) */
export function tenantCli(options: TenantCliOptions): TenantCli {
  const [command, entryArgs] =
    options.entry === 'dist'
      ? [process.execPath, [join(repoRoot, 'dist/cli/main.js')]]
      : [join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'operator/src/cli/main.ts')]];
  return (args, run = {}) =>
    new Promise((resolve) => {
      const child = spawn(command, [...entryArgs, ...args, ...(options.extraArgs ?? [])], {
        cwd: run.cwd ?? options.workdir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: options.workdir,
          SUPERCLOUD_RPC_URL: options.rpcUrl,
          SUPERCLOUD_MARKETPLACE: options.marketplace,
          ...run.env,
        },
        timeout: options.timeoutMs ?? 180_000,
      });
      let stdout = '';
      let stderr = '';
      let partial = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) run.onStderrLine?.(line);
      });
      child.on('error', (error) =>
        resolve({ code: 127, stdout, stderr: `${stderr}${error.message}` }),
      );
      child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

/** The one JSON object a `--json` command printed; a failed command throws with its stderr. */
export function cliJson(result: CliResult): Record<string, unknown> {
  if (result.code !== 0) throw new Error(`supercloud failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
