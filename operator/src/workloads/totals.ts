import type { WorkloadManifest } from '../api/workload-manifest.js';

/** What a whole manifest uses: every service's per-replica resources times its replicas. */
export interface ManifestTotals {
  readonly gpus: number;
  readonly cpuMillis: number;
  readonly memoryMiB: number;
  readonly ephemeralStorageMiB: number;
  readonly replicas: number;
  /** The most GPUs one replica needs (it must fit on one node). */
  readonly maxGpusPerReplica: number;
}

/** Sums a (validated, defaulted) manifest's resources over services and replicas. */
export function manifestTotals(manifest: WorkloadManifest): ManifestTotals {
  return manifest.services.reduce<ManifestTotals>(
    (total, { replicas, resources }) => ({
      gpus: total.gpus + resources.gpus * replicas,
      cpuMillis: total.cpuMillis + resources.cpuMillis * replicas,
      memoryMiB: total.memoryMiB + resources.memoryMiB * replicas,
      ephemeralStorageMiB: total.ephemeralStorageMiB + resources.ephemeralStorageMiB * replicas,
      replicas: total.replicas + replicas,
      maxGpusPerReplica: Math.max(total.maxGpusPerReplica, resources.gpus),
    }),
    {
      gpus: 0,
      cpuMillis: 0,
      memoryMiB: 0,
      ephemeralStorageMiB: 0,
      replicas: 0,
      maxGpusPerReplica: 0,
    },
  );
}
