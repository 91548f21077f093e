// Quotes before orders: `supercloud quote` asks every provider in the ProviderRegistry, through
// its gateway's POST /v1/quote, what it would bid on an order with these terms, or why it would
// not; `supercloud order bids` asks the same of an open order without bids. Gateways are asked
// concurrently, each with a timeout; one that does not answer is reported with its URL and error.
import type { Provider } from 'ethers';
import { connectContract, marketplaceAbi, providerRegistryAbi } from '../chain/abi/index.js';
import { sameAddress } from '../chain/identifiers.js';
import type { GatewayErrorBody } from '../gateway/errors.js';
import type { QuoteAnswer } from '../gateway/quote.js';
import { quotePath, quoteRequestJson, type QuoteRequest } from '../gateway/quote-request.js';
import { mapWithConcurrency } from '../market/concurrency.js';
import { orderResources as marketResources } from '../market/order.js';
import { canonicalManifest } from '../workloads/canonical.js';
import { parseManifestYaml } from '../workloads/parse.js';
import { parsePricePerSecond } from './amounts.js';
import { CliUsageError } from './errors.js';
import { orderResources, type ResourceFlags } from './order-request.js';
import { readOrderManifest } from './order-manifest.js';
import type { ConnectedTenant, OrderSummary } from './tenant.js';

/** A provider as the registry lists it. */
export interface RegisteredProvider {
  readonly address: string;
  /** Empty when the provider registered none. */
  readonly gatewayUrl: string;
}

/** What one provider's gateway said: its answer, or why there is none. */
export type ProviderQuote = {
  readonly provider: string;
  readonly gatewayUrl: string;
} & ({ readonly answer: QuoteAnswer } | { readonly error: string });

/** Where to ask, and whose quotes count: the marketplace the CLI is connected to. */
export interface AskQuotesParameters {
  readonly providers: readonly RegisteredProvider[];
  /** The order's terms (without `provider`: each gateway is asked for its own). */
  readonly terms: QuoteRequest;
  readonly chainId: number;
  readonly marketplace: string;
  readonly timeoutMs: number;
}

/** The most the contract takes as an order's max price: a quote without one asks "at any price". */
export const anyPricePerSecond = 2n ** 96n - 1n;

/** Gateways asked at once. */
const concurrentGateways = 16;
/** Providers read from the registry per call. */
const registryPage = 100n;

/**
 * The terms of `supercloud quote`: the manifest checked and made canonical (what `order create`
 * would put on chain), the resources from the flags or the manifest's totals, the max price
 * (default: any).
 *
 * @throws ManifestError for the manifest, CliUsageError for the flags.
 */
export function quoteTerms(
  manifestText: string,
  flags: ResourceFlags & { readonly maxPrice?: string },
): QuoteRequest {
  const manifest = parseManifestYaml(manifestText);
  const maxPricePerSecond =
    flags.maxPrice === undefined
      ? anyPricePerSecond
      : parsePricePerSecond('--max-price', flags.maxPrice);
  if (maxPricePerSecond > anyPricePerSecond) {
    throw new CliUsageError(`--max-price ${maxPricePerSecond}/s is above the contract's 2^96 − 1`);
  }
  return {
    manifest: canonicalManifest(manifest),
    resources: marketResources(orderResources(manifest, flags)),
    maxPricePerSecond,
  };
}

/** The terms of an order on chain, its manifest read from its OrderCreated event. */
export async function orderTerms(
  provider: Provider,
  marketplace: string,
  order: OrderSummary,
): Promise<QuoteRequest | undefined> {
  const manifest = await readOrderManifest(provider, {
    marketplace,
    orderId: order.orderId,
    biddingDeadline: order.biddingDeadline,
  });
  if (manifest === undefined) return undefined;
  return {
    manifest,
    resources: marketResources(order.resources),
    maxPricePerSecond: order.maxPricePerSecond,
    tenant: order.tenant,
    manifestHash: order.manifestHash,
    orderId: order.orderId,
  };
}

/** Every provider in the marketplace's registry, in registration order. */
export async function registeredProviders(
  provider: Provider,
  marketplace: string,
): Promise<RegisteredProvider[]> {
  const registryAddress = await connectContract(marketplaceAbi, marketplace, provider).registry();
  const registry = connectContract(providerRegistryAbi, registryAddress, provider);
  const total = await registry.providerCount();
  const found: RegisteredProvider[] = [];
  for (let offset = 0n; offset < total; offset += registryPage) {
    const page = await registry.getProviders(offset, registryPage);
    found.push(...page.map((info) => ({ address: info.provider, gatewayUrl: info.gatewayUrl })));
  }
  return found;
}

