// An order as the bid engine sees it: the on-chain order (OrderView, or the OrderCreated event)
// in plain numbers, plus the manifest bytes the tenant put in calldata.
import { toUtf8String } from 'ethers';
import type { MarketplaceEventArgs } from '../chain/events.js';
import type { MarketplaceResources } from '../chain/marketplace/read-order.js';

/** What an order asks for, per the contract's `Resources` (GPU memory is per GPU). */
export interface OrderResources {
  /** keccak256 of the normalized model name (`gpuModelId`); zero hash for a CPU-only order. */
  readonly gpuModel: string;
  readonly gpuCount: number;
  readonly gpuMemoryMiB: number;
  readonly cpuMillicores: number;
  readonly memoryMiB: number;
  readonly storageMiB: number;
}

export interface MarketOrder {
  readonly orderId: bigint;
  readonly tenant: string;
  readonly resources: OrderResources;
  /** The most the tenant pays, in token base units per second. */
  readonly maxPricePerSecond: bigint;
  /** Unix seconds after which no bid is accepted. */
  readonly biddingDeadline: number;
  readonly manifestHash: string;
  /** The manifest as UTF-8 text (canonical JSON); undefined when the bytes are not UTF-8. */
  readonly manifest: string | undefined;
}

/** The `OrderCreated` event's arguments, typed by the ABI. */
export type OrderCreatedArgs = MarketplaceEventArgs<'OrderCreated'>;

/** An order's resources in plain numbers. */
export function orderResources(resources: MarketplaceResources): OrderResources {
  return {
    gpuModel: resources.gpuModel,
    gpuCount: Number(resources.gpuCount),
    gpuMemoryMiB: Number(resources.gpuMemoryMiB),
    cpuMillicores: Number(resources.cpuMillicores),
    memoryMiB: Number(resources.memoryMiB),
    storageMiB: Number(resources.storageMiB),
  };
}

/** Decodes manifest calldata bytes (hex) as UTF-8; undefined when they are not valid UTF-8. */
export function manifestText(bytes: string): string | undefined {
  try {
    return toUtf8String(bytes);
  } catch {
    return undefined;
  }
}

/** The order an `OrderCreated` event announces. */
export function orderFromEvent(args: OrderCreatedArgs): MarketOrder {
  return {
    orderId: args.orderId,
    tenant: args.tenant,
    resources: orderResources(args.resources),
    maxPricePerSecond: args.maxPricePerSecond,
    biddingDeadline: Number(args.biddingDeadline),
    manifestHash: args.manifestHash,
    manifest: manifestText(args.manifest),
  };
}
