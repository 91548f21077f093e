// The human-readable form of each command's result (the --json form is the result itself).
// Pure: "now" is passed in, so the text is unit-tested.
import { formatFields, formatTable, isoTime, relativeTime } from './format.js';
import type { OrderRequest } from './order-request.js';
import type {
  AccountSummary,
  Bid,
  LeaseClosed,
  LeaseStarted,
  LeaseSummary,
  OrderCancelled,
  OrderCreated,
  OrderSummary,
  ToppedUp,
} from './tenant.js';

const perHour = (perSecond: bigint): string => `${perSecond * 3600n}/h`;

const when = (unixSeconds: bigint, now: bigint): string | undefined => {
  const iso = isoTime(unixSeconds);
  return iso && `${iso} (${relativeTime(unixSeconds, now)})`;
};

export function renderOrderCreated(
  created: OrderCreated,
  request: OrderRequest,
  now: bigint,
): string {
  return [
    formatFields([
      ['order', created.orderId],
      ['tenant', created.tenant],
      ['max price', `${created.maxPricePerSecond}/s (${perHour(created.maxPricePerSecond)})`],
      ['deposit', created.deposit],
      ['bidding until', when(created.biddingDeadline, now)],
      [
        'GPUs',
        request.resources.gpuCount > 0n
          ? `${request.resources.gpuCount} × ${request.gpuModelName}`
          : 'none',
      ],
      ['manifest hash', created.manifestHash],
      ['tx', `${created.transactionHash} (block ${created.blockNumber})`],
    ]),
    '',
    `next: supercloud order bids ${created.orderId}, then order accept ${created.orderId} --provider <address> or order finalize ${created.orderId} after the deadline`,
  ].join('\n');
}

export function renderOrder(order: OrderSummary, now: bigint): string {
  return formatFields([
    ['order', order.orderId],
    [
      'status',
      order.status === 'Open'
        ? `Open (bidding ${order.biddingOpen ? 'open' : 'closed'})`
        : order.status,
    ],
    ['tenant', order.tenant],
    ['bidding until', when(order.biddingDeadline, now)],
    ['max price', `${order.maxPricePerSecond}/s (${perHour(order.maxPricePerSecond)})`],
    [
      'best bid',
      order.bestBid ? `${order.bestBid.pricePerSecond}/s by ${order.bestBid.provider}` : 'none',
    ],
    ['escrow', order.escrow],
    [
      'resources',
      `${order.resources.gpuCount} GPUs (${order.resources.gpuMemoryMiB === 0n ? 'any memory' : `${order.resources.gpuMemoryMiB} MiB each`}), ${order.resources.cpuMillicores}m CPU, ${order.resources.memoryMiB} MiB memory, ${order.resources.storageMiB} MiB storage`,
    ],
    ['GPU model id', order.resources.gpuModel],
    ['manifest hash', order.manifestHash],
  ]);
}

export function renderBids(orderId: bigint, bids: readonly Bid[]): string {
  if (bids.length === 0) return `order ${orderId} has no bids yet`;
  return formatTable(
    ['#', 'PROVIDER', 'PRICE/S', 'PRICE/H'],
    bids.map((bid, index) => [
      index + 1,
      bid.provider,
      bid.pricePerSecond,
      bid.pricePerSecond * 3600n,
    ]),
  );
}

export function renderLeaseStarted(lease: LeaseStarted, now: bigint): string {
  return formatFields([
    ['lease', lease.leaseId],
    ['provider', lease.provider],
    ['price', `${lease.pricePerSecond}/s (${perHour(lease.pricePerSecond)})`],
    ['escrow', lease.escrow],
    ['funded until', when(lease.fundedUntil, now)],
    ['tx', `${lease.transactionHash} (block ${lease.blockNumber})`],
  ]);
}

export function renderOrderCancelled(cancelled: OrderCancelled): string {
  return formatFields([
    ['order', cancelled.orderId],
    ['status', 'Cancelled'],
    ['refund', cancelled.refund],
    ['tx', `${cancelled.transactionHash} (block ${cancelled.blockNumber})`],
  ]);
}

export function renderLease(lease: LeaseSummary): string {
  const state = !lease.active ? 'closed' : lease.exhausted ? 'active, escrow exhausted' : 'active';
  return formatFields([
    ['lease', lease.leaseId],
    ['state', state],
    ['tenant', lease.tenant],
    ['provider', lease.provider],
    ['price', `${lease.pricePerSecond}/s (${perHour(lease.pricePerSecond)})`],
    ['accrued', lease.accrued],
    ['remaining escrow', lease.remaining],
    [lease.active ? 'funded until' : 'closed at', when(lease.fundedUntil, lease.asOf)],
    ['fee', `${lease.feeBps} bps`],
  ]);
}

export function renderToppedUp(toppedUp: ToppedUp, now: bigint): string {
  return formatFields([
    ['lease', toppedUp.leaseId],
    ['added', toppedUp.amount],
    ['escrow', toppedUp.escrow],
    ['funded until', when(toppedUp.fundedUntil, now)],
    ['tx', `${toppedUp.transactionHash} (block ${toppedUp.blockNumber})`],
  ]);
}

export function renderLeaseClosed(closed: LeaseClosed): string {
  return formatFields([
    ['lease', closed.leaseId],
    ['closed by', closed.closedBy],
    ['paid to provider', `${closed.providerPayout} (+ ${closed.fee} protocol fee)`],
    ['refunded', closed.refund],
    ['tx', `${closed.transactionHash} (block ${closed.blockNumber})`],
  ]);
}

export function renderAccount(account: AccountSummary, chainId: number, rpcUrl: string): string {
  return formatFields([
    ['address', account.address],
    ['chain', `${chainId} (${rpcUrl})`],
    ['marketplace', account.marketplace],
    ['payment token', account.token],
    ['token balance', account.tokenBalance],
    ['allowance', account.allowance],
    ['gas balance', `${account.gasBalance} wei`],
    ['minimum run', `${account.minRunSeconds} s (a deposit covers at least max price × this)`],
  ]);
}