/**
 * Which providers to ask: the registered ones (only `only`, when given), each at its registered
 * gateway; or, with `gatewayUrl`, that one gateway (for `only`, or for whichever provider it
 * serves).
 */
export async function quoteTargets(
  provider: Provider,
  marketplace: string,
  options: Pick<QuoteProvidersOptions, 'only' | 'gatewayUrl'>,
): Promise<RegisteredProvider[]> {
  if (options.gatewayUrl) {
    return [{ address: options.only ?? '', gatewayUrl: options.gatewayUrl }];
  }
  const registered = await registeredProviders(provider, marketplace);
  if (!options.only) return registered;
  const chosen = registered.filter((p) => sameAddress(p.address, options.only!));
  if (chosen.length === 0) {
    throw new CliUsageError(
      `${options.only} is not registered in the marketplace's ProviderRegistry`,
      'leave --provider out to ask every registered provider',
    );
  }
  return chosen;
}

export interface QuoteProvidersOptions {
  /** Ask this registered provider only. */
  readonly only?: string;
  /** Ask this gateway instead of the registered ones (for `only`, or whichever provider it serves). */
  readonly gatewayUrl?: string;
  /** How long each gateway may take. Default 10 s. */
  readonly timeoutMs?: number;
}

/**
 * The quotes of the registered providers (or of one gateway) for `terms`, lowest price first.
 *
 * @example const quotes = await quoteProviders(tenant, quoteTerms(yamlText, flags));
 */
export async function quoteProviders(
  tenant: Pick<ConnectedTenant, 'provider' | 'marketplace' | 'chainId'>,
  terms: QuoteRequest,
  options: QuoteProvidersOptions = {},
): Promise<ProviderQuote[]> {
  const { provider, marketplace, chainId } = tenant;
  return askQuotes({
    providers: await quoteTargets(provider, marketplace, options),
    terms,
    chainId,
    marketplace,
    timeoutMs: options.timeoutMs ?? 10_000,
  });
}

/**
 * Asks each provider's gateway for its quote, concurrently; lowest price first, then the
 * refusals, then the gateways that did not answer.
 */
export async function askQuotes(parameters: AskQuotesParameters): Promise<ProviderQuote[]> {
  const quotes = await mapWithConcurrency(parameters.providers, concurrentGateways, (target) =>
    askOne(target, parameters),
  );
  return [...quotes].sort((a, b) => rank(a) - rank(b) || comparePrices(priceOf(a), priceOf(b)));
}

const rank = (quote: ProviderQuote): number => ('error' in quote ? 2 : quote.answer.bid ? 0 : 1);
const priceOf = (quote: ProviderQuote): bigint =>
  'answer' in quote && quote.answer.bid ? BigInt(quote.answer.pricePerSecond) : 0n;
const comparePrices = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

async function askOne(
  target: RegisteredProvider,
  { terms, chainId, marketplace, timeoutMs }: AskQuotesParameters,
): Promise<ProviderQuote> {
  const { address, gatewayUrl } = target;
  const failed = (error: string): ProviderQuote => ({ provider: address, gatewayUrl, error });
  if (!gatewayUrl) return failed('the provider registered no gateway URL');
  let url: URL;
  try {
    url = new URL(quotePath, gatewayUrl);
  } catch {
    return failed(`the registered gateway URL ${JSON.stringify(gatewayUrl)} is not a URL`);
  }
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        quoteRequestJson({ ...terms, ...(address ? { provider: address } : {}) }),
      ),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return failed(`the gateway does not answer (${fetchFailure(error, timeoutMs)})`);
  }
  const body = (await response.json().catch(() => undefined)) as
    QuoteAnswer | GatewayErrorBody | undefined;
  if (!response.ok || body === undefined || 'error' in body) {
    const refusal = body && 'error' in body ? body.error.message : `HTTP ${response.status}`;
    return failed(`the gateway refused: ${refusal}`);
  }
  if (body.chainId !== chainId || !sameAddress(body.marketplace, marketplace)) {
    return failed(
      `the gateway quotes for marketplace ${body.marketplace} on chain ${body.chainId}, not this one`,
    );
  }
  if (address && !sameAddress(body.provider, address)) {
    return failed(`the gateway answered for provider ${body.provider}, not ${address}`);
  }
  return { provider: body.provider, gatewayUrl, answer: body };
}

function fetchFailure(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  if (error instanceof Error) {
    return error.cause instanceof Error ? error.cause.message : error.message;
  }
  return String(error);
}
