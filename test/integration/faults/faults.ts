// The faults the suite injects, each returning when the fault is over (the moment its
// convergence is measured from):
// - operator-kill: kill -9 of the leading replica (restarted at once); over when a replica leads
//   again;
// - apiserver: the stack's kube-apiserver stopped (SIGSTOP, or stopped and started again by
//   kwokctl) for a while; over when it serves again (and every control-plane component runs);
// - rpc: the operators' TCP proxy to anvil cut for a while; over when it accepts again;
// - reorg-shallow / reorg-deep: anvil_reorg right after an operator transaction was mined,
//   dropping the blocks from that transaction's on (and every transaction in them), either within
//   the Provider's confirmations (the follower never read them) or deeper (it had);
// - reorg-close: as reorg-deep, after the operator's close of an exhausted lease, which the lease
//   sync has acted on (the workload torn down): the new fork has the lease active again;
// - settlement-kill: the leader killed in the middle of a settlement round, while its withdraw
//   transaction is pending (automine off until the kill; the transaction is mined after).
import { adminKubeConfig } from '../../harness/stack.js';
import {
  componentPid,
  exitedComponents,
  guardControlPlane,
  startExitedComponents,
  stopComponent,
} from '../../stack/kwok.js';
import { isApiServerReady } from '../../stack/kube.js';
import { isAlive, sleep, waitFor } from '../../stack/process.js';
import { counterTotal } from '../../harness/test-run-operator.js';
import type { TestChain } from '../../harness/test-chain.js';
import type { TcpProxy } from '../../harness/tcp-proxy.js';
import type { BlockProducer } from './chain.js';
import type { Random } from './prng.js';
import type { Replicas } from './replicas.js';

export const faultKinds = [
  'operator-kill',
  'apiserver',
  'rpc',
  'reorg-shallow',
  'reorg-deep',
  'reorg-close',
  'settlement-kill',
] as const;
export type FaultKind = (typeof faultKinds)[number];

export function isFaultKind(value: string): value is FaultKind {
  return (faultKinds as readonly string[]).includes(value);
}

export interface FaultContext {
  readonly chain: TestChain;
  readonly proxy: TcpProxy;
  readonly replicas: Replicas;
  readonly producer: BlockProducer;
  readonly confirmations: number;
  /** Chain seconds between withdrawals (the Provider's settlement policy). */
  readonly withdrawIntervalSeconds: number;
  readonly apiServerMs: number;
  readonly apiServerMode: 'freeze' | 'restart' | 'random';
  readonly rpcMs: number;
  readonly random: Random;
  readonly log: (message: string) => void;
  /**
   * Called when the disruption itself starts (after waiting for its moment, e.g. an operator
   * transaction to reorganize away): from there on the fault is active.
   */
  readonly begin: () => void;
}

export interface FaultOutcome {
  /** What exactly was done (which replica, how deep, ...). */
  readonly detail: string;
  /** When the fault ended (ms since the epoch). */
  readonly endedAt: number;
}

/** Injects one fault; resolves when it is over. */
export async function inject(kind: FaultKind, context: FaultContext): Promise<FaultOutcome> {
  switch (kind) {
    case 'operator-kill':
      return operatorKill(context);
    case 'apiserver':
      return apiServerOutage(context);
    case 'rpc':
      return rpcOutage(context);
    case 'reorg-shallow':
      return reorg(context, 'shallow');
    case 'reorg-deep':
      return reorg(context, 'deep');
    case 'reorg-close':
      return reorg(context, 'deep', 'close');
    case 'settlement-kill':
      return settlementKill(context);
  }
}

/** Timeout of a takeover: the lease (15 s) expires, a replica acquires it and starts its controllers. */
const takeoverMs = 120_000;

async function operatorKill({ replicas, begin }: FaultContext): Promise<FaultOutcome> {
  const slot = await replicas.waitForLeader(takeoverMs);
  begin();
  const killedAt = Date.now();
  await replicas.kill(slot);
  const next = await replicas.waitForLeader(takeoverMs);
  return {
    detail: `kill -9 of the leader (replica ${slot}); replica ${next} led ${seconds(Date.now() - killedAt)} later`,
    endedAt: Date.now(),
  };
}

// ---- the API server ----

/** The API server's pid while this process holds it stopped (SIGSTOP), for a SIGCONT at exit. */
let frozenPid: number | undefined;
const thawOnExit = (): void => thaw();
process.on('exit', thawOnExit);

