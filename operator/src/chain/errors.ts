import { ActionableError } from '../base/errors.js';
import type { DecodedRevert } from './revert.js';
import { formatRevert } from './revert.js';

/** The base of every error the chain side throws. */
export class ChainError extends ActionableError {
  override readonly name: string = 'ChainError';
}

/** No RPC endpoint answered: every URL was tried once and failed with a transport error. */
export class RpcUnavailableError extends ChainError {
  override readonly name = 'RpcUnavailableError';

  constructor(
    readonly what: string,
    readonly failures: readonly { readonly url: string; readonly error: string }[],
    cause?: unknown,
  ) {
    super(`no RPC endpoint answered ${what}`, {
      details: failures.map(({ url, error }) => `${url}: ${error}`).join('; '),
      action: 'check that the chain RPC URLs of the Provider are reachable from the operator',
      cause,
    });
  }
}

/**
 * A transaction reverted, either when its gas was estimated (nothing was sent) or on chain (gas
 * was paid). `revert` is the contract's custom error, decoded from the ABIs, when there was one.
 */
export class TransactionRevertedError extends ChainError {
  override readonly name = 'TransactionRevertedError';

  constructor(
    readonly method: string,
    readonly stage: 'estimate' | 'mined',
    readonly revert: DecodedRevert | undefined,
    readonly transactionHash?: string,
    cause?: unknown,
    /** What is known when there is no decoded revert (e.g. it ran out of gas). */
    note?: string,
  ) {
    super(
      `${method} reverted${stage === 'estimate' ? ' when estimating gas (not sent)' : ` on chain in ${transactionHash ?? 'a transaction'}`}`,
      {
        details: revert
          ? formatRevert(revert)
          : (note ?? 'the revert carried no data the ABIs decode'),
        cause,
      },
    );
  }
}

/** The wallet cannot pay for gas (or the value) of a transaction. */
export class InsufficientFundsError extends ChainError {
  override readonly name = 'InsufficientFundsError';

  constructor(
    readonly address: string,
    readonly method: string,
    cause?: unknown,
  ) {
    super(`the wallet ${address} has too little native currency to send ${method}`, {
      action: `send native currency (gas money) to ${address}`,
      cause,
    });
  }
}

/**
 * A sent transaction was not mined within the receipt timeout, even after replacements. Its nonce
 * may still be pending: the sender replaces it with its next transaction, and a retry of the
 * same intent re-checks the chain before sending again.
 */
export class ReceiptTimeoutError extends ChainError {
  override readonly name = 'ReceiptTimeoutError';

  constructor(
    readonly method: string,
    readonly transactionHashes: readonly string[],
    readonly nonce: number,
    readonly waitedMs: number,
  ) {
    super(`${method} (nonce ${nonce}) was not mined within ${Math.round(waitedMs / 1000)} s`, {
      details: `sent as ${transactionHashes.join(', ')}`,
      action:
        'check the chain is producing blocks and the fee cap of the wallet is above the network base fee',
    });
  }
}

/** The sender was stopped while a send was queued or in flight. */
export class SenderStoppedError extends ChainError {
  override readonly name = 'SenderStoppedError';

  constructor(readonly method: string) {
    super(`the transaction sender stopped before ${method} was sent or mined`);
  }
}

/**
 * The base of the remote signer's errors: the provider key lives in a signer the operator asks
 * over JSON-RPC (Web3Signer, Clef, a KMS bridge). Nothing is sent when signing fails.
 */
export class SignerError extends ChainError {
  override readonly name: string = 'SignerError';
}

/** The remote signer did not answer (refused, reset, timed out, a TLS failure, an HTTP 5xx). */
export class SignerUnavailableError extends SignerError {
  override readonly name = 'SignerUnavailableError';

  constructor(
    readonly url: string,
    readonly method: string,
    reason: string,
    cause?: unknown,
  ) {
    super(`the remote signer at ${url} did not answer ${method}`, {
      details: reason,
      action:
        'check that the signer runs and that the operator reaches it (URL, NetworkPolicy egress, TLS CA); nothing was sent, the operator retries',
      cause,
    });
  }
}

/** The remote signer answered with an error (unauthorized, unknown account, a locked key). */
export class SignerRefusedError extends SignerError {
  override readonly name = 'SignerRefusedError';

  constructor(
    readonly url: string,
    readonly method: string,
    reason: string,
    action = "check the signer's configuration and the bearer token in the signer Secret",
  ) {
    super(`the remote signer at ${url} refused ${method}`, { details: reason, action });
  }
}

/** The remote signer does not hold the key of the configured provider address. */
export class SignerAccountMissingError extends SignerError {
  override readonly name = 'SignerAccountMissingError';

  constructor(
    readonly url: string,
    readonly address: string,
    readonly accounts: readonly string[],
  ) {
    super(`the remote signer at ${url} does not sign for ${address}`, {
      details: `eth_accounts lists ${accounts.length === 0 ? 'no account' : accounts.join(', ')}`,
      action:
        "set the Provider's remoteSigner.address to an account of the signer, or load that key into the signer",
    });
  }
}

/**
 * What the remote signer returned is not the transaction asked for, signed by the provider's key:
 * another key signed it, a field was changed, or it is no signed transaction at all. It is never
 * broadcast.
 */
export class SignedTransactionMismatchError extends SignerError {
  override readonly name = 'SignedTransactionMismatchError';

  constructor(
    readonly url: string,
    readonly problems: readonly string[],
  ) {
    super(`the remote signer at ${url} returned a transaction other than the one asked; not sent`, {
      details: problems.join('; '),
      action:
        'check which key and chain the signer is configured with; a signer that changes transactions must not be trusted',
    });
  }
}
