import { bindingName } from './generate-abis.js';

describe('bindingName', () => {
  it.each([
    ['Marketplace', 'marketplace'],
    ['ProviderRegistry', 'providerRegistry'],
    ['MockERC20', 'mockErc20'],
  ])('names the bindings of %p %p', (contract, name) => {
    expect(bindingName(contract)).toBe(name);
  });
});
