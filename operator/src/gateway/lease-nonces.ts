// Replay protection that every gateway replica shares and a restart keeps, for the requests with
// effects: a secret delivery (a replay would put an older value back over a newer one) and a
// shell (a replay would run its command again). Each replica's NonceBook (auth.ts) knows only
// the nonces it saw since it started; these requests also record their nonce in the lease
// namespace's annotation `supercloud.dev/gateway-nonces`, which the gateway may already write (no
// new RBAC; the chart's gateway admission policy lists it). The record holds
// `<digest>:<expiry unix s>` entries, comma-separated: the digest is the first 24 hex digits of
// sha256(signer/nonce), so nothing the tenant sent is stored as sent, and an entry stays until its
// signature has expired (after which authenticate refuses it as Expired anyway). Reads stay one
// in-memory check: a replayed read answers the replayer only what the signer already asked for.
import { createHash } from 'node:crypto';
import { annotations } from '../api/constants.js';
import type { KubeClient } from '../kube/client.js';
import { maxSignatureLifetimeSeconds } from './request-signature.js';
import { replayed, type Caller } from './auth.js';
import { GatewayError } from './errors.js';
import { updateLeaseAnnotations } from './lease-namespace.js';

/** One nonce used on a lease: its digest, and when the signature that carried it expires. */
export interface UsedNonce {
  readonly digest: string;
  /** Unix seconds. */
  readonly expiry: number;
}

export const leaseNonceLimits = {
  /**
   * Entries per lease, at most (about 4.6 KiB of annotation): a lease takes a few secret
   * deliveries and shells a minute, not a hundred within a signature's lifetime.
   */
  entries: 128,
  /**
   * How long past its expiry an entry is kept: a replica whose clock runs behind the one that
   * pruned still finds it (the tolerated skew between tenant and gateway is 30 s).
   */
  graceSeconds: 60,
} as const;

const digestHexDigits = 24;
const entryPattern = new RegExp(`^([0-9a-f]{${digestHexDigits}}):([0-9]{1,15})$`);

/** The digest recorded for a nonce: signer and nonce, lower case, hashed. */
export function nonceDigest(signer: string, nonce: string): string {
  return createHash('sha256')
    .update(`${signer.toLowerCase()}/${nonce.toLowerCase()}`)
    .digest('hex')
    .slice(0, digestHexDigits);
}

/**
 * The entries of a record. An entry that does not parse is left out: only the gateway writes the
 * record, and one an administrator mangled must not lock the tenant out of its lease.
 */
export function parseUsedNonces(record: string | undefined): UsedNonce[] {
  const entries: UsedNonce[] = [];
  for (const text of (record ?? '').split(',')) {
    const match = entryPattern.exec(text.trim());
    if (match?.[1] && match[2]) entries.push({ digest: match[1], expiry: Number(match[2]) });
  }
  return entries;
}

/** The annotation value of a record, soonest expiry first. */
export function formatUsedNonces(entries: readonly UsedNonce[]): string {
  return [...entries]
    .sort((a, b) => a.expiry - b.expiry || a.digest.localeCompare(b.digest))
    .map((entry) => `${entry.digest}:${entry.expiry}`)
    .join(',');
}

/**
 * The record with `used` added and the entries past their expiry (and the grace) dropped. Throws
 * Replayed when the record has the digest already, and 429 RateLimited when the record is full.
 *
 * @example
 * const next = addUsedNonce(namespace.metadata.annotations[annotations.gatewayNonces], used, now);
 */
export function addUsedNonce(record: string | undefined, used: UsedNonce, now: number): string {
  const live = parseUsedNonces(record).filter(
    (entry) => entry.expiry + leaseNonceLimits.graceSeconds >= now,
  );
  if (live.some((entry) => entry.digest === used.digest)) throw replayed();
  if (live.length >= leaseNonceLimits.entries) {
    const soonest = Math.min(...live.map((entry) => entry.expiry));
    const wait = Math.max(1, soonest + leaseNonceLimits.graceSeconds - now + 1);
    throw new GatewayError(
      429,
      'RateLimited',
      `this lease took ${live.length} secret deliveries and shells within ${maxSignatureLifetimeSeconds / 60} minutes, the most the gateway keeps track of; try again in ${wait} s`,
    );
  }
  return formatUsedNonces([...live, used]);
}

export interface RecordLeaseNonceParameters {
  readonly client: KubeClient;
  /** The authenticated request with effects: its lease, signer, nonce and expiry. */
  readonly caller: Caller;
  /** Unix seconds. */
  readonly now: number;
}

/**
 * Records the nonce of a request with effects in its lease namespace, atomically across replicas;
 * call it once the request passed every other check, before its effect. Throws Replayed when any
 * replica recorded the nonce before, RateLimited when the record is full, NamespaceNotReady when
 * the lease has no namespace, Busy when the namespace kept changing under every attempt.
 */
export async function recordLeaseNonce({
  client,
  caller,
  now,
}: RecordLeaseNonceParameters): Promise<void> {
  const used = { digest: nonceDigest(caller.tenant, caller.nonce), expiry: caller.expiry };
  await updateLeaseAnnotations(client, caller.lease.spec.leaseId, (current) => ({
    [annotations.gatewayNonces]: addUsedNonce(current[annotations.gatewayNonces], used, now),
  }));
}
