import { Wallet } from 'ethers';
import type { ComputeLease } from '../api/computelease.js';
import { validLease } from '../workloads/testing/corpus.js';
import { authenticate, NonceBook, type AuthInput, type LeaseChain } from './auth.js';
import { GatewayError } from './errors.js';
import { signGatewayRequest, signatureHeaders } from './request-signature.js';

const tenant = new Wallet(Wallet.createRandom().privateKey);
const stranger = new Wallet(Wallet.createRandom().privateKey);
const chain: LeaseChain = {
  chainId: 31337,
  marketplace: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
};
const now = 1_800_000_000;

function lease(): ComputeLease {
  const l = validLease('lease-7', 7);
  return { ...l, spec: { ...l.spec, tenant: tenant.address } };
}

interface Signing {
  readonly signer?: Wallet;
  readonly method?: string;
  readonly path?: string;
  readonly body?: string;
  readonly chainId?: number;
  readonly signedAt?: number;
}

async function signed(patch: Signing = {}): Promise<AuthInput> {
  const method = patch.method ?? 'GET';
  const path = patch.path ?? '/v1/leases/7/status';
  const body = patch.body ?? '';
  const headers = await signGatewayRequest(
    patch.signer ?? tenant,
    { chainId: patch.chainId ?? chain.chainId, marketplace: chain.marketplace },
    { method, path, leaseId: 7n, body },
    { now: patch.signedAt ?? now },
  );
  return { method, path, leaseId: 7n, body: Buffer.from(body), headers };
}

function check(input: AuthInput, nonces = new NonceBook()) {
  return authenticate(input, lease(), () => chain, nonces, now);
}

/** The status and code `run` is refused with. */
function refusal(run: () => unknown): { status: number; code: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayError) return { status: error.status, code: error.code };
    throw error;
  }
  throw new Error('the request was accepted');
}

describe('authenticate', () => {
  it("accepts the tenant's signed request and names the tenant", async () => {
    expect(check(await signed()).tenant).toBe(tenant.address);
  });

  it("passes on the signature's nonce and expiry, for the lease's shared record", async () => {
    const input = await signed();
    expect(check(input)).toMatchObject({
      nonce: input.headers[signatureHeaders.nonce],
      expiry: Number(input.headers[signatureHeaders.expiry]),
    });
  });

  it('refuses a request without a signature', async () => {
    const input = await signed();
    const headers = { ...input.headers, [signatureHeaders.signature]: undefined };
    expect(refusal(() => check({ ...input, headers }))).toEqual({ status: 401, code: 'Unsigned' });
  });

  it('refuses a replayed request', async () => {
    const input = await signed();
    const nonces = new NonceBook();
    check(input, nonces);
    expect(refusal(() => check(input, nonces))).toEqual({ status: 401, code: 'Replayed' });
  });

  it('refuses an expired signature, and one valid for too long', async () => {
    const old = await signed({ signedAt: now - 1000 });
    expect(refusal(() => check(old))).toEqual({ status: 401, code: 'Expired' });
    const input = await signed();
    const far = {
      ...input,
      headers: { ...input.headers, [signatureHeaders.expiry]: String(now + 3600) },
    };
    expect(refusal(() => check(far))).toEqual({ status: 401, code: 'ExpiryTooFar' });
  });

  it("refuses another wallet's signature", async () => {
    const input = await signed({ signer: stranger });
    expect(refusal(() => check(input))).toEqual({ status: 403, code: 'NotTheTenant' });
  });

  it('refuses a request whose path, body or lease differs from what was signed', async () => {
    const status = await signed();
    const otherPath = { ...status, path: '/v1/leases/7/logs' };
    expect(refusal(() => check(otherPath))).toEqual({ status: 403, code: 'NotTheTenant' });
    const put = await signed({
      method: 'PUT',
      path: '/v1/leases/7/secrets',
      body: '{"values":{}}',
    });
    const otherBody = { ...put, body: Buffer.from('{"values":{"a":"b"}}') };
    expect(refusal(() => check(otherBody))).toEqual({ status: 403, code: 'NotTheTenant' });
    const otherLease = { ...status, leaseId: 8n, path: '/v1/leases/8/status' };
    expect(refusal(() => check(otherLease))).toEqual({ status: 403, code: 'NotTheTenant' });
  });

  it('refuses a signature made for another chain', async () => {
    const input = await signed({ chainId: 1 });
    expect(refusal(() => check(input))).toEqual({ status: 401, code: 'WrongChain' });
  });

  it('refuses a malformed signature or nonce', async () => {
    const input = await signed();
    const badSignature = {
      ...input,
      headers: { ...input.headers, [signatureHeaders.signature]: '0x1234' },
    };
    expect(refusal(() => check(badSignature))).toEqual({ status: 401, code: 'BadSignature' });
    const badNonce = { ...input, headers: { ...input.headers, [signatureHeaders.nonce]: 'abc' } };
    expect(refusal(() => check(badNonce))).toEqual({ status: 400, code: 'BadNonce' });
  });

  it('refuses a lease that does not run here, or whose provider has no chain yet', async () => {
    const input = await signed();
    expect(
      refusal(() => authenticate(input, undefined, () => chain, new NonceBook(), now)),
    ).toEqual({ status: 404, code: 'NoSuchLease' });
    expect(
      refusal(() => authenticate(input, lease(), () => undefined, new NonceBook(), now)),
    ).toEqual({ status: 503, code: 'ProviderNotReady' });
  });
});

describe('NonceBook', () => {
  it('forgets expired nonces when full, and refuses new ones while every one is live', () => {
    const book = new NonceBook(2);
    expect(book.use(tenant.address, '0x01', now + 10, now)).toBe(true);
    expect(book.use(tenant.address, '0x02', now + 100, now)).toBe(true);
    expect(() => book.use(tenant.address, '0x03', now + 100, now)).toThrow(GatewayError);
    expect(book.use(tenant.address, '0x03', now + 100, now + 20)).toBe(true);
  });
});
