// What signs a Provider's transactions: its key loaded from a Secret, or a remote signer holding
// the key (remote-signer.ts). The chain session and the Provider reconcile see only this.
import type { Wallet } from 'ethers';
import type { SignerError } from './errors.js';
import type { TransactionSigner } from './tx-sender.js';

/** A signer of the provider wallet, local or remote. */
export interface ProviderSigner extends TransactionSigner {
  /**
   * What identifies the signer's configuration, without any secret in clear: the chain session
   * is replaced when it changes (another key, another signer URL, rotated credentials).
   */
  readonly identity: string;
  /** Where the key is, for conditions and logs (never the key). */
  readonly description: string;
  /**
   * Whether the signer can sign for its address now: undefined when it can, else what is wrong
   * (unreachable, refusing, not holding the address, or its last signature was refused by the
   * operator and a probe signature still is).
   */
  check(): Promise<SignerError | undefined>;
}

/**
 * The key in memory (read from the Provider's wallet Secret): it always signs.
 *
 * @example const signer = localSigner(new Wallet(privateKey));
 */
export function localSigner(wallet: Wallet): ProviderSigner {
  return {
    address: wallet.address,
    identity: `key:${wallet.address}`,
    description: 'the wallet key is loaded from its Secret',
    signTransaction: (transaction) => wallet.signTransaction(transaction),
    check: () => Promise.resolve(undefined),
  };
}
