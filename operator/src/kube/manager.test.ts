import { KubeConfig } from '@kubernetes/client-node';
import { createManager } from './manager.js';
import { untilAborted } from './runnable.js';

function offlineManager() {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true },
    { name: 'u' },
  );
  return createManager({ kubeConfig, leaderElection: false, healthAddress: false });
}

describe('Manager runnables', () => {
  it('starts runnables with the manager and stops them, awaited, on shutdown', async () => {
    const manager = offlineManager();
    const log: string[] = [];
    manager.addRunnable({
      name: 'chain',
      start: async (signal) => {
        log.push('started');
        await untilAborted(signal);
        await Promise.resolve();
        log.push('cleaned up');
      },
    });
    await manager.start();
    expect(log).toEqual(['started']);
    await manager.stop();
    expect(log).toEqual(['started', 'cleaned up']);
  });

  it('starts a runnable added while running, and survives one that fails', async () => {
    const manager = offlineManager();
    await manager.start();
    const started: string[] = [];
    manager.addRunnable({
      name: 'late',
      start: async (signal) => {
        started.push('late');
        await untilAborted(signal);
      },
    });
    manager.addRunnable({
      name: 'broken',
      start: async () => {
        started.push('broken');
        throw new Error('cannot reach the chain');
      },
    });
    expect(started).toEqual(['late', 'broken']);
    await expect(manager.stop()).resolves.toBeUndefined();
  });

  it('refuses two runnables of one name', () => {
    const manager = offlineManager();
    const runnable = { name: 'twice', start: untilAborted };
    manager.addRunnable(runnable);
    expect(() => manager.addRunnable(runnable)).toThrow(/already added/);
  });
});
