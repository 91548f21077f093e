import { Counter, Gauge, type Registry } from 'prom-client';

/** The bid engine's metrics. */
export interface MarketMetrics {
  readonly ordersSeen: Counter;
  readonly bidsPlaced: Counter<'pool'>;
  readonly bidsWon: Counter;
  readonly bidsLost: Counter;
  readonly bidsCancelled: Counter;
  readonly bidSkipped: Counter<'reason'>;
  readonly reservedGpus: Gauge<'pool'>;
  /** Blocks and seconds from an order's block to the block of our bid. */
  readonly orderToBidBlocks: Gauge;
  readonly walletBalance: Gauge<'asset'>;
  /** Withdraw transactions mined, and the leases they settled. */
  readonly withdrawals: Counter;
  readonly leasesWithdrawn: Counter;
  /** Gas money (wei) the settlement's transactions cost, by method (withdraw, close). */
  readonly settlementGasWei: Counter<'method'>;
  /** Leases the settlement closed because their escrow ran out. */
  readonly exhaustedLeasesClosed: Counter;
}

const byRegistry = new WeakMap<Registry, MarketMetrics>();

/** The market metrics registered in `registry`, created on first use (shared across restarts). */
export function marketMetrics(registry: Registry): MarketMetrics {
  const existing = byRegistry.get(registry);
  if (existing) return existing;
  const registers = [registry];
  const metrics: MarketMetrics = {
    ordersSeen: new Counter({
      name: 'supercloud_orders_seen_total',
      help: 'Open orders the bid engine decided on (each order once per process)',
      registers,
    }),
    bidsPlaced: new Counter({
      name: 'supercloud_bids_placed_total',
      help: 'Bids placed on chain, by pool',
      labelNames: ['pool'],
      registers,
    }),
    bidsWon: new Counter({
      name: 'supercloud_bids_won_total',
      help: 'Orders leased to this provider',
      registers,
    }),
    bidsLost: new Counter({
      name: 'supercloud_bids_lost_total',
      help: 'Orders this provider bid on that were leased to another provider',
      registers,
    }),
    bidsCancelled: new Counter({
      name: 'supercloud_bids_cancelled_total',
      help: 'Orders this provider bid on that were cancelled or expired without a lease',
      registers,
    }),
    bidSkipped: new Counter({
      name: 'supercloud_bid_skipped_total',
      help: 'Orders the bid engine did not bid on, by reason',
      labelNames: ['reason'],
      registers,
    }),
    reservedGpus: new Gauge({
      name: 'supercloud_reserved_gpus',
      help: 'GPUs reserved for bids awaiting an auction result, by pool',
      labelNames: ['pool'],
      registers,
    }),
    orderToBidBlocks: new Gauge({
      name: 'supercloud_order_to_bid_blocks',
      help: 'Blocks between the last order bid on and the block its bid was mined in',
      registers,
    }),
    walletBalance: new Gauge({
      name: 'supercloud_wallet_balance',
      help: 'Balance of the provider wallet, in base units, by asset (native, token)',
      labelNames: ['asset'],
      registers,
    }),
    withdrawals: new Counter({
      name: 'supercloud_withdrawals_total',
      help: 'Withdraw transactions the settlement sent and had mined',
      registers,
    }),
    leasesWithdrawn: new Counter({
      name: 'supercloud_leases_withdrawn_total',
      help: 'Lease settlements in withdraw transactions (a batch counts each lease)',
      registers,
    }),
    settlementGasWei: new Counter({
      name: 'supercloud_settlement_gas_wei_total',
      help: 'Gas money spent by the settlement, in wei, by method',
      labelNames: ['method'],
      registers,
    }),
    exhaustedLeasesClosed: new Counter({
      name: 'supercloud_exhausted_leases_closed_total',
      help: 'Leases the settlement closed because their escrow ran out',
      registers,
    }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}
