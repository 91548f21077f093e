import {
  Interface,
  Transaction,
  isError,
  type InterfaceAbi,
  type TransactionReceipt,
  type TransactionRequest,
} from 'ethers';
import { sleep, systemClock, type Clock } from '../base/clock.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import {
  ChainError,
  InsufficientFundsError,
  ReceiptTimeoutError,
  RpcUnavailableError,
  SenderStoppedError,
  SignerError,
  TransactionRevertedError,
} from './errors.js';
import {
  defaultFeePolicy,
  gasLimitWithHeadroom,
  marketFees,
  replacementFees,
  type Eip1559Fees,
  type FeePolicy,
} from './fees.js';
import type { TransactionIntent } from './intent.js';
import type { ChainMetrics, TransactionFailureReason } from './metrics.js';
import { contractErrorAbis, decodeRevert, revertDataOf, type DecodedRevert } from './revert.js';
import type { RpcPool } from './rpc.js';

/** What signs for the sender: an ethers `Wallet` (it needs no provider for this) or a `RemoteSigner`. */
export interface TransactionSigner {
  readonly address: string;
  signTransaction(transaction: TransactionRequest): Promise<string>;
}

export interface TransactionSenderOptions {
  readonly rpc: RpcPool;
  readonly signer: TransactionSigner;
  readonly chainId: number;
  /** The ABIs reverts are decoded with; supercloud's contracts when omitted. */
  readonly abis?: readonly (Interface | InterfaceAbi)[];
  readonly fees?: Partial<FeePolicy>;
  /** A transaction not mined this long after it was (re)sent is replaced with a higher fee. */
  readonly stuckAfterMs?: number;
  /** A send gives up waiting for its receipt after this long (its nonce is reused next). */
  readonly receiptTimeoutMs?: number;
  /** How often receipts and nonces are polled while waiting. */
  readonly pollIntervalMs?: number;
  /**
   * How often a transaction waiting for its receipt checks that no earlier transaction of the
   * wallet went missing (a reorg within the confirmations drops a mined one unseen). Default 5 s.
   */
  readonly gapCheckIntervalMs?: number;
  /**
   * Called when a nonce gap shows that a transaction this sender saw mined was dropped since:
   * what it did (a bid) may have to be done again. The sender itself starts over from the chain.
   */
  readonly onNonceGap?: () => void;
  readonly metrics?: ChainMetrics;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

/** How a send ended: mined (successfully: a revert throws), or skipped by its precheck. */
export type SendResult =
  | {
      readonly status: 'mined';
      readonly receipt: TransactionReceipt;
      readonly nonce: number;
      /** How many times the transaction was replaced with a higher fee before it was mined. */
      readonly replacements: number;
    }
  | { readonly status: 'skipped'; readonly reason: string };

/** Where the next transaction goes: a fresh nonce, or one taken over from a pending transaction. */
interface NonceSlot {
  readonly nonce: number;
  /** The fees of the pending transaction being replaced, when known. */
  readonly replacing?: Eip1559Fees;
}

/** The nonce of the next job was used by a transaction this sender did not send: start over. */
class NonceTakenError extends ChainError {
  override readonly name: string = 'NonceTakenError';
}

/**
 * An earlier transaction of the wallet is neither mined nor pending any more (a reorg dropped the
 * block it was mined in, or the node forgot it): the one waiting can never be mined. Start over
 * with the nonce the chain is at.
 */
class NonceGapError extends NonceTakenError {
  override readonly name = 'NonceGapError';
}

/** A replacement stopped by the fee cap or refused as underpriced this many times in a row fails. */
const maxUnderpricedAttempts = 8;
/** A job whose nonce another sender took is restarted (precheck first) at most this many times. */
const maxNonceRestarts = 3;

/**
 * Sends one wallet's transactions, one at a time: each send runs its precheck against a chain
 * where every earlier send of the wallet is mined, estimates gas with headroom, prices it with
 * EIP-1559 fees, sends it with the next nonce, replaces it with a higher fee while it is stuck,
 * and resolves with its receipt (or throws a decoded revert). Sends with the same key while one
 * is queued or in flight join it.
 *
 * The nonce is counted locally and derived from the chain's pending nonce at the first send
 * after a start, so a restarted operator continues where the chain is; transactions a previous
 * process left pending are waited for, then replaced, since their callers are gone and the
 * controllers re-issue what is still wanted (their prechecks see what was mined).
 *
 * @example
 * const sender = new TransactionSender({ rpc, signer: wallet, chainId });
 * const result = await sender.send({
 *   ...contractCall(marketplaceAbi, marketplace, 'placeBid', [orderId, price]),
 *   key: `placeBid/${orderId}/${price}`,
 *   precheck: async () => ((await market.getBid(orderId, wallet.address)) === price
 *     ? { send: false, reason: 'the bid is on chain' } : { send: true }),
 * });
 */
export class TransactionSender {
  private readonly rpc: RpcPool;
  private readonly signer: TransactionSigner;
  private readonly chainId: number;
  private readonly abis: readonly Interface[];
  private readonly policy: FeePolicy;
  private readonly stuckAfterMs: number;
  private readonly receiptTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly gapCheckIntervalMs: number;
  private readonly onNonceGap: (() => void) | undefined;
  private readonly metrics?: ChainMetrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly stopping = new AbortController();

