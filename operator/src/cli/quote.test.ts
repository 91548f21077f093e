import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { gpuModelId } from '../chain/identifiers.js';
import { ManifestError, parseManifestYaml } from '../workloads/parse.js';
import { canonicalManifest } from '../workloads/canonical.js';
import { CliUsageError } from './errors.js';
import { buildOrderRequest } from './order-request.js';
import { anyPricePerSecond, quoteTerms } from './quote.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const manifestText = readFileSync(join(repoRoot, 'examples/workloads/llm-inference.yaml'), 'utf8');
const gpuModel = 'NVIDIA-H100-80GB-HBM3';

describe('quoteTerms', () => {
  it('asks about exactly the order `order create` would place with the same flags', () => {
    const flags = { gpuModel, maxPrice: '6000000/h' };
    const order = buildOrderRequest(manifestText, {
      ...flags,
      deposit: '2h',
      biddingSeconds: '60',
    });
    expect(quoteTerms(manifestText, flags)).toEqual({
      manifest: order.manifest,
      resources: {
        gpuModel: gpuModelId(gpuModel),
        gpuCount: Number(order.resources.gpuCount),
        gpuMemoryMiB: Number(order.resources.gpuMemoryMiB),
        cpuMillicores: Number(order.resources.cpuMillicores),
        memoryMiB: Number(order.resources.memoryMiB),
        storageMiB: Number(order.resources.storageMiB),
      },
      maxPricePerSecond: order.maxPricePerSecond,
    });
  });

  it('sends the canonical manifest, and asks at any price without --max-price', () => {
    const terms = quoteTerms(manifestText, { gpuModel, gpus: '4' });
    expect(terms.manifest).toBe(canonicalManifest(parseManifestYaml(manifestText)));
    expect(terms.resources.gpuCount).toBe(4);
    expect(terms.maxPricePerSecond).toBe(anyPricePerSecond);
  });

  it('refuses what `order create` refuses, before asking anyone', () => {
    expect(() => quoteTerms('services: [', { gpuModel })).toThrow(ManifestError);
    expect(() => quoteTerms(manifestText, {})).toThrow(/no --gpu-model/);
    expect(() => quoteTerms(manifestText, { gpuModel, gpus: '1' })).toThrow(
      /less than the manifest needs/,
    );
    expect(() => quoteTerms(manifestText, { gpuModel, maxPrice: 'cheap' })).toThrow(CliUsageError);
    expect(() => quoteTerms(manifestText, { gpuModel, maxPrice: (2n ** 96n).toString() })).toThrow(
      /2\^96/,
    );
  });
});

describe("the README's quote", () => {
  /** The README's `supercloud <command> ...` example line, continuation lines joined. */
  const example = (command: string): string => {
    const line = readFileSync(join(repoRoot, 'README.md'), 'utf8')
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .find((l) => l.startsWith(`supercloud ${command} `));
    if (!line) throw new Error(`README.md has no \`supercloud ${command}\` example`);
    return line;
  };
  const args = (line: string) => line.replace(/#.*$/, '').trim().split(/\s+/);
  const flag = (line: string, name: string) => args(line)[args(line).indexOf(name) + 1];
  /** The bid a line's comment states: `1508/s from 0x3C44…`. */
  const statedBid = (line: string) => /#.*?(\d+\/s from 0x[0-9a-fA-F]+)/.exec(line)?.[1];

  it('asks about the order the README then creates, and states the bid that order gets', () => {
    const quote = example('quote');
    const order = example('order create');
    for (const name of ['-f', '--gpu-model', '--max-price']) {
      expect({ name, value: flag(quote, name) }).toEqual({ name, value: flag(order, name) });
    }
    // The same bid as `order bids` states, whose price readme-order.test.ts holds to the engine's.
    expect(statedBid(quote)).toBeDefined();
    expect(statedBid(quote)).toBe(statedBid(example('order bids')));
  });
});
