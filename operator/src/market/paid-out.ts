// What each lease paid this provider so far, for the settlement's reports: running totals that a
// refresh brings up to a block by reading only the blocks since the previous refresh, for all
// leases at once (two getLogs filtered by the provider, paged). Reading per lease cost two
// getLogs over the whole history per lease, 20,000 requests for 10,000 leases. A reorg that
// replaced a block already read is noticed by the hash of the last block read (whether or not
// the follower saw it: it may lag): the totals are then read again from the start.
import type { LeaseReader } from './lease-reader.js';

export class PaidOutTotals {
  private readonly totals = new Map<bigint, bigint>();
  /** The last block read and its hash; undefined until the first refresh (from the first block). */
  private readThrough: { readonly number: number; readonly hash: string | undefined } | undefined;
  private paymentsUnread = true;

  constructor(
    private readonly reader: Pick<LeaseReader, 'paidOutByLease' | 'blockHash'>,
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
    const read = this.readThrough;
    if (read && (await this.reader.blockHash(read.number)) !== read.hash) this.forget();
    const after = this.readThrough?.number;
    if (after !== undefined && toBlock <= after) return;
    const fromBlock = after === undefined ? undefined : after + 1;
    // The hash first: a reorg between the two reads shows at the next refresh.
    const hash = await this.reader.blockHash(toBlock);
    const paid = await this.reader.paidOutByLease(this.provider, { fromBlock, toBlock });
    for (const [leaseId, amount] of paid) this.totals.set(leaseId, this.of(leaseId) + amount);
    this.readThrough = { number: toBlock, hash };
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
