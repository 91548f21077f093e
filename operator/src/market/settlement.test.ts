import { Interface, type InterfaceAbi } from 'ethers';
import { Registry } from 'prom-client';
import type { ComputeLease } from '../api/computelease.js';
import { marketplaceAbi } from '../chain/abi/index.js';
import type { TransactionIntent } from '../chain/intent.js';
import type { SendResult } from '../chain/tx-sender.js';
import { validLease } from '../workloads/testing/corpus.js';
import type { ChainLease, LeaseClosing, LeaseReader, PaidOutRange } from './lease-reader.js';
import { chainSource, leaseSourceLabel } from './lease-spec.js';
import { marketMetrics } from './metrics.js';
import { LeaseFacts } from './lease-facts.js';
import { Settlement, type SettlementObjects } from './settlement.js';
import { chainLease } from './testing/chain-lease.js';
import type { SettlementPolicy, SettlementStatus } from './settlement-status.js';

const me = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const marketplace = '0x4444444444444444444444444444444444444444';
const marketplaceInterface = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const start = 1_750_000_000;
const day = 86_400;

/** The marketplace's leases in memory; close and withdraw change them as the contract would. */
class FakeChain implements LeaseReader {
  readonly onChain = new Map<bigint, ChainLease>();
  /** Payments to the provider, each in a block of its own. */
  readonly payments: { leaseId: bigint; amount: bigint; block: number }[] = [];
  time = start;
  block = 100;
  /** The blocks' gas limit; undefined like a reader that does not know it. */
  gasLimit: bigint | undefined = undefined;
  /** Lease ids in the order they were read, one by one or in a batch. */
  readonly reads: bigint[] = [];
  /** Calls of each reader method: what the RPC requests of a round scale with. */
  readonly calls = { lease: 0, leases: 0, paidOutByLease: 0, latestBlock: 0 };

  add(leaseId: bigint, patch: Partial<ChainLease> = {}): void {
    this.onChain.set(
      leaseId,
      chainLease(leaseId, {
        provider: me,
        accrued: 1_000n,
        remaining: 10n * BigInt(day),
        fundedUntil: start + day,
        ...patch,
      }),
    );
  }

  set(leaseId: bigint, patch: Partial<ChainLease>): void {
    this.onChain.set(leaseId, { ...this.onChain.get(leaseId)!, ...patch });
  }

  /** A payment to the provider in a new block (a withdrawal, or a close's payout). */
  pay(leaseId: bigint, amount: bigint): void {
    this.payments.push({ leaseId, amount, block: ++this.block });
  }

  /** Pays the provider what the lease accrued (withdraw, or the close of an exhausted lease). */
  payOut(leaseId: bigint): void {
    this.pay(leaseId, this.onChain.get(leaseId)!.accrued);
    this.set(leaseId, { accrued: 0n });
  }

  async lease(leaseId: bigint): Promise<ChainLease> {
    this.calls.lease++;
    return this.read(leaseId);
  }
  async leases(leaseIds: readonly bigint[]): Promise<ChainLease[]> {
    this.calls.leases++;
    return leaseIds.map((id) => this.read(id));
  }
  private read(leaseId: bigint): ChainLease {
    this.reads.push(leaseId);
    const lease = this.onChain.get(leaseId);
    if (!lease) throw new Error(`no lease ${leaseId}`);
    return lease;
  }
  async manifest(): Promise<string | undefined> {
    return undefined;
  }
  async leasesWonBy(): Promise<bigint[]> {
    return [];
  }
  async closing(): Promise<LeaseClosing | undefined> {
    return undefined;
  }
  async paidOutByLease(
    _provider: string,
    { fromBlock = 0, toBlock }: PaidOutRange,
  ): Promise<Map<bigint, bigint>> {
    this.calls.paidOutByLease++;
    const paid = new Map<bigint, bigint>();
    for (const { leaseId, amount, block } of this.payments) {
      if (block >= fromBlock && block <= toBlock) {
        paid.set(leaseId, (paid.get(leaseId) ?? 0n) + amount);
      }
    }
    return paid;
  }
  async latestBlock(): Promise<{ number: number; timestamp: number; gasLimit?: bigint }> {
    this.calls.latestBlock++;
    return { number: this.block, timestamp: this.time, gasLimit: this.gasLimit };
  }
  async blockHash(number: number): Promise<string | undefined> {
    return number <= this.block ? `0x${number.toString(16)}` : undefined;
  }
}

