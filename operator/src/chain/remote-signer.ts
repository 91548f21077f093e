// A client of a remote signer speaking the Web3Signer / `eth_signTransaction` JSON-RPC convention
// (Consensys Web3Signer, geth's Clef-backed `eth_signTransaction`, a KMS bridge): the provider key
// never enters the operator. Every answer is checked before the sender broadcasts it.
import { createHash } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { getAddress, toQuantity, type TransactionRequest } from 'ethers';
import {
  SignedTransactionMismatchError,
  SignerAccountMissingError,
  SignerError,
  SignerRefusedError,
  SignerUnavailableError,
} from './errors.js';
import { sameAddress } from './identifiers.js';
import type { ProviderSigner } from './provider-signer.js';
import { describeError } from './rpc.js';
import {
  signedTransactionProblems,
  transactionToSign,
  type TransactionToSign,
} from './signed-transaction.js';

export interface RemoteSignerOptions {
  /** The signer's JSON-RPC endpoint (http or https). */
  readonly url: string;
  /** The provider wallet: the account the signer must sign with. */
  readonly address: string;
  /** The chain the transactions are for (a probe signature after a failure uses it). */
  readonly chainId: number;
  /** Sent as `Authorization: Bearer <token>`. Never logged, never in an error. */
  readonly token?: string;
  /** PEM CA bundle the signer's TLS certificate must chain to, instead of the system's CAs. */
  readonly ca?: string;
  /** A request without a full answer after this long fails. Default 10 s. */
  readonly timeoutMs?: number;
}

/** Answers larger than this are not a signed transaction or an account list. */
const maxAnswerBytes = 1024 * 1024;

/**
 * Signs through a remote signer: `eth_signTransaction` with every field of the transaction set
 * (from, to, gas, maxFeePerGas, maxPriorityFeePerGas, value, data, nonce; the signer's chain id
 * is its own and checked), answered with the raw signed transaction (Web3Signer) or `{ raw }`
 * (geth). The answer is decoded and must be the transaction asked for, signed by `address`: a
 * signer returning anything else fails with {@link SignedTransactionMismatchError} and nothing is
 * sent. `eth_accounts` checks that the signer holds the address.
 *
 * @example
 * const signer = new RemoteSigner({ url: 'https://web3signer.internal:9000', address, chainId, token });
 * const sender = new TransactionSender({ rpc, signer, chainId });
 */
export class RemoteSigner implements ProviderSigner {
  readonly address: string;
  readonly identity: string;
  readonly description: string;
  /** The URL without credentials or query, for messages. */
  private readonly shownUrl: string;
  private readonly url: URL;
  private readonly token: string | undefined;
  private readonly ca: string | undefined;
  private readonly timeoutMs: number;
  private readonly chainId: number;
  private nextId = 1;
  /** Why the last signature failed, until one succeeds (an outage clears when the signer answers). */
  private lastFailure: SignerError | undefined;

  constructor(options: RemoteSignerOptions) {
    this.url = new URL(options.url);
    if (this.url.protocol !== 'http:' && this.url.protocol !== 'https:') {
      throw new TypeError(`the remote signer URL must be http or https, not ${this.url.protocol}`);
    }
    this.address = getAddress(options.address);
    this.token = options.token;
    this.ca = options.ca;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.chainId = options.chainId;
    this.shownUrl = `${this.url.protocol}//${this.url.host}${this.url.pathname === '/' ? '' : this.url.pathname}`;
    this.description = `the remote signer at ${this.shownUrl} signs for ${this.address}`;
    // Rotated credentials change the identity (and so replace the session); only a digest of
    // them is kept in it.
    const credentials = createHash('sha256')
      .update(JSON.stringify([options.token ?? '', options.ca ?? '']))
      .digest('hex')
      .slice(0, 16);
    this.identity = `remote:${this.url.href}|${this.address}|${this.timeoutMs}|${credentials}`;
  }

  /** The accounts the signer signs for (`eth_accounts`), checksummed. */
  async accounts(): Promise<string[]> {
    const result = await this.call('eth_accounts', []);
    if (!Array.isArray(result) || !result.every((a) => typeof a === 'string')) {
      throw new SignerRefusedError(
        this.shownUrl,
        'eth_accounts',
        'the answer is not a list of addresses',
        "check that the URL is the signer's JSON-RPC endpoint",
      );
    }
    return result.map((account) => getAddress(account));
  }

  async check(): Promise<SignerError | undefined> {
    let accounts: string[];
    try {
      accounts = await this.accounts();
    } catch (error) {
      if (error instanceof SignerError) return error;
      throw error;
    }
    if (!accounts.some((account) => sameAddress(account, this.address))) {
      return new SignerAccountMissingError(this.shownUrl, this.address, accounts);
    }
    // The signer answers again: an outage is over.
    if (this.lastFailure instanceof SignerUnavailableError) this.lastFailure = undefined;
    // A refused or altered signature is reported until a signature succeeds: a probe shows
    // whether the signer signs correctly again (it may have been fixed with nothing to send).
    if (this.lastFailure) {
      await this.signTransaction(probeTransaction(this.address, this.chainId)).catch(
        () => undefined,
      );
    }
    return this.lastFailure;
  }

