import { describe, expect, it } from '@jest/globals';
import {
  checkMinimumDeposit,
  parseDeposit,
  parseDurationSeconds,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePricePerSecond,
} from './amounts.js';
import { CliUsageError } from './errors.js';

describe('parsePositiveInteger', () => {
  it('reads decimal digits, with _ separators, beyond 2^53', () => {
    expect(parsePositiveInteger('--gpus', '8')).toBe(8n);
    expect(parsePositiveInteger('--deposit', '1_000_000')).toBe(1_000_000n);
    expect(parsePositiveInteger('--deposit', '340282366920938463463374607431768211455')).toBe(
      2n ** 128n - 1n,
    );
  });

  it.each(['0', '-1', '1.5', '1e6', '', 'ten', '0x10'])('refuses "%s" naming the flag', (text) => {
    expect(() => parsePositiveInteger('--gpus', text)).toThrow(CliUsageError);
    expect(() => parsePositiveInteger('--gpus', text)).toThrow(/--gpus must be a positive integer/);
  });

  it('allows zero only where asked', () => {
    expect(parseNonNegativeInteger('--gpus', '0')).toBe(0n);
    expect(() => parseNonNegativeInteger('--gpus', '-1')).toThrow(/non-negative/);
  });
});

describe('parseDurationSeconds', () => {
  it.each([
    ['60', 60n],
    ['45s', 45n],
    ['5m', 300n],
    ['2h', 7200n],
    ['1d', 86_400n],
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseDurationSeconds('--bidding-seconds', text)).toBe(seconds);
  });

  it.each(['0', '1w', '1.5h', 'h', '-5m'])('refuses "%s"', (text) => {
    expect(() => parseDurationSeconds('--bidding-seconds', text)).toThrow(CliUsageError);
  });
});

describe('parsePricePerSecond', () => {
  it('takes base units per second as they are', () => {
    expect(parsePricePerSecond('--max-price', '250')).toBe(250n);
    expect(parsePricePerSecond('--max-price', '250/s')).toBe(250n);
  });

  it('divides a price per minute, hour or day down to whole units per second', () => {
    expect(parsePricePerSecond('--max-price', '3600000/h')).toBe(1000n);
    expect(parsePricePerSecond('--max-price', '3601/h')).toBe(1n);
    expect(parsePricePerSecond('--max-price', '120/m')).toBe(2n);
    expect(parsePricePerSecond('--max-price', '86400/d')).toBe(1n);
  });

  it('refuses a price that rounds to nothing, and other forms', () => {
    expect(() => parsePricePerSecond('--max-price', '3599/h')).toThrow(
      /less than one token base unit per second/,
    );
    expect(() => parsePricePerSecond('--max-price', '0.5/h')).toThrow(/per minute, hour or day/);
    expect(() => parsePricePerSecond('--max-price', '10/w')).toThrow(CliUsageError);
  });
});

describe('parseDeposit', () => {
  it('reads base units, or a run time at the given price', () => {
    expect(parseDeposit('--deposit', '5000', 10n)).toBe(5000n);
    expect(parseDeposit('--deposit', '2h', 10n)).toBe(72_000n);
    expect(parseDeposit('--deposit', '90m', 3n)).toBe(16_200n);
  });
});

describe('checkMinimumDeposit', () => {
  it('accepts exactly price × minimum run and refuses one unit less with the amount to pass', () => {
    expect(() => checkMinimumDeposit(3_600_000n, 1000n, 3600n)).not.toThrow();
    expect(() => checkMinimumDeposit(3_599_999n, 1000n, 3600n)).toThrow(
      /below the marketplace's minimum of 3600000.*pass --deposit 3600000 or more/,
    );
  });
});
