// Lease sync: the leases this provider won on chain, mirrored as ComputeLeases. Level-based both
// ways: a chain lease without its object gets one, an object whose lease closed is set closing
// with the reason, a manifest changed on chain updates the spec. Events only say which leases to
// look at; what is done follows from the contract state read now, so a missed, replayed or
// duplicated event changes nothing, and a restart converges with one resync.
import type { ComputeLease } from '../api/computelease.js';
import type { GpuNodePool } from '../api/gpunodepool.js';
import type { ChainEvent } from '../chain/events.js';
import { sameAddress } from '../chain/identifiers.js';
import { silentLogger, type Logger } from '../logging/logger.js';
import { computeLeaseName } from '../workloads/names.js';
import { ManifestError, parseManifestYaml } from '../workloads/parse.js';
import { defaultWorkloadPolicy, type WorkloadPolicy } from '../workloads/verify.js';
import type { BidPools } from './bid-pools.js';
import { mapWithConcurrency } from './concurrency.js';
import type { LeaseFacts } from './lease-facts.js';
import type { ChainLease, LeaseReader } from './lease-reader.js';
import {
  chainComputeLease,
  chainSource,
  choosePool,
  closeReason,
  leaseSourceLabel,
} from './lease-spec.js';

/** Leases synced at once: each is a few RPC reads and one API write, mostly waiting. */
const syncConcurrency = 8;

/** What spec.closeRequested records of a close on chain. */
export interface LeaseClose {
  readonly reason: string;
  /** The block of the LeaseClosed event, when found. */
  readonly block?: number;
}

/** The cluster side of the sync: the ComputeLeases and pools, and how to change them. */
export interface LeaseObjects {
  /** Every ComputeLease in the cluster (from the cache). */
  list(): readonly ComputeLease[];
  get(name: string): ComputeLease | undefined;
  pools(): readonly GpuNodePool[];
  /** Labels every chain-made lease carries (the Provider's, for the operator's lease selector). */
  labels(): Readonly<Record<string, string>>;
  /** Creates or updates a chain-made lease (server-side apply of its spec). */
  apply(lease: ComputeLease): Promise<void>;
  /** Sets spec.closeRequested: the controller tears the workload down and keeps a record. */
  requestClose(lease: ComputeLease, close: LeaseClose): Promise<void>;
  /** Deletes this exact object (its close was taken back by a reorg), saying why in an Event. */
  remove(lease: ComputeLease, why: string): Promise<void>;
}

export interface LeaseSyncOptions {
  readonly reader: LeaseReader;
  /** Where leases are read (and the reads shared with the settlement and the verifier). */
  readonly facts: LeaseFacts;
  readonly objects: LeaseObjects;
  /** The provider wallet's address. */
  readonly provider: string;
  /** First block to look for won leases in (the Provider's startBlock). */
  readonly startBlock: number;
  /** Blocks a close must be under before its workload is torn down (the Provider's). */
  readonly confirmations: number;
  /** The pool each bid was recorded for: a won lease runs there. */
  readonly bidPools: Pick<BidPools, 'get' | 'drop'>;
  /** The Provider's workload rules now (a pool is chosen only for a lease it would run). */
  readonly workloadPolicy?: () => WorkloadPolicy;
  readonly logger?: Logger;
}

/**
 * @example
 * const sync = new LeaseSync({ reader, facts, objects, provider, startBlock, confirmations });
 * await sync.resync();                        // on start, and now and then
 * follower handlers: [(events) => sync.handle(events)]
 */
/**
 * How many blocks back a close is still read again at each resync: deeper than any reorg the
 * follower is expected to meet (beyond it, only the follower's report of a reorg brings it back).
 */
const reorgWindowBlocks = 256;

export class LeaseSync {
  /** Active leases this provider won, as the chain said at the last read (only the chain adds). */
  private readonly tracked = new Set<bigint>();
  /**
   * Closes this process set on objects, by lease, with their block: what a reorg may take back,
   * known here before the cache shows the object's spec.closeRequested.
   */
  private readonly closedAt = new Map<bigint, number>();
  private scannedTo: number;
  private readonly logger: Logger;

