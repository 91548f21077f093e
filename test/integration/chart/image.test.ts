// The operator image cannot be built here (no Docker), so this checks what it is made of: the
// Dockerfile's entry point is the package's compiled `bin`, the user is the chart's non-root UID,
// the base is Node 24; and that entry point, compiled as the image compiles it and run as a local
// process with the chart's container arguments, starts, serves /healthz and /readyz, and stops
// cleanly on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adminKubeConfig,
  createTestNamespace,
  deleteNamespace,
  stack,
  waitFor,
} from '../../harness/stack.js';
import { repoRoot } from '../../stack/paths.js';
import { runId, slow } from '../../harness/cluster-fixtures.js';
import { testRunLabel } from '../../harness/test-run-operator.js';
import { exampleValues, parseObjects, render } from './helm.js';
import type { OperatorDeployment } from './operator.js';

const dockerfile = readFileSync(join(repoRoot, 'operator/Dockerfile'), 'utf8');
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
};
const chartRunAsUser = 65532;

describe('operator/Dockerfile', () => {
  it("runs the package's bin, compiled by tsconfig.build.json, as the entry point", () => {
    const entrypoint = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)?.[1];
    expect(entrypoint).toBeDefined();
    const [node, main] = JSON.parse(entrypoint!) as string[];
    expect(node).toMatch(/node$/);
    expect(main).toBe(`/app/${packageJson.bin['supercloud-operator']}`);
    expect(dockerfile).toContain('RUN npx tsc -p tsconfig.build.json');
  });

  it("runs as the chart's non-root user on a Node 24 base, in stages", () => {
    expect(/^USER (\d+):(\d+)$/m.exec(dockerfile)?.slice(1)).toEqual([
      String(chartRunAsUser),
      String(chartRunAsUser),
    ]);
    expect(/^ARG NODE_VERSION=24\./m.test(dockerfile)).toBe(true);
    expect(dockerfile).toMatch(/^FROM gcr\.io\/distroless\/nodejs24-debian12:nonroot$/m);
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(3);
  });
});

describe("the image's entry point as a local process, with the chart's arguments", () => {
  const kubeConfig = adminKubeConfig();
  const run = runId();
  // Under node_modules so that the compiled files resolve the packages as /app/dist does.
  const outDir = join(repoRoot, 'node_modules/.cache/supercloud-image-test', run);
  let namespace: string;

  beforeAll(async () => {
    namespace = await createTestNamespace(kubeConfig, 'chart-image');
    execFileSync(
      join(repoRoot, 'node_modules/.bin/tsc'),
      ['-p', join(repoRoot, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false'],
      { cwd: repoRoot, stdio: 'pipe' },
    );
  }, slow);

  afterAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    await deleteNamespace(kubeConfig, namespace);
  }, slow);

  it(
    'starts, serves /healthz and /readyz, and exits 0 on SIGTERM',
    async () => {
      const deployment = parseObjects(
        render({ namespace, valuesFiles: [exampleValues('local')] }),
      ).find((object) => object.kind === 'Deployment') as unknown as OperatorDeployment;
      const args = deployment.spec.template.spec.containers[0]!.args!;
      // The pod's address and credentials are the only changes: a free local port, the admin
      // kubeconfig (the chart's RBAC is proven by install.test.ts), and no lease of anyone's.
      const local = [
        ...args.filter((arg) => !arg.startsWith('--health-address')),
        '--health-address=127.0.0.1:0',
        '--kubeconfig',
        stack().kubeconfig,
        '--lease-selector',
        `${testRunLabel}=${run}`,
      ];
      const child = spawn(process.execPath, [join(outDir, 'main.js'), ...local], {
        cwd: repoRoot,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const lines: Record<string, unknown>[] = [];
      const keep = (line: string) => {
        try {
          lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          lines.push({ message: line });
        }
      };
      createInterface({ input: child.stdout }).on('line', keep);
      createInterface({ input: child.stderr }).on('line', keep);
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      try {
        let url: string | undefined;
        await waitFor(
          'the compiled operator to serve /healthz',
          async () => {
            url = lines.find((line) => typeof line.url === 'string')?.url as string | undefined;
            return url !== undefined && (await fetch(`${url}/healthz`)).status === 200;
          },
          60_000,
          200,
        ).catch((error: Error) => {
          throw new Error(`${error.message}; log: ${JSON.stringify(lines.slice(-10))}`);
        });
        await waitFor(
          'the compiled operator to be ready (leader)',
          async () => (await fetch(`${url}/readyz`)).status === 200,
          60_000,
          200,
        );
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
    slow,
  );
});
