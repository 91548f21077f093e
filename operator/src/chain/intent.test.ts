import { Interface, type InterfaceAbi } from 'ethers';
import { marketplaceAbi } from './abi/index.js';
import { contractCall } from './intent.js';

describe('contractCall', () => {
  it('encodes a typed call of a state-changing method', () => {
    const address = '0x00000000000000000000000000000000000000aa';
    const call = contractCall(marketplaceAbi, address, 'placeBid', [7n, 1_000n]);
    expect(call.to).toBe(address);
    expect(call.method).toBe('placeBid');
    const decoded = new Interface(marketplaceAbi as unknown as InterfaceAbi).parseTransaction({
      data: call.data,
    });
    expect(decoded?.name).toBe('placeBid');
    expect(decoded?.args.toArray()).toEqual([7n, 1_000n]);
  });
});
