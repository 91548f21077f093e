import type { Provider } from '../api/provider.js';
import { providerProblems, providerSummary } from './provider-problems.js';

const required = ['ChainConnected', 'WalletReady'];
const condition = (
  type: string,
  status: string,
  reason: string,
  message: string,
  observedGeneration = 2,
) => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
  lastTransitionTime: '2026-01-01T00:00:00Z',
});
const provider = (conditions: unknown[] | undefined): Provider =>
  ({
    metadata: { name: 'default', generation: 2 },
    spec: {},
    ...(conditions ? { status: { conditions } } : {}),
  }) as unknown as Provider;

describe('providerProblems', () => {
  it('finds nothing wrong when the required conditions are True for the current spec', () => {
    const ok = provider([
      condition('ChainConnected', 'True', 'RpcReachable', 'head at block 9'),
      condition('WalletReady', 'True', 'SignerReady', 'the remote signer signs'),
      condition('Registered', 'False', 'OutOfGas', 'fund the wallet'),
    ]);
    expect(providerProblems(ok, 'default', required)).toEqual([]);
    expect(providerSummary(ok, required)).toBe(
      'ChainConnected (head at block 9), WalletReady (the remote signer signs)',
    );
  });

  it('says what is missing or false, with the reason and message', () => {
    const bad = provider([
      condition('ChainConnected', 'False', 'RpcUnreachable', 'no RPC endpoint answered'),
    ]);
    expect(providerProblems(bad, 'default', required)).toEqual([
      'ChainConnected is False (RpcUnreachable): no RPC endpoint answered',
      'WalletReady is not reported yet',
    ]);
  });

  it('refuses conditions that describe an older spec', () => {
    const stale = provider([
      condition('ChainConnected', 'True', 'RpcReachable', 'head at block 9', 1),
      condition('WalletReady', 'True', 'KeyLoaded', 'loaded'),
    ]);
    expect(providerProblems(stale, 'default', required)).toEqual([
      'ChainConnected describes generation 1 of the spec, which is at 2',
    ]);
  });

  it('names a Provider that does not exist or has no status', () => {
    expect(providerProblems(undefined, 'acme', required)).toEqual([
      'Provider acme does not exist: check provider.name',
    ]);
    expect(providerProblems(provider(undefined), 'default', required)).toEqual([
      'Provider default has no status yet: is the operator running and leading?',
    ]);
  });
});
