// POST /v1/quote against the real control plane and a private anvil, the gateway running as its
// own ServiceAccount (examples/gateway-rbac.yaml): a quote is the price the bid engine then bids;
// each refusal the engine makes is answered with its reason; the live bid is counted against the
// pool; bad input is a 400 (or 405, 413, 404) with nothing decided, and quotes are rate-limited.
import type { QuoteAnswer } from '../../../operator/src/gateway/quote.js';
import { quotePath } from '../../../operator/src/gateway/quote-request.js';
import { connectContract, marketplaceAbi } from '../../../operator/src/chain/abi/index.js';
import { gpuManifest } from '../../harness/cluster-fixtures.js';
import { placeOrder } from '../../harness/market-fixtures.js';
import {
  askQuote,
  listPrice,
  quoteRequest,
  slow,
  startQuoteWorld,
  type QuoteWorld,
} from '../../harness/quote-world.js';
import { waitFor } from '../../harness/stack.js';

describe('the gateway quote', () => {
  let world: QuoteWorld;

  beforeAll(async () => {
    world = await startQuoteWorld('qt');
  }, slow);

  afterAll(async () => {
    await world?.stop();
  }, slow);

  const quote = async (body: unknown): Promise<QuoteAnswer> => {
    const answer = await askQuote(world, body);
    expect(answer.status).toBe(200);
    return answer.body as QuoteAnswer;
  };

  it(
    'quotes the price the bid engine then bids on the order',
    async () => {
      const quoted = await quote(quoteRequest(world, { gpus: 1, maxPricePerSecond: 5_000n }));
      expect(quoted).toMatchObject({
        bid: true,
        provider: world.provider.address,
        chainId: world.chain.chainId,
        marketplace: world.chain.contracts.marketplace,
        pool: world.pool.name,
        gpuModel: world.pool.model,
        pricePerSecond: listPrice(1).toString(),
        pricePerHour: (listPrice(1) * 3600n).toString(),
        strategy: 'pool-price',
      });

      const orderId = await placeOrder(world.chain, world.tenant, {
        model: world.pool.model,
        gpus: 1,
        maxPricePerSecond: 5_000n,
      });
      const market = connectContract(
        marketplaceAbi,
        world.chain.contracts.marketplace,
        world.chain.provider,
      );
      let bid = 0n;
      await waitFor(
        `the engine's bid on order ${orderId}`,
        async () => (bid = await market.getBid(orderId, world.provider.address)) > 0n,
        60_000,
        200,
      );
      expect(quoted.bid && BigInt(quoted.pricePerSecond)).toBe(bid);
    },
    slow,
  );

  it(
    'counts the live bid against the pool: 8 GPUs no longer fit',
    async () => {
      // The bid above holds one of the pool's 8 GPUs until its auction ends.
      await waitFor(
        'the live bid recorded in the Provider status',
        async () => !(await quote(quoteRequest(world, { gpus: 8 }))).bid,
        60_000,
        200,
      );
      expect(await quote(quoteRequest(world, { gpus: 8 }))).toMatchObject({
        bid: false,
        reason: 'no_free_capacity',
        detail: `the order needs 8 GPUs, pool ${world.pool.name} has 7 free beside 1 reserved for live bids`,
      });
      expect(await quote(quoteRequest(world, { gpus: 7 }))).toMatchObject({ bid: true });
    },
    slow,
  );

  it.each([
    [
      'a max price below the pool price',
      'price_above_max',
      () => ({ gpus: 1, maxPricePerSecond: listPrice(1) - 1n }),
      `prices the order at ${listPrice(1)}/s (pool-price), the tenant pays at most ${listPrice(1) - 1n}/s`,
    ],
    [
      'a GPU model no pool has',
      'unknown_gpu_model',
      () => ({ gpus: 1, model: `${world.pool.model}-NONE` }),
      'no pool has the GPU model 0x',
    ],
    [
      'more memory per GPU than the pool has',
      'gpu_memory_too_small',
      () => ({ gpus: 1, gpuMemoryMiB: 100_000 }),
      'the order needs 100000 MiB per GPU, pool ',
    ],
    [
      'a replica larger than a node',
      'replica_exceeds_node',
      () => ({ gpus: 9 }),
      'a replica needs 9 GPUs on one node',
    ],
    [
      'a manifest the provider refuses',
      'manifest_rejected',
      () => ({ gpus: 1, manifest: gpuManifest(1, 1, { privileged: true }) }),
      'privileged',
    ],
  ])('answers an order with %s: %s', async (_what, reason, order, detail) => {
    expect(await quote(quoteRequest(world, order()))).toMatchObject({
      bid: false,
      reason,
      detail: expect.stringContaining(detail),
    });
  });

  it('refuses bad input with a clear error and decides nothing', async () => {
    const good = quoteRequest(world, { gpus: 1 });
    const refusals: [string, unknown, RequestInit, number, string, RegExp][] = [
      ['no JSON', 'quote me', {}, 400, 'BadJson', /not JSON/],
      [
        'a missing field',
        { ...good, maxPricePerSecond: undefined },
        {},
        400,
        'BadQuote',
        /maxPricePerSecond: /,
      ],
      [
        'a negative GPU count',
        { ...good, resources: { ...good.resources, gpuCount: -1 } },
        {},
        400,
        'BadQuote',
        /resources\.gpuCount: Expected integer to be greater or equal to 0/,
      ],
      [
        'a provider this gateway does not serve',
        { ...good, provider: `0x${'1'.repeat(40)}` },
        {},
        404,
        'NoSuchProvider',
        /serves no provider/,
      ],
      ['a GET', '', { method: 'GET', body: null }, 405, 'MethodNotAllowed', /POST/],
      ['a body over the cap', 'x'.repeat(600 * 1024), {}, 413, 'TooLarge', /over \d+ bytes/],
    ];
    for (const [what, body, init, status, code, message] of refusals) {
      const answer = await askQuote(world, body, init);
      expect({ what, status: answer.status }).toEqual({ what, status });
      expect(answer.body).toEqual({ error: { code, message: expect.stringMatching(message) } });
    }
    // The log names the route and the outcome, never the body.
    const logged = world.gateway.logged.join('');
    expect(logged).toContain('"route":"quote"');
    expect(logged).not.toContain('registry.example.com/team/worker');
  });

  it('limits quotes per client address', async () => {
    const answers = await Promise.all(
      Array.from({ length: 40 }, () =>
        fetch(`${world.gateway.url}${quotePath}`, { method: 'POST', body: '{}' }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses).toContain(429);
    const limited = answers[statuses.indexOf(429)]!;
    expect(await limited.json()).toEqual({
      error: { code: 'RateLimited', message: expect.stringMatching(/try again in \d+ s/) },
    });
  });
});
