import { Counter } from 'prom-client';
import { createMetricsRegistry } from './registry.js';
import { parseListenAddress, startHealthServer } from './server.js';

describe('parseListenAddress', () => {
  it('reads host:port, [v6]:port and :port', () => {
    expect(parseListenAddress('127.0.0.1:8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseListenAddress('[::1]:9')).toEqual({ host: '::1', port: 9 });
    expect(parseListenAddress(':8081')).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(() => parseListenAddress('8080')).toThrow(/not host:port/);
  });
});

describe('startHealthServer', () => {
  it('serves health, readiness and metrics on loopback', async () => {
    const registry = createMetricsRegistry();
    new Counter({ name: 'probe_total', help: 'a test counter', registers: [registry] }).inc(3);
    let ready: string[] = ['informer ConfigMap not synced'];
    const server = await startHealthServer({
      address: '127.0.0.1:0',
      registry,
      healthz: () => [],
      readyz: () => ready,
    });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const healthz = await fetch(`${server.url}/healthz`);
      expect([healthz.status, await healthz.text()]).toEqual([200, 'ok']);
      const notReady = await fetch(`${server.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.text()).toContain('informer ConfigMap not synced');
      ready = [];
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toContain('probe_total 3');
      expect(metrics).toContain('process_cpu_seconds_total');
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
