// The bid decision, pure: which pool (if any) can serve an order, at what price, or why not.
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { WorkloadManifest } from '../api/workload-manifest.js';
import { gpuModelId } from '../chain/identifiers.js';
import { manifestTotals } from '../workloads/totals.js';
import { parseManifestYaml, ManifestError } from '../workloads/parse.js';
import { verifyLease, type WorkloadPolicy } from '../workloads/verify.js';
import { leaseSpecFor } from './lease-spec.js';
import type { MarketOrder } from './order.js';
import { poolPricePerSecond, type PricingStrategy } from './pricing.js';

/** Why no bid was placed: the `reason` label of `supercloud_bid_skipped_total`. */
export const skipReasons = {
  /** The Provider's spec.bidding.enabled is false. */
  biddingDisabled: 'bidding_disabled',
  /** spec.bidding.maxOutstandingBids bids are already awaiting a result. */
  outstandingBidsLimit: 'outstanding_bids_limit',
  /** The order's bidding deadline has passed. */
  deadlinePassed: 'deadline_passed',
  /** No pool has the GPU model the order asks for. */
  unknownGpuModel: 'unknown_gpu_model',
  /** The order buys no GPU: GPU pools serve only leases that buy GPUs. */
  noGpusOrdered: 'no_gpus_ordered',
  /** The pools with the model have less memory per GPU than the order asks. */
  gpuMemoryTooSmall: 'gpu_memory_too_small',
  /** The manifest does not parse, validate, hash to the order's hash, or fit what was bought. */
  manifestRejected: 'manifest_rejected',
  /** A replica needs more GPUs, CPU or memory than one node of the pool has free. */
  replicaExceedsNode: 'replica_exceeds_node',
  /** Not enough GPUs free once outstanding bids' reservations are counted. */
  noFreeCapacity: 'no_free_capacity',
  /** The price the strategy names is above the tenant's max. */
  priceAboveMax: 'price_above_max',
} as const;
export type SkipReason = (typeof skipReasons)[keyof typeof skipReasons];

/** The biggest node of a pool, for the per-replica CPU and memory check. */
export interface NodeSize {
  readonly cpuMillis: number;
  readonly memoryMiB: number;
}

/** A pool as the decision sees it: its object, GPUs reserved for live bids, its largest node. */
export interface PoolCandidate {
  readonly pool: GpuNodePool;
  readonly reservedGpus: number;
  /** Undefined when the pool's nodes are unknown: CPU and memory are then not checked per node. */
  readonly largestNode?: NodeSize;
}

export interface BiddingPolicy {
  readonly enabled: boolean;
  readonly maxOutstandingBids: number;
  /** Never bid below this, in token base units per second. */
  readonly minPricePerSecond: bigint;
  /** What a workload may use (allowed registries): a bid is placed only on what would run. */
  readonly workloads: WorkloadPolicy;
}

export interface DecideBidParameters {
  readonly order: MarketOrder;
  readonly pools: readonly PoolCandidate[];
  readonly policy: BiddingPolicy;
  readonly strategy: PricingStrategy;
  /** Bids awaiting a result now. */
  readonly outstandingBids: number;
  /** The provider's address (the lease spec the manifest is verified in names it). */
  readonly provider: string;
  /** Unix seconds, the chain's latest block time. */
  readonly now: number;
}

export type BidDecision =
  | {
      readonly bid: true;
      readonly pool: string;
      readonly pricePerSecond: bigint;
      readonly floorPerSecond: bigint;
      readonly gpus: number;
    }
  | { readonly bid: false; readonly reason: SkipReason; readonly detail: string };

type Skip = Extract<BidDecision, { bid: false }>;
const skip = (reason: SkipReason, detail: string): Skip => ({ bid: false, reason, detail });

/**
 * Decides whether to bid on an order and where: the cheapest pool with the order's GPU model,
 * enough memory per GPU, room for each replica on one node and for all its GPUs beside the live
 * bids' reservations, that would accept the manifest exactly as the ComputeLease controller
 * will, at a price within the tenant's max. Otherwise the reason of the most promising pool.
 *
 * @example decideBid({ order, pools, policy, strategy: poolPriceStrategy, outstandingBids: 0, provider, now })
 */
export function decideBid(parameters: DecideBidParameters): BidDecision {
  const { order, policy, now } = parameters;
  if (!policy.enabled) return skip(skipReasons.biddingDisabled, 'bidding is off in the Provider');
  if (parameters.outstandingBids >= policy.maxOutstandingBids) {
    return skip(
      skipReasons.outstandingBidsLimit,
      `${parameters.outstandingBids} bids outstanding, the Provider allows ${policy.maxOutstandingBids}`,
    );
  }
  if (order.biddingDeadline <= now) {
    return skip(skipReasons.deadlinePassed, `bidding closed at ${order.biddingDeadline}`);
  }
  if (order.resources.gpuCount === 0) {
    return skip(
      skipReasons.noGpusOrdered,
      'the order buys no GPU; GPU pools serve only orders that buy GPUs',
    );
  }
  const wanted = order.resources.gpuModel.toLowerCase();
  const sameModel = parameters.pools.filter(
    ({ pool }) => gpuModelId(pool.spec.gpu.model) === wanted,
  );
  if (sameModel.length === 0) {
    return skip(skipReasons.unknownGpuModel, `no pool has the GPU model ${wanted}`);
  }
  const manifest = parseOrderManifest(order);
  if (!('services' in manifest)) return manifest;

  const outcomes = [...sameModel]
    .sort((a, b) => (a.pool.metadata.name ?? '').localeCompare(b.pool.metadata.name ?? ''))
    .map((candidate) => decideForPool(parameters, candidate, manifest));
  const bids = outcomes.filter((outcome) => outcome.bid);
  if (bids.length > 0) {
    return bids.reduce((best, next) => (next.pricePerSecond < best.pricePerSecond ? next : best));
  }
  // The reason of the pool that got furthest through the checks: the most useful to report.
  const skips = outcomes as Skip[];
  return skips.reduce((best, next) =>
    progress(next.reason) > progress(best.reason) ? next : best,
  );
}

