// The lease figures of the issue, measured on the real control plane and printed: ComputeLease
// applied → Deployment created and → pods Running (p50/p99 over 100 leases), and the operator's
// API requests per lease. Only gross regressions fail (a hot loop, leases that never start):
// timings on a shared 2-core machine are reported, not asserted.
import { formatSection } from '../../bench/report.js';
import { measureLeaseLatency } from '../../bench/leases.js';

describe('lease latency', () => {
  it('starts 100 leases and reports the figures', async () => {
    const result = await measureLeaseLatency({ leases: 100 });
    console.log(formatSection(result.section));
    expect(result.podsRunningMs).toHaveLength(100);
    expect(result.deploymentCreatedMs).toHaveLength(100);
    // A converging lease needs about ten writes (eight objects, a status or two) and reads none.
    expect(result.requestsPerLease).toBeLessThan(30);
  }, 480_000);
});
