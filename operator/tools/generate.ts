// make generate / make check-generated: every generated file (CRDs, chart CRDs, typed ABIs, the
// operator's ClusterRole rules) comes from one source; `--check` fails when a checked-in file
// differs from what its source produces.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateAbis } from './generate-abis.js';
import { generateCrds } from './generate-crds.js';
import { generateRbac } from './generate-rbac.js';

/** A generator returns the files it owns: path relative to the repository root → content. */
type Generator = () => Promise<Map<string, string>> | Map<string, string>;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const generators: Record<string, Generator> = {
  crds: generateCrds,
  abis: generateAbis,
  rbac: generateRbac,
};

async function main(check: boolean): Promise<void> {
  const stale: string[] = [];
  for (const [name, generate] of Object.entries(generators)) {
    for (const [path, content] of await generate()) {
      const target = join(repoRoot, path);
      const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
      if (current === content) continue;
      if (check) {
        stale.push(`${path} (${name})`);
      } else {
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, content);
        console.log(`generated ${path}`);
      }
    }
  }
  if (stale.length > 0) {
    console.error(
      `stale generated files; run \`make generate\` and commit them:\n  ${stale.join('\n  ')}`,
    );
    process.exit(1);
  }
}

await main(process.argv.includes('--check'));
