// The Provider's bidding spec as the bid engine takes it.
import type { Provider } from '../../api/provider.js';
import type { BiddingPolicy } from '../../market/decide.js';
import {
  marginOverFloorStrategy,
  poolPriceStrategy,
  type PricingStrategy,
} from '../../market/pricing.js';

/** No Provider (deleted meanwhile): bid on nothing. */
const noBidding: BiddingPolicy = { enabled: false, maxOutstandingBids: 0, minPricePerSecond: 0n };

export function biddingPolicy(provider: Provider | undefined): BiddingPolicy {
  const bidding = provider?.spec.bidding;
  if (!bidding) return noBidding;
  return {
    enabled: bidding.enabled,
    maxOutstandingBids: bidding.maxOutstandingBids,
    minPricePerSecond: BigInt(bidding.minPricePerSecond),
  };
}

export function pricingStrategy(provider: Provider | undefined): PricingStrategy {
  const bidding = provider?.spec.bidding;
  return bidding?.strategy === 'MarginOverFloor'
    ? marginOverFloorStrategy(bidding.marginBps)
    : poolPriceStrategy;
}
