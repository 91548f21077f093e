import type { Condition } from '../kube/conditions.js';
import type { ChainLease } from './lease-reader.js';
import { chainLease } from './testing/chain-lease.js';
import {
  fundedReasons,
  isExhausted,
  settlementStatus,
  withdrawalBatches,
  type SettlementPolicy,
} from './settlement-status.js';

const now = 1_750_000_000; // 2025-06-15T15:06:40Z
const hour = 3600;
const policy: SettlementPolicy = {
  withdrawIntervalSeconds: 600,
  batchSize: 2,
  closeExhaustedLeases: true,
  minWithdrawAmount: 100n,
  fundingWarningSeconds: hour,
};

function lease(leaseId: bigint, patch: Partial<ChainLease> = {}): ChainLease {
  return chainLease(leaseId, {
    accrued: 500n,
    remaining: 10n * 2n * BigInt(hour),
    fundedUntil: now + 2 * hour,
    feeBps: 100,
    ...patch,
  });
}

const funded = (conditions: readonly Condition[]) => conditions.find((c) => c.type === 'Funded');

describe('settlementStatus', () => {
  it('reports price, escrow, funded-until and amount paid of an active lease', () => {
    const status = settlementStatus(lease(3n), 1234n, now, policy, []);
    expect(status).toMatchObject({
      pricePerSecond: '10',
      escrowBalance: String(10 * 2 * hour),
      fundedUntil: '2025-06-15T17:06:40Z',
      amountWithdrawn: '1234',
    });
    expect(status.fundedUntil).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it('is Funded True EscrowCovers beyond the warning window', () => {
    const status = settlementStatus(lease(3n), 0n, now, policy, []);
    expect(funded(status.conditions)).toEqual({
      type: 'Funded',
      status: 'True',
      reason: fundedReasons.EscrowCovers,
      message: 'funded until 2025-06-15T17:06:40Z',
      lastTransitionTime: '2025-06-15T15:06:40Z',
    });
  });

  it('is Funded True EscrowLow within the warning window, naming the top-up command', () => {
    const low = lease(17n, { fundedUntil: now + hour, remaining: 10n * BigInt(hour) });
    const condition = funded(settlementStatus(low, 0n, now, policy, []).conditions);
    expect(condition).toMatchObject({ status: 'True', reason: 'EscrowLow' });
    expect(condition?.message).toContain('supercloud lease top-up 17');
    expect(condition?.message).toContain(`in ${hour} s`);
    const justAbove = lease(17n, { fundedUntil: now + hour + 1 });
    expect(funded(settlementStatus(justAbove, 0n, now, policy, []).conditions)?.reason).toBe(
      'EscrowCovers',
    );
  });

  it('is Funded False EscrowExhausted when active with nothing remaining', () => {
    const exhausted = lease(3n, { remaining: 0n, fundedUntil: now - 60 });
    const status = settlementStatus(exhausted, 0n, now, policy, []);
    expect(funded(status.conditions)).toMatchObject({
      status: 'False',
      reason: fundedReasons.EscrowExhausted,
    });
    expect(status.escrowBalance).toBe('0');
  });

  it('is Funded False LeaseClosed once inactive, with no escrow left to report', () => {
    const closed = lease(3n, { active: false, remaining: 5000n, fundedUntil: now - 60 });
    const status = settlementStatus(closed, 9n, now, policy, []);
    expect(funded(status.conditions)).toMatchObject({
      status: 'False',
      reason: fundedReasons.LeaseClosed,
      message: 'closed at 2025-06-15T15:05:40Z',
    });
    expect(status.escrowBalance).toBe('0');
    expect(status.amountWithdrawn).toBe('9');
  });

  it('keeps lastTransitionTime while the status stays the same, even when the reason changes', () => {
    const first = settlementStatus(lease(3n), 0n, now, policy, []).conditions;
    const low = lease(3n, { fundedUntil: now + 2 * hour });
    const later = settlementStatus(low, 0n, now + 1.5 * hour, policy, first);
    expect(funded(later.conditions)).toMatchObject({
      reason: 'EscrowLow',
      lastTransitionTime: funded(first)?.lastTransitionTime,
    });
    const closed = settlementStatus(
      lease(3n, { active: false }),
      0n,
      now + 2 * hour,
      policy,
      first,
    );
    expect(funded(closed.conditions)?.lastTransitionTime).toBe('2025-06-15T17:06:40Z');
  });

  it('reads only the Funded condition of the previous ones', () => {
    const verified: Condition = {
      type: 'Verified',
      status: 'True',
      reason: 'Verified',
      message: '',
      lastTransitionTime: '2025-01-01T00:00:00Z',
    };
    const status = settlementStatus(lease(3n), 0n, now, policy, [verified]);
    expect(status.conditions.map((c) => c.type)).toEqual(['Funded']);
  });
});

describe('isExhausted', () => {
  it('is true only for an active lease with nothing remaining', () => {
    expect(isExhausted(lease(1n, { remaining: 0n }))).toBe(true);
    expect(isExhausted(lease(1n, { remaining: 1n }))).toBe(false);
    expect(isExhausted(lease(1n, { remaining: 0n, active: false }))).toBe(false);
  });
});

describe('withdrawalBatches', () => {
  it('takes active leases with at least the minimum accrued, in batches of batchSize', () => {
    const leases = [
      lease(1n, { accrued: 100n }),
      lease(2n, { accrued: 99n }),
      lease(3n, { accrued: 1000n }),
      lease(4n, { accrued: 101n }),
      lease(5n, { accrued: 500n }),
    ];
    expect(withdrawalBatches(leases, policy)).toEqual([
      [1n, 3n],
      [4n, 5n],
    ]);
    expect(withdrawalBatches(leases, { ...policy, batchSize: 10 })).toEqual([[1n, 3n, 4n, 5n]]);
    expect(withdrawalBatches(leases, { ...policy, batchSize: 1 })).toEqual([
      [1n],
      [3n],
      [4n],
      [5n],
    ]);
  });

  it('leaves out inactive leases', () => {
    const leases = [lease(1n, { active: false }), lease(2n)];
    expect(withdrawalBatches(leases, policy)).toEqual([[2n]]);
  });

  it('leaves out exhausted leases only when the settlement closes them', () => {
    const leases = [lease(1n, { remaining: 0n }), lease(2n)];
    expect(withdrawalBatches(leases, policy)).toEqual([[2n]]);
    expect(withdrawalBatches(leases, { ...policy, closeExhaustedLeases: false })).toEqual([
      [1n, 2n],
    ]);
  });

  it('leaves out a lease with nothing accrued even when the minimum is 0', () => {
    const leases = [lease(1n, { accrued: 0n }), lease(2n, { accrued: 1n })];
    expect(withdrawalBatches(leases, { ...policy, minWithdrawAmount: 0n })).toEqual([[2n]]);
  });

  it('is empty when nothing is due', () => {
    expect(withdrawalBatches([], policy)).toEqual([]);
    expect(withdrawalBatches([lease(1n, { accrued: 1n })], policy)).toEqual([]);
  });
});
