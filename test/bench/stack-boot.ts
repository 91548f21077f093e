// Local stack boot time with the toolchain cached, on a separate stack directory and ports so
// that a running development stack is left alone.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../stack/paths.js';
import { seconds, type Section } from './report.js';

const benchPorts = {
  SUPERCLOUD_APISERVER_PORT: '56443',
  SUPERCLOUD_ETCD_PORT: '52379',
  SUPERCLOUD_ETCD_PEER_PORT: '52380',
  SUPERCLOUD_CONTROLLER_MANAGER_PORT: '50257',
  SUPERCLOUD_SCHEDULER_PORT: '50259',
  SUPERCLOUD_KWOK_PORT: '50247',
  SUPERCLOUD_ANVIL_PORT: '58545',
};

function stackCommand(command: 'up' | 'down', env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const result = spawnSync(
    join(repoRoot, 'node_modules/.bin/tsx'),
    [join(repoRoot, 'test/stack/cli.ts'), command],
    { env: { ...process.env, ...env }, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`stack ${command} failed:\n${result.stderr}`);
  return performance.now() - started;
}

export async function stackBoot(): Promise<Section> {
  const stackDir = mkdtempSync(join(tmpdir(), 'supercloud-bench-stack-'));
  const env = { ...benchPorts, SUPERCLOUD_STACK_DIR: stackDir };
  try {
    const boot = stackCommand('up', env);
    const reuse = stackCommand('up', env);
    const teardown = stackCommand('down', env);
    return {
      title: 'Local stack',
      method:
        'tsx test/stack/cli.ts up with the toolchain cached (default node groups), then up again on the running stack, then down.',
      figures: [
        { name: 'boot (control plane + KWOK nodes + anvil + contracts)', value: seconds(boot) },
        { name: 'up on a running stack (reuse)', value: seconds(reuse) },
        { name: 'down', value: seconds(teardown) },
      ],
    };
  } finally {
    rmSync(stackDir, { recursive: true, force: true });
  }
}