  /** The tail of the queue of jobs: each starts when the previous one settled. */
  private tail: Promise<unknown> = Promise.resolve();
  private readonly queued = new Map<string, Promise<SendResult>>();
  /** The nonce of the next transaction; undefined until derived from the chain. */
  private nextNonce: number | undefined;
  /** A transaction whose receipt timed out: its nonce and fees, for the next job to replace. */
  private unmined: { readonly nonce: number; readonly fees: Eip1559Fees } | undefined;
  /**
   * The no-op put at the nonce of a transaction stranded behind a nonce gap: the transaction that
   * later takes that nonce must outbid it to replace it.
   */
  private stranded: { readonly nonce: number; readonly fees: Eip1559Fees } | undefined;

  constructor(options: TransactionSenderOptions) {
    this.rpc = options.rpc;
    this.signer = options.signer;
    this.chainId = options.chainId;
    this.abis = (options.abis ?? contractErrorAbis).map((abi) =>
      abi instanceof Interface ? abi : new Interface(abi as InterfaceAbi),
    );
    this.policy = { ...defaultFeePolicy, ...options.fees };
    this.stuckAfterMs = options.stuckAfterMs ?? 90_000;
    this.receiptTimeoutMs = options.receiptTimeoutMs ?? 600_000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.gapCheckIntervalMs = options.gapCheckIntervalMs ?? 5_000;
    this.onNonceGap = options.onNonceGap;
    this.metrics = options.metrics;
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({
      component: 'tx-sender',
      wallet: this.signer.address,
    });
  }

  get address(): string {
    return this.signer.address;
  }

  /**
   * Queues the intent and resolves when it is mined or skipped. Throws
   * {@link TransactionRevertedError} (decoded), {@link InsufficientFundsError},
   * {@link ReceiptTimeoutError} or {@link RpcUnavailableError}.
   */
  send(intent: TransactionIntent): Promise<SendResult> {
    const joined = this.queued.get(intent.key);
    if (joined) return joined;
    const job = this.tail.then(() => this.run(intent));
    this.tail = job.catch(() => undefined);
    const result = job.finally(() => this.queued.delete(intent.key));
    this.queued.set(intent.key, result);
    return result;
  }

  /** Stops waiting: queued and in-flight sends reject with {@link SenderStoppedError}. */
  stop(): void {
    this.stopping.abort();
  }

  private async run(intent: TransactionIntent): Promise<SendResult> {
    const log = this.logger.child({ method: intent.method, key: intent.key });
    try {
      for (let restart = 0; ; restart++) {
        try {
          return await this.attempt(intent, log);
        } catch (error) {
          if (!(error instanceof NonceTakenError) || restart >= maxNonceRestarts) throw error;
          log.warn(
            error instanceof NonceGapError
              ? 'an earlier transaction of this wallet was dropped; re-checking the chain and retrying'
              : 'another sender used this wallet nonce; re-checking the chain and retrying',
            { error: error.message },
          );
        }
      }
    } catch (error) {
      this.metrics?.transactionsFailed.inc({ method: intent.method, reason: failureReason(error) });
      log.error('transaction failed', { error: error instanceof Error ? error.message : error });
      throw error;
    }
  }

