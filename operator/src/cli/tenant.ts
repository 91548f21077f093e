// The tenant's side of the marketplace as a library: what `supercloud order ...` and
// `supercloud lease ...` do, callable from the demo and tests with a wallet of their own.
// Every send is checked first where a clear message is possible (order exists, deposit large
// enough, tokens held), estimated (a revert is decoded to the contract's custom error before any
// gas is paid) and awaited to its receipt; results come from the events the contract emitted.
import {
  FetchRequest,
  Wallet,
  ZeroAddress,
  isError,
  toUtf8Bytes,
  type ContractTransactionResponse,
  type Provider,
  type Signer,
  type TransactionReceipt,
} from 'ethers';
import {
  connectContract,
  ierc20Abi,
  marketplaceAbi,
  orderStatus,
  orderStatusNames,
  type OrderStatusName,
} from '../chain/abi/index.js';
import type { TypedContract } from '../chain/abi/index.js';
import { InsufficientFundsError, TransactionRevertedError } from '../chain/errors.js';
import {
  decodeLogs,
  marketplaceEventsNamed,
  type MarketplaceEventArgs,
  type MarketplaceEventName,
} from '../chain/events.js';
import { readLease } from '../chain/marketplace/read-lease.js';
import { readOrder } from '../chain/marketplace/read-order.js';
import { readLatestBlock } from '../chain/read-latest-block.js';
import { contractErrorAbis, decodeRevert, revertDataOf } from '../chain/revert.js';
import { describeError, isTransportError, jsonRpcProvider } from '../chain/rpc.js';
import { isExhausted } from '../market/settlement-status.js';
import { checkMinimumDeposit } from './amounts.js';
import type { ConnectionSettings } from './config.js';
import { CliUsageError, RpcUnreachableError } from './errors.js';
import type { OrderRequest, OrderResources } from './order-request.js';

/** Where a transaction landed. */
export interface Mined {
  readonly transactionHash: string;
  readonly blockNumber: number;
}

export interface OrderCreated extends Mined {
  readonly orderId: bigint;
  readonly tenant: string;
  readonly maxPricePerSecond: bigint;
  readonly deposit: bigint;
  /** Unix seconds. */
  readonly biddingDeadline: bigint;
  readonly manifestHash: string;
  /** The approval sent first when the allowance was short. */
  readonly approvalTransactionHash?: string;
}

export interface OrderSummary {
  readonly orderId: bigint;
  readonly tenant: string;
  readonly status: OrderStatusName;
  readonly biddingDeadline: bigint;
  /** True while the latest block is before the deadline (bids still accepted). */
  readonly biddingOpen: boolean;
  readonly maxPricePerSecond: bigint;
  readonly manifestHash: string;
  readonly resources: OrderResources;
  /** Absent when there is no live bid. */
  readonly bestBid?: Bid;
  /** The deposit held while the order is open; 0 once leased or cancelled. */
  readonly escrow: bigint;
}

export interface Bid {
  readonly provider: string;
  readonly pricePerSecond: bigint;
}

export interface LeaseStarted extends Mined {
  /** The same as the order id. */
  readonly leaseId: bigint;
  readonly tenant: string;
  readonly provider: string;
  readonly pricePerSecond: bigint;
  readonly escrow: bigint;
  readonly feeBps: bigint;
  readonly startedAt: bigint;
  readonly fundedUntil: bigint;
}

export interface OrderCancelled extends Mined {
  readonly orderId: bigint;
  readonly refund: bigint;
}

export interface LeaseSummary {
  readonly leaseId: bigint;
  readonly tenant: string;
  readonly provider: string;
  readonly pricePerSecond: bigint;
  /** Streamed to the provider, not yet withdrawn (before the fee). */
  readonly accrued: bigint;
  /** Escrow not yet streamed. */
  readonly remaining: bigint;
  /** When the escrow runs out at this rate (the close time once closed). Unix seconds. */
  readonly fundedUntil: bigint;
  /** 0 while open. */
  readonly closedAt: bigint;
  readonly feeBps: bigint;
  readonly active: boolean;
  /** Open but with nothing left to stream: anyone may close it. */
  readonly exhausted: boolean;
  /** The latest block's time, the "now" of the figures above. */
  readonly asOf: bigint;
}

export interface ToppedUp extends Mined {
  readonly leaseId: bigint;
  readonly amount: bigint;
  readonly escrow: bigint;
  readonly fundedUntil: bigint;
  readonly approvalTransactionHash?: string;
}

