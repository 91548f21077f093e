import type { ComputeLease, ComputeLeaseStatus } from '../../api/computelease.js';
import { leaseSummary } from './lease-summary.js';

const now = Date.parse('2025-06-01T12:00:00Z');
const at = (secondsFromNow: number) => new Date(now + secondsFromNow * 1000).toISOString();

function lease(status?: ComputeLeaseStatus, created = at(-3600)): ComputeLease {
  return {
    apiVersion: 'supercloud.dev/v1alpha1',
    kind: 'ComputeLease',
    metadata: { name: 'lease', creationTimestamp: created },
    spec: {} as ComputeLease['spec'],
    ...(status ? { status } : {}),
  };
}

/** A Deploying lease verified `verifiedSecondsAgo` ago whose Available reason is `reason`. */
function deploying(verifiedSecondsAgo: number, reason: string): ComputeLease {
  return lease({
    phase: 'Deploying',
    conditions: [
      {
        type: 'Verified',
        status: 'True',
        reason: 'Verified',
        message: '',
        lastTransitionTime: at(-verifiedSecondsAgo),
      },
      { type: 'Available', status: 'False', reason, message: '', lastTransitionTime: at(-5) },
    ],
  });
}

describe('leaseSummary', () => {
  it('counts every phase, a lease without status as Pending', () => {
    const summary = leaseSummary(
      [
        lease(),
        lease({ phase: 'Pending' }),
        lease({ phase: 'Running' }),
        lease({ phase: 'Closed' }),
      ],
      now,
    );
    expect(summary.byPhase).toEqual({
      Pending: 2,
      Deploying: 0,
      Running: 1,
      Closing: 0,
      Closed: 1,
      Rejected: 0,
      Failed: 0,
    });
  });

  it('times Deploying leases from their verification, the oldest per Available reason', () => {
    const summary = leaseSummary(
      [
        deploying(120, 'Deploying'),
        deploying(900, 'Deploying'),
        deploying(30, 'SecretsMissing'),
        // Verified but no Verified time: from its creation.
        lease({ phase: 'Deploying' }, at(-60)),
      ],
      now,
    );
    expect([...summary.deployingOldestSeconds].sort()).toEqual([
      ['Deploying', 900],
      ['SecretsMissing', 30],
    ]);
  });

  it('sums the escrow and rates of Running leases only and finds the first to run out', () => {
    const summary = leaseSummary(
      [
        lease({
          phase: 'Running',
          escrowBalance: '5000',
          pricePerSecond: '2',
          fundedUntil: at(2500),
        }),
        lease({
          phase: 'Running',
          escrowBalance: '700',
          pricePerSecond: '1',
          fundedUntil: at(700),
        }),
        // Not Running: its money is not counted.
        lease({ phase: 'Closing', escrowBalance: '9', pricePerSecond: '9', fundedUntil: at(-10) }),
      ],
      now,
    );
    expect(summary.running).toEqual({ escrow: 5700, pricePerSecond: 3, fundedSecondsMin: 700 });
  });

  it('reports an escrow already out as negative seconds, and +Inf without a Running lease', () => {
    const out = leaseSummary([lease({ phase: 'Running', fundedUntil: at(-30) })], now);
    expect(out.running.fundedSecondsMin).toBe(-30);
    const none = leaseSummary([lease({ phase: 'Closed', fundedUntil: at(10) })], now);
    expect(none.running).toEqual({
      escrow: 0,
      pricePerSecond: 0,
      fundedSecondsMin: Number.POSITIVE_INFINITY,
    });
  });
});