  private async attempt(intent: TransactionIntent, log: Logger): Promise<SendResult> {
    this.throwIfStopped(intent.method);
    const slot = await this.nonceSlot(log);
    const precheck = (await intent.precheck?.()) ?? { send: true };
    if (!precheck.send) {
      log.debug('not sent: the chain already has it', { reason: precheck.reason });
      return { status: 'skipped', reason: precheck.reason };
    }
    const gasLimit = await this.estimateGas(intent);
    const market = await this.marketFees();
    if (this.stranded && this.stranded.nonce < slot.nonce) this.stranded = undefined;
    const outbid =
      slot.replacing ?? (this.stranded?.nonce === slot.nonce ? this.stranded.fees : undefined);
    const fees = outbid ? replacementFees(outbid, market, this.policy).fees : market;
    const transaction = { ...intent, nonce: slot.nonce, gasLimit };
    const { hash, fees: sentFees } = await this.broadcastPricedUp(transaction, fees, log);
    if (this.stranded?.nonce === slot.nonce) this.stranded = undefined;
    this.nextNonce = slot.nonce + 1;
    this.unmined = undefined;
    this.metrics?.transactionsSent.inc({ method: intent.method });
    log.info('transaction sent', { txHash: hash, nonce: slot.nonce, gasLimit: String(gasLimit) });
    return await this.awaitMined(transaction, hash, sentFees, log);
  }

  /**
   * Forgets the locally counted nonce: the next send derives it from the chain again. After a
   * reorg that dropped transactions of this wallet, the chain's nonce went back.
   */
  rederiveNonce(): void {
    this.nextNonce = undefined;
    this.unmined = undefined;
  }

  /**
   * The nonce for the next transaction. Counted locally between sends; derived from the chain at
   * the first send, after a receipt timeout and after a reorg.
   */
  private async nonceSlot(log: Logger): Promise<NonceSlot> {
    if (this.nextNonce !== undefined && !this.unmined) return { nonce: this.nextNonce };
    const nonces = await this.nonces();
    const { pending } = nonces;
    let { latest } = nonces;
    if (this.unmined) {
      if (latest <= this.unmined.nonce) {
        log.info('replacing a transaction whose receipt timed out', { nonce: this.unmined.nonce });
        return { nonce: this.unmined.nonce, replacing: this.unmined.fees };
      }
      this.unmined = undefined;
    }
    if (pending > latest) {
      log.warn('transactions sent before this start are pending; waiting for them', {
        latestNonce: latest,
        pendingNonce: pending,
      });
      const deadline = this.clock.now() + this.stuckAfterMs;
      while (latest < pending && this.clock.now() < deadline) {
        await this.pause();
        ({ latest } = await this.nonces());
      }
      if (latest < pending) {
        // Their senders are gone: replace the first (its fees are unknown, so the price is raised
        // until the node accepts it); what it did is re-issued if still wanted.
        log.warn('replacing a transaction left pending by an earlier start', { nonce: latest });
        return { nonce: latest };
      }
    }
    return { nonce: pending };
  }

  private async nonces(): Promise<{ latest: number; pending: number }> {
    const [latest, pending] = await Promise.all([
      this.rpc.call('eth_getTransactionCount', (p) =>
        p.getTransactionCount(this.signer.address, 'latest'),
      ),
      this.rpc.call('eth_getTransactionCount', (p) =>
        p.getTransactionCount(this.signer.address, 'pending'),
      ),
    ]);
    return { latest, pending };
  }

