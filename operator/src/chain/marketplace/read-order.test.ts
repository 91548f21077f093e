import { Interface, ZeroAddress, type ContractRunner, type InterfaceAbi } from 'ethers';
import { marketplaceAbi, orderStatus } from '../abi/index.js';
import { twoH100Resources } from '../testing/resources.js';
import { readOrder } from './read-order.js';

const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const marketplace = '0x00000000000000000000000000000000000000Aa';
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const bidder = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** A runner answering every call with `getOrder`'s ABI-encoded `view`, recording the calldata. */
function answering(view: readonly unknown[]): ContractRunner & { readonly calls: string[] } {
  const calls: string[] = [];
  return {
    provider: null,
    calls,
    call: async (tx) => {
      calls.push(`${tx.to}:${tx.data}`);
      return market.encodeFunctionResult('getOrder', [view]);
    },
  };
}

const resources = twoH100Resources;

describe('readOrder', () => {
  it('returns the OrderView as plain data with its id and its status as an OrderStatus', async () => {
    const manifestHash = `0x${'11'.repeat(32)}`;
    const runner = answering([
      tenant,
      orderStatus.Open,
      1_700_000_060n,
      1_000n,
      manifestHash,
      Object.values(resources),
      bidder,
      900n,
      3_600_000n,
      1n,
    ]);

    const order = await readOrder(runner, { marketplace, orderId: 7n });

    expect(order).toEqual({
      orderId: 7n,
      tenant,
      status: orderStatus.Open,
      biddingDeadline: 1_700_000_060n,
      maxPricePerSecond: 1_000n,
      manifestHash,
      resources,
      bestBidder: bidder,
      bestPricePerSecond: 900n,
      escrow: 3_600_000n,
      bidCount: 1n,
    });
    expect(runner.calls).toEqual([`${marketplace}:${market.encodeFunctionData('getOrder', [7n])}`]);
  });

  it('reads an unknown id as status None', async () => {
    const zero = [
      ZeroAddress,
      0n,
      0n,
      0n,
      `0x${'00'.repeat(32)}`,
      [`0x${'00'.repeat(32)}`, 0n, 0n, 0n, 0n, 0n],
      ZeroAddress,
      0n,
      0n,
      0n,
    ];
    const order = await readOrder(answering(zero), { marketplace, orderId: 99n });
    expect(order.status).toBe(orderStatus.None);
    expect(order.tenant).toBe(ZeroAddress);
  });
});
