import { describe, expect, it } from '@jest/globals';
import {
  durationText,
  formatFields,
  formatTable,
  isoTime,
  relativeTime,
  toJson,
} from './format.js';

describe('toJson', () => {
  it('writes bigints as decimal strings at any depth, exactly', () => {
    const big = 2n ** 128n - 1n;
    const parsed = JSON.parse(toJson({ id: 1n, nested: [{ amount: big }], ok: true })) as unknown;
    expect(parsed).toEqual({ id: '1', nested: [{ amount: big.toString() }], ok: true });
  });
});

describe('formatFields', () => {
  it('pads labels to one width and leaves an undefined value empty', () => {
    expect(
      formatFields([
        ['order', 12n],
        ['best bid', undefined],
        ['status', 'Open'],
      ]),
    ).toBe(['order     12', 'best bid  ', 'status    Open'].join('\n'));
  });
});

describe('formatTable', () => {
  it('aligns columns, numbers to the right', () => {
    expect(
      formatTable(
        ['#', 'PROVIDER', 'PRICE/S'],
        [
          [1, '0xabc', 700n],
          [2, '0xdef0', 12_000n],
        ],
      ),
    ).toBe(['#  PROVIDER  PRICE/S', '1  0xabc         700', '2  0xdef0      12000'].join('\n'));
  });
});

describe('times', () => {
  it('formats unix seconds as ISO UTC and 0 as unset', () => {
    expect(isoTime(1_700_000_000n)).toBe('2023-11-14T22:13:20Z');
    expect(isoTime(0n)).toBeUndefined();
  });

  it('says how far a time is from now, both ways', () => {
    expect(relativeTime(1_000_3723n, 1_000_0000n)).toBe('in 1h 2m 3s');
    expect(relativeTime(100n, 340n)).toBe('4m ago');
    expect(durationText(0n)).toBe('0s');
    expect(durationText(90_061n)).toBe('1d 1h 1m 1s');
  });
});