/** Lets a SIGSTOPped API server run again (idempotent; also run at exit). */
export function thaw(): void {
  if (frozenPid === undefined) return;
  try {
    process.kill(frozenPid, 'SIGCONT');
  } catch {
    // gone
  }
  frozenPid = undefined;
}

/** Every control-plane component running and the API server ready (kwokctl restarts what died). */
export async function ensureControlPlane(log: (message: string) => void): Promise<void> {
  const dead = exitedComponents();
  if (dead.length > 0) {
    log(`control-plane components not running: ${dead.join(', ')}; starting them (kwokctl)`);
    await startExitedComponents();
  }
  await waitFor('the API server ready', () => isApiServerReady(adminKubeConfig()), 180_000, 250);
}

/** The guard of the last API server outage. */
let guarding: Promise<void> = Promise.resolve();

/** Resolves when no control-plane guard runs any more. */
export function controlPlaneGuarded(): Promise<void> {
  return guarding;
}

async function apiServerOutage(context: FaultContext): Promise<FaultOutcome> {
  const { apiServerMs, random, log, begin } = context;
  const mode =
    context.apiServerMode === 'random'
      ? random.pick(['freeze', 'restart'] as const)
      : context.apiServerMode;
  const pid = componentPid('kube-apiserver');
  if (pid === undefined || !isAlive(pid))
    throw new Error('the stack has no kube-apiserver running');
  begin();
  const started = Date.now();
  if (mode === 'freeze') {
    // Interrupted meanwhile (Ctrl-C), the shared API server must not stay stopped.
    const interrupted = (signal: NodeJS.Signals): void => {
      thaw();
      process.kill(process.pid, signal);
    };
    process.once('SIGINT', interrupted);
    process.once('SIGTERM', interrupted);
    frozenPid = pid;
    process.kill(pid, 'SIGSTOP');
    try {
      await sleep(apiServerMs);
    } finally {
      thaw();
      process.removeListener('SIGINT', interrupted);
      process.removeListener('SIGTERM', interrupted);
    }
  } else {
    await stopComponent('kube-apiserver');
    try {
      await sleep(Math.max(0, apiServerMs - (Date.now() - started)));
    } finally {
      await startExitedComponents();
    }
  }
  const stoppedFor = Date.now() - started;
  await ensureControlPlane(log);
  guarding = guardControlPlane(30_000, log);
  return {
    detail: `kube-apiserver ${mode === 'freeze' ? 'SIGSTOPped' : 'stopped and started by kwokctl'} for ${seconds(stoppedFor)}; serving again ${seconds(Date.now() - started - stoppedFor)} later`,
    endedAt: Date.now(),
  };
}

// ---- the RPC ----

async function rpcOutage({ proxy, rpcMs, begin }: FaultContext): Promise<FaultOutcome> {
  begin();
  await proxy.down();
  try {
    await sleep(rpcMs);
  } finally {
    await proxy.up();
  }
  return { detail: `RPC proxy down for ${seconds(rpcMs)}`, endedAt: Date.now() };
}

// ---- reorgs ----

interface MinedLine {
  readonly block: number;
  readonly method: string;
}

/** Marks the end of every replica's log so far; `since` then finds what came after. */
function logMarks(replicas: Replicas): Map<object, number> {
  return new Map(replicas.all.map((replica) => [replica.lines, replica.lines.length]));
}

/** The first line after the marks matching `match`, in any replica's log. */
function lineSince(
  replicas: Replicas,
  marks: Map<object, number>,
  match: (line: Record<string, unknown>) => boolean,
): Record<string, unknown> | undefined {
  for (const replica of replicas.all) {
    const from = marks.get(replica.lines) ?? 0;
    const found = replica.lines.slice(from).find(match);
    if (found) return found;
  }
  return undefined;
}

async function nextMinedTransaction(
  replicas: Replicas,
  timeoutMs: number,
): Promise<MinedLine | undefined> {
  const marks = logMarks(replicas);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = lineSince(
      replicas,
      marks,
      (l) => l.message === 'transaction mined' && typeof l.block === 'number',
    );
    if (line) return { block: line.block as number, method: String(line.method) };
    await sleep(20);
  }
  return undefined;
}

/** The last block the leading replica's follower delivered (its /metrics). */
async function followerBlock(replicas: Replicas): Promise<number> {
  const [slot] = await replicas.leaders();
  if (slot === undefined) return 0;
  const text = await replicas.slots[slot]!.metrics().catch(() => '');
  return counterTotal(text, 'supercloud_follower_checkpoint_block');
}