/** A sender that runs the precheck, then "mines" the call on the fake chain. */
class FakeSender {
  readonly sent: { method: string; args: unknown[]; key: string }[] = [];
  readonly skipped: string[] = [];

  constructor(private readonly chain: FakeChain) {}

  async send(intent: TransactionIntent): Promise<SendResult> {
    expect(intent.to).toBe(marketplace);
    const check = (await intent.precheck?.()) ?? { send: true as const };
    if (!check.send) {
      this.skipped.push(intent.key);
      return { status: 'skipped', reason: check.reason };
    }
    const args = [...marketplaceInterface.decodeFunctionData(intent.method, intent.data)];
    this.sent.push({ method: intent.method, args, key: intent.key });
    if (intent.method === 'close') {
      const leaseId = args[0] as bigint;
      this.chain.payOut(leaseId);
      this.chain.set(leaseId, { active: false, closedAt: this.chain.time });
    } else {
      for (const leaseId of args[0] as bigint[]) this.chain.payOut(leaseId);
    }
    return {
      status: 'mined',
      receipt: { hash: `0x${'12'.repeat(32)}`, gasUsed: 21_000n, gasPrice: 1n },
      nonce: this.sent.length - 1,
      replacements: 0,
    } as unknown as SendResult;
  }

  methods(): string[] {
    return this.sent.map((s) => `${s.method}(${String(s.args[0])})`);
  }
}

/** The lease sync as the settlement uses it: active leases as last read, and syncs. */
class FakeSync {
  readonly synced: bigint[] = [];
  constructor(private readonly chain: FakeChain) {}
  activeLeases(): bigint[] {
    return [...this.chain.onChain.values()].filter((l) => l.active).map((l) => l.leaseId);
  }
  async sync(leaseId: bigint): Promise<void> {
    this.synced.push(leaseId);
  }
}

/** ComputeLeases in memory; writeStatus merges the settlement's fields into the status. */
class FakeObjects implements SettlementObjects {
  readonly objects = new Map<string, ComputeLease>();
  readonly writes: { name: string; status: SettlementStatus }[] = [];
  readonly warnings: { name: string; reason: string; note: string }[] = [];

  /** A ComputeLease of the lease, made by the lease sync unless `handApplied`. */
  add(leaseId: bigint, handApplied = false): void {
    const name = `lease-${leaseId}`;
    const lease = validLease(name, Number(leaseId));
    const labels: Record<string, string> = handApplied ? {} : { [leaseSourceLabel]: chainSource };
    this.objects.set(name, { ...lease, metadata: { ...lease.metadata, labels } });
  }
  list(): readonly ComputeLease[] {
    return [...this.objects.values()];
  }
  get(name: string): ComputeLease | undefined {
    return this.objects.get(name);
  }
  async writeStatus(lease: ComputeLease, status: SettlementStatus): Promise<void> {
    const name = lease.metadata.name!;
    this.writes.push({ name, status });
    const current = this.objects.get(name)!;
    this.objects.set(name, { ...current, status: { ...current.status, ...status } });
  }
  warn(lease: ComputeLease, reason: string, note: string): void {
    this.warnings.push({ name: lease.metadata.name!, reason, note });
  }
}

