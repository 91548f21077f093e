// Chain follower catch-up: a private anvil with a busy chain (by default 100,000 blocks, every 20th
// carrying providers' bids, now and then an order or a registry update, among other contracts'
// events: test/harness/log-mix.ts), then an event follower resuming from a checkpoint at its
// start, timed until it delivered everything up to the head: straight to anvil, through a proxy
// with no limits (what a proxy costs), and through a proxy that limits like a hosted RPC
// (test/harness/rpc-limit-proxy.ts). Then what a round costs once caught up.
//
// Knobs: SUPERCLOUD_BENCH_FOLLOWER_BLOCKS (100000), SUPERCLOUD_BENCH_FOLLOWER_BUSY_EVERY (20),
// SUPERCLOUD_BENCH_FOLLOWER_PROXY_STYLE (alchemy, infura, quicknode, ankr, reth; default infura),
// SUPERCLOUD_BENCH_FOLLOWER_PROXY_MAX_BLOCKS (500), SUPERCLOUD_BENCH_FOLLOWER_PROXY_MAX_RESULTS
// (50), SUPERCLOUD_BENCH_FOLLOWER_PROXY_RPS (25 calls a second, a second's worth in a burst).
import type { ChainReader } from '../../operator/src/chain/chain-reader.js';
import { rpcChainReader } from '../../operator/src/chain/chain-reader.js';
import { EventFollower, MemoryCheckpointStore } from '../../operator/src/chain/follower.js';
import { RpcPool } from '../../operator/src/chain/rpc.js';
import { mineLogMix, type LogMix } from '../harness/log-mix.js';
import {
  rpcServiceStyles,
  startRpcLimitProxy,
  type RpcLimits,
  type RpcProxyStats,
  type RpcServiceStyle,
} from '../harness/rpc-limit-proxy.js';
import { startTestChain, type TestChain } from '../harness/test-chain.js';
import type { Figure, Section } from './report.js';
import { seconds } from './report.js';

/** A whole number ≥ 1 from the environment; a clear error for anything else. */
function knob(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`${name} must be a whole number ≥ 1, not "${text}"`);
  }
  return value;
}

function proxyStyle(): RpcServiceStyle {
  const name = 'SUPERCLOUD_BENCH_FOLLOWER_PROXY_STYLE';
  const text = process.env[name] ?? 'infura';
  const style = rpcServiceStyles.find((known) => known === text);
  if (!style)
    throw new Error(`${name} must be one of ${rpcServiceStyles.join(', ')}, not "${text}"`);
  return style;
}

/** The JSON-RPC calls the follower made, by reader method. */
interface Calls {
  head: number;
  hash: number;
  logs: number;
}

interface CatchUp {
  readonly ms: number;
  readonly blocks: number;
  readonly events: number;
  readonly calls: Calls;
  /** What the proxy saw, when there was one: HTTP 429s, refusals, retries included. */
  readonly proxy?: RpcProxyStats;
  /** RPC calls of rounds once caught up, one entry per round. */
  readonly idleRounds: number[];
}

const total = (calls: Calls): number => calls.head + calls.hash + calls.logs;

/** A reader counting the follower's calls into `calls`. */
function counting(inner: ChainReader, calls: Calls): ChainReader {
  return {
    headNumber: () => (calls.head++, inner.headNumber()),
    blockHash: (n) => (calls.hash++, inner.blockHash(n)),
    logs: (addresses, from, to) => (calls.logs++, inner.logs(addresses, from, to)),
  };
}

/**
 * Follows `chain` from a checkpoint just before `mix` to its head (rounds of syncOnce, as the
 * follower's loop runs them), through `limits` when given.
 */
