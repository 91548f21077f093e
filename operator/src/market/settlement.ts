// The settlement loop: on each tick it reads this provider's active leases from the chain,
// closes the ones whose escrow is exhausted (and only those), withdraws what accrued in batches
// on the Provider's schedule, and reports price, escrow, funded-until, amount paid and the Funded
// condition on each ComputeLease. Nothing here reacts to an outage: a failed read or send ends
// the tick, and the next one starts from the chain again; a lease is only ever closed after the
// chain itself says its escrow is gone. A withdrawal batch is at most the Provider's batch size
// and at most half a block of gas, whatever the chain's block gas limit.
import { leaseConditionTypes, type ComputeLease } from '../api/computelease.js';
import { systemClock, type Clock } from '../base/clock.js';
import { marketplaceAbi } from '../chain/abi/index.js';
import { gasBatches } from '../chain/gas-batches.js';
import { sameAddress } from '../chain/identifiers.js';
import { contractCall, type TransactionIntent } from '../chain/intent.js';
import { describeError } from '../chain/rpc.js';
import type { SendResult } from '../chain/tx-sender.js';
import type { Condition } from '../kube/conditions.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import type { ChainLease, LeaseReader } from './lease-reader.js';
import { chainSource, leaseSourceLabel } from './lease-spec.js';
import type { LeaseFacts } from './lease-facts.js';
import type { LeaseSync } from './lease-sync.js';
import type { MarketMetrics } from './metrics.js';
import { PaidOutTotals } from './paid-out.js';
import {
  fundedReasons,
  isExhausted,
  settlementStatus,
  withdrawalBatches,
  type SettlementPolicy,
  type SettlementStatus,
} from './settlement-status.js';

/**
 * Gas bounds of a withdraw transaction (contracts/.gas-snapshot, with a margin): the 21,000 of a
 * transaction and the call's own work (the payment; 36,679 for one lease in all), then per lease
 * 11,373 of execution at 500 leases and its 32 bytes of calldata.
 */
const withdrawBaseGas = 50_000;
const withdrawGasPerLease = 13_000;

/** The cluster side of the settlement: the leases' status and Events. */
export interface SettlementObjects {
  /** Every ComputeLease in the cluster (from the cache). */
  list(): readonly ComputeLease[];
  get(name: string): ComputeLease | undefined;
  /** Writes the settlement's status fields (its own field manager). */
  writeStatus(lease: ComputeLease, status: SettlementStatus): Promise<void>;
  warn(lease: ComputeLease, reason: string, note: string): void;
}

export interface SettlementOptions {
  readonly reader: LeaseReader;
  readonly sync: Pick<LeaseSync, 'activeLeases' | 'sync'>;
  /** Where leases are read (shared with the lease sync and the verifier). */
  readonly facts: Pick<LeaseFacts, 'readMany'>;
  readonly sender: { send(intent: TransactionIntent): Promise<SendResult> };
  readonly objects: SettlementObjects;
  readonly marketplace: string;
  /** The provider wallet's address. */
  readonly provider: string;
  /** The Provider's settlement policy now. */
  readonly policy: () => SettlementPolicy;
  readonly metrics?: MarketMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/**
 * @example
 * const settlement = new Settlement({ reader, sync, sender, objects, marketplace, provider, policy });
 * setInterval(() => void settlement.tick(), 30_000);
 */
export class Settlement {
  /** Chain time of the last withdrawal round (0: none yet in this process). */
  private lastWithdrawalAt = 0;
  /** What each lease paid the provider so far; read again after a payment. */
  private readonly paid: PaidOutTotals;
  private readonly logger: Logger;

  constructor(private readonly options: SettlementOptions) {
    this.logger = (options.logger ?? silentLogger()).child({ component: 'settlement' });
    this.paid = new PaidOutTotals(options.reader, options.provider);
  }

  /** After a reorg: the payments read and the last withdrawal may be of the old fork only. */
  afterReorg(): void {
    this.paid.forget();
    this.lastWithdrawalAt = 0;
  }

