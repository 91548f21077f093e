// Which code a test or bench runs: the TypeScript sources under tsx (no build step), or the build
// that the image and the npm package run (`dist/`, from tsconfig.build.json) when the process's
// own time or memory is what is measured.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../stack/paths.js';

/** `source`: operator/src through tsx; `dist`: the build (`buildDist` or `make build` first). */
export type Entry = 'source' | 'dist';

/** Compiles operator/src to dist/ as `make build` does, for a bench that runs the build. */
export function buildDist(): void {
  execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}
