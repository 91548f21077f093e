// From a manifest file and the flags of `supercloud order create` to the arguments of
// Marketplace.createOrder, with every check that can be made before anything is sent.
import { ZeroHash } from 'ethers';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { gpuModelId, normalizeGpuModel } from '../chain/identifiers.js';
import type { MarketplaceResources } from '../chain/marketplace/read-order.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { parseManifestYaml } from '../workloads/parse.js';
import { manifestTotals } from '../workloads/totals.js';
import {
  parseDeposit,
  parseDurationSeconds,
  parseNonNegativeInteger,
  parsePositiveInteger,
  parsePricePerSecond,
} from './amounts.js';
import { CliUsageError } from './errors.js';

/** The contract's `Resources` struct (contracts/src/types/DataTypes.sol), as ethers takes it. */
export type OrderResources = MarketplaceResources;

/** Everything `createOrder` takes, plus what the tenant should see about it. */
export interface OrderRequest {
  readonly resources: OrderResources;
  /** The normalized model name behind `resources.gpuModel`, when the order asks for GPUs. */
  readonly gpuModelName?: string;
  /** Token base units per second. */
  readonly maxPricePerSecond: bigint;
  readonly biddingSeconds: bigint;
  /** Token base units pulled into escrow. */
  readonly deposit: bigint;
  /** The canonical manifest: the exact bytes (UTF-8) sent on chain. */
  readonly manifest: string;
  /** keccak256 of `manifest`: what the provider checks before deploying. */
  readonly manifestHash: `0x${string}`;
}

/** The order flags as typed (strings, from commander); omitted resources come from the manifest. */
export interface OrderFlags {
  readonly gpus?: string;
  readonly gpuModel?: string;
  readonly gpuMemoryMib?: string;
  readonly cpuMillis?: string;
  readonly memoryMib?: string;
  readonly storageMib?: string;
  readonly maxPrice: string;
  readonly deposit: string;
  readonly biddingSeconds: string;
}

/** The flags that say what an order buys (`supercloud quote` takes them too). */
export type ResourceFlags = Omit<OrderFlags, 'maxPrice' | 'deposit' | 'biddingSeconds'>;

/** Widths of the `Resources` fields (uint16, uint32, uint32, uint40, uint40). */
const resourceBits = {
  gpuCount: 16n,
  gpuMemoryMiB: 32n,
  cpuMillicores: 32n,
  memoryMiB: 40n,
  storageMiB: 40n,
} as const;

/**
 * Parses and validates the manifest (a bad one fails naming the field), fills resources the flags
 * leave out from the manifest's totals, refuses resources below what the manifest needs, and
 * parses the amounts. Pure: the deposit's minimum (which needs the chain) is checked by the caller.
 *
 * @throws ManifestError for the manifest, CliUsageError for the flags.
 */
export function buildOrderRequest(manifestText: string, flags: OrderFlags): OrderRequest {
  const manifest = parseManifestYaml(manifestText);
  const resources = orderResources(manifest, flags);
  const maxPricePerSecond = parsePricePerSecond('--max-price', flags.maxPrice);
  if (maxPricePerSecond >= 2n ** 96n) {
    throw new CliUsageError(`--max-price ${maxPricePerSecond}/s is above the contract's 2^96 − 1`);
  }
  const deposit = parseDeposit('--deposit', flags.deposit, maxPricePerSecond);
  if (deposit >= 2n ** 128n) {
    throw new CliUsageError(`--deposit ${deposit} is above the contract's 2^128 − 1`);
  }
  const canonical = canonicalManifest(manifest);
  return {
    resources,
    ...(resources.gpuCount > 0n ? { gpuModelName: normalizeGpuModel(flags.gpuModel!) } : {}),
    maxPricePerSecond,
    biddingSeconds: parseDurationSeconds('--bidding-seconds', flags.biddingSeconds),
    deposit,
    manifest: canonical,
    manifestHash: canonicalManifestHash(manifest),
  };
}

/** The order's resources: each flag, or else the manifest's total, never below that total. */
export function orderResources(manifest: WorkloadManifest, flags: ResourceFlags): OrderResources {
  const totals = manifestTotals(manifest);
  const pick = (
    flag: string,
    given: string | undefined,
    needed: number,
    parse: (what: string, text: string) => bigint = parsePositiveInteger,
  ): bigint => {
    if (given === undefined) return BigInt(needed);
    const value = parse(flag, given);
    if (value < BigInt(needed)) {
      throw new CliUsageError(
        `${flag} ${value} is less than the manifest needs (${needed}, summed over services and replicas)`,
        `raise ${flag} or leave it out to use what the manifest needs`,
      );
    }
    return value;
  };
  const gpuCount = pick('--gpus', flags.gpus, totals.gpus, parseNonNegativeInteger);
  if (gpuCount > 0n && !flags.gpuModel?.trim()) {
    throw new CliUsageError(
      `the order asks for ${gpuCount} GPUs but no --gpu-model`,
      'pass --gpu-model with the model name providers label their nodes with, e.g. NVIDIA-H100-80GB-HBM3',
    );
  }
  if (gpuCount === 0n && flags.gpuModel !== undefined) {
    throw new CliUsageError(
      '--gpu-model is set but the order asks for no GPUs',
      'pass --gpus, or drop --gpu-model for a CPU-only order',
    );
  }
  const resources: OrderResources = {
    gpuModel: gpuCount > 0n ? gpuModelId(flags.gpuModel!) : ZeroHash,
    gpuCount,
    gpuMemoryMiB:
      flags.gpuMemoryMib === undefined
        ? 0n
        : parseNonNegativeInteger('--gpu-memory-mib', flags.gpuMemoryMib),
    cpuMillicores: pick('--cpu-millis', flags.cpuMillis, totals.cpuMillis),
    memoryMiB: pick('--memory-mib', flags.memoryMib, totals.memoryMiB),
    storageMiB: pick(
      '--storage-mib',
      flags.storageMib,
      totals.ephemeralStorageMiB,
      parseNonNegativeInteger,
    ),
  };
  for (const [field, bits] of Object.entries(resourceBits)) {
    const value = resources[field as keyof typeof resourceBits];
    if (value >= 2n ** bits) {
      throw new CliUsageError(`${field} ${value} does not fit the contract's uint${bits}`);
    }
  }
  return resources;
}
