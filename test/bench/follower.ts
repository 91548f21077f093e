// Chain follower catch-up rate: a private anvil with 10,000 blocks carrying events (one
// ProviderUpdated every 10 blocks), then an event follower started from the deploy block with no
// checkpoint, timed until it delivered everything up to the head.
import type { ChainReader } from '../../operator/src/chain/chain-reader.js';
import { rpcChainReader } from '../../operator/src/chain/chain-reader.js';
import { EventFollower, MemoryCheckpointStore } from '../../operator/src/chain/follower.js';
import { RpcPool } from '../../operator/src/chain/rpc.js';
import {
  emitRegistryEvents,
  registerProvider,
  startTestChain,
  type TestChain,
} from '../harness/test-chain.js';
import { waitFor } from '../stack/process.js';
import type { Figure, Section } from './report.js';
import { seconds } from './report.js';

const blocks = 10_000;
const eventEvery = 10;

interface CatchUp {
  readonly ms: number;
  readonly events: number;
  readonly blocks: number;
  readonly getLogsCalls: number;
  readonly rpcCalls: number;
}

/** Follows `chain` from its deploy block to its head with pages of `pageSize` blocks. */
async function catchUp(chain: TestChain, pageSize: number): Promise<CatchUp> {
  const rpc = new RpcPool({ urls: [chain.rpcUrl], chainId: chain.chainId });
  const inner = rpcChainReader(rpc);
  const calls = { logs: 0, all: 0 };
  const reader: ChainReader = {
    headNumber: () => (calls.all++, inner.headNumber()),
    blockHash: (n) => (calls.all++, inner.blockHash(n)),
    logs: (addresses, from, to) => (calls.all++, calls.logs++, inner.logs(addresses, from, to)),
  };
  const head = await chain.provider.getBlockNumber();
  let events = 0;
  const follower = new EventFollower({
    reader,
    contracts: chain.contracts,
    startBlock: chain.contracts.deployBlock,
    confirmations: 0,
    checkpoints: new MemoryCheckpointStore(),
    handlers: [(delivered) => void (events += delivered.length)],
    pageSize,
    pollIntervalMs: 10,
  });
  const started = performance.now();
  follower.start();
  try {
    await waitFor(
      `the follower to reach block ${head}`,
      async () => (follower.status().checkpoint?.number ?? -1) >= head,
      600_000,
      5,
    );
    return {
      ms: performance.now() - started,
      events,
      blocks: head - chain.contracts.deployBlock + 1,
      getLogsCalls: calls.logs,
      rpcCalls: calls.all,
    };
  } finally {
    await follower.stop();
    rpc.destroy();
  }
}

function figures(label: string, result: CatchUp): Figure[] {
  const rate = (result.blocks / result.ms) * 1000;
  return [
    {
      name: `catch-up rate, pages of ${label}`,
      value: `${Math.round(rate).toLocaleString('en-US')} blocks/s`,
      reference: `${result.blocks.toLocaleString('en-US')} blocks, ${result.events.toLocaleString('en-US')} events in ${seconds(result.ms)}`,
    },
    {
      name: `RPC calls, pages of ${label}`,
      value: `${result.rpcCalls} (${result.getLogsCalls} eth_getLogs)`,
    },
  ];
}

export async function followerCatchUp(): Promise<Section> {
  const chain = await startTestChain('bench-follower');
  try {
    const provider = await chain.freshWallet();
    await registerProvider(chain, provider);
    const seeding = performance.now();
    await emitRegistryEvents(chain, provider, blocks / eventEvery, eventEvery);
    const seedMs = performance.now() - seeding;
    const large = await catchUp(chain, 2_000);
    const small = await catchUp(chain, 100);
    return {
      title: 'Chain follower catch-up',
      method: `A private anvil with ${blocks.toLocaleString('en-US')} blocks after the contracts' deployment, one ProviderUpdated event every ${eventEvery} blocks (mined in ${seconds(seedMs)}). An event follower starts from the deploy block without a checkpoint (confirmations 0, the hash of each page's last block read, events decoded and handed to a handler) and is timed until its checkpoint reaches the head. Same machine as anvil, over HTTP.`,
      figures: [...figures('2,000 blocks (default)', large), ...figures('100 blocks', small)],
    };
  } finally {
    await chain.stop();
  }
}
