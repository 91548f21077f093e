// Pure gas and fee arithmetic of the transaction sender (EIP-1559).

/** The two fee fields of an EIP-1559 (type 2) transaction, in wei per gas. */
export interface Eip1559Fees {
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/** How a sender prices its transactions. */
export interface FeePolicy {
  /** Percent added to the gas estimate (the state may change between estimate and mining). */
  readonly gasHeadroomPercent: number;
  /** The lowest priority fee (tip) offered, whatever the node suggests. */
  readonly minPriorityFeePerGas: bigint;
  /**
   * Base fees the max fee covers: 2 keeps a transaction includable through six full blocks in a
   * row (the base fee rises at most 12.5% per block), as ethers and geth's clients do.
   */
  readonly baseFeeMultiplier: bigint;
  /** A replacement raises both fields by this many percent: geth refuses less than 10. */
  readonly replacementBumpPercent: number;
  /** The max fee is never raised above this: what the operator is willing to pay per gas. */
  readonly maxFeePerGasCap: bigint;
}

export const defaultFeePolicy: FeePolicy = {
  gasHeadroomPercent: 25,
  minPriorityFeePerGas: 1_000_000n, // 0.001 gwei
  baseFeeMultiplier: 2n,
  replacementBumpPercent: 12,
  maxFeePerGasCap: 1_000_000_000_000n, // 1,000 gwei
};

/** geth's `txpool.pricebump` default: a replacement pays at least 10% more in both fields. */
export const minimumReplacementBumpPercent = 10;

/** The estimate plus the policy's headroom, rounded up. */
export function gasLimitWithHeadroom(estimate: bigint, headroomPercent: number): bigint {
  return ceilPercent(estimate, 100 + headroomPercent);
}

/**
 * Fees for a new transaction from the latest base fee and the node's suggested tip: the tip is at
 * least the policy's minimum, the max fee covers `baseFeeMultiplier` base fees plus the tip; both
 * are capped by `maxFeePerGasCap`.
 */
export function marketFees(
  baseFeePerGas: bigint,
  suggestedPriorityFeePerGas: bigint,
  policy: FeePolicy,
): Eip1559Fees {
  const tip = max(suggestedPriorityFeePerGas, policy.minPriorityFeePerGas);
  return capped(
    { maxFeePerGas: baseFeePerGas * policy.baseFeeMultiplier + tip, maxPriorityFeePerGas: tip },
    policy,
  );
}

/**
 * Fees for a replacement of a transaction sent with `previous`: both fields raised by at least
 * the bump (never less than geth's 10%), or to the market's fees when those are higher.
 * `capped` is true when the cap stopped the bump: the replacement would be refused, so the
 * caller keeps waiting instead of sending it.
 */
export function replacementFees(
  previous: Eip1559Fees,
  market: Eip1559Fees,
  policy: FeePolicy,
): { readonly fees: Eip1559Fees; readonly capped: boolean } {
  const percent = 100 + Math.max(policy.replacementBumpPercent, minimumReplacementBumpPercent);
  const wanted = {
    maxFeePerGas: max(ceilPercent(previous.maxFeePerGas, percent), market.maxFeePerGas),
    maxPriorityFeePerGas: max(
      ceilPercent(previous.maxPriorityFeePerGas, percent),
      market.maxPriorityFeePerGas,
    ),
  };
  const fees = capped(wanted, policy);
  return { fees, capped: !isValidReplacement(previous, fees) };
}

/** True when `next` raises both fields of `previous` by at least geth's 10%. */
export function isValidReplacement(previous: Eip1559Fees, next: Eip1559Fees): boolean {
  const percent = 100 + minimumReplacementBumpPercent;
  return (
    next.maxFeePerGas >= ceilPercent(previous.maxFeePerGas, percent) &&
    next.maxPriorityFeePerGas >= ceilPercent(previous.maxPriorityFeePerGas, percent) &&
    next.maxFeePerGas > previous.maxFeePerGas
  );
}

/** The max fee at most the cap, and the tip at most the max fee (a node rejects tip > max fee). */
function capped(fees: Eip1559Fees, policy: FeePolicy): Eip1559Fees {
  const maxFeePerGas = min(fees.maxFeePerGas, policy.maxFeePerGasCap);
  return { maxFeePerGas, maxPriorityFeePerGas: min(fees.maxPriorityFeePerGas, maxFeePerGas) };
}

/** value × percent / 100, rounded up. */
function ceilPercent(value: bigint, percent: number): bigint {
  const scaled = value * BigInt(Math.round(percent * 100));
  return (scaled + 9_999n) / 10_000n;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