function setup(patch: Partial<SettlementPolicy> = {}) {
  const chain = new FakeChain();
  const sender = new FakeSender(chain);
  const sync = new FakeSync(chain);
  const objects = new FakeObjects();
  const registry = new Registry();
  const metrics = marketMetrics(registry);
  const policy: SettlementPolicy = {
    withdrawIntervalSeconds: 3600,
    batchSize: 2,
    closeExhaustedLeases: true,
    minWithdrawAmount: 100n,
    fundingWarningSeconds: 3600,
    ...patch,
  };
  const settlement = new Settlement({
    reader: chain,
    sync,
    facts: new LeaseFacts({ reader: chain }),
    sender,
    objects,
    marketplace,
    provider: me,
    policy: () => policy,
    metrics,
  });
  /** The settlement of a new process: it remembers nothing, the chain and objects stay. */
  const restart = () =>
    new Settlement({
      reader: chain,
      sync,
      facts: new LeaseFacts({ reader: chain }),
      sender,
      objects,
      marketplace,
      provider: me,
      policy: () => policy,
    });
  /** Adds a lease on chain and its ComputeLease. */
  const lease = (leaseId: bigint, leasePatch: Partial<ChainLease> = {}) => {
    chain.add(leaseId, leasePatch);
    objects.add(leaseId);
  };
  return { chain, sender, sync, objects, settlement, policy, metrics, lease, restart };
}

const counter = async (metric: { get(): Promise<{ values: { value: number }[] }> }) =>
  (await metric.get()).values.reduce((sum, v) => sum + v.value, 0);