  constructor(private readonly options: LeaseSyncOptions) {
    this.scannedTo = options.startBlock - 1;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'lease-sync' });
  }

  /** Active leases of this provider as last read (for the settlement). */
  activeLeases(): bigint[] {
    const { facts } = this.options;
    return [...this.tracked].filter(
      (id) => facts.cached(id, Number.POSITIVE_INFINITY)?.active !== false,
    );
  }

  /** Handles one page of the follower's events: syncs the leases they touch. */
  async handle(events: readonly ChainEvent[]): Promise<void> {
    const touched = new Set<bigint>();
    for (const event of events) {
      if (event.contract !== 'marketplace') continue;
      switch (event.name) {
        case 'LeaseCreated':
        case 'LeaseClosed':
        case 'Withdrawn':
          if (sameAddress(event.args.provider, this.options.provider)) {
            touched.add(event.args.leaseId);
          }
          break;
        case 'ManifestUpdated':
        case 'Deposited':
          if (this.isOurs(event.args.leaseId)) touched.add(event.args.leaseId);
          break;
        default:
          break;
      }
    }
    await mapWithConcurrency([...touched], syncConcurrency, (leaseId) => this.sync(leaseId));
  }

  /**
   * Converges every lease: the ones won since the last scan, the ones tracked, and every
   * ComputeLease naming this provider. What was missed while the operator was down is found here.
   */
  async resync(): Promise<void> {
    const { reader, objects, provider } = this.options;
    const head = (await reader.latestBlock()).number;
    const candidates = new Set(this.tracked);
    if (head > this.scannedTo) {
      for (const id of await reader.leasesWonBy(provider, this.scannedTo + 1, head)) {
        candidates.add(id);
      }
      this.scannedTo = head;
    }
    for (const lease of objects.list()) {
      if (sameAddress(lease.spec.provider, provider) && !lease.spec.closeRequested) {
        candidates.add(BigInt(lease.spec.leaseId));
      }
    }
    // Closes a reorg could still take back are read again, whether or not the follower reported
    // the reorg in time for afterReorg to see them.
    for (const id of this.closesAbove(head - reorgWindowBlocks)) candidates.add(id);
    for (const [id, block] of this.closedAt) {
      if (block <= head - reorgWindowBlocks) this.closedAt.delete(id);
    }
    await mapWithConcurrency([...candidates], syncConcurrency, (id) => this.sync(id));
  }

  /** Leases of chain-made objects closed by a block above `block` (the cache's and this process's). */
  private closesAbove(block: number): bigint[] {
    const { objects, provider } = this.options;
    const ids = new Set(
      objects
        .list()
        .filter(
          (lease) =>
            sameAddress(lease.spec.provider, provider) &&
            isChainMade(lease) &&
            (lease.spec.closeRequested?.block ?? -1) > block,
        )
        .map((lease) => BigInt(lease.spec.leaseId)),
    );
    for (const [id, closed] of this.closedAt) if (closed > block) ids.add(id);
    return [...ids];
  }

  private isOurs(leaseId: bigint): boolean {
    if (this.tracked.has(leaseId)) return true;
    const object = this.options.objects.get(computeLeaseName(leaseId.toString()));
    return object !== undefined && sameAddress(object.spec.provider, this.options.provider);
  }

  /** Brings one lease's object in line with the chain. */
  async sync(leaseId: bigint): Promise<void> {
    const { objects, provider } = this.options;
    const chain = await this.options.facts.read(leaseId);
    const name = computeLeaseName(leaseId.toString());
    const object = objects.get(name);
    const log = this.logger.child({ leaseId: leaseId.toString() });
    if (!chain.exists || !sameAddress(chain.provider, provider)) {
      // Not ours (a hand-applied object naming us): the chain verifier rejects it.
      this.tracked.delete(leaseId);
      return;
    }
    if (!chain.active) {
      if (
        object &&
        !object.spec.closeRequested &&
        isChainMade(object) &&
        sameLease(object, chain)
      ) {
        await this.close(object, chain, log);
      }
      // A hand-applied object is torn down by the chain verifier, which sees the lease closed.
      this.tracked.delete(leaseId);
      this.options.facts.forget(leaseId); // read again if a reorg reopens it
      return;
    }
    this.tracked.add(leaseId);
    if (object && !sameLease(object, chain)) {
      // Cluster-scoped names are per lease id: one left from another marketplace or provider
      // is never taken over.
      log.warn('a ComputeLease of that name exists for another provider or tenant; not touched', {
        name,
      });
      return;
    }
    const closeBlock = object?.spec.closeRequested?.block ?? this.closedAt.get(leaseId);
    if (object && isChainMade(object) && closeBlock !== undefined) {
      // The close this object records is no longer on chain: a reorg took it back. The object
      // is made anew (closeRequested cannot be unset), in the pool it had.
      const why = `lease ${leaseId} is active again on chain: a reorg took back its close at block ${closeBlock}`;
      this.closedAt.delete(leaseId);
      await objects.remove(object, why);
      log.warn(`${why}; making its ComputeLease anew`);
      await this.applyLease(chain, undefined, log, object.spec.pool);
      return;
    }
    if (object && (!isChainMade(object) || object.spec.manifestHash === chain.manifestHash)) return;
    await this.applyLease(chain, object, log);
  }

  /**
   * Sets the object closing once the close is `confirmations` deep: a close a shallow reorg takes
   * back never tears a paid workload down. Until then the follower's LeaseClosed event or the
   * next resync comes back to it.
   */
  private async close(object: ComputeLease, chain: ChainLease, log: Logger): Promise<void> {
    const { reader, objects, confirmations } = this.options;
    const closing = await reader.closing(chain.leaseId);
    if (closing && (await reader.latestBlock()).number - closing.blockNumber < confirmations) {
      log.debug('lease closed on chain; waiting for the close to be confirmed', {
        block: closing.blockNumber,
      });
      return;
    }
    const reason = closeReason(closing, chain.tenant);
    await objects.requestClose(object, {
      reason,
      ...(closing ? { block: closing.blockNumber } : {}),
    });
    if (closing) this.closedAt.set(chain.leaseId, closing.blockNumber);
    log.info('lease closed on chain; closing its ComputeLease', { reason });
  }

  /**
   * After a reorg that reached blocks above `ancestor`: marks the chain reads stale, and syncs the
   * leases whose close came from a block the reorg may have taken back.
   */
  async afterReorg(ancestor: number): Promise<void> {
    this.options.facts.markAllStale();
    await mapWithConcurrency(this.closesAbove(ancestor), syncConcurrency, (id) => this.sync(id));
  }

  /**
   * Creates the object of an active lease (in `pinnedPool` when given), or updates its manifest
   * to the one on chain.
   */
  private async applyLease(
    chain: ChainLease,
    object: ComputeLease | undefined,
    log: Logger,
    pinnedPool?: string,
  ): Promise<void> {
    const { objects, reader } = this.options;
    const text = await reader.manifest(chain.leaseId);
    let manifest;
    try {
      manifest = parseManifestYaml(text ?? '');
    } catch (error) {
      if (!(error instanceof ManifestError)) throw error;
      // Never bid on (the engine verifies first), so an order of this provider cannot get here
      // unless the tenant updated the manifest on chain: the workload keeps its last manifest.
      log.warn('the manifest on chain is not valid; the lease keeps its current spec', {
        error: error.message,
      });
      return;
    }
    const pools = objects.pools();
    const named = (name: string | undefined) => pools.find((p) => p.metadata.name === name);
    // The pool of an existing lease is immutable; a new one runs where its bid's record says (a
    // bid without a record, or whose pool is gone, gets the first pool that accepts the lease).
    const kept = object?.spec.pool ?? pinnedPool;
    const pool = kept
      ? named(kept)
      : (named(this.options.bidPools.get(chain.leaseId)) ??
        choosePool(
          pools,
          {
            leaseId: chain.leaseId,
            tenant: chain.tenant,
            provider: chain.provider,
            resources: chain.resources,
            manifest,
            manifestHash: chain.manifestHash,
            pricePerSecond: chain.pricePerSecond,
          },
          this.options.workloadPolicy?.() ?? defaultWorkloadPolicy,
        ));
    if (!pool) {
      log.warn('no pool can run the lease; it is created when one can', {
        gpuModel: chain.resources.gpuModel,
      });
      return;
    }
    await objects.apply(chainComputeLease(chain, pool, manifest, objects.labels()));
    // The object holds the pool now: the bid's record is done with.
    if (!object) await this.options.bidPools.drop([chain.leaseId]);
    log.info(object ? 'manifest updated on chain; lease spec updated' : 'ComputeLease created', {
      pool: pool.metadata.name,
    });
  }
}

function sameLease(object: ComputeLease, chain: ChainLease): boolean {
  return (
    sameAddress(object.spec.provider, chain.provider) &&
    sameAddress(object.spec.tenant, chain.tenant)
  );
}

function isChainMade(lease: ComputeLease): boolean {
  return lease.metadata.labels?.[leaseSourceLabel] === chainSource;
}
