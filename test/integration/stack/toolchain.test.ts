// The project runs on the Node 24 LTS binary from node_modules, not the machine's Node 20:
// @kubernetes/client-node 2.x (undici) needs Node >= 22.19.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, toolPath } from '../../stack/paths.js';

/** A version pinned in test/toolchain/versions.env. */
function pinned(name: string): string | undefined {
  const versions = readFileSync(join(repoRoot, 'test/toolchain/versions.env'), 'utf8');
  return new RegExp(`^${name}=(.+)$`, 'm').exec(versions)?.[1];
}

describe('toolchain', () => {
  it('runs on Node 24 LTS', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const engines = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).engines;
    expect(engines.node).toContain('22.19');
  });

  it('loads @kubernetes/client-node 2.x', async () => {
    const client = await import('@kubernetes/client-node');
    expect(typeof client.KubeConfig).toBe('function');
  });

  it('has Kubernetes 1.33 binaries stamped with their real version', () => {
    const version = execFileSync(toolPath('kubectl'), ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(version).clientVersion.gitVersion).toMatch(/^v1\.33\.\d+$/);
  });

  it("has helm built as released: its version, and Kubernetes 1.33 (its client-go's) when there is no cluster", () => {
    const helm = (args: string[]) => execFileSync(toolPath('helm'), args, { encoding: 'utf8' });
    expect(helm(['version', '--template', '{{.Version}} {{.GitCommit}} {{.GitTreeState}}'])).toBe(
      `${pinned('HELM_VERSION')} ${pinned('HELM_GIT_COMMIT')} clean`,
    );
    // A plain `go install` of helm says v1.20.0 here (and refuses charts needing a newer one).
    const chart = mkdtempSync(join(tmpdir(), 'supercloud-kube-version-'));
    mkdirSync(join(chart, 'templates'));
    writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: probe\nversion: 0.1.0\n');
    writeFileSync(
      join(chart, 'templates/version.yaml'),
      'kubeVersion: {{ .Capabilities.KubeVersion.Version }}\n',
    );
    expect(helm(['template', chart])).toContain('kubeVersion: v1.33.0');
  });

  it('has promtool of the pinned Prometheus release', () => {
    const output = execFileSync(toolPath('promtool'), ['--version'], { encoding: 'utf8' });
    expect(output).toContain(`promtool, version ${pinned('PROMETHEUS_VERSION')?.slice(1)}`);
  });
});
