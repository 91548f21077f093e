import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, run, stopProcess } from './process.js';
import { stackDir, toolPath } from './paths.js';

/** The control-plane components kwokctl runs as local processes (their binary names). */
export type ControlPlaneComponent =
  'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kwok-controller';

export const kwokCluster = 'supercloud';
export const kwokWorkdir = join(stackDir, 'kwok');
const clusterDir = join(kwokWorkdir, 'clusters', kwokCluster);

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
 * server on 127.0.0.1, real authorization (RBAC) and admission (Pod Security), no downloads.
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
  return run(toolPath('kwokctl'), ['--name', kwokCluster, ...args], { KWOK_WORKDIR: kwokWorkdir });
}

/** Creates and starts the control plane; returns the path of its admin kubeconfig. */
export function createControlPlane(ports: ControlPlanePorts): string {
  const configPath = join(stackDir, 'kwokctl.yaml');
  writeFileSync(configPath, kwokctlConfiguration(ports));
  kwokctl(['create', 'cluster', '--config', configPath, '--timeout', '3m']);
  return join(clusterDir, 'kubeconfig.yaml');
}

/** Stops every component and removes the cluster's state; harmless when there is none. */
export function deleteControlPlane(): void {
  if (!existsSync(clusterDir)) return;
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
  rmSync(clusterDir, { recursive: true, force: true });
}

function pidFile(component: ControlPlaneComponent): string {
  return join(clusterDir, 'pids', `${component}.pid`);
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