  private async estimateGas(intent: TransactionIntent): Promise<bigint> {
    try {
      // On the mined state, not the pending one some nodes default to: a transaction that takes
      // over the nonce of a pending one runs without it (a first bid costs more than lowering one).
      const estimate = await this.rpc.call('eth_estimateGas', async (p) =>
        BigInt(
          (await p.send('eth_estimateGas', [
            p.getRpcTransaction({
              from: this.signer.address,
              to: intent.to,
              data: intent.data,
              value: intent.value ?? 0n,
            }),
            'latest',
          ])) as string,
        ),
      );
      return gasLimitWithHeadroom(estimate, this.policy.gasHeadroomPercent);
    } catch (error) {
      if (isError(error, 'CALL_EXCEPTION')) {
        throw new TransactionRevertedError(
          intent.method,
          'estimate',
          this.decode(error),
          undefined,
          error,
        );
      }
      if (isError(error, 'INSUFFICIENT_FUNDS')) {
        throw new InsufficientFundsError(this.signer.address, intent.method, error);
      }
      throw error;
    }
  }

  private async marketFees(): Promise<Eip1559Fees> {
    const [block, suggestedTip] = await Promise.all([
      this.rpc.call('eth_getBlockByNumber', (p) => p.getBlock('latest')),
      this.rpc
        .call('eth_maxPriorityFeePerGas', (p) => p.send('eth_maxPriorityFeePerGas', []))
        .then(
          (tip: string) => BigInt(tip),
          (error: unknown) => {
            // A node without the method (older ones): fall back to the policy's minimum tip.
            if (error instanceof RpcUnavailableError) throw error;
            return this.policy.minPriorityFeePerGas;
          },
        ),
    ]);
    const baseFee = block?.baseFeePerGas;
    if (baseFee === undefined || baseFee === null) {
      throw new ChainError('the chain has no EIP-1559 base fee', {
        action: 'use a chain with the London upgrade (EIP-1559)',
      });
    }
    return marketFees(baseFee, suggestedTip, this.policy);
  }

  /**
   * Signs and broadcasts; when the node refuses the fee as too low to replace what holds the
   * nonce, raises it by the replacement bump and tries again.
   */
  private async broadcastPricedUp(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    fees: Eip1559Fees,
    log: Logger,
  ): Promise<{ hash: string; fees: Eip1559Fees }> {
    let current = fees;
    for (let attempt = 0; ; attempt++) {
      try {
        return { hash: await this.broadcast(transaction, current), fees: current };
      } catch (error) {
        if (!isError(error, 'REPLACEMENT_UNDERPRICED') || attempt >= maxUnderpricedAttempts) {
          throw error;
        }
        const raised = replacementFees(current, current, this.policy);
        if (raised.capped) throw error;
        log.info('the nonce is held by a pending transaction with a higher fee; raising ours', {
          nonce: transaction.nonce,
          maxFeePerGas: String(raised.fees.maxFeePerGas),
        });
        current = raised.fees;
      }
    }
  }

  private async broadcast(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    fees: Eip1559Fees,
  ): Promise<string> {
    const signed = await this.signer.signTransaction({
      type: 2,
      chainId: this.chainId,
      nonce: transaction.nonce,
      to: transaction.to,
      data: transaction.data,
      value: transaction.value ?? 0n,
      gasLimit: transaction.gasLimit,
      maxFeePerGas: fees.maxFeePerGas,
      maxPriorityFeePerGas: fees.maxPriorityFeePerGas,
    });
    const hash = Transaction.from(signed).hash;
    if (!hash) throw new ChainError('a signed transaction has no hash');
    try {
      await this.rpc.call('eth_sendRawTransaction', (p) => p.broadcastTransaction(signed));
    } catch (error) {
      // A retried broadcast after a lost answer: the node has it already, which is success.
      if (/already known|known transaction|already imported/i.test(String(error))) return hash;
      if (isError(error, 'INSUFFICIENT_FUNDS')) {
        throw new InsufficientFundsError(this.signer.address, transaction.method, error);
      }
      if (isError(error, 'NONCE_EXPIRED')) {
        this.nextNonce = undefined;
        throw new NonceTakenError(`nonce ${transaction.nonce} is already used on chain`, {
          cause: error,
        });
      }
      throw error;
    }
    return hash;
  }

