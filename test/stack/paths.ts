import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runtime state of the local stack (git-ignored): kubeconfig, stack.json, logs, pids. */
export const stackDir = process.env.SUPERCLOUD_STACK_DIR ?? join(repoRoot, '.stack');

/** The description of the running stack that tests, the demo and users read. */
export const stackFile = join(stackDir, 'stack.json');

/** Where `make setup` links the Go-built toolchain (versioned directories beside it). */
export const toolchainBin = join(
  process.env.SUPERCLOUD_CACHE ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'supercloud'),
  'bin',
);

/** Absolute path of a toolchain binary (kube-apiserver, kubectl, etcd, kwokctl, helm, ...). */
export function toolPath(name: string): string {
  return join(toolchainBin, name);
}