async function catchUp(chain: TestChain, mix: LogMix, limits?: RpcLimits): Promise<CatchUp> {
  const proxy = limits ? await startRpcLimitProxy(chain.rpcUrl, limits) : undefined;
  const rpc = new RpcPool({ urls: [proxy?.url ?? chain.rpcUrl], chainId: chain.chainId });
  const calls: Calls = { head: 0, hash: 0, logs: 0 };
  const from = mix.fromBlock - 1;
  const checkpoint = (await chain.provider.getBlock(from))!;
  let events = 0;
  const follower = new EventFollower({
    reader: counting(rpcChainReader(rpc), calls),
    contracts: chain.contracts,
    startBlock: chain.contracts.deployBlock,
    confirmations: 0,
    checkpoints: new MemoryCheckpointStore({ number: from, hash: checkpoint.hash! }),
    handlers: [(delivered) => void (events += delivered.length)],
    backoff: { baseMs: 250, maxMs: 5_000 },
  });
  try {
    const started = performance.now();
    while ((follower.status().checkpoint?.number ?? -1) < mix.toBlock) {
      await follower.syncOnce();
    }
    const ms = performance.now() - started;
    const caughtUp = { ...calls };
    const idleRounds: number[] = [];
    for (let round = 0; round < 3; round++) {
      const before = total(calls);
      await follower.syncOnce();
      idleRounds.push(total(calls) - before);
    }
    return {
      ms,
      blocks: mix.toBlock - from,
      events,
      calls: caughtUp,
      ...(proxy ? { proxy: { ...proxy.stats } } : {}),
      idleRounds,
    };
  } finally {
    await follower.stop();
    rpc.destroy();
    await proxy?.stop();
  }
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

function figures(label: string, result: CatchUp, target?: string): Figure[] {
  const rate = (result.blocks / result.ms) * 1000;
  const calls = total(result.calls);
  const rows: Figure[] = [
    {
      name: `catch-up rate, ${label}`,
      value: `${count(rate)} blocks/s`,
      reference: `${target ? `target ≥ ${target}; ` : ''}${count(result.blocks)} blocks, ${count(result.events)} events in ${seconds(result.ms)}`,
    },
    {
      name: `RPC calls, ${label}`,
      value: `${count(calls)} (${((calls / result.blocks) * 1000).toFixed(1)} per 1,000 blocks)`,
      reference: `${result.calls.logs} eth_getLogs, ${result.calls.hash} block hashes, ${result.calls.head} heads`,
    },
  ];
  const proxy = result.proxy;
  if (proxy) {
    rows.push({
      name: `at the proxy, ${label}`,
      value: `${count(proxy.calls)} calls in ${count(proxy.httpRequests)} HTTP requests`,
      reference: `${proxy.refusedForBlocks} refused for blocks, ${proxy.refusedForResults} for results, ${proxy.rateLimited} answered 429 (ethers' retries and the follower's included)`,
    });
  }
  return rows;
}

export async function followerCatchUp(): Promise<Section> {
  const blocks = knob('SUPERCLOUD_BENCH_FOLLOWER_BLOCKS', 100_000);
  const busyEvery = knob('SUPERCLOUD_BENCH_FOLLOWER_BUSY_EVERY', 20);
  const limits: RpcLimits = {
    style: proxyStyle(),
    maxLogBlocks: knob('SUPERCLOUD_BENCH_FOLLOWER_PROXY_MAX_BLOCKS', 500),
    maxLogResults: knob('SUPERCLOUD_BENCH_FOLLOWER_PROXY_MAX_RESULTS', 50),
    requestsPerSecond: knob('SUPERCLOUD_BENCH_FOLLOWER_PROXY_RPS', 25),
  };
  const chain = await startTestChain('bench-follower', { longChain: true });
  try {
    const mining = performance.now();
    console.error(`[bench] follower: mining ${count(blocks)} blocks, busy every ${busyEvery}…`);
    const mix = await mineLogMix(chain, { blocks, busyEvery });
    const mineMs = performance.now() - mining;
    const [followed, all] = await Promise.all([
      countLogs(chain, mix, [chain.contracts.marketplace, chain.contracts.registry]),
      countLogs(chain, mix),
    ]);
    console.error('[bench] follower: catching up straight from anvil…');
    const direct = await catchUp(chain, mix);
    console.error('[bench] follower: through a proxy without limits…');
    const proxied = await catchUp(chain, mix, { style: limits.style });
    console.error(`[bench] follower: through a proxy limiting like ${limits.style}…`);
    const limited = await catchUp(chain, mix, limits);
    const failures = [direct, proxied, limited]
      .filter((run) => run.events !== followed)
      .map((run) => `the follower delivered ${run.events} events, the chain has ${followed}`);
    return {
      title: 'Chain follower catch-up',
      method:
        `A private anvil with ${count(mix.toBlock - mix.fromBlock + 1)} blocks (mined in ${seconds(mineMs)}): every ${busyEvery}th carries two providers' bids on open orders, a registry update every 4th time, a new order (with its manifest) every 25th, and other contracts' events (3 calls of a contract emitting 10 events, a token mint); ${count(followed)} followed events among ${count(all)} logs. ` +
        `An event follower resumes from a checkpoint just before those blocks (confirmations 0, default 2,000-block pages, one block hash per span of 8 pages, events decoded and handed to a handler) and is timed until its checkpoint reaches the head: straight to anvil, through a proxy without limits, and through a proxy limiting like ${limits.style} (eth_getLogs over ${count(limits.maxLogBlocks!)} blocks or ${count(limits.maxLogResults!)} results refused, ${limits.requestsPerSecond} calls a second, HTTP 429 above). Same machine, over HTTP.`,
      figures: [
        ...figures('straight to anvil', direct, '10,000 blocks/s'),
        ...figures('through a proxy without limits', proxied),
        ...figures(`through a proxy limiting like ${limits.style}`, limited, '2,000 blocks/s'),
        {
          name: 'RPC calls per round once caught up',
          value: direct.idleRounds.join(', '),
          reference: `eth_blockNumber and the hash of the checkpoint's block: ${count((3_600_000 / 2_000) * (direct.idleRounds[0] ?? 0))} calls an hour at the default 2 s poll, whatever the number of leases (plus about 2 for each new block)`,
        },
      ],
      failures,
    };
  } finally {
    await chain.stop();
  }
}

/** Logs in the mix's blocks (of `addresses`, or all), counted in pages anvil answers quickly. */
async function countLogs(chain: TestChain, mix: LogMix, addresses?: string[]): Promise<number> {
  let logs = 0;
  for (let from = mix.fromBlock; from <= mix.toBlock; from += 5_000) {
    const to = Math.min(mix.toBlock, from + 4_999);
    const page = (await chain.provider.send('eth_getLogs', [
      {
        fromBlock: `0x${from.toString(16)}`,
        toBlock: `0x${to.toString(16)}`,
        ...(addresses ? { address: addresses } : {}),
      },
    ])) as unknown[];
    logs += page.length;
  }
  return logs;
}
