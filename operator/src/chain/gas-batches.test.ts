import { defaultBlockGasLimit, gasBatches } from './gas-batches.js';

const ids = (count: number) => Array.from({ length: count }, (_, i) => i);

describe('gasBatches', () => {
  it('fills each batch up to half the block gas limit', () => {
    // 1,000,000 gas: a budget of 500,000, 100,000 base, 40,000 per item: 10 items a batch.
    const batches = gasBatches(ids(25), {
      blockGasLimit: 1_000_000n,
      baseGas: 100_000,
      itemGas: () => 40_000,
    });
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 5]);
    expect(batches.flat()).toEqual(ids(25));
  });

  it('sizes by what each item may cost: expensive items make smaller batches', () => {
    const batches = gasBatches([1, 1, 5, 1, 1, 1], {
      blockGasLimit: 2_000_000n,
      baseGas: 0,
      itemGas: (weight) => weight * 200_000,
    });
    expect(batches).toEqual([[1, 1], [5], [1, 1, 1]]);
  });

  it('keeps within maxItems when the gas would allow more', () => {
    const batches = gasBatches(ids(1_200), {
      baseGas: 50_000,
      itemGas: () => 13_000,
      maxItems: 500,
    });
    expect(batches.map((batch) => batch.length)).toEqual([500, 500, 200]);
  });

  it('assumes the default block gas limit when it is unknown', () => {
    const [first] = gasBatches(ids(2_000), { baseGas: 0, itemGas: () => 100_000 });
    expect(first).toHaveLength(Number(defaultBlockGasLimit / 2n / 100_000n));
  });

  it('gives an item above the budget a batch of its own', () => {
    const batches = gasBatches(['small', 'huge', 'small'], {
      blockGasLimit: 1_000_000n,
      baseGas: 0,
      itemGas: (item) => (item === 'huge' ? 2_000_000 : 1_000),
    });
    expect(batches).toEqual([['small'], ['huge'], ['small']]);
  });

  it('makes no batch of nothing, and refuses a maxItems below one', () => {
    expect(gasBatches([], { baseGas: 0, itemGas: () => 1 })).toEqual([]);
    expect(() => gasBatches(ids(3), { baseGas: 0, itemGas: () => 1, maxItems: 0 })).toThrow(
      RangeError,
    );
  });
});
