import {
  defaultFeePolicy,
  gasLimitWithHeadroom,
  isValidReplacement,
  marketFees,
  replacementFees,
  type FeePolicy,
} from './fees.js';

const policy: FeePolicy = { ...defaultFeePolicy, maxFeePerGasCap: 10_000n };

describe('gasLimitWithHeadroom', () => {
  it('adds the headroom and rounds up', () => {
    expect(gasLimitWithHeadroom(100_000n, 25)).toBe(125_000n);
    expect(gasLimitWithHeadroom(3n, 10)).toBe(4n);
    expect(gasLimitWithHeadroom(21_000n, 0)).toBe(21_000n);
  });
});

describe('marketFees', () => {
  it('covers twice the base fee plus the tip', () => {
    expect(marketFees(1_000n, 100n, { ...policy, minPriorityFeePerGas: 1n })).toEqual({
      maxFeePerGas: 2_100n,
      maxPriorityFeePerGas: 100n,
    });
  });

  it('raises a suggested tip below the minimum', () => {
    expect(marketFees(1_000n, 0n, { ...policy, minPriorityFeePerGas: 50n })).toEqual({
      maxFeePerGas: 2_050n,
      maxPriorityFeePerGas: 50n,
    });
  });

  it('caps the max fee and keeps the tip at most the max fee', () => {
    expect(marketFees(9_000n, 20_000n, policy)).toEqual({
      maxFeePerGas: 10_000n,
      maxPriorityFeePerGas: 10_000n,
    });
  });
});

describe('replacementFees', () => {
  const previous = { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };
  const lowMarket = { maxFeePerGas: 1n, maxPriorityFeePerGas: 1n };

  it('raises both fields by the bump, at least the 10% geth requires', () => {
    const { fees, capped } = replacementFees(previous, lowMarket, {
      ...policy,
      replacementBumpPercent: 5,
    });
    expect(fees).toEqual({ maxFeePerGas: 1_100n, maxPriorityFeePerGas: 110n });
    expect(capped).toBe(false);
    expect(isValidReplacement(previous, fees)).toBe(true);
  });

  it('rounds up so that odd values still clear 10%', () => {
    const { fees } = replacementFees(
      { maxFeePerGas: 1_001n, maxPriorityFeePerGas: 7n },
      lowMarket,
      { ...policy, replacementBumpPercent: 10 },
    );
    expect(fees).toEqual({ maxFeePerGas: 1_102n, maxPriorityFeePerGas: 8n });
    expect(isValidReplacement({ maxFeePerGas: 1_001n, maxPriorityFeePerGas: 7n }, fees)).toBe(true);
  });

  it('follows the market when it rose more than the bump', () => {
    const { fees } = replacementFees(
      previous,
      { maxFeePerGas: 5_000n, maxPriorityFeePerGas: 300n },
      policy,
    );
    expect(fees).toEqual({ maxFeePerGas: 5_000n, maxPriorityFeePerGas: 300n });
  });

  it('reports a bump stopped by the cap', () => {
    const { fees, capped } = replacementFees(
      { maxFeePerGas: 9_500n, maxPriorityFeePerGas: 100n },
      lowMarket,
      policy,
    );
    expect(fees.maxFeePerGas).toBe(10_000n);
    expect(capped).toBe(true);
  });
});

describe('isValidReplacement', () => {
  it('refuses a bump of one field only', () => {
    const previous = { maxFeePerGas: 1_000n, maxPriorityFeePerGas: 100n };
    expect(isValidReplacement(previous, { maxFeePerGas: 2_000n, maxPriorityFeePerGas: 100n })).toBe(
      false,
    );
    expect(isValidReplacement(previous, { maxFeePerGas: 1_099n, maxPriorityFeePerGas: 110n })).toBe(
      false,
    );
  });
});
