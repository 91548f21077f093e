// What to bid. A strategy sees the pool, the order and the pool-price floor and names a price;
// the engine then checks it against the tenant's max and the provider's minimum.
import type { GpuNodePoolSpec } from '../api/gpunodepool.js';
import type { OrderResources } from './order.js';

const secondsPerHour = 3600n;
const millisPerCore = 1000n;
const mibPerGiB = 1024n;

/**
 * The pool's hourly prices applied to the order's resources, per second, rounded up (a provider
 * never sells below its list price by rounding).
 *
 * @example poolPricePerSecond(h100.spec.prices, { gpuCount: 1, cpuMillicores: 8000, ... })
 */
export function poolPricePerSecond(
  prices: GpuNodePoolSpec['prices'],
  resources: Pick<OrderResources, 'gpuCount' | 'cpuMillicores' | 'memoryMiB' | 'storageMiB'>,
): bigint {
  // Everything over one common denominator so that only the final division rounds.
  const denominator = secondsPerHour * millisPerCore * mibPerGiB;
  const numerator =
    BigInt(resources.gpuCount) * BigInt(prices.perGpuHour) * millisPerCore * mibPerGiB +
    BigInt(resources.cpuMillicores) * BigInt(prices.perCpuCoreHour) * mibPerGiB +
    BigInt(resources.memoryMiB) * BigInt(prices.perGiBMemoryHour) * millisPerCore +
    BigInt(resources.storageMiB) * BigInt(prices.perGiBStorageHour) * millisPerCore;
  return (numerator + denominator - 1n) / denominator;
}

export interface PricingInput {
  readonly pool: GpuNodePoolSpec;
  readonly resources: OrderResources;
  /** The tenant's max, in token base units per second. */
  readonly maxPricePerSecond: bigint;
  /** The pool's list price for the order (`poolPricePerSecond`): what the provider wants at least. */
  readonly floorPerSecond: bigint;
}

/** Prices a bid. Pure and synchronous: the engine may call it for several pools per order. */
export interface PricingStrategy {
  /** Names the strategy in logs. */
  readonly name: string;
  /** The price per second to bid, before the engine checks it against the tenant's max. */
  price(input: PricingInput): bigint;
}

/** Bids the pool's list price: the default. */
export const poolPriceStrategy: PricingStrategy = {
  name: 'pool-price',
  price: ({ floorPerSecond }) => floorPerSecond,
};

/**
 * Bids the list price plus a margin, as much of the margin as the tenant's max leaves room for,
 * never below the list price (an order whose max is below the list price gets no bid).
 *
 * @param marginBps the margin in basis points of the list price (1500: list price + 15 %).
 * @example marginOverFloorStrategy(1500).price({ floorPerSecond: 100n, maxPricePerSecond: 110n, ... }) // 110n
 */
export function marginOverFloorStrategy(marginBps: number): PricingStrategy {
  if (!Number.isInteger(marginBps) || marginBps < 0) {
    throw new RangeError(`the margin must be whole basis points ≥ 0, not ${marginBps}`);
  }
  return {
    name: `margin-over-floor(${marginBps}bps)`,
    price: ({ floorPerSecond, maxPricePerSecond }) => {
      const wanted = (floorPerSecond * BigInt(10_000 + marginBps) + 9_999n) / 10_000n;
      const capped = wanted < maxPricePerSecond ? wanted : maxPricePerSecond;
      return capped > floorPerSecond ? capped : floorPerSecond;
    },
  };
}
