// How a batched call (placeBids, withdraw) is cut into transactions: each takes at most a share of
// the block gas limit, so that a batch never comes near a full block (where it would wait for an
// emptier one, or, above the limit, never be mined) and leaves room for everyone else's
// transactions of the block.

/** The block gas limit assumed when it is not known (Ethereum mainnet's until 2025: 30M). */
export const defaultBlockGasLimit = 30_000_000n;

/** The share of the block gas limit one batch transaction may take, in percent. */
export const batchBlockGasPercent = 50n;

export interface GasBatchesParameters<T> {
  /** The latest block's gas limit; {@link defaultBlockGasLimit} when undefined. */
  readonly blockGasLimit?: bigint;
  /**
   * Gas of a transaction of the call beside its items: the 21,000 of any transaction and the
   * call's fixed work (an upper bound: it sizes, it is not the gas limit sent).
   */
  readonly baseGas: number;
  /** An upper bound of the gas an item adds (its execution and its calldata). */
  readonly itemGas: (item: T) => number;
  /** Items per transaction at most, whatever the gas (a policy's bound). */
  readonly maxItems?: number;
}

export type GasBatchesReturnType<T> = T[][];

/**
 * Cuts `items`, in order, into batches whose gas (base plus items) stays within
 * {@link batchBlockGasPercent}% of the block gas limit and whose length stays within `maxItems`.
 * An item alone above the budget still gets a batch of its own: the budget is a share, not the
 * limit.
 *
 * @example
 * gasBatches(leaseIds, { blockGasLimit, baseGas: 50_000, itemGas: () => 13_000, maxItems: 500 })
 * // 30M gas: batches of 500 (1,150 would fit in 15M)
 */
export function gasBatches<T>(
  items: readonly T[],
  { blockGasLimit, baseGas, itemGas, maxItems = Number.POSITIVE_INFINITY }: GasBatchesParameters<T>,
): GasBatchesReturnType<T> {
  if (!(maxItems >= 1)) throw new RangeError(`maxItems must be at least 1, not ${maxItems}`);
  const budget = Number(((blockGasLimit ?? defaultBlockGasLimit) * batchBlockGasPercent) / 100n);
  const batches: T[][] = [];
  let batch: T[] = [];
  let gas = baseGas;
  for (const item of items) {
    const added = itemGas(item);
    if (batch.length > 0 && (gas + added > budget || batch.length >= maxItems)) {
      batches.push(batch);
      batch = [];
      gas = baseGas;
    }
    batch.push(item);
    gas += added;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
