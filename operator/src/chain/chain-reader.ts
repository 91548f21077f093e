import type { LogEntry } from './events.js';
import type { RpcPool } from './rpc.js';

/** The three reads the event follower makes; over an {@link RpcPool} in production. */
export interface ChainReader {
  /** The latest block number. */
  headNumber(): Promise<number>;
  /** The hash of the chain's block at `number`; undefined above the head. */
  blockHash(number: number): Promise<string | undefined>;
  /** The logs of `addresses` in the inclusive range, in chain order. */
  logs(addresses: readonly string[], fromBlock: number, toBlock: number): Promise<LogEntry[]>;
}

/** A {@link ChainReader} over an RPC pool (failing over between its URLs). */
export function rpcChainReader(rpc: RpcPool): ChainReader {
  return {
    headNumber: () => rpc.call('eth_blockNumber', (p) => p.getBlockNumber()),
    blockHash: async (number) =>
      (await rpc.call('eth_getBlockByNumber', (p) => p.getBlock(number)))?.hash ?? undefined,
    logs: (addresses, fromBlock, toBlock) =>
      rpc.call('eth_getLogs', (p) => p.getLogs({ address: [...addresses], fromBlock, toBlock })),
  };
}
