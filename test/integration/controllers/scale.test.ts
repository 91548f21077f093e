// The scale bench (make bench BENCH=scale) in a reduced form, so that it cannot rot: 20 nodes in
// 2 pools, 200 active leases made in 2 waves (50 by a raw client, then adopted, and 50 for the
// operator, each), a short rest, kill -9 and restart.
// Every figure must be produced and the pools' status must match their nodes and pods; the
// timings are printed, never asserted (a shared 2-core machine).
import { formatSection } from '../../bench/report.js';
import { measureScale, scaleDefaults } from '../../bench/scale.js';

describe('scale bench, reduced', () => {
  it('produces every figure for 200 leases made in 2 waves, and the pools stay exact', async () => {
    const result = await measureScale({
      ...scaleDefaults,
      operatorEntry: 'source', // no build step in the test run
      nodes: 20,
      pools: 2,
      leases: 200,
      wave: 50,
      rawPerWave: 50,
      concurrency: 10,
      idleSeconds: 10,
      cleanUp: true,
    });
    console.log(formatSection(result.section));

    expect(result.waves).toHaveLength(2);
    for (const wave of result.waves) {
      expect(wave.operator.podsRunningMs).toHaveLength(50);
      expect(wave.operator.leasesRunningMs).toHaveLength(50);
      expect(wave.raw?.podsRunningMs).toHaveLength(50);
    }
    expect(result.rest.rssBytes).toBeGreaterThan(0);
    expect(result.rest.cpu.cores.operator).toBeGreaterThanOrEqual(0);
    expect(result.rest.cacheObjects['supercloud.dev/v1alpha1/ComputeLease']).toBeGreaterThanOrEqual(
      200,
    );
    expect(result.restart.reconciles).toBeGreaterThanOrEqual(200);
    expect(Object.keys(result.restart.requestsByMethod)).toContain('GET');
    expect(result.pools.map((pool) => pool.accurate)).toEqual([true, true]);
    expect(result.section.failures ?? []).toEqual([]);
  }, 900_000);
});
