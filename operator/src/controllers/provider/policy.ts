// The Provider's bidding and settlement spec as the bid engine and the settlement take them.
import type { Provider } from '../../api/provider.js';
import type { BiddingPolicy } from '../../market/decide.js';
import {
  marginOverFloorStrategy,
  poolPriceStrategy,
  type PricingStrategy,
} from '../../market/pricing.js';
import type { SettlementPolicy } from '../../market/settlement-status.js';
import { defaultWorkloadPolicy, type WorkloadPolicy } from '../../workloads/verify.js';

/** No Provider (deleted meanwhile): bid on nothing. */
const noBidding: BiddingPolicy = {
  enabled: false,
  maxOutstandingBids: 0,
  minPricePerSecond: 0n,
  workloads: defaultWorkloadPolicy,
};

export function biddingPolicy(provider: Provider | undefined): BiddingPolicy {
  const bidding = provider?.spec.bidding;
  if (!bidding) return noBidding;
  return {
    enabled: bidding.enabled,
    maxOutstandingBids: bidding.maxOutstandingBids,
    minPricePerSecond: BigInt(bidding.minPricePerSecond),
    workloads: workloadPolicy(provider.spec.tenantIsolation),
  };
}

/** The workload rules a Provider's isolation policy adds (absent fields: the defaults). */
export function workloadPolicy(
  isolation: { allowedRegistries?: readonly string[] } | undefined,
): WorkloadPolicy {
  return {
    allowedRegistries: isolation?.allowedRegistries ?? defaultWorkloadPolicy.allowedRegistries,
  };
}

export function pricingStrategy(provider: Provider | undefined): PricingStrategy {
  const bidding = provider?.spec.bidding;
  return bidding?.strategy === 'MarginOverFloor'
    ? marginOverFloorStrategy(bidding.marginBps)
    : poolPriceStrategy;
}

/** No Provider (deleted meanwhile): withdraw on the default schedule, close nothing. */
const defaultSettlement: SettlementPolicy = {
  withdrawIntervalSeconds: 3600,
  batchSize: 50,
  closeExhaustedLeases: false,
  minWithdrawAmount: 0n,
  fundingWarningSeconds: 3600,
};

export function settlementPolicy(provider: Provider | undefined): SettlementPolicy {
  const settlement = provider?.spec.settlement;
  if (!settlement) return defaultSettlement;
  return {
    withdrawIntervalSeconds: settlement.withdrawIntervalSeconds,
    batchSize: settlement.batchSize,
    closeExhaustedLeases: settlement.closeExhaustedLeases,
    minWithdrawAmount: BigInt(settlement.minWithdrawAmount ?? '0'),
    fundingWarningSeconds:
      settlement.fundingWarningSeconds ?? defaultSettlement.fundingWarningSeconds,
  };
}
