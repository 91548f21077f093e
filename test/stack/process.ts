import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';

/**
 * Runs a command to completion and returns its stdout; throws with its stderr when it fails. Its
 * environment is this process's plus `env`, or `env` alone when `inheritEnv` is false.
 */
export function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  inheritEnv = true,
): string {
  const result = spawnSync(command, args, {
    encoding: 'utf8',
    env: inheritEnv ? { ...process.env, ...env } : env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw new Error(`${command}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}:\n${result.stderr}`);
  }
  return result.stdout;
}

/** Starts a long-running process detached from this one, its output in `logFile`; returns its pid. */
export function startDaemon(command: string, args: readonly string[], logFile: string): number {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  return child.pid;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends SIGTERM, then SIGKILL after `graceMs` if the process is still there. With `group`, the
 * signals go to the process group a `startDaemon` process leads, so that children of a wrapper
 * script (npm's `anvil` launches the real binary) stop too.
 */
export async function stopProcess(pid: number, graceMs = 5_000, group = false): Promise<void> {
  if (!isAlive(pid)) return;
  const target = group ? -pid : pid;
  process.kill(target, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) process.kill(target, 'SIGKILL');
}

/** True when something already listens on 127.0.0.1:port. */
export function isPortTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(true));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` until it returns true or `timeoutMs` passes; then throws `what` timed out. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(intervalMs);
  }
}
