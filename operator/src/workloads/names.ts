// Deterministic names and label values derived from a lease, so every replica of the operator
// (and every restart) computes the same objects.
import { keccak256, toUtf8Bytes } from 'ethers';

/** Prefix of every lease namespace. */
export const leaseNamespacePrefix = 'lease-';

/** Longest lease id (in digits) that fits in a label value and a namespace name as it is. */
const maxReadableIdDigits = 63 - leaseNamespacePrefix.length;

/**
 * A label-safe, DNS-safe form of a lease id: the decimal id itself when it fits (ids are
 * sequential on chain, so in practice always), else `h` and 40 hex digits of its keccak256.
 *
 * @example leaseKey('42') // '42'
 */
export function leaseKey(leaseId: string): string {
  if (leaseId.length <= maxReadableIdDigits) return leaseId;
  return `h${keccak256(toUtf8Bytes(leaseId)).slice(2, 42)}`;
}

/**
 * The namespace of a lease: `lease-<id>` (a DNS label of at most 63 characters).
 *
 * @example leaseNamespaceName('42') // 'lease-42'
 */
export function leaseNamespaceName(leaseId: string): string {
  return `${leaseNamespacePrefix}${leaseKey(leaseId)}`;
}

/** The ComputeLease object name the chain follower gives a lease: `lease-<id>`. */
export const computeLeaseName = leaseNamespaceName;

/** Label value of a tenant address (addresses compare lower case). */
export function tenantLabelValue(address: string): string {
  return address.toLowerCase();
}

/** The Secret in a lease namespace holding the tenant's secret values (written by the gateway). */
export const tenantSecretName = 'tenant-secrets';
/** The Secret in a lease namespace holding the tenant's registry credentials (dockerconfigjson). */
export const tenantRegistrySecretName = 'tenant-registry';
