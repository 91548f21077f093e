// Capacity promised to live bids: an order we bid on holds its GPUs on one pool until it is
// leased to someone, cancelled, or lost, so that two bids never promise the same GPUs.

export interface Reservation {
  readonly orderId: bigint;
  readonly pool: string;
  readonly gpus: number;
  /** Our bid, in token base units per second. */
  readonly pricePerSecond: bigint;
  /** Unix seconds: the order's bidding deadline. */
  readonly biddingDeadline: number;
}

/** The reservations of live bids, by order. */
export class ReservationBook {
  private readonly byOrder = new Map<bigint, Reservation>();

  /** Holds (or replaces) the reservation of an order. */
  hold(reservation: Reservation): void {
    this.byOrder.set(reservation.orderId, reservation);
  }

  /** Releases an order's reservation; returns it, or undefined when there was none. */
  release(orderId: bigint): Reservation | undefined {
    const held = this.byOrder.get(orderId);
    this.byOrder.delete(orderId);
    return held;
  }

  get(orderId: bigint): Reservation | undefined {
    return this.byOrder.get(orderId);
  }

  /** GPUs reserved on a pool. */
  gpusOn(pool: string): number {
    let gpus = 0;
    for (const reservation of this.byOrder.values()) {
      if (reservation.pool === pool) gpus += reservation.gpus;
    }
    return gpus;
  }

  /** GPUs reserved over all pools. */
  totalGpus(): number {
    let gpus = 0;
    for (const reservation of this.byOrder.values()) gpus += reservation.gpus;
    return gpus;
  }

  get size(): number {
    return this.byOrder.size;
  }

  all(): Reservation[] {
    return [...this.byOrder.values()];
  }
}