export interface LeaseClosed extends Mined {
  readonly leaseId: bigint;
  readonly closedBy: string;
  readonly provider: string;
  readonly providerPayout: bigint;
  readonly fee: bigint;
  readonly refund: bigint;
}

/** The tenant's wallet as the marketplace sees it. */
export interface AccountSummary {
  readonly address: string;
  readonly marketplace: string;
  readonly token: string;
  /** Payment token, base units. */
  readonly tokenBalance: bigint;
  /** What the marketplace may still pull from the wallet. */
  readonly allowance: bigint;
  /** Native currency for gas, wei. */
  readonly gasBalance: bigint;
  readonly minRunSeconds: bigint;
}

export interface TenantClientParameters {
  /** Reads go through it; it should not cache (cacheTimeout −1), see `connectTenant`. */
  readonly provider: Provider;
  readonly marketplace: string;
  /** Needed for the commands that send transactions. */
  readonly signer?: Signer;
  /** One human-readable line per step ("sending createOrder…"). */
  readonly onProgress?: (line: string) => void;
  /** The provider's URL, named in errors when the node stops answering. */
  readonly rpcUrl?: string;
}

type Marketplace = TypedContract<typeof marketplaceAbi>;
type Token = TypedContract<typeof ierc20Abi>;

/**
 * A tenant's handle on one marketplace.
 *
 * @example
 * const tenant = new TenantClient({ provider, marketplace, signer: wallet, onProgress: console.log });
 * const { orderId } = await tenant.createOrder(buildOrderRequest(yamlText, flags));
 * const lease = await tenant.finalize(orderId);
 */
export class TenantClient {
  readonly marketplace: string;
  private readonly provider: Provider;
  private readonly signer: Signer | undefined;
  private readonly progress: (line: string) => void;
  private readonly rpcUrl: string | undefined;
  private readonly reader: Marketplace;
  private tokenAddress: string | undefined;

  constructor(parameters: TenantClientParameters) {
    this.marketplace = parameters.marketplace;
    this.provider = parameters.provider;
    this.signer = parameters.signer;
    this.progress = parameters.onProgress ?? (() => {});
    this.rpcUrl = parameters.rpcUrl;
    this.reader = connectContract(marketplaceAbi, this.marketplace, this.provider);
  }

  /** The tenant's address (the signer's). */
  async address(): Promise<string> {
    return this.requireSigner().getAddress();
  }

  /** Creates an order: approves the deposit if the allowance is short, then `createOrder`. */
  async createOrder(request: OrderRequest): Promise<OrderCreated> {
    const tenant = await this.address();
    checkMinimumDeposit(request.deposit, request.maxPricePerSecond, await this.minRunSeconds());
    const approvalTransactionHash = await this.ensureAllowance(tenant, request.deposit);
    const market = this.writer();
    const receipt = await this.send('createOrder', () =>
      market.createOrder(
        request.resources,
        request.maxPricePerSecond,
        request.biddingSeconds,
        request.deposit,
        toUtf8Bytes(request.manifest),
      ),
    );
    const event = this.event(receipt, 'OrderCreated');
    return {
      orderId: event.orderId,
      tenant: event.tenant,
      maxPricePerSecond: event.maxPricePerSecond,
      deposit: event.deposit,
      biddingDeadline: event.biddingDeadline,
      manifestHash: event.manifestHash,
      ...mined(receipt),
      ...(approvalTransactionHash ? { approvalTransactionHash } : {}),
    };
  }

  /** The order as the contract holds it. @throws CliUsageError when there is no such order. */
  async order(orderId: bigint): Promise<OrderSummary> {
    const [view, now] = await Promise.all([
      readOrder(this.provider, { marketplace: this.marketplace, orderId }),
      this.chainTime(),
    ]);
    if (view.status === orderStatus.None) {
      throw new CliUsageError(
        `order ${orderId} does not exist on the marketplace ${this.marketplace}`,
        'check the id (printed by `supercloud order create`) and the marketplace address',
      );
    }
    return {
      orderId,
      tenant: view.tenant,
      status: orderStatusNames[view.status],
      biddingDeadline: view.biddingDeadline,
      biddingOpen: view.status === orderStatus.Open && now < view.biddingDeadline,
      maxPricePerSecond: view.maxPricePerSecond,
      manifestHash: view.manifestHash,
      resources: view.resources,
      ...(view.bestBidder !== ZeroAddress
        ? { bestBid: { provider: view.bestBidder, pricePerSecond: view.bestPricePerSecond } }
        : {}),
      escrow: view.escrow,
    };
  }

