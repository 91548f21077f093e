// What a remote signer must return: the transaction the sender asked for, field by field, signed by
// the provider's key. Pure: the remote signer checks every answer with it before anything is sent.
import { Transaction, getAddress, hexlify, type TransactionRequest } from 'ethers';
import { sameAddress } from './identifiers.js';

/** An EIP-1559 transaction as the sender asks for it: every field set, nothing left to the signer. */
export interface TransactionToSign {
  readonly chainId: bigint;
  readonly nonce: number;
  readonly to: string;
  readonly data: string;
  readonly value: bigint;
  readonly gasLimit: bigint;
  readonly maxFeePerGas: bigint;
  readonly maxPriorityFeePerGas: bigint;
}

/**
 * The fields of a sender's request, all of them required: a signer left to fill in a nonce, a gas
 * limit or a fee would sign something the sender did not decide.
 *
 * @example transactionToSign({ type: 2, chainId: 1, nonce: 0, to, data: '0x', value: 0n, gasLimit: 21000n, maxFeePerGas, maxPriorityFeePerGas })
 */
export function transactionToSign(request: TransactionRequest): TransactionToSign {
  const missing = (
    ['chainId', 'nonce', 'to', 'gasLimit', 'maxFeePerGas', 'maxPriorityFeePerGas'] as const
  ).filter((field) => request[field] === undefined || request[field] === null);
  if (missing.length > 0 || (request.type !== undefined && request.type !== 2)) {
    throw new TypeError(
      `a transaction for a remote signer needs type 2 and ${missing.join(', ') || 'its fields'} set`,
    );
  }
  return {
    chainId: BigInt(request.chainId!),
    nonce: Number(request.nonce),
    to: getAddress(String(request.to)),
    data: hexlify(request.data ?? '0x'),
    value: BigInt(request.value ?? 0),
    gasLimit: BigInt(request.gasLimit!),
    maxFeePerGas: BigInt(request.maxFeePerGas!),
    maxPriorityFeePerGas: BigInt(request.maxPriorityFeePerGas!),
  };
}

/**
 * What is wrong with a signer's answer to `asked`, one line per problem; empty when `raw` is
 * exactly `asked`, signed by `signer`. Everything a signer could change is compared: the type,
 * chain, nonce, recipient, calldata, value, gas limit, both fees and the access list.
 *
 * @example
 * const problems = signedTransactionProblems(raw, asked, '0xf39F…');
 * if (problems.length > 0) throw new SignedTransactionMismatchError(url, problems);
 */
export function signedTransactionProblems(
  raw: unknown,
  asked: TransactionToSign,
  signer: string,
): string[] {
  if (typeof raw !== 'string' || !/^0x[0-9a-fA-F]+$/.test(raw)) {
    return [`the answer is not a hex-encoded signed transaction (${describe(raw)})`];
  }
  let signed: Transaction;
  try {
    signed = Transaction.from(raw);
  } catch (error) {
    return [`the answer does not decode as a transaction: ${(error as Error).message}`];
  }
  if (!signed.signature || !signed.from) return ['the transaction is not signed'];
  const problems: string[] = [];
  if (!sameAddress(signed.from, signer)) {
    problems.push(`signed by ${signed.from}, not by the provider's ${getAddress(signer)}`);
  }
  const compare = (field: string, got: unknown, wanted: unknown): void => {
    if (String(got) !== String(wanted)) problems.push(`${field}: asked ${wanted}, got ${got}`);
  };
  compare('type', signed.type, 2);
  compare('chainId', signed.chainId, asked.chainId);
  compare('nonce', signed.nonce, asked.nonce);
  compare('to', signed.to && getAddress(signed.to), asked.to);
  compare('data', signed.data.toLowerCase(), asked.data.toLowerCase());
  compare('value', signed.value, asked.value);
  compare('gasLimit', signed.gasLimit, asked.gasLimit);
  compare('maxFeePerGas', signed.maxFeePerGas, asked.maxFeePerGas);
  compare('maxPriorityFeePerGas', signed.maxPriorityFeePerGas, asked.maxPriorityFeePerGas);
  if ((signed.accessList?.length ?? 0) > 0) problems.push('an access list was added');
  return problems;
}

/** A short, safe description of an unexpected answer (never the whole of it). */
function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 20 ? `"${value.slice(0, 20)}…"` : `"${value}"`;
  return value === null ? 'null' : typeof value;
}
