// make bench BENCH=faults: the fault suite at full size (test/integration/faults/suite.ts): at
// least 200 lease lifecycles (order, bid, lease, Running, withdrawals, close by the tenant or by
// the provider once the escrow ran out) on two leader-elected operator replicas, while a seeded
// PRNG injects a kill -9 of the leader, a stopped API server (30 s), a cut RPC (60 s), reorgs
// within and beyond the confirmations and a kill of the leader in the middle of a settlement round.
// It prints the zero-loss figures (each must be zero: the section fails otherwise, and so does
// `make bench`), the time to converge after each fault, and the seed to replay:
//   SUPERCLOUD_FAULT_SEED=123 make bench BENCH=faults
// Shorter runs: SUPERCLOUD_FAULT_LIFECYCLES, SUPERCLOUD_FAULT_LANES, SUPERCLOUD_FAULTS (e.g.
// "rpc,reorg-deep"), SUPERCLOUD_FAULT_APISERVER_SECONDS, SUPERCLOUD_FAULT_RPC_SECONDS (and the
// others listed in faultOptionsFromEnv).
import {
  faultOptionsFromEnv,
  runFaultSuite,
  type FaultSuiteResult,
} from '../integration/faults/suite.js';
import { seconds, type Figure, type Section } from './report.js';

export async function faultFigures(): Promise<Section> {
  return faultSection(await runFaultSuite(faultOptionsFromEnv()));
}

const zero = '0 (zero-loss)';

const list = (findings: readonly { leaseId: string; detail: string }[]): string =>
  findings.length === 0
    ? '0'
    : `${findings.length}: ${findings
        .slice(0, 3)
        .map((f) => `${f.leaseId} (${f.detail})`)
        .join('; ')}${findings.length > 3 ? '; …' : ''}`;

export function faultSection(result: FaultSuiteResult): Section {
  const { options, figures, lifecycles } = result;
  const ended = lifecycles.filter((l) => l.outcome !== undefined && l.outcome !== 'stalled');
  const stalled = lifecycles.filter((l) => l.outcome === 'stalled');
  const byTenant = ended.filter((l) => l.outcome === 'closed-by-tenant').length;
  const byProvider = ended.filter((l) => l.outcome === 'closed-by-provider').length;
  const wentBack = lifecycles.reduce((sum, l) => sum + l.wentBack, 0);
  const rows: Figure[] = [
    {
      name: 'seed',
      value: String(options.seed),
      reference: `replay: SUPERCLOUD_FAULT_SEED=${options.seed} make bench BENCH=faults`,
    },
    {
      name: 'lease lifecycles completed',
      value: `${ended.length} (${byTenant} closed by the tenant, ${byProvider} by the provider when the escrow ran out)`,
      reference: `≥ ${options.lifecycles}`,
    },
    {
      name: 'lifecycles stalled (no step forward for ' + options.stallSeconds + ' s)',
      value: String(stalled.length),
      reference: zero,
    },
    {
      name: 'leases won on chain (final chain)',
      value: `${figures.leasesWon} (${figures.closedByTenant} closed by tenants, ${figures.closedByProvider} by the provider)`,
      reference: `${wentBack} steps a reorg took back were redone by the tenants`,
    },
    {
      name: 'leases lost (won on chain, never Running)',
      value: list(figures.lost),
      reference: zero,
    },
    {
      name: 'leases doubled (two Deployments or two ComputeLeases for one lease)',
      value: list(figures.doubled),
      reference: zero,
    },
    {
      name: 'leases orphaned (a lease namespace without an active lease, after convergence)',
      value: list(figures.orphaned),
      reference: zero,
    },
    {
      name: 'leases wrongly closed (closed by the provider while escrow remained)',
      value: list(figures.wronglyClosed),
      reference: zero,
    },
    {
      name: 'paid to the provider: Withdrawn + LeaseClosed events / lease statuses / token balance',
      value: `${figures.paidPerEvents} / ${figures.paidPerStatus} / ${figures.balance}`,
      reference: 'all three equal',
    },
    {
      name: 'amount mismatches (a lease status against its events, or a total against the balance)',
      value: list(figures.amountMismatches),
      reference: zero,
    },
    ...result.faults.map((fault, i) => ({
      name: `fault ${i + 1}: ${fault.kind} (at lifecycle ${fault.atLifecycle}), converged after`,
      value: fault.error
        ? `failed: ${fault.error}`
        : fault.convergeMs === undefined
          ? `not within ${options.convergeTimeoutSeconds} s`
          : seconds(fault.convergeMs),
      reference: `${fault.detail} (fault ${seconds(fault.faultMs)})${fault.ignored.length > 0 ? `; not waiting again for ${fault.ignored.length} leases an earlier fault left diverging` : ''}${fault.convergeMs === undefined && fault.left.length > 0 ? `; left: ${fault.left.slice(0, 3).join('; ')}` : ''}`,
    })),
    {
      name: 'final convergence (after the last lifecycle)',
      value:
        result.finalConvergeMs === undefined
          ? `not within ${options.convergeTimeoutSeconds} s`
          : seconds(result.finalConvergeMs),
    },
    {
      name: 'wall time',
      value: seconds(result.wallMs),
      reference: `chain clock moved ${result.chainSecondsJumped} s faster between faults`,
    },
  ];
  return {
    title: 'Faults: leases through kill -9, API server and RPC outages, reorgs',
    method: `Seed ${options.seed}. A private anvil (a block a second; between faults the clock runs 20× so leases accrue, get withdrawn every ${120} chain seconds and run out), the run's own pool of KWOK nodes, a Provider with ${options.confirmations} confirmations reaching anvil through a TCP proxy, two operator replicas (local processes, leader-elected, each its own health port; a killed one is restarted at once). ${options.lanes} tenants run ${options.lifecycles}+ lifecycles (order, bid, accept, Running, withdrawals, then half closed by the tenant, half left to run out of escrow). Faults, at lifecycle counts drawn from the seed: ${options.faults.join(', ')} (API server ${options.apiServerSeconds} s, ${options.apiServerMode}; RPC ${options.rpcSeconds} s). "Converged after" runs from the fault's end (a replica leading again, the API server serving, the proxy up, the reorg mined) to every lease in the phase the chain says (active: Running with one Deployment; closed: Closed, namespace gone), the tenants holding their transactions meanwhile. Operator logs: ${result.logs.join(', ')}.`,
    figures: rows,
    ...(result.failures.length > 0
      ? {
          failures: [
            ...result.failures,
            `replay: SUPERCLOUD_FAULT_SEED=${options.seed} make bench BENCH=faults`,
          ],
        }
      : {}),
  };
}
