import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run, stopProcess } from './process.js';
import { stackDir, toolPath } from './paths.js';

/** The control-plane components kwokctl runs as local processes (their binary names). */
export type ControlPlaneComponent =
  'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok-controller';

export const kwokCluster = 'supercloud';
export const kwokWorkdir = join(stackDir, 'kwok');
/** The KWOK resources of pod logs and exec, served as CRDs and watched by the kwok-controller. */
export const podDebuggingKinds = ['ClusterLogs', 'Logs', 'ClusterExec', 'Exec'] as const;

/** kwokctl's state of the cluster: its saved configuration (kwok.yaml), pids, logs, pki. */
export const kwokClusterDir = join(kwokWorkdir, 'clusters', kwokCluster);

/**
 * The environment kwokctl and the components it starts get: a short list, not the caller's whole
 * environment, so that the commands `kubectl exec` runs (children of the kwok-controller, see
 * pod-debugging.ts) see no tokens or keys of the shell that started the stack.
 */
export function kwokctlEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept = kwokctlEnvNames.filter((name) => name !== 'KWOK_WORKDIR' && env[name] !== undefined);
  return {
    ...Object.fromEntries(kept.map((name) => [name, env[name]])),
    KWOK_WORKDIR: kwokWorkdir,
  };
}

/** The names `kwokctlEnv` passes on (when set). */
export const kwokctlEnvNames: readonly string[] = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TZ',
  'LANG',
  'LC_ALL',
  'GOMAXPROCS',
  'GOMEMLIMIT',
  'GOGC',
  'KWOK_WORKDIR',
];

export interface ControlPlanePorts {
  readonly apiServer: number;
  readonly etcd: number;
  readonly etcdPeer: number;
  readonly controllerManager: number;
  readonly scheduler: number;
  readonly kwokController: number;
}

/**
 * kwokctl's configuration: the binary runtime with the Go-built binaries from the cache, every
 * server on 127.0.0.1, real authorization (RBAC) and admission (Pod Security), no downloads, and
 * the KWOK CRDs of pod logs and exec installed and watched by the kwok-controller.
 */
function kwokctlConfiguration(ports: ControlPlanePorts): string {
  return JSON.stringify({
    apiVersion: 'config.kwok.x-k8s.io/v1alpha1',
    kind: 'KwokctlConfiguration',
    options: {
      runtime: 'binary',
      bindAddress: '127.0.0.1',
      securePort: true,
      kubeAuthorization: true,
      kubeAdmission: true,
      kubeApiserverPort: ports.apiServer,
      etcdPort: ports.etcd,
      etcdPeerPort: ports.etcdPeer,
      kubeControllerManagerPort: ports.controllerManager,
      kubeSchedulerPort: ports.scheduler,
      kwokControllerPort: ports.kwokController,
      kubeApiserverBinary: toolPath('kube-apiserver'),
      kubeControllerManagerBinary: toolPath('kube-controller-manager'),
      kubeSchedulerBinary: toolPath('kube-scheduler'),
      kubectlBinary: toolPath('kubectl'),
      etcdBinary: toolPath('etcd'),
      etcdctlBinary: toolPath('etcdctl'),
      kwokControllerBinary: toolPath('kwok'),
      quietPull: true,
      enableCRDs: [...podDebuggingKinds],
    },
    // The controller-manager's default client limit (20 qps) paces pod creation at a few per
    // second; a burst of leases would measure that limit rather than the operator.
    componentsPatches: [
      {
        name: 'kube-controller-manager',
        extraArgs: [
          { key: 'kube-api-qps', value: '200' },
          { key: 'kube-api-burst', value: '400' },
        ],
      },
    ],
  });
}

function kwokctl(args: readonly string[]): string {
  return run(toolPath('kwokctl'), ['--name', kwokCluster, ...args], kwokctlEnv(), false);
}

/** Creates and starts the control plane; returns the path of its admin kubeconfig. */
export function createControlPlane(ports: ControlPlanePorts): string {
  const configPath = join(stackDir, 'kwokctl.yaml');
  writeFileSync(configPath, kwokctlConfiguration(ports));
  kwokctl(['create', 'cluster', '--config', configPath, '--timeout', '3m']);
  return join(kwokClusterDir, 'kubeconfig.yaml');
}

/** Stops every component and removes the cluster's state; harmless when there is none. */
export function deleteControlPlane(): void {
  if (!existsSync(kwokClusterDir)) return;
  try {
    kwokctl(['delete', 'cluster']);
  } catch {
    // kwokctl refuses when its state is half-written; kill by pid and remove the state.
    for (const component of [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'kwok-controller',
    ] as const) {
      const pid = componentPid(component);
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }
  rmSync(kwokClusterDir, { recursive: true, force: true });
}

function pidFile(component: ControlPlaneComponent): string {
  return join(kwokClusterDir, 'pids', `${component}.pid`);
}

/** The pid of a running component, from kwokctl's pid file. */
export function componentPid(component: ControlPlaneComponent): number | undefined {
  const file = pidFile(component);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Stops one component (for outage tests); `startComponents` brings it back. */
export async function stopComponent(component: ControlPlaneComponent): Promise<void> {
  const pid = componentPid(component);
  if (pid !== undefined) await stopProcess(pid);
  rmSync(pidFile(component), { force: true });
}

/** Starts every component that is not running, and waits until the API server serves. */
export function startComponents(): void {
  kwokctl(['start', 'cluster', '--timeout', '2m']);
}

/**
 * Restarts the kwok-controller (to take a changed configuration). A new kwok-controller has a new
 * identity and manages a node only once it holds the node's Lease; the old process's Leases would
 * keep it off every node for the lease duration (200 s), so they are deleted in between.
 */
export async function restartKwokController(kubeconfig: string): Promise<void> {
  await stopComponent('kwok-controller');
  run(toolPath('kubectl'), [
    '--kubeconfig',
    kubeconfig,
    'delete',
    'leases',
    '--namespace',
    'kube-node-lease',
    '--all',
  ]);
  startComponents();
}

/** The control plane's processes, in the order kwokctl starts them. */
const controlPlaneComponents: readonly ControlPlaneComponent[] = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kwok-controller',
];

/** The components whose process is not running. */
export function exitedComponents(): ControlPlaneComponent[] {
  return controlPlaneComponents.filter((component) => {
    const pid = componentPid(component);
    return pid === undefined || !isAlive(pid);
  });
}

/** `kwokctl start cluster` without blocking the event loop: starts the components not running. */
export function startExitedComponents(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      toolPath('kwokctl'),
      ['--name', kwokCluster, 'start', 'cluster', '--timeout', '2m'],
      // The short environment the stack starts the control plane with (no secrets of this shell).
      { env: kwokctlEnv() },
      (error, _stdout, stderr) => (error ? reject(new Error(`kwokctl: ${stderr}`)) : resolve()),
    );
  });
}

/**
 * After an API server outage the controller-manager and the scheduler, which lost their leader
 * leases, exit a few seconds later; like a kubelet restarting static pods, this starts them again
 * for `forMs`, so that the next suite finds a whole control plane (no quota status, no pods).
 */
export async function guardControlPlane(
  forMs: number,
  log: (message: string) => void,
): Promise<void> {
  const until = Date.now() + forMs;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const exited = exitedComponents();
    if (exited.length === 0) continue;
    log(`control-plane components exited after the outage: ${exited.join(', ')}; starting them`);
    await startExitedComponents().catch((error: unknown) => log(String(error)));
  }
}
