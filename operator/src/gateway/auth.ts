// Who is asking: the gateway's check of a signed request. The signer must be the tenant of the
// lease the path names, the signature made for this provider's chain and marketplace, for this
// exact method, path and body, not expired, not valid for more than a few minutes, and its nonce
// never seen before. Each refusal says which of these failed; nothing the tenant sent is logged.
import { getAddress, type TypedDataDomain } from 'ethers';
import type { ComputeLease } from '../api/computelease.js';
import { sameAddress } from '../chain/identifiers.js';
import { GatewayError } from './errors.js';
import {
  bodyHash,
  gatewayDomain,
  maxSignatureLifetimeSeconds,
  recoverGatewaySigner,
  signatureHeaders,
  type GatewayRequest,
} from './request-signature.js';

/** Clock skew tolerated between the tenant's machine and the gateway. */
const skewSeconds = 30;

/** The chain a lease's provider is on: what the tenant's signature must be made for. */
export interface LeaseChain {
  readonly chainId: number;
  readonly marketplace: string;
}

/** An authenticated request: the lease it may act on and who signed it. */
export interface Caller {
  readonly tenant: string;
  readonly lease: ComputeLease;
  readonly domain: TypedDataDomain;
  /** The signature's nonce (0x and 64 hex digits): a request with effects records it per lease. */
  readonly nonce: string;
  /** When the signature expires, unix seconds: until then its nonce must stay recorded. */
  readonly expiry: number;
}

export interface AuthInput {
  readonly method: string;
  /** Path and query as received. */
  readonly path: string;
  readonly leaseId: bigint;
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The refusal of a nonce already used, whichever record (this replica's, a lease's) knew it. */
export function replayed(): GatewayError {
  return new GatewayError(401, 'Replayed', 'this signed request was already used; sign it again');
}

/**
 * Nonces seen by this replica, each kept until its signature expires (a replay after that is
 * refused as expired). Requests with effects are checked against their lease's record too
 * (lease-nonces.ts), which every replica shares and a restart keeps.
 */
export class NonceBook {
  private readonly seen = new Map<string, number>();

  constructor(private readonly maxEntries = 200_000) {}

  /** Marks the nonce used; false when it was already. */
  use(signer: string, nonce: string, expiry: number, now: number): boolean {
    const key = `${signer.toLowerCase()}/${nonce.toLowerCase()}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.maxEntries) this.prune(now);
    if (this.seen.size >= this.maxEntries) {
      throw new GatewayError(503, 'Busy', 'too many signed requests in flight; try again shortly');
    }
    this.seen.set(key, expiry);
    return true;
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.seen) if (expiry < now) this.seen.delete(key);
  }
}

function header(input: AuthInput, name: string): string {
  const value = input.headers[name];
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) {
    throw new GatewayError(
      401,
      'Unsigned',
      `the request has no ${name} header: sign it with the lease's tenant key (supercloud signs every gateway request)`,
    );
  }
  return text;
}

/**
 * Checks a signed request against the lease it names; returns the caller or throws a
 * {@link GatewayError} saying what is wrong.
 */
export function authenticate(
  input: AuthInput,
  lease: ComputeLease | undefined,
  chainOf: (lease: ComputeLease) => LeaseChain | undefined,
  nonces: NonceBook,
  now: number,
): Caller {
  const signature = header(input, signatureHeaders.signature);
  const expiry = Number(header(input, signatureHeaders.expiry));
  const nonce = header(input, signatureHeaders.nonce);
  if (!Number.isSafeInteger(expiry)) {
    throw new GatewayError(400, 'BadExpiry', `${signatureHeaders.expiry} is not unix seconds`);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(nonce)) {
    throw new GatewayError(400, 'BadNonce', `${signatureHeaders.nonce} is not 32 bytes of hex`);
  }
  if (expiry < now) {
    throw new GatewayError(
      401,
      'Expired',
      `the signature expired ${now - expiry} s ago; sign again`,
    );
  }
  if (expiry > now + maxSignatureLifetimeSeconds + skewSeconds) {
    throw new GatewayError(
      401,
      'ExpiryTooFar',
      `the signature is valid for more than ${maxSignatureLifetimeSeconds} s; sign with a nearer expiry`,
    );
  }
  if (!lease) {
    throw new GatewayError(
      404,
      'NoSuchLease',
      `lease ${input.leaseId} does not run at this provider`,
    );
  }
  const chain = chainOf(lease);
  if (!chain) {
    throw new GatewayError(
      503,
      'ProviderNotReady',
      `the provider of lease ${input.leaseId} is not connected to its chain yet`,
    );
  }
  const signedChain = Number(header(input, signatureHeaders.chainId));
  const signedMarketplace = header(input, signatureHeaders.marketplace);
  if (signedChain !== chain.chainId || !sameAddress(signedMarketplace, chain.marketplace)) {
    throw new GatewayError(
      401,
      'WrongChain',
      `signed for chain ${signedChain} marketplace ${signedMarketplace}; this provider is on chain ${chain.chainId} marketplace ${getAddress(chain.marketplace)}`,
    );
  }
  const domain = gatewayDomain(chain.chainId, chain.marketplace);
  const request: GatewayRequest = {
    method: input.method.toUpperCase(),
    path: input.path,
    bodyHash: bodyHash(input.body),
    leaseId: input.leaseId,
    expiry,
    nonce,
  };
  let signer: string;
  try {
    signer = recoverGatewaySigner(domain, request, signature);
  } catch {
    throw new GatewayError(401, 'BadSignature', 'the signature is not a valid EIP-712 signature');
  }
  if (!sameAddress(signer, lease.spec.tenant)) {
    // A signature for other content recovers to some other address too: say both causes.
    throw new GatewayError(
      403,
      'NotTheTenant',
      `the request is signed by ${signer}, not by the tenant of lease ${input.leaseId} (or it was changed after signing)`,
    );
  }
  if (!nonces.use(signer, nonce, expiry, now)) throw replayed();
  return { tenant: signer, lease, domain, nonce, expiry };
}
