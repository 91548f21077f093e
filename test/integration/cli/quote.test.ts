// `supercloud quote` and `supercloud order bids` as a tenant runs them, against a private anvil
// whose ProviderRegistry lists a provider that bids for real (its operator and gateway on the
// local stack) and one whose gateway is down: the table shows the price the first would bid and
// names the second with its URL and error; an order whose max price is below the pool price (the
// README's case of no bid) gets no bid, and `order bids` says why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Wallet } from 'ethers';
import { connectContract, providerRegistryAbi } from '../../../operator/src/chain/abi/index.js';
import { canonicalManifest } from '../../../operator/src/workloads/canonical.js';
import { gpuManifest } from '../../harness/cluster-fixtures.js';
import { metricValue } from '../../harness/market-fixtures.js';
import { listPrice, slow, startQuoteWorld, type QuoteWorld } from '../../harness/quote-world.js';
import { waitFor } from '../../harness/stack.js';
import { cliJson, tenantCli, type TenantCli } from '../../harness/tenant-cli.js';
import { freePort, mined } from '../../harness/test-chain.js';

describe('supercloud quote and order bids', () => {
  let world: QuoteWorld;
  let silent: Wallet;
  let silentUrl: string;
  let workdir: string;
  let supercloud: TenantCli;
  let manifestFile: string;
  let keyFile: string;

  beforeAll(async () => {
    world = await startQuoteWorld('qc');
    // A second registered provider, its gateway at a port nothing listens on.
    silent = await world.chain.freshWallet();
    silentUrl = `http://127.0.0.1:${await freePort()}`;
    const registry = connectContract(providerRegistryAbi, world.chain.contracts.registry, silent);
    await mined(registry.register(silentUrl, []));
    workdir = mkdtempSync(join(tmpdir(), 'supercloud-quote-'));
    manifestFile = join(workdir, 'worker.json');
    writeFileSync(manifestFile, canonicalManifest(gpuManifest(1)));
    keyFile = join(workdir, 'tenant.key');
    writeFileSync(keyFile, `${world.tenant.privateKey}\n`, { mode: 0o600 });
    supercloud = tenantCli({
      workdir,
      rpcUrl: world.chain.rpcUrl,
      marketplace: world.chain.contracts.marketplace,
    });
  }, slow);

  afterAll(async () => {
    await world?.stop();
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  }, slow);

  const terms = () => ['-f', manifestFile, '--gpu-model', world.pool.model];
  const price = listPrice(1);

  it(
    "prints each registered provider's quote: its price, or its gateway's URL and error",
    async () => {
      const result = await supercloud(['quote', ...terms(), '--max-price', '5000']);
      expect(result).toMatchObject({ code: 0, stderr: '' });
      const lines = result.stdout.split('\n');
      expect(lines[0]).toMatch(/^PROVIDER +GATEWAY +BIDS +PRICE\/S +PRICE\/H +POOL \/ WHY NOT$/);
      expect(lines[1]).toMatch(
        new RegExp(
          `^${world.provider.address} +${world.gateway.url} +yes +${price} +${price * 3600n} +${world.pool.name} \\(${world.pool.model}\\)$`,
        ),
      );
      expect(lines[2]).toMatch(
        new RegExp(`^${silent.address} +${silentUrl} +\\? +the gateway does not answer \\(.+\\)$`),
      );
      expect(result.stdout).toContain(
        `lowest: ${price}/s (${price * 3600n}/h) by ${world.provider.address}`,
      );

      const json = cliJson(
        await supercloud(['quote', ...terms(), '--max-price', '5000', '--json']),
      );
      expect(json.quotes).toEqual([
        {
          provider: world.provider.address,
          gatewayUrl: world.gateway.url,
          answer: expect.objectContaining({ bid: true, pricePerSecond: price.toString() }),
        },
        {
          provider: silent.address,
          gatewayUrl: silentUrl,
          error: expect.stringContaining('does not answer'),
        },
      ]);
    },
    slow,
  );

  it(
    'says why an order whose max price is below the pool price has no bid',
    async () => {
      const skipped = () =>
        world.operator
          .metrics()
          .then((text) =>
            metricValue(text, 'supercloud_bid_skipped_total', { reason: 'price_above_max' }),
          );
      const before = await skipped();
      const maxPrice = price - 1n;
      const created = cliJson(
        await supercloud([
          'order',
          'create',
          ...terms(),
          '--max-price',
          maxPrice.toString(),
          '--deposit',
          '2h',
          '--bidding-seconds',
          '600',
          '--key-file',
          keyFile,
          '--json',
        ]),
      );
      const orderId = String(created.orderId);
      await waitFor(
        `the operator to skip order ${orderId}`,
        async () => (await skipped()) > before,
        60_000,
        200,
      );

      const result = await supercloud(['order', 'bids', orderId]);
      expect(result.code).toBe(0);
      const lines = result.stdout.split('\n');
      expect(lines.slice(0, 2)).toEqual([
        `order ${orderId} has no bids yet`,
        "what each provider's gateway says of this order now:",
      ]);
      expect(result.stdout).toMatch(
        new RegExp(
          `${world.provider.address} +${world.gateway.url} +no +price_above_max: pool ${world.pool.name} prices the order at ${price}/s \\(pool-price\\), the tenant pays at most ${maxPrice}/s`,
        ),
      );
      expect(result.stdout).toContain('why it has not bid cannot be known');

      const json = cliJson(await supercloud(['order', 'bids', orderId, '--json']));
      expect(json).toMatchObject({
        orderId,
        bids: [],
        quotes: [
          { provider: world.provider.address, answer: { bid: false, reason: 'price_above_max' } },
          { provider: silent.address, error: expect.stringContaining(silentUrl.slice(7)) },
        ],
      });
    },
    slow,
  );
});
