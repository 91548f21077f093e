import { Counter, Gauge, type Registry } from 'prom-client';

/** Why a transaction failed, as the `reason` label of supercloud_transactions_failed_total. */
export type TransactionFailureReason =
  | 'reverted'
  | 'timeout'
  | 'insufficient_funds'
  | 'rpc_unavailable'
  | 'stopped'
  | 'signer'
  | 'rejected';

/** The chain side's metrics: the transaction senders' and the event follower's. */
export interface ChainMetrics {
  readonly transactionsSent: Counter<'method'>;
  readonly transactionsReplaced: Counter<'method'>;
  readonly transactionsFailed: Counter<'method' | 'reason'>;
  readonly followerLagBlocks: Gauge;
  readonly followerCheckpointBlock: Gauge;
  readonly followerConnected: Gauge;
  /** JSON-RPC requests sent, by method. */
  readonly rpcRequests: Counter<'method'>;
  /** JSON-RPC sends that failed on the way to or from a node (refused, reset, timed out, HTTP error). */
  readonly rpcErrors: Counter;
}

const byRegistry = new WeakMap<Registry, ChainMetrics>();

/**
 * The chain metrics registered in `registry`, created on first use: a sender re-created after a
 * restart (or several senders) share them instead of registering the same names twice.
 */
export function chainMetrics(registry: Registry): ChainMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: ChainMetrics = {
    transactionsSent: new Counter({
      name: 'supercloud_transactions_sent_total',
      help: 'Transactions broadcast by the operator, replacements not included, by contract method',
      labelNames: ['method'],
      registers,
    }),
    transactionsReplaced: new Counter({
      name: 'supercloud_transactions_replaced_total',
      help: 'Stuck transactions replaced with a higher fee, by contract method',
      labelNames: ['method'],
      registers,
    }),
    transactionsFailed: new Counter({
      name: 'supercloud_transactions_failed_total',
      help: 'Transactions that reverted, timed out or could not be sent, by contract method and reason',
      labelNames: ['method', 'reason'],
      registers,
    }),
    followerLagBlocks: new Gauge({
      name: 'supercloud_follower_lag_blocks',
      help: 'Blocks between the chain head and the last block whose events were delivered',
      registers,
    }),
    followerCheckpointBlock: new Gauge({
      name: 'supercloud_follower_checkpoint_block',
      help: 'The last block whose events the chain follower delivered to the controllers',
      registers,
    }),
    followerConnected: new Gauge({
      name: 'supercloud_follower_connected',
      help: '1 when the chain follower reached an RPC endpoint in its last attempt, 0 otherwise',
      registers,
    }),
    rpcRequests: new Counter({
      name: 'supercloud_rpc_requests_total',
      help: 'JSON-RPC requests the operator sent to the chain, by method',
      labelNames: ['method'],
      registers,
    }),
    rpcErrors: new Counter({
      name: 'supercloud_rpc_errors_total',
      help: 'JSON-RPC sends (a request or a batch) that failed on the way to or from an RPC endpoint: refused, reset, timed out or an HTTP error',
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
