// The examples users copy must stay valid: each workload parses, each ComputeLease verifies
// against its pool with the hash of its workload file, and each object matches its schema.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import type { ComputeLease } from '../api/computelease.js';
import { GpuNodePoolSpec, type GpuNodePool } from '../api/gpunodepool.js';
import { ProviderSpec } from '../api/provider.js';
import { validate } from '../api/validate.js';
import { canonicalManifestHash } from './canonical.js';
import { parseManifestYaml } from './parse.js';
import { defaultWorkloadPolicy, verifyLease } from './verify.js';

const examples = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const read = (path: string) => readFileSync(join(examples, path), 'utf8');
const load = <T>(path: string) => yaml.load(read(path)) as T;

describe.each([
  ['computelease-h100.yaml', 'gpunodepool-h100.yaml', 'workloads/llm-inference.yaml'],
  ['computelease-a100.yaml', 'gpunodepool-a100.yaml', 'workloads/batch-embeddings.yaml'],
])('examples/%s', (leaseFile, poolFile, workloadFile) => {
  const lease = load<ComputeLease>(leaseFile);
  const pool = load<GpuNodePool>(poolFile);

  it(`verifies against examples/${poolFile}`, () => {
    expect(verifyLease(lease.spec, pool, defaultWorkloadPolicy)).toMatchObject({ verified: true });
  });

  it(`carries examples/${workloadFile} and its hash`, () => {
    const workload = parseManifestYaml(read(workloadFile));
    expect(canonicalManifestHash(lease.spec.manifest)).toBe(canonicalManifestHash(workload));
    expect(lease.spec.manifestHash).toBe(canonicalManifestHash(workload));
  });

  it('has a pool spec that matches the schema', () => {
    expect(validate(GpuNodePoolSpec, pool.spec, 'spec')).toMatchObject({ ok: true });
  });
});

it.each(['provider.yaml', 'provider-remote-signer.yaml'])(
  'examples/%s matches the schema',
  (file) => {
    const provider = load<{ spec: unknown }>(file);
    expect(validate(ProviderSpec, provider.spec, 'spec')).toMatchObject({ ok: true });
  },
);
