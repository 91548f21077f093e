// The fault suite at a size for CI (test/integration/faults/suite.ts; `make bench BENCH=faults`
// runs it at full size): 20 lease lifecycles on two leader-elected operator replicas while a kill
// -9 of the leader, a stopped API server (10 s), a cut RPC (15 s), reorgs within and beyond the
// confirmations and a kill of the leader in a settlement round are injected at points drawn from
// a seed. No lease may be lost, doubled, orphaned or wrongly closed, the amounts paid must match
// the chain, and every fault must be converged from. A failure prints the seed to replay it:
//   SUPERCLOUD_FAULT_SEED=<seed> make test-e2e   (or make bench BENCH=faults)
import { faultSection } from '../bench/faults.js';
import { formatSection } from '../bench/report.js';
import { stack } from '../harness/stack.js';
import { faultKinds } from '../integration/faults/faults.js';
import { benchDefaults, faultOptionsFromEnv, runFaultSuite } from '../integration/faults/suite.js';

describe('the fault suite, short', () => {
  it('loses, doubles, orphans and wrongly closes no lease through every fault, and pays exactly what the chain says', async () => {
    stack();
    const options = faultOptionsFromEnv(process.env, {
      ...benchDefaults,
      lifecycles: 20,
      lanes: 8,
      apiServerSeconds: 10,
      rpcSeconds: 15,
      stallSeconds: 180,
      convergeTimeoutSeconds: 120,
      faults: [...faultKinds],
    });
    const result = await runFaultSuite(options);
    const section = faultSection(result);
    process.stderr.write(`${formatSection(section)}\n`);
    const { figures } = result;
    const zeroLoss = {
      seed: options.seed,
      lost: figures.lost,
      doubled: figures.doubled,
      orphaned: figures.orphaned,
      wronglyClosed: figures.wronglyClosed,
      amountMismatches: figures.amountMismatches,
      failures: result.failures,
    };
    expect(zeroLoss).toEqual({
      seed: options.seed,
      lost: [],
      doubled: [],
      orphaned: [],
      wronglyClosed: [],
      amountMismatches: [],
      failures: [],
    });
    expect(figures.balance).toBeGreaterThan(0n);
    expect(result.faults.map((f) => f.kind).sort()).toEqual([...options.faults].sort());
  }, 1_200_000);
});
