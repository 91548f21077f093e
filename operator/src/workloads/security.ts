// The security settings every workload gets, and why manifest fields that would weaken them are
// refused. These satisfy Pod Security "restricted", which the lease namespace also enforces.
import type { V1EnvVar, V1PodSecurityContext, V1SecurityContext } from '@kubernetes/client-node';

/** Pod-level settings: non-root, the runtime's default seccomp profile. */
export function podSecurityContext(runAsUser: number): V1PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser,
    runAsGroup: runAsUser,
    fsGroup: runAsUser,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Container-level settings: no privilege, no escalation, every capability dropped. */
export function containerSecurityContext(readOnlyRootFilesystem: boolean): V1SecurityContext {
  return {
    privileged: false,
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem,
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * Pod-spec fields a tenant might try in a manifest, with the reason they are refused. The
 * manifest schema has none of them (so they are unknown fields); this says why.
 */
export const forbiddenFieldReasons: Readonly<Record<string, string>> = {
  privileged: 'privileged containers are never allowed',
  securityContext:
    'the security context is fixed (non-root, no privilege escalation, all capabilities dropped, seccomp RuntimeDefault); use runAsUser and readOnlyRootFilesystem',
  capabilities: 'capabilities cannot be added: all are dropped',
  allowPrivilegeEscalation: 'privilege escalation is never allowed',
  hostNetwork: 'the host network is never shared with a workload',
  hostPID: 'the host PID namespace is never shared with a workload',
  hostIPC: 'the host IPC namespace is never shared with a workload',
  hostPath: 'host paths are never mounted into a workload',
  hostPort: 'host ports are never bound by a workload; use ports with expose',
  volumes:
    'volumes are not supported (host paths never): use resources.ephemeralStorageMiB for scratch space and resources.shmMiB for /dev/shm',
  volumeMounts: 'volume mounts are not supported; /tmp and /dev/shm are provided',
  serviceAccountName: 'workloads run without a Kubernetes identity',
  automountServiceAccountToken: 'workloads never get a service account token',
  nodeName: 'placement comes from the lease pool',
  nodeSelector: 'placement comes from the lease pool',
  tolerations: 'placement comes from the lease pool',
  runtimeClassName: 'the runtime class comes from the lease pool',
  initContainers: 'init containers are not supported; run setup in the service command',
};

/**
 * Environment variables a GPU container runtime reads to decide which devices and driver
 * features it injects, overriding what the device plugin allocated: a tenant setting one could
 * see GPUs it did not buy. Matched without regard to case.
 */
const gpuRuntimeEnvNames: readonly { readonly pattern: RegExp; readonly runtime: string }[] = [
  // NVIDIA_VISIBLE_DEVICES, NVIDIA_DRIVER_CAPABILITIES, NVIDIA_MIG_*, NVIDIA_REQUIRE_*, ...
  { pattern: /^NVIDIA_/i, runtime: 'the NVIDIA container runtime' },
  { pattern: /^AMD_VISIBLE_DEVICES$/i, runtime: 'the AMD container runtime' },
  { pattern: /^HABANA_VISIBLE_/i, runtime: 'the Habana container runtime' },
  { pattern: /^AWS_NEURON_VISIBLE_DEVICES$/i, runtime: 'the AWS Neuron OCI hook' },
];

/** Why an environment variable name is refused in a manifest, if it is. */
export function gpuRuntimeEnvReason(name: string): string | undefined {
  const match = gpuRuntimeEnvNames.find(({ pattern }) => pattern.test(name));
  return match
    ? `${name} is read by ${match.runtime} to choose the devices a container gets; GPUs come only from resources.gpus`
    : undefined;
}

/**
 * The environment of a container that bought no GPU: the NVIDIA runtime's "no device" value,
 * so that a CUDA base image's own NVIDIA_VISIBLE_DEVICES=all exposes nothing on a GPU node.
 */
export const noGpuEnv: readonly V1EnvVar[] = [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'void' }];
