import { leaseKey, leaseNamespaceName, tenantLabelValue } from './names.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

describe('lease names', () => {
  it('uses the decimal id when it fits', () => {
    expect(leaseNamespaceName('42')).toBe('lease-42');
    expect(leaseKey('42')).toBe('42');
  });

  it('hashes ids too long for a label, deterministically and distinctly', () => {
    const max = (2n ** 256n - 1n).toString();
    const other = (2n ** 256n - 2n).toString();
    expect(leaseNamespaceName(max)).toMatch(dnsLabel);
    expect(leaseNamespaceName(max).length).toBeLessThanOrEqual(63);
    expect(leaseKey(max)).toBe(leaseKey(max));
    expect(leaseKey(max)).not.toBe(leaseKey(other));
  });

  it('keeps 57-digit ids readable and hashes 58-digit ones', () => {
    expect(leaseNamespaceName('1'.repeat(57))).toBe(`lease-${'1'.repeat(57)}`);
    expect(leaseNamespaceName('1'.repeat(58))).toMatch(/^lease-h[0-9a-f]{40}$/);
  });

  it('lower-cases tenant addresses', () => {
    expect(tenantLabelValue('0xAbC0000000000000000000000000000000000001')).toBe(
      '0xabc0000000000000000000000000000000000001',
    );
  });
});
