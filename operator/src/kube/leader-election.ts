import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { silentLogger } from '../logging/logger.js';
import { sleep, systemClock, type Clock } from '../base/clock.js';
import type { KubeClient } from './client.js';
import { microTime } from './events.js';
import { LeaseKind, type Wire } from './objects.js';

export type Lease = Wire<V1Lease>;

/** Reads and writes the one Lease object of an election; the real one is `clientLeaseStore`. */
export interface LeaseStore {
  get(): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  /** Fails (409) when `lease.metadata.resourceVersion` is not the current one. */
  update(lease: Lease): Promise<Lease>;
}

/** A LeaseStore over the API server's coordination.k8s.io/v1 Lease `namespace/name`. */
export function clientLeaseStore(client: KubeClient, namespace: string, name: string): LeaseStore {
  return {
    get: () => client.get(LeaseKind, name, namespace),
    create: (lease) =>
      client.create(LeaseKind, { ...lease, metadata: { ...lease.metadata, name, namespace } }),
    update: (lease) =>
      client.replace(LeaseKind, { ...lease, metadata: { ...lease.metadata, name, namespace } }),
  };
}

export interface LeaderElectionOptions {
  /** The Lease name; also the `name` label of leader_election_master_status. */
  readonly name: string;
  /** Unique per replica (controller-runtime: hostname + '_' + a random uuid). */
  readonly identity: string;
  /** How long a lease holds without renewal before another replica may take it (15 s). */
  readonly leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long (10 s); < leaseDuration. */
  readonly renewDeadlineMs?: number;
  /** How often to try to acquire or renew (2 s). */
  readonly retryPeriodMs?: number;
  /** Give the lease back on stop so a successor takes over at once (default true). */
  readonly releaseOnCancel?: boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly logger?: Logger;
}

export interface LeaderCallbacks {
  onStartedLeading(): void | Promise<void>;
  /** Called when the lease is lost or released; leader-only work must stop. */
  onStoppedLeading(): void | Promise<void>;
  /** The identity of the current leader when it changes (this replica included). */
  onNewLeader?(identity: string): void;
}

/** Retry attempts wait the retry period plus up to this fraction of it, so replicas do not collide. */
const retryJitter = 0.2;

/**
 * Leader election on a Lease with client-go's algorithm: a replica may take the lease when it is
 * free or when its holder has not renewed it for `leaseDuration` as observed on this replica's
 * own clock (no clock-skew assumptions); the leader renews every retry period and steps down if
 * it cannot renew within the renew deadline, before anyone else may take over. On stop it
 * releases the lease (empty holder, 1 s duration), so the next candidate acquires it at its next
 * attempt instead of waiting for expiry.
 */
