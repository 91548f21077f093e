import type { WorkloadManifest } from '../api/workload-manifest.js';
import { parseManifestYaml } from './parse.js';
import { describeAwaitingSecrets, servicesAwaitingSecrets } from './tenant-secrets.js';

const manifest: WorkloadManifest = parseManifestYaml(`
services:
  - name: api
    image: ghcr.io/team/api:1
    env:
      - {name: MODE, value: serve}
      - {name: HF_TOKEN, secret: hf-token}
      - {name: DB_PASSWORD, secret: db-password}
    resources: {cpuMillis: 100, memoryMiB: 64}
  - name: worker
    image: ghcr.io/team/worker:1
    imagePullSecret: true
    resources: {cpuMillis: 100, memoryMiB: 64}
  - name: plain
    image: busybox:1.36
    resources: {cpuMillis: 100, memoryMiB: 64}
`);

describe('servicesAwaitingSecrets', () => {
  it('lists each service with the secrets and registry credentials not delivered', () => {
    const awaiting = servicesAwaitingSecrets(manifest, {
      'supercloud.dev/tenant-secrets': 'hf-token,unused',
    });
    expect(awaiting).toEqual([
      { service: 'api', secrets: ['db-password'], registry: false },
      { service: 'worker', secrets: [], registry: true },
    ]);
    expect(describeAwaitingSecrets(awaiting)).toBe(
      'api needs db-password; worker needs registry credentials',
    );
  });

  it('is empty once everything is delivered, and everything waits before anything is', () => {
    expect(
      servicesAwaitingSecrets(manifest, {
        'supercloud.dev/tenant-secrets': 'db-password,hf-token',
        'supercloud.dev/tenant-registry': 'true',
      }),
    ).toEqual([]);
    expect(servicesAwaitingSecrets(manifest, undefined).map((s) => s.service)).toEqual([
      'api',
      'worker',
    ]);
  });
});
