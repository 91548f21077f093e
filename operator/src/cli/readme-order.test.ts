// The README's tenant example must get a bid on the local stack: its `order create` line, built
// as the CLI builds it, decided by the bid engine's rule against the provider `make demo` leaves
// (examples/provider.yaml, examples/gpunodepool-h100.yaml at the TUSD prices of
// examples/values-local.yaml, as test/stack/demo.ts applies them), and the cost the README states.
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import yaml from 'js-yaml';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { Provider } from '../api/provider.js';
import { biddingPolicy, pricingStrategy } from '../controllers/provider/policy.js';
import { decideBid, skipReasons } from '../market/decide.js';
import { orderResources } from '../market/order.js';
import { buildOrderRequest, type OrderFlags } from './order-request.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const readme = read('README.md');

/** The README's `supercloud order create ...` example, continuation lines joined, as argv. */
function readmeOrderCreate(): string[] {
  const line = readme
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .find((l) => l.startsWith('supercloud order create '));
  if (!line) throw new Error('README.md has no `supercloud order create` example');
  return line.replace(/#.*$/, '').trim().split(/\s+/).slice(3);
}

function flag(args: readonly string[], name: string): string {
  const index = args.indexOf(name);
  if (index === -1) throw new Error(`the README's order create has no ${name}`);
  return args[index + 1]!;
}

describe("the README's tenant example on the local stack", () => {
  const args = readmeOrderCreate();
  const flags: OrderFlags = {
    gpuModel: flag(args, '--gpu-model'),
    maxPrice: flag(args, '--max-price'),
    deposit: flag(args, '--deposit'),
    biddingSeconds: flag(args, '--bidding-seconds'),
  };
  const request = buildOrderRequest(read(flag(args, '-f')), flags);

  const provider = yaml.load(read('examples/provider.yaml')) as Provider;
  const localPools = (
    yaml.load(read('examples/values-local.yaml')) as {
      nodePools: { name: string; prices: GpuNodePool['spec']['prices'] }[];
    }
  ).nodePools;
  const pool = (name: string): GpuNodePool => {
    const object = yaml.load(read(`examples/gpunodepool-${name}.yaml`)) as GpuNodePool;
    const prices = localPools.find((p) => p.name === name)!.prices;
    const gpus = { capacity: 32, allocatable: 32, allocated: 0, free: 32, largestFreeOnNode: 8 };
    return { ...object, spec: { ...object.spec, prices }, status: { gpus } };
  };
  const decide = (maxPricePerSecond: bigint) =>
    decideBid({
      order: {
        orderId: 4n,
        tenant: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
        resources: orderResources(request.resources),
        maxPricePerSecond,
        biddingDeadline: 1_060,
        manifestHash: request.manifestHash,
        manifest: request.manifest,
      },
      pools: [pool('h100'), pool('a100')].map((p) => ({ pool: p, reservedGpus: 0 })),
      policy: biddingPolicy(provider),
      strategy: pricingStrategy(provider),
      outstandingBids: 0,
      provider: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
      now: 1_000,
    });
  const decision = decide(request.maxPricePerSecond);
  const price = decision.bid ? decision.pricePerSecond : undefined;

  it('gets a bid from the H100 pool', () => {
    expect(decision).toMatchObject({ bid: true, pool: 'h100' });
  });

  it('states what the bid costs, and accepts at that price', () => {
    expect(readme).toContain(`**${price}/s**`);
    expect(readme).toMatch(
      new RegExp(`supercloud order accept \\d+ --provider \\S+ --max-price ${price}\\b`),
    );
    expect(readme).toContain(`(${request.maxPricePerSecond}/s)`);
    expect(readme).toContain(request.deposit.toLocaleString('en-US'));
  });

  it('gets no bid one unit per second below the price it states', () => {
    expect(decide(price! - 1n)).toMatchObject({ bid: false, reason: skipReasons.priceAboveMax });
  });
});
