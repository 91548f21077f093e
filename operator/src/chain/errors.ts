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
