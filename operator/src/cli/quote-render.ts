// The human-readable form of quotes: `supercloud quote`'s table, and what `supercloud order bids`
// adds when an order has no bids. Pure, so the text is unit-tested.
import { formatTable, type Cell } from './format.js';
import type { ProviderQuote } from './quote.js';

/** One row per provider: who, where, whether it would bid, at what price, or why not. */
export function renderQuoteTable(quotes: readonly ProviderQuote[]): string {
  return formatTable(
    ['PROVIDER', 'GATEWAY', 'BIDS', 'PRICE/S', 'PRICE/H', 'POOL / WHY NOT'],
    quotes.map((quote): Cell[] => {
      const who = [quote.provider || "(the gateway's)", quote.gatewayUrl];
      if ('error' in quote) return [...who, '?', undefined, undefined, quote.error];
      const { answer } = quote;
      if (!answer.bid) {
        return [...who, 'no', undefined, undefined, `${answer.reason}: ${answer.detail}`];
      }
      return [
        ...who,
        'yes',
        BigInt(answer.pricePerSecond),
        BigInt(answer.pricePerHour),
        `${answer.pool} (${answer.gpuModel})`,
      ];
    }),
  );
}

/** `supercloud quote`: the table and what it comes to. */
export function renderQuotes(quotes: readonly ProviderQuote[]): string {
  if (quotes.length === 0) return "no provider is registered in the marketplace's registry";
  const best = quotes.find((quote) => 'answer' in quote && quote.answer.bid);
  const summary =
    best && 'answer' in best && best.answer.bid
      ? `lowest: ${best.answer.pricePerSecond}/s (${best.answer.pricePerHour}/h) by ${best.provider}; a quote is what the provider would bid now, before other orders take its capacity`
      : "no provider would bid on these terms: see each one's reason";
  return `${renderQuoteTable(quotes)}\n\n${summary}`;
}

/**
 * What `supercloud order bids` adds for an open order without bids: each provider's reason, or
 * that it would bid (then its operator has not acted on the order yet), or that its gateway
 * cannot be asked. `undefined` quotes: the order's manifest could not be read to ask with.
 */
export function renderNoBidReasons(quotes: readonly ProviderQuote[] | undefined): string {
  if (quotes === undefined) {
    return "why cannot be known: the order's manifest could not be read as text from its OrderCreated event";
  }
  if (quotes.length === 0) return "no provider is registered in the marketplace's registry";
  const notes = [
    ...(quotes.some((q) => 'answer' in q && q.answer.bid)
      ? [
          'a provider that would bid has not bid yet: its operator may not have seen the order (behind the chain, or not running)',
        ]
      : []),
    ...(quotes.some((q) => 'error' in q)
      ? ['a provider whose gateway does not answer: why it has not bid cannot be known']
      : []),
  ];
  return [
    "what each provider's gateway says of this order now:",
    renderQuoteTable(quotes),
    ...notes,
  ].join('\n');
}