/** A reorg after the next operator transaction mined (of `method` only, when given). */
async function reorg(
  context: FaultContext,
  depthKind: 'shallow' | 'deep',
  method?: string,
): Promise<FaultOutcome> {
  const { chain, producer, confirmations, random, replicas, begin } = context;
  // An operator's close waits for a lease to run out of escrow: give it longer.
  const allowedMs = method ? 600_000 : 120_000;
  const deadline = Date.now() + allowedMs;
  while (Date.now() < deadline) {
    const mined = await nextMinedTransaction(replicas, 30_000);
    if (!mined || (method && mined.method !== method)) continue;
    if (depthKind === 'deep') {
      // Deeper than the confirmations: the follower has read the transaction's block.
      const delivered = await waitFor(
        `the follower past block ${mined.block}`,
        async () => (await followerBlock(replicas)) >= mined.block,
        60_000,
        100,
      ).then(
        () => true,
        () => false,
      );
      if (!delivered) continue;
    }
    const done = await producer.hold(async () => {
      const head = await chain.provider.getBlockNumber();
      const needed = head - mined.block + 1;
      let depth: number;
      if (depthKind === 'shallow') {
        if (needed > confirmations - 1) return undefined; // too late for this one
        depth = random.int(needed, confirmations - 1);
      } else {
        if (needed <= confirmations || needed > confirmations + 12) return undefined;
        depth = needed + random.int(0, 2);
      }
      const dropped = await transactionsIn(chain, head - depth + 1, head);
      begin();
      await chain.rpc('anvil_reorg', [depth, []]);
      return `anvil_reorg of ${depth} blocks (confirmations ${confirmations}) from block ${head - depth + 1}, after the operator's ${mined.method} in block ${mined.block}; ${dropped} transactions dropped`;
    });
    if (done) return { detail: done, endedAt: Date.now() };
  }
  throw new Error(
    `no operator ${method ?? 'any'} transaction to reorganize away (${depthKind}) within ${allowedMs / 1000} s`,
  );
}

async function transactionsIn(chain: TestChain, from: number, to: number): Promise<number> {
  let count = 0;
  for (let block = from; block <= to; block++) {
    count += (await chain.provider.getBlock(block))?.transactions.length ?? 0;
  }
  return count;
}

// ---- the leader in the middle of a settlement round ----

async function settlementKill(context: FaultContext): Promise<FaultOutcome> {
  const { chain, producer, replicas, withdrawIntervalSeconds, begin } = context;
  const slot = await replicas.waitForLeader(takeoverMs);
  let killedAt = 0;
  const what = await producer.hold(async () => {
    begin();
    const marks = logMarks(replicas);
    await chain.rpc('evm_setAutomine', [false]);
    try {
      // A withdrawal is due at the next settlement tick; its transaction stays pending.
      await chain.rpc('evm_increaseTime', [withdrawIntervalSeconds + 1]);
      await chain.rpc('evm_mine', []);
      const deadline = Date.now() + 30_000;
      let flushed = marks;
      while (Date.now() < deadline) {
        const withdraw = lineSince(
          replicas,
          marks,
          (l) => l.message === 'transaction sent' && l.method === 'withdraw',
        );
        if (withdraw) {
          killedAt = Date.now();
          await replicas.kill(slot);
          return `withdraw ${String(withdraw.txHash)} pending`;
        }
        // Another transaction of the leader queued ahead of the withdrawal: let it be mined.
        if (lineSince(replicas, flushed, (l) => l.message === 'transaction sent')) {
          flushed = logMarks(replicas);
          await chain.rpc('evm_mine', []);
        }
        await sleep(20);
      }
      killedAt = Date.now();
      await replicas.kill(slot);
      return 'no withdrawal sent within 30 s of the round (killed anyway)';
    } finally {
      // The dead leader's transaction is mined after its death, as a pending one would be.
      await chain.rpc('evm_setAutomine', [true]);
      await chain.rpc('evm_mine', []);
    }
  });
  const next = await replicas.waitForLeader(takeoverMs);
  return {
    detail: `kill -9 of the leader (replica ${slot}) in a settlement round: ${what}; replica ${next} led ${seconds(Date.now() - killedAt)} later`,
    endedAt: Date.now(),
  };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
