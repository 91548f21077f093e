import { Interface, ZeroAddress, type ContractRunner, type InterfaceAbi } from 'ethers';
import { marketplaceAbi } from '../abi/index.js';
import { readLease } from './read-lease.js';

const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const marketplace = '0x00000000000000000000000000000000000000Aa';
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const provider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

/** A runner answering every call with `getLease`'s ABI-encoded `view`. */
function answering(view: readonly unknown[]): ContractRunner {
  return {
    provider: null,
    call: async () => market.encodeFunctionResult('getLease', [view]),
  };
}

describe('readLease', () => {
  it('returns the LeaseView as plain data with its id, existing once a provider is set', async () => {
    const view = [
      tenant,
      provider,
      10n,
      500n,
      35_500n,
      1_700_000_050n,
      0n,
      1_700_003_600n,
      100n,
      true,
    ];
    const lease = await readLease(answering(view), { marketplace, leaseId: 7n });
    expect(lease).toEqual({
      leaseId: 7n,
      exists: true,
      tenant,
      provider,
      pricePerSecond: 10n,
      accrued: 500n,
      remaining: 35_500n,
      settledAt: 1_700_000_050n,
      closedAt: 0n,
      fundedUntil: 1_700_003_600n,
      feeBps: 100n,
      active: true,
    });
  });

  it('reads an order that was never leased as a lease that does not exist', async () => {
    const view = [tenant, ZeroAddress, 0n, 0n, 0n, 0n, 0n, 0n, 0n, false];
    const lease = await readLease(answering(view), { marketplace, leaseId: 8n });
    expect(lease).toMatchObject({ leaseId: 8n, exists: false, active: false, tenant });
  });
});
