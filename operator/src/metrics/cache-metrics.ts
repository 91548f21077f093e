import { Gauge, type Registry } from 'prom-client';

/** What the gauge reads from the informer cache at scrape time: cached objects by kind. */
export interface CacheObjectCounts {
  stats(): Record<string, { readonly objects: number }>;
}

/**
 * `supercloud_informer_cache_objects{kind}`: the objects each shared informer holds, read at
 * scrape time (no bookkeeping on the watch path). The operator's memory grows with this figure,
 * not with the number of controllers; `make bench BENCH=scale` divides heap by it.
 *
 * @example registerCacheMetrics(registry, manager.cache)
 */
export function registerCacheMetrics(registry: Registry, cache: CacheObjectCounts): void {
  new Gauge({
    name: 'supercloud_informer_cache_objects',
    help: 'Objects held by the shared informer cache, by kind (apiVersion/kind)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      for (const [kind, stats] of Object.entries(cache.stats())) {
        this.set({ kind }, stats.objects);
      }
    },
  });
}
