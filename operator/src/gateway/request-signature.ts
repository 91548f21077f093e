// How a tenant signs a request to a provider gateway (EIP-712), shared by the gateway, which
// checks it, and the CLI, which makes it. The signed struct binds the request to one method,
// path (with its query), body, lease, chain and marketplace (the domain), an expiry and a nonce:
// a signature cannot be replayed, reused for another request, lease or chain, or kept for later.
import { TypedDataEncoder, hexlify, keccak256, randomBytes, verifyTypedData } from 'ethers';
import type { TypedDataDomain, TypedDataField } from 'ethers';

/** The headers a signed request carries (lease id, method, path and body are the request's own). */
export const signatureHeaders = {
  signature: 'x-supercloud-signature',
  expiry: 'x-supercloud-expiry',
  nonce: 'x-supercloud-nonce',
  chainId: 'x-supercloud-chain-id',
  marketplace: 'x-supercloud-marketplace',
} as const;

/** The longest a signature may stay valid: five minutes from its signing. */
export const maxSignatureLifetimeSeconds = 300;

export const gatewayRequestTypes: Record<string, TypedDataField[]> = {
  Request: [
    { name: 'method', type: 'string' },
    { name: 'path', type: 'string' },
    { name: 'bodyHash', type: 'bytes32' },
    { name: 'leaseId', type: 'uint256' },
    { name: 'expiry', type: 'uint64' },
    { name: 'nonce', type: 'bytes32' },
  ],
};

/** The EIP-712 domain of a provider's gateway: its chain and marketplace. */
export function gatewayDomain(chainId: number, marketplace: string): TypedDataDomain {
  return { name: 'supercloud-gateway', version: '1', chainId, verifyingContract: marketplace };
}

/** What is signed. */
export interface GatewayRequest {
  /** Upper-case HTTP method. */
  readonly method: string;
  /** Path and query exactly as sent, e.g. `/v1/leases/7/logs?tail=10`. */
  readonly path: string;
  /** keccak256 of the body bytes (of nothing for a request without a body). */
  readonly bodyHash: string;
  readonly leaseId: bigint;
  /** Unix seconds after which the gateway refuses the request. */
  readonly expiry: number;
  /** 32 random bytes, used once. */
  readonly nonce: string;
}

/** keccak256 of a request body (empty for none). */
export function bodyHash(body: Uint8Array | string = ''): string {
  return keccak256(typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

/** Something that signs typed data: an ethers Wallet. */
export interface TypedDataSigner {
  signTypedData(
    domain: TypedDataDomain,
    types: Record<string, TypedDataField[]>,
    value: Record<string, unknown>,
  ): Promise<string>;
}

/**
 * The headers of a request signed by `signer`, valid for `lifetimeSeconds` from `now`.
 *
 * @example
 * const headers = await signGatewayRequest(wallet, { chainId, marketplace }, { method: 'GET', path, leaseId, body: '' });
 */
export async function signGatewayRequest(
  signer: TypedDataSigner,
  chain: { readonly chainId: number; readonly marketplace: string },
  request: {
    readonly method: string;
    readonly path: string;
    readonly leaseId: bigint;
    readonly body?: Uint8Array | string;
  },
  options: { readonly now?: number; readonly lifetimeSeconds?: number } = {},
): Promise<Record<string, string>> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const signed: GatewayRequest = {
    method: request.method.toUpperCase(),
    path: request.path,
    bodyHash: bodyHash(request.body),
    leaseId: request.leaseId,
    expiry: now + Math.min(options.lifetimeSeconds ?? 120, maxSignatureLifetimeSeconds),
    nonce: hexlify(randomBytes(32)),
  };
  const domain = gatewayDomain(chain.chainId, chain.marketplace);
  const signature = await signer.signTypedData(domain, gatewayRequestTypes, { ...signed });
  return {
    [signatureHeaders.signature]: signature,
    [signatureHeaders.expiry]: String(signed.expiry),
    [signatureHeaders.nonce]: signed.nonce,
    [signatureHeaders.chainId]: String(chain.chainId),
    [signatureHeaders.marketplace]: chain.marketplace,
  };
}

/** The address that signed `request` in `domain`; throws on a malformed signature. */
export function recoverGatewaySigner(
  domain: TypedDataDomain,
  request: GatewayRequest,
  signature: string,
): string {
  return verifyTypedData(domain, gatewayRequestTypes, { ...request }, signature);
}

/** The EIP-712 digest of a request (a stable id for logs that never shows what was sent). */
export function requestDigest(domain: TypedDataDomain, request: GatewayRequest): string {
  return TypedDataEncoder.hash(domain, gatewayRequestTypes, { ...request });
}