export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  /** The last Lease seen, and when (this replica's clock) it last changed. */
  private observed: Lease | undefined;
  private observedAt = 0;
  private leading = false;
  private reportedLeader: string | undefined;

  constructor(
    private readonly store: LeaseStore,
    private readonly options: LeaderElectionOptions,
    private readonly callbacks: LeaderCallbacks,
  ) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = (options.logger ?? silentLogger()).child({ leaderElection: options.name });
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    if (this.renewDeadlineMs >= this.leaseDurationMs) {
      throw new Error(
        'leader election: the renew deadline must be shorter than the lease duration',
      );
    }
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /**
   * Campaigns until `signal` aborts: acquire, lead while renewals succeed, and campaign again
   * after losing the lease. On abort, stops leading and releases the lease.
   */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      if (!(await this.acquire(signal))) break;
      this.leading = true;
      this.logger.info('became leader', { identity: this.options.identity });
      await this.callbacks.onStartedLeading();
      await this.renewWhileLeading(signal);
      this.leading = false;
      await this.callbacks.onStoppedLeading();
      if (signal.aborted) {
        if (this.options.releaseOnCancel ?? true) {
          // Bounded: a hung API server must not hold up the process's exit.
          const deadline = this.clock.now() + this.renewDeadlineMs;
          await this.withDeadline(
            this.release().then(() => true),
            deadline,
            new AbortController().signal,
          );
        }
        break;
      }
      this.logger.error(
        'lost the leader lease; leader-only controllers stopped, campaigning again',
      );
    }
  }

  /** Polls until this replica holds the lease; false when aborted first. */
  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      const deadline = this.clock.now() + this.renewDeadlineMs;
      if (await this.withDeadline(this.tryAcquireOrRenew(), deadline, signal)) return true;
      await sleep(this.clock, this.retryPeriodMs * (1 + retryJitter * this.random()), signal);
    }
    return false;
  }

  /** Renews every retry period; returns when a renewal round fails past the deadline, or on abort. */
  private async renewWhileLeading(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await sleep(this.clock, this.retryPeriodMs, signal);
      if (signal.aborted) return;
      const deadline = this.clock.now() + this.renewDeadlineMs;
      let renewed = false;
      while (!renewed && this.clock.now() < deadline && !signal.aborted) {
        renewed = await this.withDeadline(this.tryAcquireOrRenew(), deadline, signal);
        if (!renewed) {
          await sleep(
            this.clock,
            Math.min(this.retryPeriodMs, Math.max(0, deadline - this.clock.now())),
            signal,
          );
        }
      }
      if (!renewed && !signal.aborted) return;
    }
  }

  /** One attempt of client-go's tryAcquireOrRenew. */
  private async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.clock.now();
    const spec = {
      holderIdentity: this.options.identity,
      leaseDurationSeconds: Math.round(this.leaseDurationMs / 1000),
      acquireTime: microTime(now),
      renewTime: microTime(now),
      leaseTransitions: 0,
    };
    const observed = this.observed;
    if (
      this.leading &&
      observed?.spec?.holderIdentity === this.options.identity &&
      this.observedAt + this.leaseDurationMs > now
    ) {
      // The leader's fast path (client-go's): renew on the version it wrote last, one request
      // instead of a read and a write; a conflict (someone else wrote) falls back to reading.
      try {
        const renewed = await this.store.update({
          ...observed,
          spec: {
            ...spec,
            acquireTime: observed.spec.acquireTime ?? spec.acquireTime,
            leaseTransitions: observed.spec.leaseTransitions ?? 0,
          },
        });
        this.remember(renewed, now);
        return true;
      } catch (error) {
        this.logger.debug('could not renew the leader lease optimistically; reading it', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
    try {
      const current = await this.store.get();
      if (!current) {
        this.remember(await this.store.create({ metadata: {}, spec }), now);
        return true;
      }
      if (JSON.stringify(current.spec) !== JSON.stringify(this.observed?.spec))
        this.remember(current, now);
      else this.observed = current;
      const holder = current.spec?.holderIdentity;
      const heldFor = (current.spec?.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== this.options.identity && this.observedAt + heldFor > now)
        return false;
      if (holder === this.options.identity) {
        spec.acquireTime = current.spec?.acquireTime ?? spec.acquireTime;
        spec.leaseTransitions = current.spec?.leaseTransitions ?? 0;
      } else {
        spec.leaseTransitions = (current.spec?.leaseTransitions ?? 0) + 1;
      }
      this.remember(await this.store.update({ ...current, spec }), now);
      return true;
    } catch (error) {
      this.logger.warn('could not acquire or renew the leader lease', {
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  /** Gives the lease back if this replica still holds it. */
  private async release(): Promise<void> {
    const observed = this.observed;
    if (observed?.spec?.holderIdentity !== this.options.identity) return;
    const now = microTime(this.clock.now());
    try {
      await this.store.update({
        ...observed,
        spec: {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: observed.spec?.leaseTransitions ?? 0,
        },
      });
      this.logger.info('released the leader lease');
    } catch (error) {
      this.logger.warn('could not release the leader lease; it expires on its own', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  private remember(lease: Lease, now: number): void {
    this.observed = lease;
    this.observedAt = now;
    const holder = lease.spec?.holderIdentity;
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      this.callbacks.onNewLeader?.(holder);
    }
  }

  /**
   * false when `attempt` has not settled by `deadline` or `signal` aborts first: a hung request
   * must neither extend leadership nor block shutdown.
   */
  private withDeadline(
    attempt: Promise<boolean>,
    deadline: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    return new Promise((resolve) => {
      const settle = (result: boolean): void => {
        this.clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        resolve(result);
      };
      const onAbort = (): void => settle(false);
      const timer = this.clock.setTimeout(
        () => settle(false),
        Math.max(0, deadline - this.clock.now()),
      );
      signal.addEventListener('abort', onAbort, { once: true });
      void attempt.then(settle);
    });
  }
}
