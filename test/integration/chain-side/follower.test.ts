// The event follower against a private anvil: every event across pages, reorgs below and above
// the confirmation depth (anvil_reorg), an RPC outage followed by catch-up, fallback between RPC
// URLs, and newHeads wake-ups over WebSocket.
import type { Wallet } from 'ethers';
import { Registry } from 'prom-client';
import { rpcChainReader } from '../../../operator/src/chain/chain-reader.js';
import type { ChainEvent } from '../../../operator/src/chain/events.js';
import {
  EventFollower,
  MemoryCheckpointStore,
  type EventFollowerOptions,
  type ReorgNotice,
} from '../../../operator/src/chain/follower.js';
import { chainMetrics } from '../../../operator/src/chain/metrics.js';
import { RpcPool } from '../../../operator/src/chain/rpc.js';
import { FakeClock } from '../../../operator/src/kube/testing/fake-clock.js';
import { waitFor } from '../../stack/process.js';
import {
  createOrder,
  emitRegistryEvents,
  freePort,
  logKeys,
  registerProvider,
  signedRegistryUpdate,
  startTestChain,
  tenantWallet,
  type TestChain,
} from '../../harness/test-chain.js';
import { startTcpProxy, type TcpProxy } from '../../harness/tcp-proxy.js';

const key = (event: ChainEvent): string =>
  `${event.blockNumber}/${event.blockHash}/${event.logIndex}`;

