import { Registry } from 'prom-client';
import { registerCacheMetrics } from './cache-metrics.js';

describe('registerCacheMetrics', () => {
  it('exports the objects of each informer, read when scraped', async () => {
    const registry = new Registry();
    const counts: Record<string, { objects: number }> = { 'v1/Pod': { objects: 3 } };
    registerCacheMetrics(registry, { stats: () => counts });
    counts['apps/v1/Deployment'] = { objects: 2 };
    counts['v1/Pod'] = { objects: 5 };

    const text = await registry.metrics();

    expect(text).toContain('supercloud_informer_cache_objects{kind="v1/Pod"} 5');
    expect(text).toContain('supercloud_informer_cache_objects{kind="apps/v1/Deployment"} 2');
  });
});
