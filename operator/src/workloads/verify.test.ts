import type { WorkloadManifest } from '../api/workload-manifest.js';
import { corpusPool, validLease, validManifest } from './testing/corpus.js';
import { checkLeaseFitsPool, checkManifestFitsResources } from './fit.js';
import { validateManifest } from './validate-manifest.js';
import { defaultWorkloadPolicy, verifyLease } from './verify.js';

function manifest(value: unknown = validManifest()): WorkloadManifest {
  const result = validateManifest(value);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.manifest;
}

describe('verifyLease', () => {
  it('returns the defaulted spec and manifest of a good lease', () => {
    const result = verifyLease(validLease().spec, corpusPool, defaultWorkloadPolicy);
    expect(result.verified).toBe(true);
    if (result.verified) {
      expect(result.manifest.services[0]?.replicas).toBe(1);
      expect(result.spec.ingress).toEqual({ serviceType: 'ClusterIP' });
    }
  });

  it('matches GPU models however they are written', () => {
    const lease = validLease();
    lease.spec.resources.gpuModel = ' nvidia h100_80gb hbm3 ';
    expect(verifyLease(lease.spec, corpusPool, defaultWorkloadPolicy).verified).toBe(true);
  });

  it('reports every misfit at once', () => {
    const lease = validLease();
    lease.spec.resources = {
      ...lease.spec.resources,
      gpus: 1,
      cpuMillis: 1000,
      gpuModel: 'AMD-MI300X',
    };
    const result = verifyLease(lease.spec, corpusPool, defaultWorkloadPolicy);
    expect(result.verified).toBe(false);
    if (!result.verified) {
      expect(result.issues.map((issue) => issue.path)).toEqual([
        'spec.manifest.services[0].resources.gpus',
        'spec.manifest.services[0].resources.cpuMillis',
        'spec.resources.gpuModel',
      ]);
    }
  });

  it('keeps the reason short enough for a status message', () => {
    const lease = validLease();
    (lease.spec.manifest as unknown as { services: unknown[] }).services = Array.from(
      { length: 40 },
      () => ({ name: 'x'.repeat(5000) }),
    );
    const result = verifyLease(lease.spec, corpusPool, defaultWorkloadPolicy);
    expect(result.verified).toBe(false);
    if (!result.verified) expect(result.reason.length).toBeLessThanOrEqual(4096);
  });
});

describe('checkManifestFitsResources', () => {
  const bought = validLease().spec.resources;

  it('passes a manifest that uses exactly what was bought', () => {
    const exact = validManifest();
    const service = (exact.services as { resources: Record<string, number> }[])[0]!;
    service.resources = {
      gpus: 2,
      cpuMillis: 8000,
      memoryMiB: 32768,
      ephemeralStorageMiB: 8192,
      shmMiB: 64,
    };
    expect(checkManifestFitsResources(manifest(exact), bought)).toEqual([]);
  });

  it('counts replicas', () => {
    const replicated = validManifest();
    (replicated.services as Record<string, unknown>[])[0]!.replicas = 3;
    expect(checkManifestFitsResources(manifest(replicated), bought)[0]).toEqual({
      path: 'spec.manifest.services[0].resources.gpus',
      message:
        'the services need 6 gpus in all (replicas included) but spec.resources.gpus bought 2',
    });
  });
});

describe('checkLeaseFitsPool', () => {
  it('refuses a lease that buys no GPU: GPU pools serve only leases that buy GPUs', () => {
    const resources = { ...validLease().spec.resources, gpus: 0, gpuModel: 'none' };
    expect(checkLeaseFitsPool(resources, corpusPool.spec)).toEqual([
      { path: 'spec.resources.gpus', message: expect.stringMatching(/buys no GPU/) },
    ]);
  });
});
