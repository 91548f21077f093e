// Parsing the amounts, prices and durations a tenant types. Token amounts are integers in the
// token's base units (bigint) so that nothing is rounded behind the tenant's back; the only unit
// conversions are of time (a price per hour, a deposit covering N hours at the maximum price).
import { CliUsageError } from './errors.js';

const secondsPerUnit: Readonly<Record<string, bigint>> = { s: 1n, m: 60n, h: 3600n, d: 86_400n };

/**
 * A positive integer (decimal digits, `_` allowed as a separator), as a bigint.
 *
 * @example parsePositiveInteger('--gpus', '8') // 8n
 */
export function parsePositiveInteger(what: string, text: string): bigint {
  const digits = text.trim().replaceAll('_', '');
  if (!/^\d+$/.test(digits) || BigInt(digits) === 0n) {
    throw new CliUsageError(`${what} must be a positive integer, got "${text}"`);
  }
  return BigInt(digits);
}

/** A non-negative integer (0 allowed), as a bigint. */
export function parseNonNegativeInteger(what: string, text: string): bigint {
  const digits = text.trim().replaceAll('_', '');
  if (!/^\d+$/.test(digits)) {
    throw new CliUsageError(`${what} must be a non-negative integer, got "${text}"`);
  }
  return BigInt(digits);
}

/**
 * A duration in seconds: a bare integer is seconds; a suffix s, m, h or d scales it.
 *
 * @example parseDurationSeconds('--bidding-seconds', '5m') // 300n
 */
export function parseDurationSeconds(what: string, text: string): bigint {
  const match = /^(\d[\d_]*)([smhd]?)$/.exec(text.trim());
  if (!match) {
    throw new CliUsageError(
      `${what} must be a positive number of seconds, or a number with s, m, h or d, got "${text}"`,
    );
  }
  const seconds = parsePositiveInteger(what, match[1]!) * secondsPerUnit[match[2] || 's']!;
  return seconds;
}

/**
 * A price in token base units per second. `N` or `N/s` is per second; `N/m`, `N/h`, `N/d` are per
 * minute, hour, day and are divided down to a whole amount per second (rounded down, so the
 * tenant never pays more than asked); a price that rounds to zero is refused.
 *
 * @example parsePricePerSecond('--max-price', '3600/h') // 1n
 */
export function parsePricePerSecond(what: string, text: string): bigint {
  const match = /^(\d[\d_]*)(?:\/([smhd]))?$/.exec(text.trim());
  if (!match) {
    throw new CliUsageError(
      `${what} must be token base units per second ("250") or per minute, hour or day ("900000/h"), got "${text}"`,
    );
  }
  const amount = parsePositiveInteger(what, match[1]!);
  const perSecond = amount / secondsPerUnit[match[2] ?? 's']!;
  if (perSecond === 0n) {
    throw new CliUsageError(
      `${what} "${text}" is less than one token base unit per second`,
      'raise it: prices are whole base units per second',
    );
  }
  return perSecond;
}

/**
 * An escrow amount in token base units, or a run time (`2h`, `90m`, `1d`, `3600s`) converted at
 * `pricePerSecond` (the order's maximum price, or a lease's price).
 *
 * @example parseDeposit('--deposit', '2h', 10n) // 72000n
 */
export function parseDeposit(what: string, text: string, pricePerSecond: bigint): bigint {
  const trimmed = text.trim();
  if (/[smhd]$/.test(trimmed)) return parseDurationSeconds(what, trimmed) * pricePerSecond;
  return parsePositiveInteger(what, trimmed);
}

/**
 * Refuses a deposit below what the marketplace requires (`maxPricePerSecond × minRunSeconds`, see
 * Marketplace.createOrder) before anything is sent, with the smallest acceptable amount.
 */
export function checkMinimumDeposit(
  deposit: bigint,
  maxPricePerSecond: bigint,
  minRunSeconds: bigint,
): void {
  const minimum = maxPricePerSecond * minRunSeconds;
  if (deposit < minimum) {
    throw new CliUsageError(
      `--deposit ${deposit} is below the marketplace's minimum of ${minimum} (max price ${maxPricePerSecond}/s × minimum run ${minRunSeconds} s)`,
      `pass --deposit ${minimum} or more, or --deposit ${minRunSeconds}s to cover exactly the minimum run`,
    );
  }
}
