import { Interface } from 'ethers';
import { marketplaceAbi, providerRegistryAbi } from './abi/index.js';
import {
  contractErrorAbis,
  decodeRevert,
  formatRevert,
  revertDataOf,
  revertHint,
  type RevertHints,
} from './revert.js';

const marketplace = new Interface(marketplaceAbi);
const registry = new Interface(providerRegistryAbi);
const abis = [marketplace, registry];

describe('decodeRevert', () => {
  it('decodes a marketplace custom error with its named arguments', () => {
    const data = marketplace.encodeErrorResult('Marketplace_BidAboveMax', [7n, 1001n, 1000n]);
    const revert = decodeRevert(data, abis);
    expect(revert).toEqual({
      name: 'Marketplace_BidAboveMax',
      signature: 'Marketplace_BidAboveMax(uint256,uint256,uint256)',
      args: [7n, 1001n, 1000n],
      namedArgs: { orderId: 7n, pricePerSecond: 1001n, maxPricePerSecond: 1000n },
    });
    expect(formatRevert(revert!)).toBe(
      'Marketplace_BidAboveMax(orderId=7, pricePerSecond=1001, maxPricePerSecond=1000)',
    );
  });

  it('finds the error in the second ABI when the first does not know it', () => {
    const address = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
    const data = registry.encodeErrorResult('ProviderRegistry_NotRegistered', [address]);
    expect(decodeRevert(data, abis)?.namedArgs).toEqual({ provider: address });
  });

  it('decodes the built-in Error(string) and Panic(uint256)', () => {
    const reason = marketplace.encodeErrorResult('Error', ['nope']);
    expect(decodeRevert(reason, abis)).toMatchObject({ name: 'Error', args: ['nope'] });
    const panic = marketplace.encodeErrorResult('Panic', [0x11n]);
    expect(decodeRevert(panic, abis)).toMatchObject({ name: 'Panic', args: [0x11n] });
  });

  it('returns undefined for empty, short or unknown data', () => {
    expect(decodeRevert(undefined, abis)).toBeUndefined();
    expect(decodeRevert('0x', abis)).toBeUndefined();
    expect(decodeRevert('0x1234', abis)).toBeUndefined();
    expect(decodeRevert('0xdeadbeef', abis)).toBeUndefined();
  });

  it('returns undefined when a known selector carries undecodable arguments', () => {
    const data = marketplace.encodeErrorResult('Marketplace_BidAboveMax', [1n, 2n, 3n]);
    expect(decodeRevert(data.slice(0, 20), abis)).toBeUndefined();
  });
});

describe('revertDataOf', () => {
  const data = marketplace.encodeErrorResult('Marketplace_NoBids', [3n]);

  it('reads ethers CALL_EXCEPTION data', () => {
    expect(revertDataOf({ code: 'CALL_EXCEPTION', data })).toBe(data);
  });

  it('reads the JSON-RPC error data ethers keeps under info.error', () => {
    expect(revertDataOf({ code: 'UNKNOWN_ERROR', info: { error: { code: 3, data } } })).toBe(data);
  });

  it('reads data nested one level deeper, as some nodes send it', () => {
    expect(revertDataOf({ error: { data: { data } } })).toBe(data);
  });

  it('returns undefined when there is none', () => {
    expect(revertDataOf(new Error('boom'))).toBeUndefined();
    expect(revertDataOf({ data: '0x' })).toBeUndefined();
    expect(revertDataOf('text')).toBeUndefined();
  });
});

describe('revertHint', () => {
  const hints: RevertHints = {
    Marketplace_NoBids: 'cancel the order',
    ERC20InsufficientBalance: 'fund the wallet',
    // @ts-expect-error a name the ABIs do not have (a renamed error) fails type-checking
    Marketplace_NoSuchError: 'never shown',
  };

  it('finds the hint of a decoded custom error by its name', () => {
    const data = marketplace.encodeErrorResult('Marketplace_NoBids', [3n]);
    expect(revertHint(hints, decodeRevert(data, contractErrorAbis)!)).toBe('cancel the order');
  });

  it('decodes the payment token’s ERC-6093 errors with OpenZeppelin’s IERC20Errors', () => {
    const token = new Interface(contractErrorAbis[2]);
    const data = token.encodeErrorResult('ERC20InsufficientBalance', [
      '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      1n,
      2n,
    ]);
    expect(revertHint(hints, decodeRevert(data, contractErrorAbis)!)).toBe('fund the wallet');
  });

  it('has none for other errors, nor for names inherited from Object', () => {
    const data = marketplace.encodeErrorResult('Marketplace_ZeroAmount', []);
    expect(revertHint(hints, decodeRevert(data, contractErrorAbis)!)).toBeUndefined();
    expect(revertHint(hints, { name: 'toString', signature: '', args: [], namedArgs: {} })).toBe(
      undefined,
    );
  });
});