const checkOrder: readonly SkipReason[] = [
  skipReasons.gpuMemoryTooSmall,
  skipReasons.manifestRejected,
  skipReasons.replicaExceedsNode,
  skipReasons.noFreeCapacity,
  skipReasons.priceAboveMax,
];
const progress = (reason: SkipReason): number => checkOrder.indexOf(reason);

function parseOrderManifest(order: MarketOrder): WorkloadManifest | Skip {
  if (order.manifest === undefined) {
    return skip(skipReasons.manifestRejected, 'the manifest bytes are not UTF-8 text');
  }
  try {
    return parseManifestYaml(order.manifest);
  } catch (error) {
    if (error instanceof ManifestError) return skip(skipReasons.manifestRejected, error.message);
    throw error;
  }
}

type Bid = Extract<BidDecision, { bid: true }>;

function decideForPool(
  { order, policy, strategy, provider }: DecideBidParameters,
  candidate: PoolCandidate,
  manifest: WorkloadManifest,
): Bid | Skip {
  const { pool } = candidate;
  const name = pool.metadata.name ?? '';
  const { resources } = order;
  if (resources.gpuMemoryMiB > pool.spec.gpu.memoryMiB) {
    return skip(
      skipReasons.gpuMemoryTooSmall,
      `the order needs ${resources.gpuMemoryMiB} MiB per GPU, pool ${name} has ${pool.spec.gpu.memoryMiB}`,
    );
  }
  // Exactly the check the ComputeLease controller will make of the lease this bid would win.
  const verified = verifyLease(
    leaseSpecFor({
      leaseId: order.orderId,
      tenant: order.tenant,
      provider,
      pool,
      resources,
      manifest,
      manifestHash: order.manifestHash,
      pricePerSecond: order.maxPricePerSecond,
    }),
    pool,
    policy.workloads,
  );
  if (!verified.verified) return skip(skipReasons.manifestRejected, verified.reason);

  const totals = manifestTotals(manifest);
  const gpus = pool.status?.gpus;
  const largestFree = gpus?.largestFreeOnNode ?? 0;
  if (totals.maxGpusPerReplica > largestFree) {
    return skip(
      skipReasons.replicaExceedsNode,
      `a replica needs ${totals.maxGpusPerReplica} GPUs on one node, pool ${name} has at most ${largestFree} free on a node`,
    );
  }
  const tooBig = manifest.services.find(
    ({ resources: r }) =>
      candidate.largestNode !== undefined &&
      (r.cpuMillis > candidate.largestNode.cpuMillis ||
        r.memoryMiB > candidate.largestNode.memoryMiB),
  );
  if (tooBig && candidate.largestNode) {
    return skip(
      skipReasons.replicaExceedsNode,
      `a replica of ${tooBig.name} needs ${tooBig.resources.cpuMillis}m CPU and ${tooBig.resources.memoryMiB} MiB, the largest node of pool ${name} has ${candidate.largestNode.cpuMillis}m and ${candidate.largestNode.memoryMiB} MiB`,
    );
  }
  const free = (gpus?.free ?? 0) - candidate.reservedGpus;
  if (resources.gpuCount > free) {
    return skip(
      skipReasons.noFreeCapacity,
      `the order needs ${resources.gpuCount} GPUs, pool ${name} has ${free} free beside ${candidate.reservedGpus} reserved for live bids`,
    );
  }
  const listPrice = poolPricePerSecond(pool.spec.prices, resources);
  // The contract takes no zero bid: a free pool still bids one base unit per second.
  const floorPerSecond = [listPrice, policy.minPricePerSecond, 1n].reduce((a, b) =>
    a > b ? a : b,
  );
  const pricePerSecond = strategy.price({
    pool: pool.spec,
    resources,
    maxPricePerSecond: order.maxPricePerSecond,
    floorPerSecond,
  });
  if (pricePerSecond > order.maxPricePerSecond) {
    return skip(
      skipReasons.priceAboveMax,
      `pool ${name} prices the order at ${pricePerSecond}/s (${strategy.name}), the tenant pays at most ${order.maxPricePerSecond}/s`,
    );
  }
  return { bid: true, pool: name, pricePerSecond, floorPerSecond, gpus: resources.gpuCount };
}