  /** One round: read, close the exhausted, withdraw when due, report. */
  async tick(): Promise<void> {
    const { reader, sync, facts } = this.options;
    const policy = this.options.policy();
    const ids = new Set([...sync.activeLeases(), ...this.unreportedClosings()]);
    if (ids.size === 0) return;
    const { timestamp, gasLimit } = await reader.latestBlock();
    // All leases in a few batch calls: the round's reads do not grow with the leases' number.
    const read = await facts.readMany([...ids]);
    // Only leases the chain says are this provider's are closed, withdrawn or reported.
    const leases = read.filter((lease) => sameAddress(lease.provider, this.options.provider));

    // Leases a transaction of this round changed are read again before the report. A failed
    // transaction is logged and tried next round; the reports are written anyway.
    const paidNow = new Set<bigint>();
    if (policy.closeExhaustedLeases) {
      for (const lease of leases.filter(isExhausted)) {
        if (await this.attempt('close', () => this.closeExhausted(lease))) {
          paidNow.add(lease.leaseId);
        }
      }
    }
    if (timestamp - this.lastWithdrawalAt >= policy.withdrawIntervalSeconds) {
      const batches = withdrawalBatches(leases, policy).flatMap((batch) =>
        gasBatches(batch, {
          blockGasLimit: gasLimit,
          baseGas: withdrawBaseGas,
          itemGas: () => withdrawGasPerLease,
        }),
      );
      for (const batch of batches) {
        if (await this.attempt('withdraw', () => this.withdraw(batch))) {
          batch.forEach((id) => paidNow.add(id));
        }
      }
      this.lastWithdrawalAt = timestamp;
    }
    const reread = new Map((await facts.readMany([...paidNow])).map((l) => [l.leaseId, l]));
    const objectsOf = this.objectsByLease();
    const reported = leases
      .map((lease) => reread.get(lease.leaseId) ?? lease)
      .filter((lease) => objectsOf.has(lease.leaseId.toString()));
    if (paidNow.size > 0) this.paid.paymentMade();
    // A close pays the provider too, whoever closed it: the last report reads what it paid.
    if (reported.length > 0 && (this.paid.due || reported.some((lease) => !lease.active))) {
      await this.paid.refresh((await reader.latestBlock()).number);
    }
    for (const lease of reported) {
      for (const object of objectsOf.get(lease.leaseId.toString()) ?? []) {
        if (sameAddress(object.spec.tenant, lease.tenant)) {
          await this.report(object, lease, timestamp, policy);
        }
      }
    }
  }

  /** This provider's ComputeLeases by lease id: made by the sync, or applied by hand. */
  private objectsByLease(): Map<string, ComputeLease[]> {
    const byLease = new Map<string, ComputeLease[]>();
    for (const object of this.options.objects.list()) {
      if (!sameAddress(object.spec.provider, this.options.provider)) continue;
      byLease.set(object.spec.leaseId, [...(byLease.get(object.spec.leaseId) ?? []), object]);
    }
    return byLease;
  }

  /**
   * Leases of this provider whose object does not yet say they closed: each gets a last report
   * with the final payment, also when it closed while the operator was down. A chain-made object
   * is followed from its creation, a hand-applied one once reported (its lease is ours on chain).
   */
  private unreportedClosings(): bigint[] {
    const { objects, provider } = this.options;
    return objects
      .list()
      .filter((lease) => {
        if (!sameAddress(lease.spec.provider, provider)) return false;
        const reason = funded((lease.status?.conditions ?? []) as Condition[])?.reason;
        const followed =
          reason !== undefined || lease.metadata.labels?.[leaseSourceLabel] === chainSource;
        return followed && reason !== fundedReasons.LeaseClosed;
      })
      .map((lease) => BigInt(lease.spec.leaseId));
  }