  /** The live bids of an order, lowest price first (earliest first among equal prices). */
  async bids(orderId: bigint): Promise<Bid[]> {
    await this.order(orderId);
    const bids = await this.reader.getBids(orderId);
    // The contract keeps them ranked already; sorting again keeps that promise here too.
    return bids
      .map(({ provider, pricePerSecond }) => ({ provider, pricePerSecond }))
      .sort((a, b) =>
        a.pricePerSecond < b.pricePerSecond ? -1 : a.pricePerSecond > b.pricePerSecond ? 1 : 0,
      );
  }

  /**
   * Accepts `provider`'s bid at once (tenant only, any time before the order is leased), at most
   * at `maxPricePerSecond`: the price the tenant saw. Without it, the bid is read now and that
   * price is the limit. Either way a bid raised in the meantime (cancelled and placed again
   * higher, e.g. just ahead of this transaction) reverts with `Marketplace_BidAboveLimit`
   * instead of starting a dearer lease.
   */
  async acceptBid(
    orderId: bigint,
    provider: string,
    options: { readonly maxPricePerSecond?: bigint } = {},
  ): Promise<LeaseStarted> {
    const market = this.writer();
    const maxPricePerSecond =
      options.maxPricePerSecond ?? (await this.reader.getBid(orderId, provider));
    // Without a live bid (0) it is sent anyway: the marketplace's Marketplace_NoBid says so.
    if (options.maxPricePerSecond === undefined && maxPricePerSecond > 0n) {
      this.progress(`${provider} bids ${maxPricePerSecond} per second; accepting at most that`);
    }
    return this.leaseStarted(
      await this.send('acceptBid', () => market.acceptBid(orderId, provider, maxPricePerSecond)),
    );
  }

  /** Leases the order to its best bid; anyone may call it once bidding has closed. */
  async finalize(orderId: bigint): Promise<LeaseStarted> {
    const market = this.writer();
    return this.leaseStarted(await this.send('finalize', () => market.finalize(orderId)));
  }

  /** Cancels an open order and refunds its deposit. */
  async cancelOrder(orderId: bigint): Promise<OrderCancelled> {
    const market = this.writer();
    const receipt = await this.send('cancelOrder', () => market.cancelOrder(orderId));
    const event = this.event(receipt, 'OrderCancelled');
    return { orderId, refund: event.refund, ...mined(receipt) };
  }

  /** The lease as of the latest block. @throws CliUsageError when the order is not leased. */
  async lease(leaseId: bigint): Promise<LeaseSummary> {
    const [view, asOf] = await Promise.all([
      readLease(this.provider, { marketplace: this.marketplace, leaseId }),
      this.chainTime(),
    ]);
    if (!view.exists) {
      throw new CliUsageError(
        `there is no lease ${leaseId}: the order does not exist or is not leased yet`,
        `see \`supercloud order show ${leaseId}\`; a lease starts with \`order accept\` or \`order finalize\``,
      );
    }
    return {
      leaseId,
      tenant: view.tenant,
      provider: view.provider,
      pricePerSecond: view.pricePerSecond,
      accrued: view.accrued,
      remaining: view.remaining,
      fundedUntil: view.fundedUntil,
      closedAt: view.closedAt,
      feeBps: view.feeBps,
      active: view.active,
      exhausted: isExhausted(view),
      asOf,
    };
  }

  /** Adds `amount` to a lease's escrow (approving the marketplace first if needed). */
  async topUp(leaseId: bigint, amount: bigint): Promise<ToppedUp> {
    if (amount <= 0n) throw new CliUsageError('the top-up amount must be positive');
    const funder = await this.address();
    await this.lease(leaseId);
    const approvalTransactionHash = await this.ensureAllowance(funder, amount);
    const market = this.writer();
    const receipt = await this.send('deposit', () => market.deposit(leaseId, amount));
    const event = this.event(receipt, 'Deposited');
    return {
      leaseId,
      amount: event.amount,
      escrow: event.escrow,
      fundedUntil: event.fundedUntil,
      ...mined(receipt),
      ...(approvalTransactionHash ? { approvalTransactionHash } : {}),
    };
  }

  /** Closes a lease: the provider is paid what streamed, the rest is refunded to the tenant. */
  async close(leaseId: bigint): Promise<LeaseClosed> {
    const market = this.writer();
    const receipt = await this.send('close', () => market.close(leaseId));
    const event = this.event(receipt, 'LeaseClosed');
    return {
      leaseId,
      closedBy: event.closedBy,
      provider: event.provider,
      providerPayout: event.providerPayout,
      fee: event.fee,
      refund: event.refund,
      ...mined(receipt),
    };
  }