  /**
   * Polls for the receipt of any of the transaction's versions; replaces the transaction with a
   * higher fee each time it has waited `stuckAfterMs`; gives up after the receipt timeout.
   */
  private async awaitMined(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    firstHash: string,
    firstFees: Eip1559Fees,
    log: Logger,
  ): Promise<SendResult> {
    const hashes = [firstHash];
    let fees = firstFees;
    const startedAt = this.clock.now();
    let sentAt = startedAt;
    let gapCheckedAt = startedAt;
    for (;;) {
      const receipt = await this.receiptOfAny(hashes);
      if (receipt) return this.settled(transaction, receipt, hashes.length - 1, log);
      const now = this.clock.now();
      if (now - gapCheckedAt >= this.gapCheckIntervalMs) {
        gapCheckedAt = now;
        await this.throwOnNonceGap(transaction, fees, log);
      }
      if (now - startedAt >= this.receiptTimeoutMs) {
        this.unmined = { nonce: transaction.nonce, fees };
        throw new ReceiptTimeoutError(
          transaction.method,
          hashes,
          transaction.nonce,
          now - startedAt,
        );
      }
      if (now - sentAt >= this.stuckAfterMs) {
        sentAt = now;
        const next = await this.replace(transaction, hashes, fees, log);
        if (next) {
          hashes.push(next.hash);
          fees = next.fees;
        }
      }
      await this.pause();
      this.throwIfStopped(transaction.method, () => {
        this.unmined = { nonce: transaction.nonce, fees };
      });
    }
  }

  /**
   * Throws {@link NonceGapError} when the chain's pending nonce is below `nonce`: a transaction
   * this sender saw mined before was dropped by a reorg (within the confirmations, so nothing else
   * noticed), and every later one waits behind the gap forever. The nonce is derived from the
   * chain again; what the dropped transaction did is re-issued by its controller if still wanted.
   */
  private async throwOnNonceGap(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    fees: Eip1559Fees,
    log: Logger,
  ): Promise<void> {
    const { nonce } = transaction;
    const { pending } = await this.nonces();
    if (pending >= nonce) return;
    this.nextNonce = undefined;
    this.unmined = undefined;
    await this.neutralize(transaction, fees, log);
    this.onNonceGap?.();
    throw new NonceGapError(
      `nonce ${nonce} is above the chain's next nonce ${pending}: an earlier transaction of this wallet was dropped`,
    );
  }

