// Two replicas of the operator for the fault suite, each a local process started by the market
// suites' launcher (startChainOperator: the real entry point, as the chart's ServiceAccount,
// leader-elected on the run's own Lease, its own health port). A killed replica is started again
// at once, as a kubelet restarts a container; every process's log is kept for the report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OperatorProcess } from '../../harness/operator.js';
import { stackDir } from '../../stack/paths.js';
import { sleep } from '../../stack/process.js';
import { counterTotal } from '../../harness/test-run-operator.js';
import { startChainOperator } from '../../harness/market-fixtures.js';

export class Replicas {
  /** The running replicas, by slot. */
  readonly slots: OperatorProcess[] = [];
  /** Every process started, the killed ones too (for their logs). */
  readonly all: OperatorProcess[] = [];

  constructor(
    private readonly run: string,
    count = 2,
  ) {
    for (let slot = 0; slot < count; slot++) this.slots.push(this.launch());
  }

  private launch(): OperatorProcess {
    const replica = startChainOperator(this.run);
    this.all.push(replica);
    return replica;
  }

  /** True when the replica reports holding the leader lease on its /metrics. */
  async isLeader(replica: OperatorProcess): Promise<boolean> {
    if (replica.child.exitCode !== null || replica.child.signalCode !== null) return false;
    const url = replica.lines.find((line) => typeof line.url === 'string')?.url;
    if (typeof url !== 'string') return false;
    try {
      const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2_000) });
      return counterTotal(await response.text(), 'leader_election_master_status') >= 1;
    } catch {
      return false;
    }
  }

  /** The slots whose replica says it leads, now. */
  async leaders(): Promise<number[]> {
    const leading = await Promise.all(this.slots.map((replica) => this.isLeader(replica)));
    return leading.flatMap((yes, slot) => (yes ? [slot] : []));
  }

  /** Waits until a replica leads and its ComputeLease controller runs; returns its slot. */
  async waitForLeader(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [slot] = await this.leaders();
      if (slot !== undefined) return slot;
      if (Date.now() > deadline) {
        throw new Error(`no replica became leader within ${timeoutMs / 1000} s`);
      }
      await sleep(200);
    }
  }

  /** kill -9 of the replica in `slot`, and a new process in its place at once. */
  async kill(slot: number): Promise<OperatorProcess> {
    const victim = this.slots[slot]!;
    victim.child.kill('SIGKILL');
    await victim.exited;
    const replacement = this.launch();
    this.slots[slot] = replacement;
    return replacement;
  }

  /** Stops every replica (SIGTERM) and writes each process's log to .stack/logs. */
  async stop(): Promise<string[]> {
    await Promise.all(this.slots.map((replica) => replica.stop()));
    const dir = join(stackDir, 'logs');
    mkdirSync(dir, { recursive: true });
    return this.all.map((replica, i) => {
      const file = join(dir, `faults-${this.run}-operator-${i}.log`);
      writeFileSync(file, replica.lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
      return file;
    });
  }
}
