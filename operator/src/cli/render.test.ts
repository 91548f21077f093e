import { describe, expect, it } from '@jest/globals';
import { renderBids, renderLease, renderOrder } from './render.js';
import type { LeaseSummary, OrderSummary } from './tenant.js';

const provider = '0x0d19a1fB711CDB7A6379FEC4C9Ad3d77Ade48FE4';
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

describe('renderBids', () => {
  it('numbers the bids and shows the price per hour too', () => {
    expect(renderBids(4n, [{ provider, pricePerSecond: 900n }])).toBe(
      [
        `#  PROVIDER                                    PRICE/S  PRICE/H`,
        `1  ${provider}      900  3240000`,
      ].join('\n'),
    );
    expect(renderBids(4n, [])).toBe('order 4 has no bids yet');
  });
});

describe('renderOrder', () => {
  const order: OrderSummary = {
    orderId: 1n,
    tenant,
    status: 'Open',
    biddingDeadline: 1_700_000_060n,
    biddingOpen: true,
    maxPricePerSecond: 1000n,
    manifestHash: '0xabc',
    resources: {
      gpuModel: '0xdef',
      gpuCount: 2n,
      gpuMemoryMiB: 0n,
      cpuMillicores: 16_000n,
      memoryMiB: 131_072n,
      storageMiB: 102_400n,
    },
    escrow: 7_200_000n,
  };

  it('shows the deadline against chain time, no best bid, and GPU memory 0 as any', () => {
    const text = renderOrder(order, 1_700_000_000n);
    expect(text).toContain('status         Open (bidding open)\n');
    expect(text).toContain('bidding until  2023-11-14T22:14:20Z (in 1m)\n');
    expect(text).toContain('max price      1000/s (3600000/h)\n');
    expect(text).toContain('best bid       none\n');
    expect(text).toContain(
      'resources      2 GPUs (any memory), 16000m CPU, 131072 MiB memory, 102400 MiB storage\n',
    );
  });

  it('shows the best bid and a closed auction', () => {
    const text = renderOrder(
      { ...order, biddingOpen: false, bestBid: { provider, pricePerSecond: 700n } },
      1_700_000_100n,
    );
    expect(text).toContain('Open (bidding closed)');
    expect(text).toContain(`best bid       700/s by ${provider}`);
    expect(text).toContain('(40s ago)');
  });
});

describe('renderLease', () => {
  const lease: LeaseSummary = {
    leaseId: 1n,
    tenant,
    provider,
    pricePerSecond: 900n,
    accrued: 540_000n,
    remaining: 6_660_000n,
    fundedUntil: 1_700_007_400n,
    closedAt: 0n,
    feeBps: 100n,
    active: true,
    exhausted: false,
    asOf: 1_700_000_000n,
  };

  it('shows an active lease with its funded-until time', () => {
    const text = renderLease(lease);
    expect(text).toContain('state             active\n');
    expect(text).toContain('remaining escrow  6660000\n');
    expect(text).toContain('funded until      2023-11-15T00:16:40Z (in 2h 3m 20s)\n');
  });

  it('says when the escrow is exhausted and when the lease is closed', () => {
    expect(renderLease({ ...lease, remaining: 0n, exhausted: true })).toContain(
      'active, escrow exhausted',
    );
    const closed = renderLease({
      ...lease,
      active: false,
      closedAt: 1_699_999_000n,
      fundedUntil: 1_699_999_000n,
    });
    expect(closed).toContain('state             closed\n');
    expect(closed).toContain('closed at         2023-11-14T21:56:40Z (16m 40s ago)');
  });
});