  /** The wallet's balances and the marketplace's rules that bear on ordering. */
  async account(): Promise<AccountSummary> {
    const address = await this.address();
    const token: Token = connectContract(ierc20Abi, await this.token(), this.provider);
    const [tokenBalance, allowance, gasBalance, minRunSeconds] = await Promise.all([
      token.balanceOf(address),
      token.allowance(address, this.marketplace),
      this.provider.getBalance(address),
      this.minRunSeconds(),
    ]);
    return {
      address,
      marketplace: this.marketplace,
      token: await this.token(),
      tokenBalance,
      allowance,
      gasBalance,
      minRunSeconds,
    };
  }

  /** The marketplace's payment token (read once). */
  async token(): Promise<string> {
    this.tokenAddress ??= await this.reader.token();
    return this.tokenAddress;
  }

  /** The run a deposit must cover at the order's maximum price, in seconds. */
  async minRunSeconds(): Promise<bigint> {
    return this.reader.minRunSeconds();
  }

  private leaseStarted(receipt: TransactionReceipt): LeaseStarted {
    const event = this.event(receipt, 'LeaseCreated');
    return {
      leaseId: event.leaseId,
      tenant: event.tenant,
      provider: event.provider,
      pricePerSecond: event.pricePerSecond,
      escrow: event.escrow,
      feeBps: event.feeBps,
      startedAt: event.startedAt,
      fundedUntil: event.fundedUntil,
      ...mined(receipt),
    };
  }

  /**
   * Approves the marketplace for exactly `amount` when the allowance is short, after checking
   * the balance covers it. Returns the approval's hash when one was sent.
   */
  private async ensureAllowance(owner: string, amount: bigint): Promise<string | undefined> {
    const tokenAddress = await this.token();
    const token: Token = connectContract(ierc20Abi, tokenAddress, this.requireSigner());
    const [balance, allowance] = await Promise.all([
      token.balanceOf(owner),
      token.allowance(owner, this.marketplace),
    ]);
    if (balance < amount) {
      throw new CliUsageError(
        `${owner} holds ${balance} base units of the payment token ${tokenAddress}; ${amount} are needed`,
        'fund the wallet with the payment token, or lower the amount',
      );
    }
    if (allowance >= amount) return undefined;
    const receipt = await this.send('approve', () => token.approve(this.marketplace, amount));
    return receipt.hash;
  }

  /** Estimates (reverts decoded, nothing sent), sends, awaits the receipt; one progress line each. */
  private async send(
    method: string,
    call: () => Promise<ContractTransactionResponse>,
  ): Promise<TransactionReceipt> {
    this.progress(`sending ${method}…`);
    let response: ContractTransactionResponse;
    try {
      response = await call();
    } catch (error) {
      throw await this.sendError(method, 'estimate', error);
    }
    let receipt: TransactionReceipt | null;
    try {
      receipt = await response.wait();
    } catch (error) {
      throw await this.sendError(method, 'mined', error, response.hash);
    }
    if (!receipt)
      throw new RpcUnreachableError('the RPC endpoint', `no receipt for ${response.hash}`);
    this.progress(`  mined in block ${receipt.blockNumber} (tx ${receipt.hash})`);
    return receipt;
  }

  private async sendError(
    method: string,
    stage: 'estimate' | 'mined',
    error: unknown,
    transactionHash?: string,
  ): Promise<Error> {
    if (isError(error, 'INSUFFICIENT_FUNDS')) {
      return new InsufficientFundsError(await this.address(), method, error);
    }
    if (isTransportError(error))
      return new RpcUnreachableError(this.rpcUrl, describeError(error), error);
    const data = revertDataOf(error);
    if (data || isError(error, 'CALL_EXCEPTION')) {
      const revert = decodeRevert(data, contractErrorAbis);
      return new TransactionRevertedError(method, stage, revert, transactionHash, error);
    }
    return error instanceof Error ? error : new Error(String(error));
  }

  /** The arguments of the receipt's Marketplace event `name`, decoded as the follower does. */
  private event<N extends MarketplaceEventName>(
    receipt: TransactionReceipt,
    name: N,
  ): MarketplaceEventArgs<N> {
    const events = decodeLogs(receipt.logs, { marketplace: this.marketplace });
    const [event] = marketplaceEventsNamed(events, name);
    if (event) return event.args;
    throw new Error(
      `transaction ${receipt.hash} emitted no ${name} event from ${this.marketplace}`,
    );
  }

