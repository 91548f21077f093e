import type { Provider } from '../../api/provider.js';
import { providerStatus } from './status.js';

const provider = {
  metadata: { name: 'p', generation: 3 },
  spec: { chain: { confirmations: 2 } },
} as unknown as Provider;
const now = new Date('2026-01-01T00:00:00Z');
const address = '0x2222222222222222222222222222222222222222';
const loaded = { ready: true, address, reason: 'KeyLoaded', message: 'the wallet key is loaded' };
const condition = (status: ReturnType<typeof providerStatus>, type: string) =>
  status.conditions?.find((c) => c.type === type);

describe('providerStatus', () => {
  it('is Ready with wallet, chain and registration in order, and reports the checkpoint', () => {
    const status = providerStatus(
      provider,
      {
        wallet: loaded,
        chain: { connected: true, head: 100, balances: { native: 5n, token: 7n } },
        registration: { registered: true, reason: 'RegisteredOnChain', message: 'ok' },
        follower: {
          connected: true,
          subscribed: false,
          head: 101,
          checkpoint: { number: 98, hash: '0xab' },
        },
      },
      now,
    );
    expect(status).toMatchObject({
      observedGeneration: 3,
      providerAddress: address,
      registered: true,
      chainHead: 101,
      balances: { native: '5', token: '7' },
      lastProcessedBlock: 98,
      lastProcessedBlockHash: '0xab',
    });
    for (const type of ['WalletReady', 'ChainConnected', 'Registered', 'Synced', 'Ready']) {
      expect(condition(status, type)?.status).toBe('True');
    }
  });

  it('is not Ready when the RPC is unreachable, and keeps the last known figures', () => {
    const before = {
      ...provider,
      status: { chainHead: 50, balances: { native: '1', token: '2' }, lastProcessedBlock: 48 },
    };
    const status = providerStatus(
      before,
      { wallet: loaded, chain: { connected: false, error: 'connection refused' } },
      now,
    );
    expect(condition(status, 'ChainConnected')).toMatchObject({
      status: 'False',
      reason: 'RpcUnreachable',
    });
    expect(condition(status, 'Ready')?.status).toBe('False');
    expect(status).toMatchObject({
      chainHead: 50,
      balances: { native: '1', token: '2' },
      lastProcessedBlock: 48,
    });
  });

  it('says why the wallet is not ready', () => {
    const status = providerStatus(
      provider,
      {
        wallet: { ready: false, reason: 'SecretNotFound', message: 'Secret x/y not found' },
      },
      now,
    );
    expect(condition(status, 'WalletReady')).toMatchObject({
      status: 'False',
      reason: 'SecretNotFound',
    });
    expect(status.providerAddress).toBeUndefined();
  });

  it('reports the address of a remote signer that cannot sign, and is not Ready', () => {
    const status = providerStatus(
      provider,
      {
        wallet: {
          ready: false,
          address,
          reason: 'SignerUnreachable',
          message: 'the remote signer at http://127.0.0.1:9 did not answer eth_accounts',
        },
        chain: { connected: true, head: 100, balances: { native: 5n, token: 7n } },
        registration: { registered: true, reason: 'RegisteredOnChain', message: 'ok' },
      },
      now,
    );
    expect(status.providerAddress).toBe(address);
    expect(condition(status, 'WalletReady')).toMatchObject({
      status: 'False',
      reason: 'SignerUnreachable',
      message: 'the remote signer at http://127.0.0.1:9 did not answer eth_accounts',
    });
    expect(condition(status, 'Ready')).toMatchObject({
      status: 'False',
      message: 'not true: WalletReady',
    });
  });
});
