// The tenants of the fault suite: lanes that each run lease lifecycles one after another (order,
// our bid, accept, the lease Running, withdrawals, then a close by the tenant or the escrow left to
// run out), each lane with its own wallet. A lane is level-based like the operator: every step
// reads the chain again and does what is missing, so a reorg that drops the tenant's order,
// acceptance or close is simply redone; it never waits on a transaction it cannot see.
// Tenant moves go through the shared helpers (placeOrder, acceptBid) so a change of the
// contract's signatures is absorbed there.
import type { Wallet } from 'ethers';
import { sameAddress } from '../../../operator/src/chain/identifiers.js';
import { acceptBid, marketplaceAs } from '../../harness/market-steps.js';
import { sleep } from '../../stack/process.js';
import { mined, type TestChain } from '../../harness/test-chain.js';
import { placeOrder, type SuitePool } from '../../harness/market-fixtures.js';
import { chainTime, marketReader } from './chain.js';
import type { ClusterObserver } from './observer.js';
import type { Random } from './prng.js';

/** OrderStatus of the contract. */
const orderStatus = { None: 0n, Open: 1n, Leased: 2n, Cancelled: 3n } as const;

/** Holds the tenants' transactions while the suite measures a convergence. */
export class Gate {
  private release: (() => void) | undefined;
  private opened: Promise<void> = Promise.resolve();

  get isOpen(): boolean {
    return this.release === undefined;
  }

  close(): void {
    if (this.release) return;
    this.opened = new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }

  wait(): Promise<void> {
    return this.opened;
  }
}

export type LifecycleKind = 'close' | 'exhaust';

/** One lease lifecycle as the tenant lived it. */
export interface Lifecycle {
  readonly lane: number;
  readonly index: number;
  readonly kind: LifecycleKind;
  /** Every order placed for it (more than one when a reorg dropped one). */
  readonly orders: bigint[];
  leaseId?: bigint;
  outcome?: 'closed-by-tenant' | 'closed-by-provider' | 'closed-by-other' | 'stalled';
  /** The step it stalled in, with what the chain and the cluster said then. */
  stalled?: string;
  /** How often the chain went back under it (a reorg dropped a step). */
  wentBack: number;
  startedAt: number;
  endedAt?: number;
}

export interface LaneOptions {
  readonly chain: TestChain;
  /** The provider's wallet address. */
  readonly provider: string;
  readonly pool: SuitePool;
  readonly observer: ClusterObserver;
  readonly gate: Gate;
  /** Max price per second of the orders of each kind. */
  readonly maxPrice: Record<LifecycleKind, bigint>;
  /**
   * A lifecycle with no step forward for this long is given up (and counted), in the time of
   * `clock`: the suite's calm time, which stands still while a fault runs or a convergence is
   * measured (a lease cannot run out of escrow while the chain's clock is slow).
   */
  readonly stallMs: number;
  readonly clock: () => number;
  /** Chain seconds a tenant waits after the first withdrawal before closing: at most this. */
  readonly closeAfterMaxSeconds: number;
  /** True while lanes should start another lifecycle (asked before each). */
  readonly wantMore: () => boolean;
  readonly onStart: (lifecycle: Lifecycle) => void;
  readonly onEnd: (lifecycle: Lifecycle) => void;
  readonly log: (message: string) => void;
}

const pollMs = 1_000;
/** A tenant transaction not mined within this (dropped by a reorg meanwhile) is given up; the step is redone. */
const txTimeoutMs = 90_000;

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no receipt within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Runs lifecycles on one lane until `wantMore` says no. */
export async function runLane(
  lane: number,
  tenant: Wallet,
  random: Random,
  options: LaneOptions,
): Promise<void> {
  for (let index = 0; options.wantMore(); index++) {
    const lifecycle: Lifecycle = {
      lane,
      index,
      kind: random.chance(0.5) ? 'close' : 'exhaust',
      orders: [],
      wentBack: 0,
      startedAt: Date.now(),
    };
    options.onStart(lifecycle);
    try {
      await runLifecycle(lifecycle, tenant, random, options);
    } catch (error) {
      lifecycle.outcome = 'stalled';
      lifecycle.stalled = `error: ${error instanceof Error ? error.message : String(error)}`;
    }
    lifecycle.endedAt = Date.now();
    options.onEnd(lifecycle);
  }
}