  /** Runs a transaction of the round; false (logged) when it failed. */
  private async attempt(what: string, send: () => Promise<boolean>): Promise<boolean> {
    try {
      return await send();
    } catch (error) {
      this.logger.warn(`${what} failed; trying again next round`, { error: describeError(error) });
      return false;
    }
  }

  /** Closes an exhausted lease; true when this round's transaction did. */
  private async closeExhausted(lease: ChainLease): Promise<boolean> {
    const { reader, marketplace, metrics } = this.options;
    const leaseId = lease.leaseId;
    const result = await this.options.sender.send({
      ...contractCall(marketplaceAbi, marketplace, 'close', [leaseId]),
      key: `close/${leaseId}`,
      // Only a lease the chain says is still open and exhausted, at the moment of sending.
      precheck: async () => {
        const now = await reader.lease(leaseId);
        return isExhausted(now)
          ? { send: true }
          : { send: false, reason: now.active ? 'escrow topped up' : 'already closed' };
      },
    });
    if (result.status !== 'mined') return false;
    metrics?.exhaustedLeasesClosed.inc();
    metrics?.settlementGasWei.inc({ method: 'close' }, gasCost(result));
    this.logger.info('closed a lease whose escrow ran out', {
      leaseId: leaseId.toString(),
      txHash: result.receipt.hash,
    });
    await this.options.sync.sync(leaseId);
    return true;
  }

  /** Withdraws what the batch's leases accrued; true when mined. */
  private async withdraw(batch: bigint[]): Promise<boolean> {
    const { marketplace, metrics } = this.options;
    const result = await this.options.sender.send({
      ...contractCall(marketplaceAbi, marketplace, 'withdraw', [batch]),
      key: `withdraw/${batch.join(',')}/${(this.options.clock ?? systemClock).now()}`,
    });
    if (result.status !== 'mined') return false;
    metrics?.withdrawals.inc();
    metrics?.leasesWithdrawn.inc(batch.length);
    metrics?.settlementGasWei.inc({ method: 'withdraw' }, gasCost(result));
    this.logger.info('withdrew accrued escrow', {
      leases: batch.length,
      txHash: result.receipt.hash,
      gasUsed: result.receipt.gasUsed.toString(),
    });
    return true;
  }

  /** Writes the lease's settlement status when it changed; warns when the escrow runs low. */
  private async report(
    object: ComputeLease,
    lease: ChainLease,
    now: number,
    policy: SettlementPolicy,
  ): Promise<void> {
    const { objects } = this.options;
    const paid = this.paid.of(lease.leaseId);
    const previous = (object.status?.conditions ?? []) as Condition[];
    const status = settlementStatus(lease, paid, now, policy, previous);
    if (!changed(object, status)) return;
    await objects.writeStatus(object, status);
    const before = funded(previous)?.reason;
    const after = funded(status.conditions);
    if (
      after &&
      after.reason !== before &&
      (after.reason === fundedReasons.EscrowLow || after.reason === fundedReasons.EscrowExhausted)
    ) {
      objects.warn(object, after.reason, after.message);
    }
  }
}

function funded(conditions: readonly Condition[]): Condition | undefined {
  return conditions.find((c) => c.type === leaseConditionTypes.Funded);
}

/** True when a field the settlement writes differs from the object's status. */
function changed(object: ComputeLease, status: SettlementStatus): boolean {
  const current = object.status ?? {};
  const condition = funded(status.conditions);
  const currentCondition = funded((current.conditions ?? []) as Condition[]);
  return (
    current.pricePerSecond !== status.pricePerSecond ||
    current.escrowBalance !== status.escrowBalance ||
    current.fundedUntil !== status.fundedUntil ||
    current.amountWithdrawn !== status.amountWithdrawn ||
    currentCondition?.status !== condition?.status ||
    currentCondition?.reason !== condition?.reason
  );
}

function gasCost(result: Extract<SendResult, { status: 'mined' }>): number {
  return Number(result.receipt.gasUsed * result.receipt.gasPrice);
}
