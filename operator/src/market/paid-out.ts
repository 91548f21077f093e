// What each lease paid this provider so far, for the settlement's reports: running totals that a
// refresh brings up to a block by reading only the blocks since the previous refresh, for all
// leases at once (two getLogs filtered by the provider, paged). Reading per lease cost two
// getLogs over the whole history per lease, 20,000 requests for 10,000 leases.
import type { LeaseReader } from './lease-reader.js';

export class PaidOutTotals {
  private readonly totals = new Map<bigint, bigint>();
  /** The last block read; undefined until the first refresh, which starts at the reader's first block. */
  private readThrough: number | undefined;
  private paymentsUnread = true;

  constructor(
    private readonly reader: Pick<LeaseReader, 'paidOutByLease'>,
    private readonly provider: string,
  ) {}

  /**
   * True when a refresh may change the totals: before the first, and after {@link paymentMade}.
   * Otherwise only a close by someone else pays, and its lease reads as closed.
   */
  get due(): boolean {
    return this.paymentsUnread;
  }

  /** A transaction of the operator paid leases: the next refresh is {@link due}. */
  paymentMade(): void {
    this.paymentsUnread = true;
  }

  /** Adds the payments of the blocks after the last refresh up to `toBlock`. */
  async refresh(toBlock: number): Promise<void> {
    const after = this.readThrough;
    if (after !== undefined && toBlock <= after) return;
    const fromBlock = after === undefined ? undefined : after + 1;
    const paid = await this.reader.paidOutByLease(this.provider, { fromBlock, toBlock });
    for (const [leaseId, amount] of paid) this.totals.set(leaseId, this.of(leaseId) + amount);
    this.readThrough = toBlock;
    this.paymentsUnread = false;
  }

  /** What the lease paid up to the last refresh. */
  of(leaseId: bigint): bigint {
    return this.totals.get(leaseId) ?? 0n;
  }

  /** After a reorg: the payments read may be of the old fork; the next refresh reads them all. */
  forget(): void {
    this.totals.clear();
    this.readThrough = undefined;
    this.paymentsUnread = true;
  }
}
