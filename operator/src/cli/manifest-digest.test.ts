import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { keccak256, toUtf8Bytes } from 'ethers';
import yaml from 'js-yaml';
import { ManifestError } from '../workloads/parse.js';
import { manifestDigest } from './manifest-digest.js';
import { buildOrderRequest } from './order-request.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const leaseHash = (path: string) =>
  (yaml.load(read(path)) as { spec: { manifestHash: string } }).spec.manifestHash;

const written = `version: v1
services:
  - name: web
    image: nginx:1.27
    replicas: 1
    env:
      - { name: GREETING, value: "grüß dich" }
    resources: { cpuMillis: 500, memoryMiB: 256 }
`;
// The same manifest: other key order, flow style, the default replicas left out.
const respelled = `{"services": [{"resources": {"memoryMiB": 256, "cpuMillis": 500}, "name": "web",
  "env": [{"value": "grüß dich", "name": "GREETING"}], "image": "nginx:1.27"}], "version": "v1"}`;

describe('manifestDigest', () => {
  it('gives an example workload the manifestHash of the example lease that carries it', () => {
    expect(manifestDigest(read('examples/workloads/llm-inference.yaml')).manifestHash).toBe(
      leaseHash('examples/computelease-h100.yaml'),
    );
    expect(manifestDigest(read('examples/workloads/batch-embeddings.yaml')).manifestHash).toBe(
      leaseHash('examples/computelease-a100.yaml'),
    );
  });

  it.each(readdirSync(join(repoRoot, 'examples/workloads')))(
    'gives examples/workloads/%s a digest (it is a valid manifest)',
    (file) => {
      expect(manifestDigest(read(`examples/workloads/${file}`)).manifestHash).toMatch(
        /^0x[0-9a-f]{64}$/,
      );
    },
  );

  it('is the canonical manifest `order create` puts on chain, and the keccak256 of it', () => {
    const text = read('examples/workloads/llm-inference.yaml');
    const digest = manifestDigest(text);
    const request = buildOrderRequest(text, {
      gpuModel: 'NVIDIA-H100-80GB-HBM3',
      maxPrice: '1000',
      deposit: '1h',
      biddingSeconds: '60',
    });
    expect(digest.canonical).toBe(request.manifest);
    expect(digest.manifestHash).toBe(request.manifestHash);
    expect(digest.manifestHash).toBe(keccak256(toUtf8Bytes(digest.canonical)));
  });

  it('does not depend on key order, YAML or JSON spelling, or defaults written out', () => {
    expect(manifestDigest(respelled)).toEqual(manifestDigest(written));
    const { canonical } = manifestDigest(written);
    expect(canonical).toBe(JSON.stringify(JSON.parse(canonical))); // no whitespace between tokens
  });

  it('counts the canonical bytes as UTF-8', () => {
    const { canonical, bytes } = manifestDigest(written);
    expect(bytes).toBe(Buffer.byteLength(canonical, 'utf8'));
    expect(bytes).toBe(canonical.length + 2); // ü and ß take two bytes each
  });

  it("hashes a ComputeLease's spec.manifest and returns the spec.manifestHash it carries", () => {
    const text = read('examples/computelease-h100.yaml');
    expect(manifestDigest(text)).toEqual({
      ...manifestDigest(read('examples/workloads/llm-inference.yaml')),
      leaseManifestHash: leaseHash('examples/computelease-h100.yaml'),
    });
    const edited = manifestDigest(text.replace('Qwen2.5-7B-Instruct', 'Qwen2.5-14B-Instruct'));
    expect(edited.leaseManifestHash).toBe(leaseHash('examples/computelease-h100.yaml'));
    expect(edited.manifestHash).not.toBe(edited.leaseManifestHash);
  });

  it('refuses a bad manifest naming the field, like order create', () => {
    const bad = written.replace('cpuMillis: 500', 'cpuMillis: -1');
    expect(() => manifestDigest(bad)).toThrow(ManifestError);
    expect(() => manifestDigest(bad)).toThrow(/services\[0\]\.resources\.cpuMillis/);
    expect(() => manifestDigest('kind: ComputeLease\nspec: {}\n')).toThrow(
      /spec\.manifest: required field is missing/,
    );
  });
});

describe('supercloud manifest (the command)', () => {
  const supercloud = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ['--import', 'tsx', join(repoRoot, 'operator/src/cli/main.ts'), ...args],
      { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
  const workload = 'examples/workloads/llm-inference.yaml';
  const expected = manifestDigest(read(workload));

  it('hash prints the hash alone, or one JSON object with --json', () => {
    const text = supercloud('manifest', 'hash', '-f', workload);
    expect({ status: text.status, stdout: text.stdout }).toEqual({
      status: 0,
      stdout: `${expected.manifestHash}\n`,
    });
    const json = supercloud('--json', 'manifest', 'hash', '-f', workload);
    expect(JSON.parse(json.stdout)).toEqual({
      file: workload,
      manifestHash: expected.manifestHash,
      bytes: expected.bytes,
    });
  });

  it('canonical prints the canonical manifest', () => {
    const text = supercloud('manifest', 'canonical', '-f', workload);
    expect(text.stdout).toBe(`${expected.canonical}\n`);
  });

  it("hash says on stderr when a ComputeLease's spec.manifestHash is not its manifest's", () => {
    const lease = 'examples/computelease-h100.yaml';
    const fresh = supercloud('--json', 'manifest', 'hash', '-f', lease);
    expect(JSON.parse(fresh.stdout)).toMatchObject({
      manifestHash: expected.manifestHash,
      matches: true,
    });
    expect(fresh.stderr).not.toMatch(/would reject/);

    const edited = join(mkdtempSync(join(tmpdir(), 'supercloud-manifest-')), 'lease.yaml');
    writeFileSync(edited, read(lease).replace('Qwen2.5-7B-Instruct', 'Qwen2.5-14B-Instruct'));
    const stale = supercloud('manifest', 'hash', '-f', edited);
    expect(stale.status).toBe(0);
    expect(stale.stdout).toBe(`${manifestDigest(readFileSync(edited, 'utf8')).manifestHash}\n`);
    expect(stale.stderr).toContain(
      `spec.manifestHash is ${expected.manifestHash}, not the hash of its spec.manifest: the operator would reject the lease`,
    );
  });

  it('fails with exit code 1 on a missing file', () => {
    const missing = supercloud('manifest', 'hash', '-f', 'examples/no-such-file.yaml');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/the manifest file examples\/no-such-file\.yaml does not exist/);
  });
});
