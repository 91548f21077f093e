// POST /v1/quote: what this provider would bid on an order with these terms, or why it would not,
// decided by the bid engine's own rule (`decideBid`) on the inputs the engine builds: the pools
// and their largest nodes from the informer cache, the Provider's bidding policy and pricing
// strategy, and its live bids. The gateway has no chain access, so the live bids are the ones
// the Provider status records (`status.bidPools`, order → pool); how many GPUs each holds is
// known only to the engine, so each is counted as the one GPU every bid holds at least. A quote
// is therefore never more pessimistic than the engine about capacity, and may be more hopeful
// while bids are live; prices and every other reason are the engine's exactly.
import { ZeroAddress, ZeroHash } from 'ethers';
import { GpuNodePoolKind, ProviderKind } from '../api/kinds.js';
import type { Provider } from '../api/provider.js';
import { sameAddress } from '../chain/identifiers.js';
import { poolViews } from '../chain-side/pool-views.js';
import { biddingPolicy, pricingStrategy } from '../controllers/provider/policy.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { NodeKind } from '../kube/objects.js';
import { decideBid, type SkipReason } from '../market/decide.js';
import type { MarketOrder } from '../market/order.js';
import { poolCandidates } from '../market/pool-candidates.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { ManifestError, parseManifestYaml } from '../workloads/parse.js';
import { GatewayError } from './errors.js';
import type { QuoteRequest } from './quote-request.js';

/** Whose quote it is: the provider and the marketplace its bids go to. */
export interface QuoteParty {
  readonly provider: string;
  readonly chainId: number;
  readonly marketplace: string;
}

/** A bid the provider would place: amounts in token base units, as decimal strings. */
export interface QuoteBid extends QuoteParty {
  readonly bid: true;
  readonly pool: string;
  /** The pool's GPU model name. */
  readonly gpuModel: string;
  readonly pricePerSecond: string;
  readonly pricePerHour: string;
  /** The least the provider takes for the order (the pool's list price, or its minimum). */
  readonly floorPerSecond: string;
  /** The pricing strategy that named the price. */
  readonly strategy: string;
}

/** No bid, with the bid engine's reason (`supercloud_bid_skipped_total`'s label) and detail. */
export interface QuoteSkip extends QuoteParty {
  readonly bid: false;
  readonly reason: SkipReason;
  readonly detail: string;
}

export type QuoteAnswer = QuoteBid | QuoteSkip;

/**
 * @example
 * const desk = new QuoteDesk(cache);        // before cache.start(): adds the informers it reads
 * const answer = desk.answer(parseQuoteRequest(body), Date.now());
 */
export class QuoteDesk {
  constructor(private readonly cache: InformerCache) {
    cache.informer(ProviderKind);
    cache.informer(GpuNodePoolKind);
    cache.informer(NodeKind);
  }

  /** The quote of `request` now. @throws GatewayError when no Provider here can be quoted for. */
  answer(request: QuoteRequest, nowMs: number): QuoteAnswer {
    const provider = this.provider(request.provider);
    const address = provider.status?.providerAddress ?? '';
    const party: QuoteParty = {
      provider: address,
      chainId: provider.spec.chain.chainId,
      marketplace: provider.spec.chain.marketplace,
    };
    const liveBids = Object.values(provider.status?.bidPools ?? {});
    const now = Math.floor(nowMs / 1000);
    const strategy = pricingStrategy(provider);
    const pools = poolCandidates(
      poolViews(this.cache),
      (pool) => liveBids.filter((name) => name === pool).length,
    );
    const decision = decideBid({
      order: quotedOrder(request, now),
      pools,
      policy: biddingPolicy(provider),
      strategy,
      outstandingBids: liveBids.length,
      provider: address,
      now,
    });
    if (!decision.bid) {
      return { ...party, bid: false, reason: decision.reason, detail: decision.detail };
    }
    const pool = pools.find((candidate) => candidate.pool.metadata.name === decision.pool);
    return {
      ...party,
      bid: true,
      pool: decision.pool,
      gpuModel: pool?.pool.spec.gpu.model ?? '',
      pricePerSecond: decision.pricePerSecond.toString(),
      pricePerHour: (decision.pricePerSecond * 3600n).toString(),
      floorPerSecond: decision.floorPerSecond.toString(),
      strategy: strategy.name,
    };
  }

  /** The Provider asked for, or the only one here; registered on chain, as the engine needs. */
  private provider(address: string | undefined): Provider {
    const providers = this.cache.list(ProviderKind);
    const named = address
      ? providers.filter(
          (p) => p.status?.providerAddress && sameAddress(p.status.providerAddress, address),
        )
      : providers;
    if (named.length === 0) {
      throw address
        ? new GatewayError(404, 'NoSuchProvider', `this gateway serves no provider ${address}`)
        : new GatewayError(503, 'ProviderNotReady', 'this gateway serves no provider yet');
    }
    if (named.length > 1) {
      throw new GatewayError(
        400,
        'BadQuote',
        'this gateway serves several providers: name one in "provider" (its address)',
      );
    }
    const [provider] = named;
    if (!provider?.status?.providerAddress || provider.status.registered !== true) {
      throw new GatewayError(
        503,
        'ProviderNotReady',
        'the provider is not registered on chain yet; it bids on no order until it is',
      );
    }
    return provider;
  }
}

/**
 * The order the quote decides on. Its bidding is open (a quote is for an order still to be
 * placed, or one the caller knows is open: the gateway has no chain clock to check a deadline
 * by). The manifest is the canonical text an order carries; its hash that of the manifest unless
 * the order's own is given (a mismatch is then refused as the engine refuses it).
 */
function quotedOrder(request: QuoteRequest, now: number): MarketOrder {
  const manifest = orderManifest(request.manifest);
  return {
    orderId: request.orderId ?? 0n,
    tenant: request.tenant ?? ZeroAddress,
    resources: request.resources,
    maxPricePerSecond: request.maxPricePerSecond,
    biddingDeadline: now + 1,
    manifestHash: request.manifestHash ?? manifest.hash,
    manifest: manifest.text,
  };
}

/** The canonical manifest and its hash; a manifest that does not parse goes on as it is. */
function orderManifest(text: string): { readonly text: string; readonly hash: string } {
  try {
    const parsed = parseManifestYaml(text);
    return { text: canonicalManifest(parsed), hash: canonicalManifestHash(parsed) };
  } catch (error) {
    // decideBid parses it again and answers `manifest_rejected` with the parser's message.
    if (error instanceof ManifestError) return { text, hash: ZeroHash };
    throw error;
  }
}
