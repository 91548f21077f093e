// What the settlement reports on a ComputeLease, pure: price, escrow left, funded-until time,
// amount paid to the provider and the Funded condition; and which leases a withdrawal takes.
import { leaseConditionTypes, type ComputeLeaseStatus } from '../api/computelease.js';
import { metaTime, setCondition, type Condition } from '../kube/conditions.js';
import type { ChainLease } from './lease-reader.js';

/** Reasons of the Funded condition. */
export const fundedReasons = {
  /** The escrow covers the lease beyond the warning time. */
  EscrowCovers: 'EscrowCovers',
  /** The escrow runs out within the warning time: the tenant should top up. */
  EscrowLow: 'EscrowLow',
  /** The escrow ran out: the lease is closed (by the settlement or anyone). */
  EscrowExhausted: 'EscrowExhausted',
  /** The lease closed on chain. */
  LeaseClosed: 'LeaseClosed',
} as const;

/** The status fields the settlement owns (its own field manager writes them). */
export type SettlementStatus = Required<
  Pick<ComputeLeaseStatus, 'pricePerSecond' | 'escrowBalance' | 'fundedUntil' | 'amountWithdrawn'>
> & { conditions: Condition[] };

export interface SettlementPolicy {
  readonly withdrawIntervalSeconds: number;
  readonly batchSize: number;
  readonly closeExhaustedLeases: boolean;
  /** Accrued amounts below this are left for a later withdrawal (not worth the gas). */
  readonly minWithdrawAmount: bigint;
  /** Warn (Event, Funded reason EscrowLow) this long before the escrow runs out. */
  readonly fundingWarningSeconds: number;
}

/** True when the lease is active and its escrow is all owed to the provider. */
export function isExhausted(lease: Pick<ChainLease, 'active' | 'remaining'>): boolean {
  return lease.active && lease.remaining === 0n;
}

/**
 * The settlement's status of a lease at chain time `now` (unix seconds).
 *
 * @param previous the lease's current conditions (only Funded is read).
 */
export function settlementStatus(
  lease: ChainLease,
  paidOut: bigint,
  now: number,
  policy: Pick<SettlementPolicy, 'fundingWarningSeconds'>,
  previous: readonly Condition[],
): SettlementStatus {
  const fundedUntil = new Date(lease.fundedUntil * 1000);
  const funded = fundedCondition(lease, now, policy.fundingWarningSeconds, fundedUntil);
  const prior = previous.filter((c) => c.type === leaseConditionTypes.Funded);
  return {
    pricePerSecond: lease.pricePerSecond.toString(),
    escrowBalance: (lease.active ? lease.remaining : 0n).toString(),
    fundedUntil: metaTime(fundedUntil),
    amountWithdrawn: paidOut.toString(),
    conditions: setCondition(prior, funded, new Date(now * 1000)),
  };
}

function fundedCondition(
  lease: ChainLease,
  now: number,
  warningSeconds: number,
  fundedUntil: Date,
): Pick<Condition, 'type' | 'status' | 'reason' | 'message'> {
  const type = leaseConditionTypes.Funded;
  const until = metaTime(fundedUntil);
  if (!lease.active) {
    return {
      type,
      status: 'False',
      reason: fundedReasons.LeaseClosed,
      message: `closed at ${until}`,
    };
  }
  if (isExhausted(lease)) {
    return {
      type,
      status: 'False',
      reason: fundedReasons.EscrowExhausted,
      message: `the escrow ran out at ${until}; the lease is being closed`,
    };
  }
  const left = lease.fundedUntil - now;
  if (left <= warningSeconds) {
    return {
      type,
      status: 'True',
      reason: fundedReasons.EscrowLow,
      message: `the escrow runs out at ${until} (in ${left} s): the tenant can top it up with \`supercloud lease top-up ${lease.leaseId}\``,
    };
  }
  return {
    type,
    status: 'True',
    reason: fundedReasons.EscrowCovers,
    message: `funded until ${until}`,
  };
}

/**
 * The leases a withdrawal takes, in batches of at most `batchSize`: active ones with at least
 * `minWithdrawAmount` (and something) accrued, except exhausted ones the settlement closes (the
 * close pays the provider too).
 */
export function withdrawalBatches(
  leases: readonly ChainLease[],
  policy: Pick<SettlementPolicy, 'batchSize' | 'minWithdrawAmount' | 'closeExhaustedLeases'>,
): bigint[][] {
  const threshold = policy.minWithdrawAmount > 0n ? policy.minWithdrawAmount : 1n;
  const closing = (lease: ChainLease) => policy.closeExhaustedLeases && isExhausted(lease);
  const due = leases
    .filter((lease) => lease.active && !closing(lease) && lease.accrued >= threshold)
    .map((lease) => lease.leaseId);
  const batches: bigint[][] = [];
  for (let i = 0; i < due.length; i += policy.batchSize) {
    batches.push(due.slice(i, i + policy.batchSize));
  }
  return batches;
}
