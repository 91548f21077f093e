import { Interface, type ContractRunner, type InterfaceAbi } from 'ethers';
import { marketplaceAbi } from '../abi/index.js';
import { readBidsOf } from './read-bids-of.js';

const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const marketplace = '0x00000000000000000000000000000000000000Aa';
const provider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';

describe('readBidsOf', () => {
  it('calls getBidsOf with the ids and the provider and returns the prices in order', async () => {
    const calls: string[] = [];
    const runner: ContractRunner = {
      provider: null,
      call: async (tx) => {
        calls.push(String(tx.data));
        return market.encodeFunctionResult('getBidsOf', [[900n, 0n, 700n]]);
      },
    };
    const prices = await readBidsOf(runner, { marketplace, orderIds: [7n, 8n, 9n], provider });
    expect(prices).toEqual([900n, 0n, 700n]);
    expect(calls).toEqual([market.encodeFunctionData('getBidsOf', [[7n, 8n, 9n], provider])]);
  });
});