  async signTransaction(request: TransactionRequest): Promise<string> {
    const asked = transactionToSign(request);
    try {
      const answer = await this.call('eth_signTransaction', [signerParams(this.address, asked)]);
      // Web3Signer answers the raw transaction; geth's eth_signTransaction answers { raw, tx }.
      const raw =
        typeof answer === 'object' && answer !== null && 'raw' in answer
          ? (answer as { raw: unknown }).raw
          : answer;
      const problems = signedTransactionProblems(raw, asked, this.address);
      if (problems.length > 0) throw new SignedTransactionMismatchError(this.shownUrl, problems);
      this.lastFailure = undefined;
      return raw as string;
    } catch (error) {
      if (error instanceof SignerError) this.lastFailure = error;
      throw error;
    }
  }

  /** One JSON-RPC call; transport failures and error answers become {@link SignerError}s. */
  private async call(method: string, params: readonly unknown[]): Promise<unknown> {
    const body = JSON.stringify({ jsonrpc: '2.0', id: this.nextId++, method, params });
    let answer: { status: number; text: string };
    try {
      answer = await this.post(body);
    } catch (error) {
      throw new SignerUnavailableError(this.shownUrl, method, describeError(error), error);
    }
    const { status, text } = answer;
    if (status === 401 || status === 403) {
      throw new SignerRefusedError(
        this.shownUrl,
        method,
        `HTTP ${status}: the request was not authorized`,
        this.token
          ? 'check the bearer token in the signer Secret'
          : 'the signer wants credentials: put a bearer token in the signer Secret',
      );
    }
    if (status === 429 || status >= 500) {
      throw new SignerUnavailableError(this.shownUrl, method, `HTTP ${status}`);
    }
    let parsed: { result?: unknown; error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch {
      throw new SignerRefusedError(
        this.shownUrl,
        method,
        `HTTP ${status}, and the answer is not JSON-RPC`,
        "check that the URL is the signer's JSON-RPC endpoint",
      );
    }
    if (parsed.error) {
      throw new SignerRefusedError(
        this.shownUrl,
        method,
        `error ${String(parsed.error.code)}: ${String(parsed.error.message)}`,
      );
    }
    if (!('result' in parsed)) {
      throw new SignerRefusedError(this.shownUrl, method, `HTTP ${status}, and no result`);
    }
    return parsed.result;
  }

  private post(body: string): Promise<{ status: number; text: string }> {
    const send = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const request = send(
        this.url,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json',
            Accept: 'application/json',
            'Content-Length': Buffer.byteLength(body),
            ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}),
          },
          ...(this.ca ? { ca: this.ca } : {}),
          signal: AbortSignal.timeout(this.timeoutMs),
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          response.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxAnswerBytes) {
              request.destroy(new Error(`the answer is larger than ${maxAnswerBytes} bytes`));
            } else chunks.push(chunk);
          });
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 0,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          response.on('error', reject);
        },
      );
      request.on('error', (error: Error) =>
        reject(
          error.name === 'AbortError' || error.name === 'TimeoutError'
            ? new Error(`no answer within ${this.timeoutMs} ms`)
            : error,
        ),
      );
      request.end(body);
    });
  }
}

/**
 * A transaction that can be signed but never mined: a zero-value transfer to itself, at no fee,
 * at a nonce no account reaches (2^53 − 1). Its signature proves the signer signs what it is
 * asked with the provider's key; leaked, it is worth nothing.
 */
function probeTransaction(address: string, chainId: number): TransactionRequest {
  return {
    type: 2,
    chainId,
    nonce: Number.MAX_SAFE_INTEGER,
    to: address,
    data: '0x',
    value: 0n,
    gasLimit: 21_000n,
    maxFeePerGas: 0n,
    maxPriorityFeePerGas: 0n,
  };
}

/**
 * The `eth_signTransaction` parameter: every field set, quantities as hex. No `chainId` (a
 * Web3Signer signs with the chain id it is configured with; it is checked in the answer).
 */
function signerParams(from: string, asked: TransactionToSign): Record<string, string> {
  return {
    from,
    to: asked.to,
    gas: toQuantity(asked.gasLimit),
    maxFeePerGas: toQuantity(asked.maxFeePerGas),
    maxPriorityFeePerGas: toQuantity(asked.maxPriorityFeePerGas),
    value: toQuantity(asked.value),
    data: asked.data,
    nonce: toQuantity(asked.nonce),
  };
}
