import { GatewayError } from './errors.js';
import {
  addUsedNonce,
  formatUsedNonces,
  leaseNonceLimits,
  nonceDigest,
  parseUsedNonces,
  type UsedNonce,
} from './lease-nonces.js';

const now = 1_800_000_000;
const signer = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const nonce = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const used = (n: number, expiry = now + 120): UsedNonce => ({
  digest: nonceDigest(signer, nonce(n)),
  expiry,
});

/** The status and code `run` is refused with. */
function refusal(run: () => unknown): { status: number; code: string; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) {
      return { status: error.status, code: error.code, message: error.message };
    }
    throw error;
  }
  throw new Error('the nonce was recorded');
}

describe('nonceDigest', () => {
  it('is 24 hex digits of signer and nonce, whatever their case', () => {
    const digest = nonceDigest(signer, nonce(1));
    expect(digest).toMatch(/^[0-9a-f]{24}$/);
    expect(nonceDigest(signer.toLowerCase(), nonce(1).toUpperCase().replace('0X', '0x'))).toBe(
      digest,
    );
    expect(digest).not.toContain(nonce(1).slice(2, 26));
  });

  it('differs for another nonce or another signer', () => {
    const other = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
    expect(nonceDigest(signer, nonce(2))).not.toBe(nonceDigest(signer, nonce(1)));
    expect(nonceDigest(other, nonce(1))).not.toBe(nonceDigest(signer, nonce(1)));
  });
});

describe('the record', () => {
  it('reads back what it writes, soonest expiry first', () => {
    const entries = [used(1, now + 200), used(2, now + 100)];
    const record = formatUsedNonces(entries);
    expect(record).toBe(`${entries[1]!.digest}:${now + 100},${entries[0]!.digest}:${now + 200}`);
    expect(parseUsedNonces(record)).toEqual([entries[1], entries[0]]);
  });

  it('is empty when absent, and leaves out entries that do not parse', () => {
    expect(parseUsedNonces(undefined)).toEqual([]);
    expect(parseUsedNonces('')).toEqual([]);
    const good = used(1);
    expect(
      parseUsedNonces(
        `garbage,${good.digest}:${good.expiry},${good.digest.toUpperCase()}:1,abc:1,${good.digest}:`,
      ),
    ).toEqual([good]);
  });
});

describe('addUsedNonce', () => {
  it('adds a nonce to an empty record', () => {
    const first = used(1);
    expect(addUsedNonce(undefined, first, now)).toBe(`${first.digest}:${first.expiry}`);
  });

  it('refuses a nonce the record has as Replayed, as the nonce book does', () => {
    const record = addUsedNonce(undefined, used(1), now);
    expect(refusal(() => addUsedNonce(record, used(1), now))).toEqual({
      status: 401,
      code: 'Replayed',
      message: 'this signed request was already used; sign it again',
    });
    // Another nonce is new.
    expect(parseUsedNonces(addUsedNonce(record, used(2), now))).toHaveLength(2);
  });

  it('drops entries past their expiry and the grace, and keeps those within the grace', () => {
    const { graceSeconds } = leaseNonceLimits;
    const gone = used(1, now - graceSeconds - 1);
    const inGrace = used(2, now - graceSeconds);
    const record = formatUsedNonces([gone, inGrace]);
    expect(parseUsedNonces(addUsedNonce(record, used(3), now))).toEqual([inGrace, used(3)]);
    // Within the grace an entry still refuses its replay (a replica whose clock runs behind).
    expect(refusal(() => addUsedNonce(record, inGrace, now)).code).toBe('Replayed');
  });

  it('refuses with 429 when the record is full of live entries, saying when to try again', () => {
    const { entries, graceSeconds } = leaseNonceLimits;
    const full = formatUsedNonces(
      Array.from({ length: entries }, (_, i) => used(i + 1, now + 100 + i)),
    );
    expect(refusal(() => addUsedNonce(full, used(entries + 1), now))).toEqual({
      status: 429,
      code: 'RateLimited',
      message: `this lease took ${entries} secret deliveries and shells within 5 minutes, the most the gateway keeps track of; try again in ${100 + graceSeconds + 1} s`,
    });
    // Once the soonest entry has gone, there is room again.
    const later = now + 100 + graceSeconds + 1;
    const next = parseUsedNonces(addUsedNonce(full, used(entries + 1, later + 120), later));
    expect(next).toHaveLength(entries);
    expect(next).not.toContainEqual(used(1, now + 100));
  });

  it('stays a small annotation when full (a few KiB)', () => {
    const full = formatUsedNonces(
      Array.from({ length: leaseNonceLimits.entries }, (_, i) => used(i, now + 300)),
    );
    expect(full.length).toBeLessThan(5 * 1024);
  });
});