  /** The latest block's timestamp: the chain's "now" (anvil's may run ahead of the clock). */
  async chainTime(): Promise<bigint> {
    return BigInt((await readLatestBlock(this.provider)).timestamp);
  }

  private writer(): Marketplace {
    return connectContract(marketplaceAbi, this.marketplace, this.requireSigner());
  }

  private requireSigner(): Signer {
    if (!this.signer) {
      throw new CliUsageError(
        'this command sends a transaction and needs the tenant key',
        'pass --key-file, set SUPERCLOUD_PRIVATE_KEY, or put privateKeyFile in the config file',
      );
    }
    return this.signer;
  }
}

function mined(receipt: TransactionReceipt): Mined {
  return { transactionHash: receipt.hash, blockNumber: receipt.blockNumber };
}

/** How long one JSON-RPC request may take before the CLI gives up on the node. */
const rpcTimeoutMs = 30_000;

/** A client on the settings' RPC URL and marketplace; `destroy()` it when done. */
export interface ConnectedTenant {
  readonly client: TenantClient;
  readonly provider: Provider;
  /** The tenant key, when the settings have one. */
  readonly signer?: Signer;
  readonly marketplace: string;
  readonly chainId: number;
  readonly rpcUrl: string;
  destroy(): void;
}

/**
 * Connects to the RPC URL (asking its chain id once, checking it against the configured one),
 * checks that a contract is deployed at the marketplace address, and wraps the tenant key.
 *
 * @throws RpcUnreachableError naming the URL, CliUsageError for a wrong chain or address.
 */
export async function connectTenant(
  settings: ConnectionSettings,
  options: { onProgress?: (line: string) => void } = {},
): Promise<ConnectedTenant> {
  const chainId = await probeChainId(settings.rpcUrl);
  if (settings.chainId !== undefined && settings.chainId !== chainId) {
    throw new CliUsageError(
      `the RPC endpoint ${settings.rpcUrl} serves chain ${chainId}, but chain ${settings.chainId} is configured`,
      'fix --rpc-url or the chain id (--chain-id, SUPERCLOUD_CHAIN_ID, chainId in the config file)',
    );
  }
  const provider = jsonRpcProvider(settings.rpcUrl, chainId, rpcTimeoutMs);
  try {
    const code = await provider.getCode(settings.marketplace);
    if (code === '0x') {
      throw new CliUsageError(
        `no contract at the marketplace address ${settings.marketplace} on chain ${chainId} (${settings.rpcUrl})`,
        `check the address (from ${settings.sources.marketplace}); a restarted local stack deploys new contracts`,
      );
    }
  } catch (error) {
    provider.destroy();
    if (error instanceof CliUsageError) throw error;
    throw new RpcUnreachableError(settings.rpcUrl, describeError(error), error);
  }
  const signer = settings.privateKey ? new Wallet(settings.privateKey, provider) : undefined;
  const client = new TenantClient({
    provider,
    marketplace: settings.marketplace,
    rpcUrl: settings.rpcUrl,
    ...(signer ? { signer } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return {
    client,
    provider,
    ...(signer ? { signer } : {}),
    marketplace: settings.marketplace,
    chainId,
    rpcUrl: settings.rpcUrl,
    destroy: () => provider.destroy(),
  };
}

/** `eth_chainId` with a plain request: one attempt, a clear error naming the URL. */
async function probeChainId(url: string): Promise<number> {
  let request: FetchRequest;
  try {
    request = new FetchRequest(url);
  } catch (error) {
    throw new RpcUnreachableError(url, `not a URL: ${describeError(error)}`, error);
  }
  request.timeout = rpcTimeoutMs;
  request.body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] });
  request.setHeader('content-type', 'application/json');
  request.retryFunc = async () => false;
  let result: unknown;
  try {
    const response = await request.send();
    response.assertOk();
    result = (response.bodyJson as { result?: unknown }).result;
  } catch (error) {
    throw new RpcUnreachableError(url, describeError(error), error);
  }
  if (typeof result !== 'string' || !/^0x[0-9a-fA-F]+$/.test(result)) {
    throw new RpcUnreachableError(
      url,
      `eth_chainId answered ${JSON.stringify(result)}, not a chain id`,
    );
  }
  return Number(BigInt(result));
}