describe('event follower', () => {
  let chain: TestChain;
  let gpuProvider: Wallet;
  const running: { follower: EventFollower; rpc: RpcPool }[] = [];

  /** A follower over `urls` that records what it delivers; started, and stopped after the test. */
  function follow(
    urls: readonly string[],
    options: Partial<EventFollowerOptions> = {},
  ): {
    follower: EventFollower;
    delivered: ChainEvent[];
    reorgs: ReorgNotice[];
    store: MemoryCheckpointStore;
    rpc: RpcPool;
    /** Resolves once the follower has finished `rounds` whole rounds that began after the call. */
    roundsLater: (rounds: number) => Promise<void>;
  } {
    const rpc = new RpcPool({ urls, chainId: chain.chainId, requestTimeoutMs: 2_000 });
    const delivered: ChainEvent[] = [];
    const reorgs: ReorgNotice[] = [];
    const store = new MemoryCheckpointStore();
    // Each round starts by reading the head: the count of those reads is the follower's progress.
    const reader = rpcChainReader(rpc);
    let headReads = 0;
    const follower = new EventFollower({
      reader: {
        ...reader,
        headNumber: () => {
          headReads += 1;
          return reader.headNumber();
        },
      },
      contracts: chain.contracts,
      startBlock: chain.contracts.deployBlock,
      confirmations: 0,
      checkpoints: store,
      handlers: [(events) => void delivered.push(...events)],
      onReorg: (reorg) => void reorgs.push(reorg),
      pollIntervalMs: 100,
      backoff: { baseMs: 100, maxMs: 1_000 },
      checkpointIntervalMs: 0,
      ...options,
    });
    follower.start();
    running.push({ follower, rpc });
    // The round under way may have read the head before the call: it does not count. Round n
    // after it has finished once round n + 1 reads the head.
    const roundsLater = async (rounds: number): Promise<void> => {
      const target = headReads + rounds + 1;
      await waitFor(`${rounds} more follower rounds`, async () => headReads >= target, 30_000, 20);
    };
    return { follower, delivered, reorgs, store, rpc, roundsLater };
  }

  /** Waits until the follower delivered everything up to `head − confirmations`. */
  async function caughtUp(follower: EventFollower, confirmations = 0): Promise<number> {
    const target = (await chain.provider.getBlockNumber()) - confirmations;
    await waitFor(
      `the follower to reach block ${target}`,
      async () => (follower.status().checkpoint?.number ?? -1) >= target,
      60_000,
      50,
    );
    return target;
  }

  beforeAll(async () => {
    chain = await startTestChain('follower');
    gpuProvider = await chain.freshWallet();
    await registerProvider(chain, gpuProvider);
  });

  afterEach(async () => {
    for (const { follower, rpc } of running.splice(0)) {
      await follower.stop();
      rpc.destroy();
    }
  });

  afterAll(async () => {
    await chain.stop();
  });

  it('delivers every event of both contracts across pages, once and in order', async () => {
    const tenant = tenantWallet(chain);
    for (let i = 0; i < 3; i++) await createOrder(chain, tenant, 1_000n);
    await emitRegistryEvents(chain, gpuProvider, 40, 3);
    const { follower, delivered, store } = follow([chain.rpcUrl], { pageSize: 16 });

    const last = await caughtUp(follower);

    const expected = await logKeys(chain, chain.contracts.deployBlock, last);
    // The registry's deployment and registration, 3 orders, 40 updates.
    expect(expected).toHaveLength(45);
    expect(delivered.map(key)).toEqual(expected);
    expect(new Set(delivered.map((event) => event.name))).toEqual(
      new Set(['OwnershipTransferred', 'ProviderRegistered', 'OrderCreated', 'ProviderUpdated']),
    );
    const order = delivered.find((event) => event.name === 'OrderCreated');
    expect(order?.name === 'OrderCreated' && order.args.resources.gpuCount).toBe(1n);
    expect(store.checkpoint?.number).toBeGreaterThanOrEqual(last);
  });

  it('changes nothing delivered for a reorg within the confirmations', async () => {
    const confirmations = 4;
    const other = await chain.freshWallet();
    await registerProvider(chain, other);
    const { follower, delivered, reorgs, roundsLater } = follow([chain.rpcUrl], { confirmations });
    await emitRegistryEvents(chain, gpuProvider, 8);
    await caughtUp(follower, confirmations);
    // The round that caught up has delivered all it will.
    await roundsLater(1);
    const before = delivered.map(key);

    // Replace the last 3 blocks (unconfirmed) with blocks carrying another wallet's event.
    const head = await chain.provider.getBlockNumber();
    const replaced = await signedRegistryUpdate(chain, other, 1, 'reorg-below');
    await chain.rpc('anvil_reorg', [3, [[replaced, 0]]]);
    expect(await chain.provider.getBlockNumber()).toBe(head);
    // Rounds that read the new fork: a follower ignoring the confirmations would have rewound.
    await roundsLater(2);

    expect(reorgs).toEqual([]);
    expect(delivered.map(key)).toEqual(before);

    // Once confirmed, the blocks of the new fork are delivered as they are now.
    await chain.mine(confirmations);
    const last = await caughtUp(follower, confirmations);
    const canonical = await logKeys(chain, chain.contracts.deployBlock, last);
    expect(delivered.map(key)).toEqual(canonical);
  });

  it('notices a reorg deeper than the confirmations, rewinds and delivers the new fork', async () => {
    const confirmations = 1;
    const other = await chain.freshWallet();
    await registerProvider(chain, other);
    const delivered: ChainEvent[] = [];
    const reorgs: (ReorgNotice & { deliveredBefore: number })[] = [];
    const { follower } = follow([chain.rpcUrl], {
      confirmations,
      handlers: [(events) => void delivered.push(...events)],
      onReorg: (reorg) => void reorgs.push({ ...reorg, deliveredBefore: delivered.length }),
    });
    await emitRegistryEvents(chain, gpuProvider, 10);
    const reached = await caughtUp(follower, confirmations);
    const orphanedKeys = new Set(
      delivered.filter((event) => event.blockNumber > reached - 5).map(key),
    );
    expect(orphanedKeys.size).toBeGreaterThan(0);

    // Replace the last 6 blocks (5 of them delivered) with 2 events of another provider.
    const head = await chain.provider.getBlockNumber();
    await chain.rpc('anvil_reorg', [
      6,
      [
        [await signedRegistryUpdate(chain, other, 1, 'fork-a'), 1],
        [await signedRegistryUpdate(chain, other, 2, 'fork-b'), 3],
      ],
    ]);
    expect(await chain.provider.getBlockNumber()).toBe(head);

    await waitFor('the reorg to be noticed', async () => reorgs.length === 1, 10_000, 50);
    const last = await caughtUp(follower, confirmations);
    const [reorg] = reorgs;
    expect(reorg?.ancestorFound).toBe(true);
    expect(reorg?.ancestor.number).toBe(head - 6);
    expect(reorg?.ancestor.hash).toBe((await chain.provider.getBlock(head - 6))?.hash);

    // What is delivered after the reorg is the new fork above the ancestor, orphans excluded.
    const redelivered = delivered.slice(reorg!.deliveredBefore).map(key);
    const fork = await logKeys(chain, reorg!.ancestor.number + 1, last);
    expect(fork).toHaveLength(2);
    expect(redelivered).toEqual(fork);
    expect(redelivered.some((k) => orphanedKeys.has(k))).toBe(false);
  });

  it('reports the outage of its RPC, then catches up over 1,000 blocks', async () => {
    const proxy: TcpProxy = await startTcpProxy(chain.port);
    const registry = new Registry();
    const metrics = chainMetrics(registry);
    const { follower, delivered } = follow([proxy.url], { metrics, pageSize: 500 });
    await caughtUp(follower);
    expect(follower.status().connected).toBe(true);

    const outageStarted = Date.now();
    await proxy.down();
    await emitRegistryEvents(chain, gpuProvider, 100, 10);
    await waitFor('the follower to notice', async () => !follower.status().connected, 10_000, 50);
    expect(follower.status().lastError).toMatch(/no RPC endpoint answered/);
    expect(
      (await registry.getSingleMetricAsString('supercloud_follower_connected')).trim(),
    ).toMatch(/ 0$/);
    // The fault injected, not a wait for something to happen: the outage lasts at least this long
    // (longer if mining the 1,000 blocks takes longer).
    const outageMs = 30_000;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, outageMs - (Date.now() - outageStarted))),
    );

    const back = Date.now();
    await proxy.up();
    const last = await caughtUp(follower);
    const catchUpMs = Date.now() - back;
    const outageSeconds = ((back - outageStarted) / 1000).toFixed(1);
    expect(follower.status().connected).toBe(true);
    expect(delivered.map(key)).toEqual(await logKeys(chain, chain.contracts.deployBlock, last));
    console.log(
      `[follower] caught up over 1,000 blocks (100 events) ${catchUpMs} ms after a ${outageSeconds} s outage`,
    );
    await proxy.down();
  });

  it('falls back to the next RPC URL when the first is unreachable', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const { follower, delivered, rpc } = follow([dead, chain.rpcUrl]);
    const last = await caughtUp(follower);
    expect(rpc.url).toBe(chain.rpcUrl);
    expect(follower.status().connected).toBe(true);
    expect(delivered.map(key)).toEqual(await logKeys(chain, chain.contracts.deployBlock, last));
  });

  it('wakes up on new blocks announced over WebSocket instead of waiting for its poll', async () => {
    // A clock that never moves: the follower's pause between polls never ends on its own.
    const clock = new FakeClock();
    const { follower, delivered } = follow([chain.rpcUrl], {
      newHeadsUrls: [chain.wsUrl],
      clock,
    });
    await waitFor('the subscription', async () => follower.status().subscribed, 10_000, 50);
    await caughtUp(follower);
    await waitFor('the follower to pause', async () => clock.pendingTimers > 0, 10_000, 20);
    const count = delivered.length;

    // Only the announced head can end the pause.
    await emitRegistryEvents(chain, gpuProvider, 1);
    await waitFor('the event', async () => delivered.length === count + 1, 30_000, 20);
  });
});
