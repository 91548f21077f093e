// The pool each bid was placed for, kept where a restart finds it: written before the bid is
// sent, read when the auction is won (the lease runs in that pool) or when the reservations of
// live bids are rebuilt, and dropped once the lease has its ComputeLease or the auction is lost.

/** Where the pools of bids are recorded (the Provider status in a cluster; memory in tests). */
export interface BidPools {
  /** The pool the bid on `orderId` was placed for, if recorded. */
  get(orderId: bigint): string | undefined;
  /** Records pools before their bids are sent; a bid whose pool could not be recorded is not sent. */
  record(pools: ReadonlyMap<bigint, string>): Promise<void>;
  /** Drops the records of orders whose lease has its object, or whose auction is over for us. */
  drop(orderIds: readonly bigint[]): Promise<void>;
}

/** A {@link BidPools} in memory: what a process remembers until it ends (unit tests). */
export class MemoryBidPools implements BidPools {
  readonly pools = new Map<bigint, string>();

  get(orderId: bigint): string | undefined {
    return this.pools.get(orderId);
  }
  async record(pools: ReadonlyMap<bigint, string>): Promise<void> {
    for (const [orderId, pool] of pools) this.pools.set(orderId, pool);
  }
  async drop(orderIds: readonly bigint[]): Promise<void> {
    for (const orderId of orderIds) this.pools.delete(orderId);
  }
}
