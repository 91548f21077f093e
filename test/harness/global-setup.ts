// Jest global set-up of the integration and end-to-end projects: bring the local stack up once
// per run, or reuse the one that is up (the same command as `make cluster-up`). The stack is left
// running for the next run; `make cluster-down` stops it. It runs as a child process because
// jest loads global set-up files outside its module mapper.
import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export default function globalSetup(): void {
  execFileSync(
    join(repoRoot, 'node_modules/.bin/tsx'),
    [join(repoRoot, 'test/stack/cli.ts'), 'up'],
    {
      stdio: 'inherit',
    },
  );
}
