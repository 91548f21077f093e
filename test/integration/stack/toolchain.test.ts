// The project runs on the Node 24 LTS binary from node_modules, not the machine's Node 20:
// @kubernetes/client-node 2.x (undici) needs Node >= 22.19.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, toolPath } from '../../stack/paths.js';

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
});
