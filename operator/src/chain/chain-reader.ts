import { toQuantity } from 'ethers';
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

/** A log as the node sends it: numbers as hex quantities. */
interface RpcLog {
  readonly address: string;
  readonly topics: readonly string[];
  readonly data: string;
  readonly blockNumber: string;
  readonly blockHash: string;
  readonly logIndex: string;
  readonly transactionHash: string;
}

/**
 * A {@link ChainReader} over an RPC pool (failing over between its URLs). Logs are read with a
 * plain eth_getLogs: ethers' getLogs formats each log into an object of its own, which costs
 * more than the call when a page holds thousands.
 */
export function rpcChainReader(rpc: RpcPool): ChainReader {
  return {
    headNumber: () => rpc.call('eth_blockNumber', (p) => p.getBlockNumber()),
    blockHash: async (number) =>
      (await rpc.call('eth_getBlockByNumber', (p) => p.getBlock(number)))?.hash ?? undefined,
    logs: async (addresses, fromBlock, toBlock) => {
      const filter = {
        address: [...addresses],
        fromBlock: toQuantity(fromBlock),
        toBlock: toQuantity(toBlock),
      };
      const logs = await rpc.call(
        'eth_getLogs',
        (p) => p.send('eth_getLogs', [filter]) as Promise<RpcLog[]>,
      );
      return logs.map(logEntry);
    },
  };
}

function logEntry(log: RpcLog): LogEntry {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    blockNumber: Number(log.blockNumber),
    blockHash: log.blockHash,
    index: Number(log.logIndex),
    transactionHash: log.transactionHash,
  };
}
