// Flux on the local stack: its source-controller and helm-controller (built by `make setup` into
// the toolchain cache, test/toolchain/flux) as local processes, with their CRDs applied to the
// stack. Each pair watches one namespace only (RUNTIME_NAMESPACE), so a test's GitRepository and
// HelmRelease are reconciled by its own controllers and no other's.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { stack, waitFor } from '../../harness/stack.js';
import { freePort } from '../../harness/test-chain.js';
import { toolPath } from '../../stack/paths.js';
import { tool } from './helm.js';

export type FluxControllerName = 'source-controller' | 'helm-controller';

/** One controller process: its log lines (JSON, parsed) and its metrics endpoint. */
export interface FluxController {
  readonly name: FluxControllerName;
  readonly child: ChildProcess;
  readonly lines: Record<string, unknown>[];
  /** http://127.0.0.1:<port>/metrics */
  readonly metricsUrl: string;
}

export interface FluxControllers {
  readonly source: FluxController;
  readonly helm: FluxController;
  /** SIGTERM to both, then waits for them to exit. */
  stop(): Promise<void>;
}

/**
 * The CRDs that came with the built controllers: `make setup` copies them from the controllers'
 * modules into flux-<versions>/crds, beside the bin/ the toolchain links point into.
 */
function fluxCrdDir(): string {
  return join(dirname(dirname(realpathSync(toolPath('source-controller')))), 'crds');
}

/** Applies Flux's CRDs (server-side) and waits until they are served. Left installed. */
export function installFluxCrds(): void {
  const dir = fluxCrdDir();
  const files = readdirSync(dir).filter((file) => file.endsWith('.yaml'));
  if (files.length === 0) throw new Error(`no Flux CRDs in ${dir}: run make setup`);
  tool('kubectl', ['apply', '--server-side', '--force-conflicts', '-f', dir]);
  tool('kubectl', [
    'wait',
    '--for=condition=Established',
    '--timeout=60s',
    'crd/gitrepositories.source.toolkit.fluxcd.io',
    'crd/helmcharts.source.toolkit.fluxcd.io',
    'crd/helmreleases.helm.toolkit.fluxcd.io',
  ]);
}

/** Starts one controller; resolves once its /readyz answers 200. */
async function startController(
  name: FluxControllerName,
  namespace: string,
  extraArgs: readonly string[],
): Promise<FluxController> {
  const metricsPort = await freePort();
  const healthPort = await freePort();
  const child = spawn(
    toolPath(name),
    [
      '--watch-all-namespaces=false',
      '--enable-leader-election=false',
      `--metrics-addr=127.0.0.1:${metricsPort}`,
      `--health-addr=127.0.0.1:${healthPort}`,
      '--log-encoding=json',
      '--log-level=debug',
      ...extraArgs,
    ],
    {
      // controller-runtime reads the cluster from KUBECONFIG (no in-cluster config here), and the
      // namespace to watch from RUNTIME_NAMESPACE, as the Deployment's downward API gives it.
      env: { ...process.env, KUBECONFIG: stack().kubeconfig, RUNTIME_NAMESPACE: namespace },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: Record<string, unknown>[] = [];
  const keep = (line: string): void => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      lines.push({ msg: line });
    }
    if (process.env.FLUX_TEST_LOG) console.log(`${name}: ${line}`);
  };
  createInterface({ input: child.stdout! }).on('line', keep);
  createInterface({ input: child.stderr! }).on('line', keep);
  const ready = async (): Promise<boolean> =>
    (await fetch(`http://127.0.0.1:${healthPort}/readyz`).catch(() => undefined))?.status === 200;
  // An exit ends the wait too, and is reported with the controller's last words.
  await waitFor(`${name} to be ready`, async () => child.exitCode !== null || ready(), 60_000, 200);
  if (child.exitCode !== null) {
    const tail = lines.slice(-5).map((line) => JSON.stringify(line));
    throw new Error(`${name} exited ${child.exitCode}:\n${tail.join('\n')}`);
  }
  return { name, child, lines, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}

async function stopController(controller: FluxController): Promise<void> {
  const { child } = controller;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

/**
 * source-controller (its artifacts served on a free port of 127.0.0.1, the address it advertises
 * in artifact URLs, which helm-controller downloads from) and helm-controller, both watching
 * `namespace` only.
 */
export async function startFluxControllers(namespace: string): Promise<FluxControllers> {
  const storage = mkdtempSync(join(tmpdir(), 'supercloud-flux-storage-'));
  const storageAddress = `127.0.0.1:${await freePort()}`;
  const started: FluxController[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(started.map(stopController));
    rmSync(storage, { recursive: true, force: true });
  };
  try {
    started.push(
      await startController('source-controller', namespace, [
        `--storage-path=${storage}`,
        `--storage-addr=${storageAddress}`,
        `--storage-adv-addr=${storageAddress}`,
      ]),
    );
    started.push(await startController('helm-controller', namespace, []));
  } catch (error) {
    await stop();
    throw error;
  }
  return { source: started[0]!, helm: started[1]!, stop };
}
