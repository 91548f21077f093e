// One Deployment per manifest service, on the lease's pool, locked down as Pod Security
// "restricted" requires, with requests equal to limits.
import type { V1Deployment, V1Volume, V1VolumeMount } from '@kubernetes/client-node';
import type { ComputeLease } from '../api/computelease.js';
import { labels } from '../api/constants.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { WorkloadService } from '../api/workload-manifest.js';
import type { Wire } from '../kube/objects.js';
import { childMetadata, leaseLabels, quantity, workloadServiceAccountName } from './objects.js';
import { tenantRegistrySecretName, tenantSecretName } from './names.js';
import { containerSecurityContext, noGpuEnv, podSecurityContext } from './security.js';

/** Seconds a rollout may take before the Deployment reports ProgressDeadlineExceeded. */
export const progressDeadlineSeconds = 600;

const sharedMemory = { volume: 'shm', path: '/dev/shm' } as const;
const scratch = { volume: 'tmp', path: '/tmp' } as const;

export function serviceDeployment(
  lease: ComputeLease,
  pool: GpuNodePool,
  service: WorkloadService,
): Wire<V1Deployment> {
  const serviceLabel = { [labels.service]: service.name };
  const { resources } = service;
  const limits: Record<string, string> = {
    cpu: quantity.cpu(resources.cpuMillis),
    memory: quantity.mebibytes(resources.memoryMiB),
    'ephemeral-storage': quantity.mebibytes(resources.ephemeralStorageMiB),
    ...(resources.gpus > 0
      ? { [pool.spec.extendedResourceName]: quantity.count(resources.gpus) }
      : {}),
  };
  const volumes: Wire<V1Volume>[] = [
    {
      name: sharedMemory.volume,
      emptyDir: { medium: 'Memory', sizeLimit: quantity.mebibytes(resources.shmMiB) },
    },
    ...(service.readOnlyRootFilesystem
      ? [
          {
            name: scratch.volume,
            emptyDir: { sizeLimit: quantity.mebibytes(resources.ephemeralStorageMiB) },
          },
        ]
      : []),
  ];
  // A container without GPUs still runs on a GPU node, under the GPU runtime: say "no device".
  const env = [
    ...service.env.map(({ name, value, secret }) =>
      secret === undefined
        ? { name, value: value ?? '' }
        : // The value stays in the lease's Secret, which the gateway writes: never in this spec.
          { name, valueFrom: { secretKeyRef: { name: tenantSecretName, key: secret } } },
    ),
    ...(resources.gpus > 0 ? [] : noGpuEnv.map((variable) => ({ ...variable }))),
  ];
  const volumeMounts: V1VolumeMount[] = [
    { name: sharedMemory.volume, mountPath: sharedMemory.path },
    ...(service.readOnlyRootFilesystem ? [{ name: scratch.volume, mountPath: scratch.path }] : []),
  ];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMetadata(lease, service.name, serviceLabel),
    spec: {
      replicas: service.replicas,
      selector: { matchLabels: serviceLabel },
      // The quota holds exactly what was bought, so there is no room for a surge pod: replace
      // pods one at a time instead.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      revisionHistoryLimit: 3,
      progressDeadlineSeconds,
      template: {
        metadata: { labels: { ...leaseLabels(lease), ...serviceLabel } },
        spec: {
          serviceAccountName: workloadServiceAccountName,
          automountServiceAccountToken: false,
          // Service environment variables would tell a workload about its neighbours' addresses.
          enableServiceLinks: false,
          nodeSelector: { ...pool.spec.nodeSelector },
          tolerations: pool.spec.tolerations.map((toleration) => ({ ...toleration })),
          ...(pool.spec.runtimeClassName ? { runtimeClassName: pool.spec.runtimeClassName } : {}),
          securityContext: podSecurityContext(service.runAsUser),
          ...(service.imagePullSecret
            ? { imagePullSecrets: [{ name: tenantRegistrySecretName }] }
            : {}),
          containers: [
            {
              name: service.name,
              image: service.image,
              ...(service.command.length > 0 ? { command: [...service.command] } : {}),
              ...(service.args.length > 0 ? { args: [...service.args] } : {}),
              ...(env.length > 0 ? { env } : {}),
              ...(service.ports.length > 0
                ? {
                    ports: service.ports.map((port) => ({
                      containerPort: port.port,
                      protocol: port.protocol,
                      ...(port.name ? { name: port.name } : {}),
                    })),
                  }
                : {}),
              resources: { requests: limits, limits },
              securityContext: containerSecurityContext(service.readOnlyRootFilesystem),
              volumeMounts,
            },
          ],
          volumes,
        },
      },
    },
  };
}