async function runLifecycle(
  lifecycle: Lifecycle,
  tenant: Wallet,
  random: Random,
  options: LaneOptions,
): Promise<void> {
  const { chain, provider, observer, gate } = options;
  const market = marketReader(chain);
  const closeAfter = random.int(0, options.closeAfterMaxSeconds);
  let orderId: bigint | undefined;
  let step = 'order';
  let progressAt = options.clock();
  let withdrawnSeenAt: number | undefined;
  let closedSeenAt: number | undefined;
  const advance = (next: string): void => {
    if (next === step) return;
    step = next;
    progressAt = options.clock();
  };
  const send = async (what: string, transaction: () => Promise<unknown>): Promise<void> => {
    await gate.wait();
    try {
      await within(transaction(), txTimeoutMs, what);
    } catch (error) {
      // A revert (the state moved on: a reorg, the provider closed first) or a dropped
      // transaction: the next round reads the chain and decides again.
      options.log(
        `lane ${lifecycle.lane}: ${what} failed (${error instanceof Error ? error.message.split('\n')[0] : String(error)}); re-reading the chain`,
      );
    }
  };

  for (;;) {
    if (options.clock() - progressAt > options.stallMs) {
      const object = orderId === undefined ? undefined : observer.lease(orderId);
      lifecycle.outcome = 'stalled';
      lifecycle.stalled = `${step} (order ${orderId ?? 'none'}, ComputeLease phase ${object?.status?.phase ?? 'none'}: ${object?.status?.message ?? ''})`;
      await giveUp(orderId, tenant, options);
      return;
    }
    if (orderId === undefined) {
      await gate.wait();
      orderId = await within(
        placeOrder(chain, tenant, {
          model: options.pool.model,
          gpus: 1,
          maxPricePerSecond: options.maxPrice[lifecycle.kind],
          biddingSeconds: 86_400n,
        }),
        txTimeoutMs,
        'createOrder',
      ).catch((error: unknown) => {
        options.log(`lane ${lifecycle.lane}: createOrder failed (${String(error)})`);
        return undefined;
      });
      if (orderId !== undefined) {
        lifecycle.orders.push(orderId);
        advance('bid');
      }
      continue;
    }
    const [order, lease] = await Promise.all([market.getOrder(orderId), market.getLease(orderId)]);
    if (!sameAddress(order.tenant, tenant.address)) {
      // A reorg dropped the order (its id may be another tenant's now): order again.
      lifecycle.wentBack++;
      orderId = undefined;
      continue;
    }
    if (order.status === orderStatus.Open) {
      if (step !== 'bid') lifecycle.wentBack++;
      advance('bid');
      if ((await market.getBid(orderId, provider)) > 0n) {
        const id = orderId;
        await send(`acceptBid(${id})`, () => acceptBid(chain, tenant, id, provider));
        continue;
      }
      await sleep(pollMs);
      continue;
    }
    if (order.status !== orderStatus.Leased) {
      orderId = undefined;
      continue;
    }
    lifecycle.leaseId = orderId;
    const object = observer.lease(orderId);
    if (lease.active) {
      closedSeenAt = undefined;
      if (!observer.runningSeen.has(orderId.toString())) {
        if (step === 'teardown') lifecycle.wentBack++;
        advance('running');
      } else if (lifecycle.kind === 'exhaust') {
        advance('exhaustion');
      } else {
        advance('withdrawal');
        if (BigInt(object?.status?.amountWithdrawn ?? '0') > 0n) {
          const now = await chainTime(chain);
          withdrawnSeenAt ??= now;
          if (now >= withdrawnSeenAt + closeAfter) {
            const id = orderId;
            await send(`close(${id})`, () => mined(marketplaceAs(chain, tenant).close(id)));
            continue;
          }
        }
      }
      await sleep(pollMs);
      continue;
    }
    // Closed on chain: done once the workload is torn down (or never made: a lease that closed
    // before the operator saw it has no ComputeLease, and is counted as lost by the checks).
    advance('teardown');
    closedSeenAt ??= Date.now();
    if (object?.status?.phase === 'Closed' || (!object && Date.now() - closedSeenAt > 30_000)) {
      const closes = await market.queryFilter(market.filters.LeaseClosed!(orderId));
      const closedBy = (closes.at(-1) as { args?: { closedBy?: string } } | undefined)?.args
        ?.closedBy;
      lifecycle.outcome = sameAddress(closedBy ?? '', tenant.address)
        ? 'closed-by-tenant'
        : sameAddress(closedBy ?? '', provider)
          ? 'closed-by-provider'
          : 'closed-by-other';
      return;
    }
    await sleep(pollMs);
  }
}

/** A stalled lifecycle: the tenant closes its lease or cancels its order (best effort). */
async function giveUp(
  orderId: bigint | undefined,
  tenant: Wallet,
  { chain, gate, log }: LaneOptions,
): Promise<void> {
  if (orderId === undefined) return;
  await gate.wait();
  const market = marketplaceAs(chain, tenant);
  try {
    const [order, lease] = await Promise.all([market.getOrder(orderId), market.getLease(orderId)]);
    if (!sameAddress(order.tenant, tenant.address)) return;
    if (lease.active) await within(mined(market.close(orderId)), txTimeoutMs, 'close');
    else if (order.status === orderStatus.Open) {
      await within(mined(market.cancelOrder(orderId)), txTimeoutMs, 'cancelOrder');
    }
  } catch (error) {
    log(`giving up order ${orderId}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
