import type { PaidOutRange } from './lease-reader.js';
import { PaidOutTotals } from './paid-out.js';

const provider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** Payments to the provider, block by block, on a chain that can reorganize. */
class FakePayments {
  private payments: { leaseId: bigint; amount: bigint; block: number }[] = [];
  private hashes: string[] = ['0xgenesis'];
  private forks = 0;
  readonly ranges: PaidOutRange[] = [];

  /** A new block paying `amount` for the lease. */
  pay(leaseId: bigint, amount: bigint): number {
    const block = this.hashes.length;
    this.hashes.push(`0x${block}-${this.forks}`);
    this.payments.push({ leaseId, amount, block });
    return block;
  }

  /** Replaces every block after `ancestor` (their payments gone) with a fork of its own. */
  reorg(ancestor: number): void {
    this.forks++;
    this.hashes.length = ancestor + 1;
    this.payments = this.payments.filter((payment) => payment.block <= ancestor);
  }

  async paidOutByLease(_provider: string, range: PaidOutRange): Promise<Map<bigint, bigint>> {
    this.ranges.push(range);
    const { fromBlock = 0, toBlock } = range;
    const paid = new Map<bigint, bigint>();
    for (const { leaseId, amount, block } of this.payments) {
      if (block >= fromBlock && block <= toBlock)
        paid.set(leaseId, (paid.get(leaseId) ?? 0n) + amount);
    }
    return paid;
  }

  async blockHash(number: number): Promise<string | undefined> {
    return this.hashes[number];
  }
}

describe('PaidOutTotals', () => {
  describe('refresh', () => {
    it('adds only the blocks after the last refresh', async () => {
      const chain = new FakePayments();
      const totals = new PaidOutTotals(chain, provider);
      chain.pay(1n, 100n);
      await totals.refresh(chain.pay(2n, 7n));
      const head = chain.pay(1n, 50n);
      await totals.refresh(head);
      expect([totals.of(1n), totals.of(2n)]).toEqual([150n, 7n]);
      expect(chain.ranges.map((r) => r.fromBlock)).toEqual([undefined, head]);
    });

    it('reads everything again when a reorg replaced a block it had read, follower or not', async () => {
      const chain = new FakePayments();
      const totals = new PaidOutTotals(chain, provider);
      const ancestor = chain.pay(1n, 100n);
      await totals.refresh(chain.pay(1n, 60n)); // a withdrawal the reorg takes back
      expect(totals.of(1n)).toBe(160n);
      chain.reorg(ancestor);
      await totals.refresh(chain.pay(1n, 5n));
      expect(totals.of(1n)).toBe(105n);
      expect(chain.ranges.at(-1)?.fromBlock).toBeUndefined();
    });
  });

  describe('due', () => {
    it('is due before the first refresh and after a payment, not after a refresh', async () => {
      const chain = new FakePayments();
      const totals = new PaidOutTotals(chain, provider);
      expect(totals.due).toBe(true);
      await totals.refresh(chain.pay(1n, 1n));
      expect(totals.due).toBe(false);
      totals.paymentMade();
      expect(totals.due).toBe(true);
    });
  });
});
