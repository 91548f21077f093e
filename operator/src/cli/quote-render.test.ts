import { describe, expect, it } from '@jest/globals';
import type { ProviderQuote } from './quote.js';
import { renderNoBidReasons, renderQuotes } from './quote-render.js';

const cheap = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const dear = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';
const gone = '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65';
const party = { chainId: 31337, marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0' };

const bid: ProviderQuote = {
  provider: cheap,
  gatewayUrl: 'http://127.0.0.1:18443',
  answer: {
    ...party,
    provider: cheap,
    bid: true,
    pool: 'h100',
    gpuModel: 'NVIDIA-H100-80GB-HBM3',
    pricePerSecond: '1508',
    pricePerHour: '5428800',
    floorPerSecond: '1508',
    strategy: 'pool-price',
  },
};
const skip: ProviderQuote = {
  provider: dear,
  gatewayUrl: 'https://gpu.example',
  answer: {
    ...party,
    provider: dear,
    bid: false,
    reason: 'price_above_max',
    detail: 'pool h100 prices the order at 1508/s (pool-price), the tenant pays at most 1000/s',
  },
};
const down: ProviderQuote = {
  provider: gone,
  gatewayUrl: 'https://down.example',
  error: 'the gateway does not answer (getaddrinfo ENOTFOUND down.example)',
};

describe('renderQuotes', () => {
  it('shows who would bid at what price, who would not and why, and who cannot be asked', () => {
    expect(renderQuotes([bid, skip, down])).toBe(
      [
        'PROVIDER                                    GATEWAY                 BIDS  PRICE/S  PRICE/H  POOL / WHY NOT',
        `${cheap}  http://127.0.0.1:18443  yes      1508  5428800  h100 (NVIDIA-H100-80GB-HBM3)`,
        `${dear}  https://gpu.example     no                      price_above_max: pool h100 prices the order at 1508/s (pool-price), the tenant pays at most 1000/s`,
        `${gone}  https://down.example    ?                       the gateway does not answer (getaddrinfo ENOTFOUND down.example)`,
        '',
        `lowest: 1508/s (5428800/h) by ${cheap}; a quote is what the provider would bid now, before other orders take its capacity`,
      ].join('\n'),
    );
  });

  it('says when no provider would bid, and when none is registered', () => {
    expect(renderQuotes([skip, down])).toMatch(/\n\nno provider would bid on these terms/);
    expect(renderQuotes([])).toBe("no provider is registered in the marketplace's registry");
  });

  it("names a gateway's own provider when none was asked for", () => {
    expect(renderQuotes([{ ...down, provider: '' }])).toContain("(the gateway's)");
  });
});

describe('renderNoBidReasons', () => {
  it("gives each provider's reason, and says what a would-be bid or a silent gateway means", () => {
    const text = renderNoBidReasons([bid, skip, down]);
    expect(text.split('\n')[0]).toBe("what each provider's gateway says of this order now:");
    expect(text).toContain('price_above_max: pool h100 prices the order at 1508/s');
    expect(text).toContain('a provider that would bid has not bid yet');
    expect(text).toContain('why it has not bid cannot be known');
  });

  it('adds no note a table does not need', () => {
    expect(renderNoBidReasons([skip])).not.toMatch(/would bid has not|cannot be known/);
  });

  it("says why nothing can be known when the order's manifest cannot be read", () => {
    expect(renderNoBidReasons(undefined)).toMatch(/manifest could not be read/);
  });
});
