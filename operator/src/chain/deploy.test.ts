import { Wallet } from 'ethers';
import {
  DeployParameterError,
  defaultFeeBps,
  defaultMinRunSeconds,
  deploySupercloud,
  marketplaceSettings,
  maxFeeBps,
} from './deploy.js';
import { marketplaceAbi } from './abi/index.js';

describe('marketplaceSettings', () => {
  it('applies the defaults', () => {
    expect(marketplaceSettings({})).toEqual({
      feeBps: defaultFeeBps,
      minRunSeconds: defaultMinRunSeconds,
    });
  });

  it('keeps values in range, the cap included', () => {
    expect(marketplaceSettings({ feeBps: maxFeeBps, minRunSeconds: 0 })).toEqual({
      feeBps: maxFeeBps,
      minRunSeconds: 0,
    });
  });

  it.each([maxFeeBps + 1, -1, 1.5])('rejects a fee of %p basis points', (feeBps) => {
    expect(() => marketplaceSettings({ feeBps })).toThrow(DeployParameterError);
  });

  it.each([-1, 2 ** 32, 0.5])('rejects a minimum run of %p seconds', (minRunSeconds) => {
    expect(() => marketplaceSettings({ minRunSeconds })).toThrow(/fits in 32 bits/);
  });

  it('agrees with the contract on the fee cap', () => {
    const cap = marketplaceAbi.find((item) => 'name' in item && item.name === 'MAX_FEE_BPS');
    expect(cap?.type).toBe('function');
    // The cap itself is a constant in the bytecode; the deploy check mirrors Marketplace.sol.
    expect(maxFeeBps).toBe(1000);
  });
});

describe('deploySupercloud', () => {
  it('refuses bad parameters before sending anything', async () => {
    await expect(
      deploySupercloud({
        deployer: Wallet.createRandom(),
        treasury: Wallet.createRandom().address,
        feeBps: 5000,
      }),
    ).rejects.toThrow(DeployParameterError);
  });

  it('needs a deployer connected to a chain', async () => {
    await expect(
      deploySupercloud({
        deployer: Wallet.createRandom(),
        treasury: Wallet.createRandom().address,
      }),
    ).rejects.toThrow(/no provider/);
  });
});