describe('Settlement', () => {
  it('does nothing without leases', async () => {
    const { chain, sender, settlement } = setup();
    await settlement.tick();
    expect(sender.sent).toEqual([]);
    expect(chain.reads).toEqual([]);
  });

  it('closes only the active leases whose escrow is exhausted', async () => {
    const { chain, sender, sync, objects, settlement, metrics, lease } = setup();
    lease(1n, { remaining: 0n, fundedUntil: start - 10 });
    lease(2n, { remaining: 1n, accrued: 0n });
    lease(3n, { remaining: 0n, active: false });
    await settlement.tick();
    expect(sender.methods()).toEqual(['close(1)']);
    expect(sender.sent[0]?.key).toBe('close/1');
    expect(sync.synced).toEqual([1n]);
    expect(chain.onChain.get(1n)?.active).toBe(false);
    expect(await counter(metrics.exhaustedLeasesClosed)).toBe(1);
    expect(await counter(metrics.settlementGasWei)).toBe(21_000);
    // Reported from a read after the close: closed, with the close's payout.
    const last = objects.writes.filter((w) => w.name === 'lease-1').at(-1);
    expect(last?.status).toMatchObject({ amountWithdrawn: '1000', escrowBalance: '0' });
    expect(last?.status.conditions[0]).toMatchObject({ reason: 'LeaseClosed' });
  });

  it('does not close an exhausted lease when closeExhaustedLeases is false, and withdraws it', async () => {
    const { sender, sync, objects, settlement, lease } = setup({ closeExhaustedLeases: false });
    lease(1n, { remaining: 0n, fundedUntil: start - 10 });
    await settlement.tick();
    expect(sender.methods()).toEqual(['withdraw(1)']);
    expect(sync.synced).toEqual([]);
    expect(objects.warnings.map((w) => w.reason)).toEqual(['EscrowExhausted']);
  });

  it('sends no close when the escrow was topped up before the send', async () => {
    const { chain, sender, sync, lease, settlement } = setup();
    lease(1n, { remaining: 0n, accrued: 0n });
    const read = chain.lease.bind(chain);
    // The tenant's top-up lands between the tick's read and the sender's precheck (the one read
    // of a single lease).
    chain.lease = async (leaseId) => {
      chain.set(leaseId, { remaining: 500n });
      return read(leaseId);
    };
    await settlement.tick();
    expect(sender.sent).toEqual([]);
    expect(sender.skipped).toEqual(['close/1']);
    expect(sync.synced).toEqual([]);
  });

  it('withdraws due leases in batches, once per withdrawIntervalSeconds of chain time', async () => {
    const { chain, sender, settlement, metrics, lease } = setup();
    lease(1n);
    lease(2n, { accrued: 99n });
    lease(3n);
    lease(4n);
    await settlement.tick();
    expect(sender.methods()).toEqual(['withdraw(1,3)', 'withdraw(4)']);
    expect(sender.sent[0]?.key).toMatch(/^withdraw\/1,3\//);
    expect(await counter(metrics.withdrawals)).toBe(2);
    expect(await counter(metrics.leasesWithdrawn)).toBe(3);

    for (const id of [1n, 3n, 4n]) chain.set(id, { accrued: 1_000n });
    chain.time = start + 3599;
    await settlement.tick();
    expect(sender.sent).toHaveLength(2);
    chain.time = start + 3600;
    await settlement.tick();
    expect(sender.methods().slice(2)).toEqual(['withdraw(1,3)', 'withdraw(4)']);
  });

  it('withdraws in batches of at most half a block of gas, within the batch size', async () => {
    const { chain, sender, settlement, lease } = setup({ batchSize: 500 });
    for (let id = 1n; id <= 100n; id++) lease(id);
    // Half of 1M gas holds the transaction (50,000) and 34 leases (13,000 each).
    chain.gasLimit = 1_000_000n;
    await settlement.tick();
    expect(sender.sent.map(({ args }) => (args[0] as bigint[]).length)).toEqual([34, 34, 32]);

    for (let id = 1n; id <= 100n; id++) chain.set(id, { accrued: 1_000n });
    chain.gasLimit = 30_000_000n;
    chain.time += 3600;
    await settlement.tick();
    expect(sender.sent.slice(3).map(({ args }) => (args[0] as bigint[]).length)).toEqual([100]);
  });

  it('writes the status only when a field it owns changed', async () => {
    const { chain, objects, settlement, lease } = setup();
    lease(1n, { accrued: 0n });
    await settlement.tick();
    expect(objects.writes.map((w) => w.status)).toEqual([
      {
        pricePerSecond: '10',
        escrowBalance: String(10 * day),
        fundedUntil: '2025-06-16T15:06:40Z',
        amountWithdrawn: '0',
        conditions: [
          {
            type: 'Funded',
            status: 'True',
            reason: 'EscrowCovers',
            message: 'funded until 2025-06-16T15:06:40Z',
            lastTransitionTime: '2025-06-15T15:06:40Z',
          },
        ],
      },
    ]);
    chain.time += 60;
    await settlement.tick();
    expect(objects.writes).toHaveLength(1);
    chain.set(1n, { remaining: 10n * BigInt(day) - 600n });
    await settlement.tick();
    expect(objects.writes).toHaveLength(2);
    expect(objects.writes[1]?.status.escrowBalance).toBe(String(10 * day - 600));
  });

  it('reports what a withdrawal paid in the same tick', async () => {
    const { objects, settlement, lease } = setup();
    lease(1n, { accrued: 700n });
    await settlement.tick();
    expect(objects.writes.map((w) => w.status.amountWithdrawn)).toEqual(['700']);
  });

  it('warns once when the escrow runs low, not on each change after, nor on the close', async () => {
    const { chain, objects, settlement, lease } = setup();
    lease(1n, { accrued: 0n, fundedUntil: start + 7200 });
    await settlement.tick();
    expect(objects.warnings).toEqual([]);
    chain.time = start + 3600;
    await settlement.tick();
    expect(objects.warnings).toEqual([
      {
        name: 'lease-1',
        reason: 'EscrowLow',
        note: expect.stringContaining('supercloud lease top-up 1'),
      },
    ]);
    chain.time = start + 5400;
    chain.set(1n, { remaining: 18_000n });
    await settlement.tick();
    expect(objects.writes).toHaveLength(3);
    expect(objects.warnings).toHaveLength(1);
    chain.time = start + 7200;
    chain.set(1n, { remaining: 0n });
    await settlement.tick();
    expect(objects.warnings.map((w) => w.reason)).toEqual(['EscrowLow']);
    expect(chain.onChain.get(1n)?.active).toBe(false);
  });

  it('warns EscrowExhausted for an exhausted lease it does not close', async () => {
    const { chain, objects, settlement, lease } = setup({ closeExhaustedLeases: false });
    lease(1n, { accrued: 0n });
    await settlement.tick();
    chain.set(1n, { remaining: 0n });
    await settlement.tick();
    await settlement.tick();
    expect(objects.warnings.map((w) => w.reason)).toEqual(['EscrowExhausted']);
  });

  it('reports a lease one last time after it closes, then leaves it', async () => {
    const { chain, objects, settlement, lease } = setup();
    lease(1n, { accrued: 0n });
    lease(2n, { accrued: 0n });
    await settlement.tick();
    chain.set(1n, { active: false, closedAt: start });
    chain.reads.length = 0;
    await settlement.tick();
    expect(chain.reads).toContain(1n);
    const closed = objects.writes.filter((w) => w.name === 'lease-1');
    expect(closed).toHaveLength(2);
    expect(closed[1]?.status).toMatchObject({ escrowBalance: '0' });
    expect(closed[1]?.status.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'LeaseClosed',
    });
    chain.reads.length = 0;
    await settlement.tick();
    expect(chain.reads).toEqual([2n]);
  });

  it('reports what the close paid, whoever closed the lease', async () => {
    const { chain, objects, settlement, lease } = setup();
    lease(1n, { accrued: 0n });
    await settlement.tick();
    expect(objects.writes.at(-1)?.status.amountWithdrawn).toBe('0');
    chain.set(1n, { active: false, closedAt: start });
    chain.pay(1n, 4_000n); // the tenant's close paid the provider what had accrued
    await settlement.tick();
    expect(objects.writes.at(-1)?.status).toMatchObject({ amountWithdrawn: '4000' });
  });

  it('gives a lease that closed while the operator was down its last report', async () => {
    const { chain, objects, settlement, lease, restart } = setup();
    lease(1n, { accrued: 0n });
    await settlement.tick();
    chain.set(1n, { active: false, closedAt: start + 60 });
    chain.pay(1n, 600n);
    const after = restart();
    chain.reads.length = 0;
    await after.tick();
    expect(chain.reads).toEqual([1n]);
    expect(objects.writes.at(-1)?.status).toMatchObject({ amountWithdrawn: '600' });
    expect(objects.writes.at(-1)?.status.conditions[0]).toMatchObject({ reason: 'LeaseClosed' });
    chain.reads.length = 0;
    await after.tick();
    expect(chain.reads).toEqual([]);
  });

  it('reads nothing more of a lease without a ComputeLease', async () => {
    const { chain, objects, settlement } = setup();
    chain.add(1n, { accrued: 0n });
    await settlement.tick();
    expect(objects.writes).toEqual([]);
    expect(chain.calls.paidOutByLease).toBe(0);
  });

  it('reads a round of many leases in batches, and payments only once one was made', async () => {
    const { chain, sender, settlement, lease } = setup({ batchSize: 500 });
    const ids = Array.from({ length: 1_200 }, (_, i) => BigInt(i + 1));
    for (const id of ids) lease(id, { accrued: 0n });
    await settlement.tick();
    // One batch read of every lease; the head, then every payment so far in one look-up.
    expect(chain.calls).toEqual({ lease: 0, leases: 1, paidOutByLease: 1, latestBlock: 2 });

    chain.time += 60;
    await settlement.tick();
    // Nothing paid since: no payment look-up.
    expect(chain.calls).toEqual({ lease: 0, leases: 2, paidOutByLease: 1, latestBlock: 3 });

    for (const id of ids) chain.set(id, { accrued: 1_000n });
    chain.time += 3600;
    await settlement.tick();
    expect(sender.methods()).toHaveLength(3);
    // The paid leases read again in one batch, and their payments in one look-up.
    expect(chain.calls).toEqual({ lease: 0, leases: 4, paidOutByLease: 2, latestBlock: 5 });
  });

  it('gives a hand-applied lease it reported a last report once it closes', async () => {
    const { chain, objects, settlement, restart } = setup();
    chain.add(1n, { accrued: 0n });
    objects.add(1n, true);
    objects.add(2n, true); // applied by hand for no lease on chain: never written to
    chain.add(2n, { accrued: 0n, active: false, exists: false });
    await settlement.tick();
    chain.set(1n, { active: false, closedAt: start });
    await restart().tick();
    expect(objects.writes.map((w) => w.name)).toEqual(['lease-1', 'lease-1']);
    expect(objects.writes[1]?.status.conditions[0]).toMatchObject({ reason: 'LeaseClosed' });
  });
});
