import { Transaction, Wallet } from 'ethers';
import {
  signedTransactionProblems,
  transactionToSign,
  type TransactionToSign,
} from './signed-transaction.js';

// Two well-known anvil development keys: test data only.
const provider = new Wallet('0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d');
const intruder = new Wallet('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a');

const asked: TransactionToSign = transactionToSign({
  type: 2,
  chainId: 31337,
  nonce: 7,
  to: '0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0',
  data: '0xabcdef01',
  value: 0n,
  gasLimit: 120_000n,
  maxFeePerGas: 3_000_000_000n,
  maxPriorityFeePerGas: 1_000_000_000n,
});

/** `asked` with some fields changed, signed by `wallet`. */
function signed(wallet: Wallet, changes: Record<string, unknown> = {}): Promise<string> {
  return wallet.signTransaction({ type: 2, ...asked, ...changes });
}

describe('signedTransactionProblems', () => {
  it('finds nothing wrong with the transaction asked for, signed by the provider', async () => {
    expect(signedTransactionProblems(await signed(provider), asked, provider.address)).toEqual([]);
  });

  it('accepts the address in any casing', async () => {
    const raw = await signed(provider);
    expect(signedTransactionProblems(raw, asked, provider.address.toLowerCase())).toEqual([]);
  });

  it('refuses a transaction signed by another key', async () => {
    expect(signedTransactionProblems(await signed(intruder), asked, provider.address)).toEqual([
      `signed by ${intruder.address}, not by the provider's ${provider.address}`,
    ]);
  });

  it.each([
    ['to', { to: intruder.address }, `to: asked ${asked.to}, got ${intruder.address}`],
    ['data', { data: '0xdeadbeef' }, 'data: asked 0xabcdef01, got 0xdeadbeef'],
    ['value', { value: 1n }, 'value: asked 0, got 1'],
    ['nonce', { nonce: 8 }, 'nonce: asked 7, got 8'],
    ['chainId', { chainId: 1 }, 'chainId: asked 31337, got 1'],
    ['gasLimit', { gasLimit: 21_000n }, 'gasLimit: asked 120000, got 21000'],
    [
      'maxFeePerGas',
      { maxFeePerGas: 9_000_000_000n },
      'maxFeePerGas: asked 3000000000, got 9000000000',
    ],
    [
      'maxPriorityFeePerGas',
      { maxPriorityFeePerGas: 2_000_000_000n },
      'maxPriorityFeePerGas: asked 1000000000, got 2000000000',
    ],
    [
      'accessList',
      { accessList: [{ address: asked.to, storageKeys: [] }] },
      'an access list was added',
    ],
  ])('refuses a transaction whose %s was changed', async (_field, changes, problem) => {
    expect(
      signedTransactionProblems(await signed(provider, changes), asked, provider.address),
    ).toEqual([problem]);
  });

  it('refuses a legacy transaction in place of an EIP-1559 one', async () => {
    const legacy = await provider.signTransaction({
      type: 0,
      chainId: 31337,
      nonce: 7,
      to: asked.to,
      data: asked.data,
      gasLimit: asked.gasLimit,
      gasPrice: asked.maxFeePerGas,
    });
    expect(signedTransactionProblems(legacy, asked, provider.address)).toEqual(
      expect.arrayContaining(['type: asked 2, got 0']),
    );
  });

  it.each([
    [{ raw: '0x02' }, 'the answer is not a hex-encoded signed transaction (object)'],
    [null, 'the answer is not a hex-encoded signed transaction (null)'],
    ['signed!', 'the answer is not a hex-encoded signed transaction ("signed!")'],
  ])('refuses an answer that is no transaction: %j', (answer, problem) => {
    expect(signedTransactionProblems(answer, asked, provider.address)).toEqual([problem]);
  });

  it('refuses bytes that do not decode, and an unsigned transaction', () => {
    expect(signedTransactionProblems('0x02deadbeef', asked, provider.address)[0]).toMatch(
      /^the answer does not decode as a transaction: /,
    );
    const unsigned = Transaction.from({ type: 2, ...asked }).unsignedSerialized;
    expect(signedTransactionProblems(unsigned, asked, provider.address)).toEqual([
      'the transaction is not signed',
    ]);
  });
});

describe('transactionToSign', () => {
  it('refuses a request that leaves a field to the signer', () => {
    expect(() => transactionToSign({ type: 2, chainId: 1, to: asked.to })).toThrow(
      'a transaction for a remote signer needs type 2 and nonce, gasLimit, maxFeePerGas, maxPriorityFeePerGas set',
    );
  });
});
