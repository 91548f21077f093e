// The event follower through an RPC that limits like the hosted ones do (test/harness/
// rpc-limit-proxy.ts): eth_getLogs refused over a block range or a result count, HTTP 429 above a
// request rate, each in the words of Alchemy, Infura, QuickNode, Ankr or a reth node. On a private
// anvil with a busy chain (marketplace and registry events among other contracts'), the follower
// must deliver every event exactly once, in chain order, stay connected, and wait out the rate
// limit as long as it is asked to.
import { rpcChainReader } from '../../../operator/src/chain/chain-reader.js';
import type { ChainEvent } from '../../../operator/src/chain/events.js';
import { EventFollower, MemoryCheckpointStore } from '../../../operator/src/chain/follower.js';
import { RpcPool } from '../../../operator/src/chain/rpc.js';
import { mineLogMix, type LogMix } from '../../harness/log-mix.js';
import {
  rpcServiceStyles,
  startRpcLimitProxy,
  type RpcLimits,
} from '../../harness/rpc-limit-proxy.js';
import { logKeys, startTestChain, type TestChain } from '../../harness/test-chain.js';
import { waitFor } from '../../stack/process.js';

const key = (event: ChainEvent): string =>
  `${event.blockNumber}/${event.blockHash}/${event.logIndex}`;

/** Limits every page of 2,000 blocks (the follower's default) goes over on this chain. */
const maxLogBlocks = 300;
const maxLogResults = 60;

describe('event follower through an RPC that enforces limits', () => {
  let chain: TestChain;
  let mix: LogMix;

  beforeAll(async () => {
    chain = await startTestChain('follower-limits', { longChain: true });
    // About one followed event a block (7 bids, a registry update and now and then an order every
    // 8 blocks): 300 blocks hold ~300, over the result cap.
    mix = await mineLogMix(chain, {
      blocks: 2_400,
      busyEvery: 8,
      bidsPerBlock: 7,
      updateEvery: 1,
      newOrderEvery: 4,
    });
  });

  afterAll(async () => {
    await chain.stop();
  });

  /**
   * Follows the chain through a proxy with `limits` from `from` (a checkpoint) to the end of the
   * mix; returns what was delivered, the connection states reported, and the proxy's figures.
   */
  async function followThrough(limits: RpcLimits, from: number) {
    const proxy = await startRpcLimitProxy(chain.rpcUrl, limits);
    const rpc = new RpcPool({ urls: [proxy.url], chainId: chain.chainId });
    const delivered: ChainEvent[] = [];
    const connected: boolean[] = [];
    const checkpoint = (await chain.provider.getBlock(from))!;
    const follower = new EventFollower({
      reader: rpcChainReader(rpc),
      contracts: chain.contracts,
      startBlock: chain.contracts.deployBlock,
      confirmations: 0,
      checkpoints: new MemoryCheckpointStore({ number: from, hash: checkpoint.hash! }),
      handlers: [(events) => void delivered.push(...events)],
      onStatusChange: (status) => connected.push(status.connected),
      pollIntervalMs: 100,
      backoff: { baseMs: 200, maxMs: 2_000 },
    });
    follower.start();
    try {
      await waitFor(
        `the follower to reach block ${mix.toBlock} through the ${limits.style} proxy`,
        async () => (follower.status().checkpoint?.number ?? -1) >= mix.toBlock,
        180_000,
        50,
      );
    } finally {
      await follower.stop();
      rpc.destroy();
      await proxy.stop();
    }
    const last = follower.status().checkpoint!.number;
    const expected = await logKeys(chain, from + 1, last);
    console.log(
      `[follower-limits] ${limits.style}: ${expected.length} events over ${last - from} blocks; ` +
        `${proxy.stats.calls} calls (${proxy.stats.callsByMethod.eth_getLogs ?? 0} eth_getLogs), ` +
        `${proxy.stats.refusedForBlocks} refused for blocks, ${proxy.stats.refusedForResults} for results, ` +
        `${proxy.stats.rateLimited} answered 429`,
    );
    return { delivered: delivered.map(key), expected, connected, stats: proxy.stats };
  }

  it.each(rpcServiceStyles)(
    '%s: pages within its block and result limits, every event once and in order',
    async (style) => {
      const { delivered, expected, connected, stats } = await followThrough(
        { style, maxLogBlocks, maxLogResults },
        chain.contracts.deployBlock - 1,
      );

      expect(expected.length).toBeGreaterThan(1_500);
      expect(delivered).toEqual(expected);
      expect(connected).toEqual([true]);
      // The limits were met, not avoided by luck.
      expect(stats.refusedForResults).toBeGreaterThan(0);
      if (style === 'alchemy') return; // over both limits only: few blocks are refused for blocks
      expect(stats.refusedForBlocks).toBeGreaterThan(0);
      expect(stats.largestLogRange).toBeLessThanOrEqual(maxLogBlocks);
      // A block limit the answer names costs one refusal; Ankr's, unnamed, a few more.
      expect(stats.refusedForBlocks).toBeLessThanOrEqual(style === 'ankr' ? 6 : 1);
    },
  );

  it.each(rpcServiceStyles)(
    '%s: waits out HTTP 429s (as long as asked, when it is), stays connected, misses nothing',
    async (style) => {
      // A call a second, two at most at once (the follower's largest batch: the check opening a
      // span and its first page): it asks faster than that from its first round. QuickNode- and
      // Infura-like answers say to wait a second.
      const hinted = style === 'quicknode' || style === 'infura';
      const { delivered, expected, connected, stats } = await followThrough(
        {
          style,
          maxLogBlocks,
          requestsPerSecond: 1,
          burst: 2,
          ...(hinted ? { retryAfterSeconds: 1 } : {}),
        },
        mix.toBlock - 600,
      );

      expect(delivered).toEqual(expected);
      expect(connected).toEqual([true]);
      expect(stats.rateLimited).toBeGreaterThan(0);
      if (hinted) {
        // Timers may fire a little early; nothing came back much sooner than asked.
        expect(Math.min(...stats.waitsAfterRateLimit)).toBeGreaterThanOrEqual(950);
      }
    },
  );
});
