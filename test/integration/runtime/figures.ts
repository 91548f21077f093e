// Figures of the runtime for the benchmark report:
// - queue throughput: keys per second through a controller (informer handlers → work queue →
//   workers → a no-op reconcile, with metrics), no API server involved;
// - informer memory: heap bytes per cached object, for ConfigMaps listed from the local stack.
// Run: node --expose-gc --import tsx test/integration/runtime/figures.ts [--keys N] [--objects N]
// (the memory figure needs the local stack: make cluster-up).
import { KubeConfig } from '@kubernetes/client-node';
import { Registry } from 'prom-client';
import {
  ConfigMapKind,
  InformerCache,
  KubeClient,
  controller,
  resourceKind,
  type KubeObject,
} from '../../../operator/src/kube/index.js';
import { Controller } from '../../../operator/src/kube/controller.js';
import { EventRecorder } from '../../../operator/src/kube/events.js';
import { FakeListerWatcher } from '../../../operator/src/kube/testing/fake-lister-watcher.js';
import { silentLogger } from '../../../operator/src/logging/logger.js';
import { ControllerMetrics } from '../../../operator/src/metrics/controller-metrics.js';
import { adminKubeConfig, createTestNamespace, deleteNamespace } from '../../harness/stack.js';
import { mapWithConcurrency } from '../../../operator/src/market/concurrency.js';
import { reportFigure } from './helpers.js';

function option(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

/** Keys per second through a controller whose reconcile does nothing. */
async function queueThroughput(keys: number, workers: number): Promise<number> {
  const kind = resourceKind<KubeObject>('example.dev/v1', 'Item', 'items', false);
  const source = new FakeListerWatcher<KubeObject>();
  source.listResult = {
    items: Array.from({ length: keys }, (_, i) => ({
      metadata: { name: `item-${i}`, resourceVersion: '1' },
    })),
    resourceVersion: '1',
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromClusterAndUser(
    { name: 'none', server: 'https://127.0.0.1:1', skipTLSVerify: true },
    { name: 'none' },
  );
  const client = new KubeClient({ kubeConfig });
  const cache = new InformerCache(client, {
    listerWatcher: <T extends KubeObject>() => source as unknown as FakeListerWatcher<T>,
  });
  cache.informer(kind);
  cache.start();
  await cache.waitForSync();
  let done = 0;
  let finished: () => void = () => undefined;
  const allDone = new Promise<void>((resolve) => (finished = resolve));
  const running = new Controller(
    controller({
      name: 'noop',
      for: kind,
      workers,
      reconcile: async () => {
        if (++done === keys) finished();
      },
    }),
    {
      client,
      cache,
      events: new EventRecorder(
        { create: async () => undefined, updateSeries: async () => undefined },
        { reportingInstance: 'figures' },
      ),
      metrics: new ControllerMetrics(new Registry()),
      logger: silentLogger(),
    },
  );
  const started = performance.now();
  running.start(); // enqueues every cached object
  await allDone;
  const seconds = (performance.now() - started) / 1000;
  await running.stop();
  await cache.stop();
  return keys / seconds;
}

/** Heap in use after a full collection; a tick first lets finished promises release what they held. */
async function heapAfterGc(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc to measure memory');
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

/** Heap bytes per ConfigMap held by an informer cache (listed from the local stack). */
async function informerMemory(objects: number): Promise<{ perObject: number; jsonBytes: number }> {
  const kubeConfig = adminKubeConfig();
  const namespace = await createTestNamespace(kubeConfig, 'runtime-figures');
  const client = new KubeClient({ kubeConfig });
  try {
    await mapWithConcurrency(
      Array.from({ length: objects }, (_, i) => i),
      32,
      (i) =>
        client.create(ConfigMapKind, {
          metadata: { name: `cm-${i}`, namespace, labels: { app: 'figures', index: String(i) } },
          data: { value: `value-${i}`, owner: `lease-${i % 97}` },
        }),
    );
    // What a live cache retains: heap with the synced cache running, minus heap once it is
    // stopped and dropped (both after a full collection, with a pause so that finished requests
    // and closed sockets release what they held).
    let cache: InformerCache | undefined = new InformerCache(client, { namespace });
    cache.informer(ConfigMapKind);
    cache.start();
    await cache.waitForSync();
    const cached = cache.list(ConfigMapKind).length;
    const jsonBytes =
      cache.list(ConfigMapKind).reduce((sum, o) => sum + JSON.stringify(o).length, 0) / cached;
    const live = await heapAfterGc();
    await cache.stop();
    cache = undefined;
    const dropped = await heapAfterGc();
    return { perObject: (live - dropped) / cached, jsonBytes };
  } finally {
    client.close();
    await deleteNamespace(kubeConfig, namespace);
  }
}

const keys = option('keys', 100_000);
const throughput = await queueThroughput(keys, 1);
reportFigure('runtime.queue.throughputKeysPerSecond', Math.round(throughput), 'keys/s', {
  keys,
  workers: 1,
});
const throughput8 = await queueThroughput(keys, 8);
reportFigure('runtime.queue.throughputKeysPerSecond8Workers', Math.round(throughput8), 'keys/s', {
  keys,
  workers: 8,
});
if (!process.argv.includes('--no-stack')) {
  const objects = option('objects', 2_000);
  const memory = await informerMemory(objects);
  reportFigure('runtime.informer.bytesPerObject', Math.round(memory.perObject), 'bytes', {
    objects,
    kind: 'ConfigMap',
    averageJsonBytes: Math.round(memory.jsonBytes),
  });
}
