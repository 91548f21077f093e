import { ManifestError, maxManifestBytes, parseManifestYaml } from './parse.js';

const manifest = `
version: v1
services:
  - name: web
    image: nginxinc/nginx-unprivileged:1.27
    ports:
      - port: 8080
        expose: true
    resources:
      cpuMillis: 500
      memoryMiB: 256
`;

function issuesOf(text: string) {
  try {
    parseManifestYaml(text);
  } catch (error) {
    if (error instanceof ManifestError) return error.issues;
    throw error;
  }
  throw new Error('the manifest was accepted');
}

describe('parseManifestYaml', () => {
  it('returns the manifest with defaults applied', () => {
    expect(parseManifestYaml(manifest).services[0]).toEqual({
      name: 'web',
      image: 'nginxinc/nginx-unprivileged:1.27',
      command: [],
      args: [],
      env: [],
      ports: [{ port: 8080, protocol: 'TCP', expose: true }],
      replicas: 1,
      readOnlyRootFilesystem: true,
      runAsUser: 65532,
      resources: { gpus: 0, cpuMillis: 500, memoryMiB: 256, ephemeralStorageMiB: 1024, shmMiB: 64 },
    });
  });

  it('reads JSON too (the calldata form)', () => {
    const json = JSON.stringify(parseManifestYaml(manifest));
    expect(parseManifestYaml(json)).toEqual(parseManifestYaml(manifest));
  });

  it('keeps YAML 1.1 words as strings (no "yes" booleans, no timestamps)', () => {
    const parsed = parseManifestYaml(
      manifest.replace('    ports:', '    env:\n      - {name: A, value: yes}\n    ports:'),
    );
    expect(parsed.services[0]?.env).toEqual([{ name: 'A', value: 'yes' }]);
    expect(issuesOf(manifest.replace('256', '2025-01-01'))).toEqual([
      { path: 'services[0].resources.memoryMiB', message: 'Expected integer' },
    ]);
  });

  it('accepts a file just under the size limit and refuses one just over', () => {
    const padding = (bytes: number) => `${manifest}#${'x'.repeat(bytes - manifest.length - 2)}\n`;
    expect(() => parseManifestYaml(padding(maxManifestBytes))).not.toThrow();
    expect(issuesOf(padding(maxManifestBytes + 1))[0]?.message).toMatch(/bytes; at most/);
  });

  it('counts bytes, not characters', () => {
    const wide = `${manifest}# ${'é'.repeat(maxManifestBytes / 2)}\n`;
    expect(wide.length).toBeLessThan(maxManifestBytes * 1.5);
    expect(issuesOf(wide)[0]?.message).toMatch(/bytes/);
  });

  it('names the line of an anchor', () => {
    expect(issuesOf(`a: &x 1\n${manifest}`)[0]?.message).toMatch(/"&x" at line 1/);
  });
});
