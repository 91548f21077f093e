import { makeError } from 'ethers';
import { RpcUnavailableError } from './errors.js';
import { RpcPool, describeError, isTransportError } from './rpc.js';

describe('isTransportError', () => {
  it('takes refused, reset and timed-out connections for transport failures', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), {
      code: 'ECONNREFUSED',
    });
    expect(isTransportError(refused)).toBe(true);
    expect(isTransportError(new Error('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe(
      true,
    );
    expect(isTransportError(makeError('timeout', 'TIMEOUT'))).toBe(true);
    expect(isTransportError(makeError('bad response', 'SERVER_ERROR'))).toBe(true);
    expect(isTransportError(makeError('network', 'NETWORK_ERROR'))).toBe(true);
  });

  it('does not take what the node answered for a transport failure', () => {
    expect(isTransportError(makeError('execution reverted', 'CALL_EXCEPTION'))).toBe(false);
    expect(isTransportError(makeError('nonce has already been used', 'NONCE_EXPIRED'))).toBe(false);
    expect(isTransportError(new Error('invalid params'))).toBe(false);
  });
});

describe('describeError', () => {
  it('prefers ethers short messages and names the code', () => {
    expect(describeError(makeError('request timeout', 'TIMEOUT'))).toBe('TIMEOUT: request timeout');
    expect(describeError('text')).toBe('text');
  });
});

describe('RpcPool', () => {
  /** A pool whose endpoints are never contacted: the request functions below stand in for them. */
  const pool = (): RpcPool =>
    new RpcPool({ urls: ['http://a.invalid', 'http://b.invalid'], chainId: 1 });
  const refused = (): Error => Object.assign(new Error('refused'), { code: 'ECONNREFUSED' });

  it('fails over to the next URL on a transport error and stays there', async () => {
    const rpc = pool();
    const seen: string[] = [];
    const result = await rpc.call('a read', async (provider) => {
      seen.push(provider._getConnection().url);
      if (seen.length === 1) throw refused();
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['http://a.invalid', 'http://b.invalid']);
    expect(rpc.url).toBe('http://b.invalid');
    rpc.destroy();
  });

  it('throws what the node answered at once, without trying another URL', async () => {
    const rpc = pool();
    let calls = 0;
    const reverted = makeError('execution reverted', 'CALL_EXCEPTION');
    await expect(
      rpc.call('a call', async () => {
        calls += 1;
        throw reverted;
      }),
    ).rejects.toBe(reverted);
    expect(calls).toBe(1);
    rpc.destroy();
  });

  it('throws RpcUnavailableError naming every URL when all fail', async () => {
    const rpc = pool();
    const failure = await rpc
      .call('eth_blockNumber', async () => {
        throw refused();
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RpcUnavailableError);
    expect((failure as RpcUnavailableError).failures.map((f) => f.url)).toEqual([
      'http://a.invalid',
      'http://b.invalid',
    ]);
    expect((failure as Error).message).toContain('no RPC endpoint answered eth_blockNumber');
    rpc.destroy();
  });
});
