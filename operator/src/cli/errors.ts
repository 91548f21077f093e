// Errors of the tenant CLI. Each says what happened and what to do; main.ts prints the message on
// stderr and exits 1. Errors from the chain side (TransactionRevertedError, ...) pass through.
import { ValidationError } from '../api/validate.js';
import { ChainError, TransactionRevertedError } from '../chain/errors.js';
import { revertHint, type RevertHints } from '../chain/revert.js';

/** A flag, an environment variable or a config file value is missing or wrong. */
export class CliUsageError extends ChainError {
  override readonly name = 'CliUsageError';

  constructor(message: string, action?: string) {
    super(message, action ? { action } : {});
  }
}

/** The JSON-RPC endpoint did not answer (refused, timed out, not JSON-RPC). */
export class RpcUnreachableError extends ChainError {
  override readonly name = 'RpcUnreachableError';

  constructor(
    /** Undefined when the caller was handed a provider and does not know its URL. */
    readonly url: string | undefined,
    reason: string,
    cause?: unknown,
  ) {
    super(`the chain RPC endpoint${url ? ` ${url}` : ''} did not answer`, {
      details: reason,
      action:
        'check the URL (--rpc-url, SUPERCLOUD_RPC_URL or rpcUrl in the config file) and that the node is running (make cluster-up for the local stack)',
      cause,
    });
  }
}

/** The message for stderr: what happened, and for errors that know it, what to do. */
export function errorMessage(error: unknown): string {
  if (error instanceof ValidationError) {
    return `${error.message}\nTo fix: correct the manifest; nothing was sent.`;
  }
  if (error instanceof TransactionRevertedError && error.revert) {
    const hint = revertHint(revertHints, error.revert);
    return hint ? `${error.message}\nTo fix: ${hint}` : error.message;
  }
  if (error instanceof ChainError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/** What a tenant can do about the marketplace's reverts they can run into (names checked against the ABI). */
export const revertHints: RevertHints = {
  Marketplace_BiddingOpen:
    'wait for the bidding deadline (see `supercloud order show`), or take a bid now with `supercloud order accept <id> --provider <address>`',
  Marketplace_NoBids:
    'no provider bid: cancel the order with `supercloud order cancel <id>` and order again with a higher --max-price or other resources',
  Marketplace_NoBid: 'pick a provider listed by `supercloud order bids <id>`',
  Marketplace_BidAboveLimit:
    'the bid is above the price you accept (it was raised after you read it): see `supercloud order bids <id>`, and accept again with --max-price if the new price suits you',
  Marketplace_OrderNotOpen:
    'the order is already leased or cancelled: see `supercloud order show <id>`',
  Marketplace_CallerNotTenant: 'use the key of the wallet that created the order',
  Marketplace_CallerNotParty: 'use the key of the tenant or the provider of the lease',
  Marketplace_LeaseClosed: 'the lease is closed already: see `supercloud lease status <id>`',
  Marketplace_LeaseNotActive:
    'there is no active lease with this id: see `supercloud lease status <id>`',
  Marketplace_EscrowExhausted:
    'the escrow ran out and cannot be topped up: close the lease and order again',
  Marketplace_DepositTooSmall: 'raise --deposit to at least the minimum shown',
};
