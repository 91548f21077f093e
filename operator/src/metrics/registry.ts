import { Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A metrics registry with Node's process metrics (CPU, memory, event-loop lag, GC, file
 * descriptors) already in it. One per process (tests make several).
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