  /**
   * A transaction stranded behind a nonce gap stays in the node's pool and runs as soon as the
   * gap is filled, when what it does may no longer be wanted (its intent is re-checked and
   * perhaps not sent again). A no-op at its nonce, outbidding it, takes its place in the pool.
   */
  private async neutralize(
    transaction: TransactionIntent & { nonce: number },
    fees: Eip1559Fees,
    log: Logger,
  ): Promise<void> {
    const noop = {
      key: `no-op/${transaction.nonce}`,
      method: 'no-op',
      to: this.signer.address,
      data: '0x',
      nonce: transaction.nonce,
      gasLimit: 21_000n,
    };
    const raised = replacementFees(fees, await this.marketFees(), this.policy).fees;
    try {
      const sent = await this.broadcastPricedUp(noop, raised, log);
      this.stranded = { nonce: transaction.nonce, fees: sent.fees };
      log.info('replaced a transaction stranded behind a nonce gap with a no-op', {
        nonce: transaction.nonce,
        replaced: transaction.method,
        txHash: sent.hash,
      });
    } catch (error) {
      log.warn('could not replace a transaction stranded behind a nonce gap', {
        nonce: transaction.nonce,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  /** Sends a higher-fee version of a stuck transaction; undefined when there is nothing to do. */
  private async replace(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    hashes: readonly string[],
    fees: Eip1559Fees,
    log: Logger,
  ): Promise<{ hash: string; fees: Eip1559Fees } | undefined> {
    const { latest } = await this.nonces();
    if (latest > transaction.nonce) {
      // The nonce is used: by one of ours (its receipt shows on the next poll) or by someone else.
      if (await this.receiptOfAny(hashes)) return undefined;
      throw new NonceTakenError(
        `nonce ${transaction.nonce} was used by a transaction this sender did not send`,
      );
    }
    const { fees: raised, capped } = replacementFees(fees, await this.marketFees(), this.policy);
    if (capped) {
      log.warn('transaction stuck and its fee is at the cap; waiting', {
        nonce: transaction.nonce,
        maxFeePerGas: String(fees.maxFeePerGas),
      });
      return undefined;
    }
    try {
      const sent = await this.broadcastPricedUp(transaction, raised, log);
      this.metrics?.transactionsReplaced.inc({ method: transaction.method });
      log.info('stuck transaction replaced with a higher fee', {
        txHash: sent.hash,
        replaces: hashes[hashes.length - 1],
        nonce: transaction.nonce,
        maxFeePerGas: String(sent.fees.maxFeePerGas),
        maxPriorityFeePerGas: String(sent.fees.maxPriorityFeePerGas),
      });
      return sent;
    } catch (error) {
      // One of our versions was mined meanwhile: the next poll finds its receipt.
      if (error instanceof NonceTakenError) return undefined;
      // A remote signer that cannot sign the replacement now: the version sent is still pending,
      // keep waiting for it and try replacing again later.
      if (error instanceof SignerError) {
        log.warn('could not sign the replacement of a stuck transaction; waiting', {
          nonce: transaction.nonce,
          error: error.message,
        });
        return undefined;
      }
      throw error;
    }
  }

  private async receiptOfAny(hashes: readonly string[]): Promise<TransactionReceipt | undefined> {
    const receipts = await Promise.all(
      hashes.map((hash) =>
        this.rpc.call('eth_getTransactionReceipt', (p) => p.getTransactionReceipt(hash)),
      ),
    );
    return receipts.find((receipt) => receipt !== null) ?? undefined;
  }

  /** A mined receipt: the result, or the revert decoded by replaying the call at its block. */
  private async settled(
    transaction: TransactionIntent & { nonce: number; gasLimit: bigint },
    receipt: TransactionReceipt,
    replacements: number,
    log: Logger,
  ): Promise<SendResult> {
    if (receipt.status === 1) {
      log.info('transaction mined', {
        txHash: receipt.hash,
        block: receipt.blockNumber,
        gasUsed: String(receipt.gasUsed),
        replacements,
      });
      return { status: 'mined', receipt, nonce: transaction.nonce, replacements };
    }
    // The receipt has no revert data: replaying the call on the state of its block reproduces
    // reverts that depend on that state or the block's time (a closed auction, a rival's bid).
    const revert = await this.rpc
      .call('eth_call', (p) =>
        p.call({
          from: this.signer.address,
          to: transaction.to,
          data: transaction.data,
          value: transaction.value ?? 0n,
          blockTag: receipt.blockNumber,
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => (isError(error, 'CALL_EXCEPTION') ? this.decode(error) : undefined),
      );
    const outOfGas = !revert && receipt.gasUsed >= transaction.gasLimit;
    throw new TransactionRevertedError(
      transaction.method,
      'mined',
      revert,
      receipt.hash,
      undefined,
      outOfGas ? `it ran out of gas (limit ${transaction.gasLimit})` : undefined,
    );
  }

  private decode(error: unknown): DecodedRevert | undefined {
    return decodeRevert(revertDataOf(error), this.abis);
  }

  private pause(): Promise<void> {
    return sleep(this.clock, this.pollIntervalMs, this.stopping.signal);
  }

  private throwIfStopped(method: string, beforeThrow?: () => void): void {
    if (!this.stopping.signal.aborted) return;
    beforeThrow?.();
    throw new SenderStoppedError(method);
  }
}

function failureReason(error: unknown): TransactionFailureReason {
  if (error instanceof TransactionRevertedError) return 'reverted';
  if (error instanceof ReceiptTimeoutError) return 'timeout';
  if (error instanceof InsufficientFundsError) return 'insufficient_funds';
  if (error instanceof RpcUnavailableError) return 'rpc_unavailable';
  if (error instanceof SenderStoppedError) return 'stopped';
  if (error instanceof SignerError) return 'signer';
  return 'rejected';
}
