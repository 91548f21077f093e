import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from 'winston';
import { silentLogger } from '../logging/logger.js';
import { registerCacheMetrics } from '../metrics/cache-metrics.js';
import { ControllerMetrics } from '../metrics/controller-metrics.js';
import { createMetricsRegistry } from '../metrics/registry.js';
import { startHealthServer, type HealthServer } from '../metrics/server.js';
import { systemClock, type Clock } from '../base/clock.js';
import { KubeClient, type Impersonation } from './client.js';
import { Controller, type ControllerSpec } from './controller.js';
import { EventRecorder, clientEventSink } from './events.js';
import { InformerCache } from './informer-cache.js';
import { LeaderElector, clientLeaseStore } from './leader-election.js';
import type { KubeObject } from './objects.js';
import type { Runnable } from './runnable.js';

export interface LeaderElectionConfig {
  /** The Lease's name and namespace. */
  readonly name: string;
  readonly namespace: string;
  readonly leaseDurationMs?: number;
  readonly renewDeadlineMs?: number;
  readonly retryPeriodMs?: number;
}

export interface ManagerOptions {
  /** Credentials and cluster: see `loadKubeConfig`. */
  readonly kubeConfig: KubeConfig;
  /** Act as another user (tests act as the chart's service account so RBAC applies). */
  readonly impersonate?: Impersonation;
  /** Watch namespaced kinds only in this namespace (default: all namespaces). */
  readonly namespace?: string;
  /** Leader election; false runs every controller in every replica. */
  readonly leaderElection: LeaderElectionConfig | false;
  /** Identity in the Lease and in Events (default: hostname_uuid). */
  readonly identity?: string;
  /** `/healthz`, `/readyz`, `/metrics` address; false: no server. Default `127.0.0.1:8080`. */
  readonly healthAddress?: string | false;
  /** How long in-flight reconciles may take to finish on shutdown. Default 30 s. */
  readonly gracefulShutdownMs?: number;
  /** Periodic resync of every cache (controller-runtime: 10 h). */
  readonly resyncPeriodMs?: number;
  /** A watch silent for this long is re-established. Default 3 min. */
  readonly watchIdleTimeoutMs?: number;
  readonly logger?: Logger;
  /** Metrics registry (default: a new one with Node process metrics). */
  readonly registry?: Registry;
  readonly clock?: Clock;
}

/**
 * Runs controllers: one client, one shared informer cache, one Event recorder, metrics and
 * health endpoints, leader election, and graceful shutdown (controller-runtime's Manager).
 *
 * @example
 * const manager = createManager({ kubeConfig: loadKubeConfig(), leaderElection: { name: 'supercloud-operator', namespace } });
 * manager.add(controller({ name: 'computelease', for: ComputeLeaseKind, reconcile }));
 * manager.stopOnSignals();
 * await manager.start();
 */
export class Manager {
  readonly client: KubeClient;
  readonly cache: InformerCache;
  readonly events: EventRecorder;
  readonly registry: Registry;
  readonly metrics: ControllerMetrics;
  readonly logger: Logger;
  readonly identity: string;
  private readonly controllers: Controller<KubeObject>[] = [];
  private readonly runnables: RunningRunnable[] = [];
  private readonly clock: Clock;
  private health: HealthServer | undefined;
  private elector: LeaderElector | undefined;
  private electionAbort = new AbortController();
  private election: Promise<void> | undefined;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';
  private stopping: Promise<void> | undefined;
  private leading = false;

  constructor(private readonly options: ManagerOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.registry = options.registry ?? createMetricsRegistry();
    this.metrics = new ControllerMetrics(this.registry);
    this.client = new KubeClient({
      kubeConfig: options.kubeConfig,
      impersonate: options.impersonate,
      metrics: this.metrics.requests,
    });
    this.cache = new InformerCache(this.client, {
      namespace: options.namespace,
      resyncPeriodMs: options.resyncPeriodMs ?? 10 * 3600_000,
      idleTimeoutMs: options.watchIdleTimeoutMs,
      clock: this.clock,
      logger: this.logger,
    });
    registerCacheMetrics(this.registry, this.cache);
    this.events = new EventRecorder(clientEventSink(this.client), {
      reportingInstance: this.identity.slice(0, 128),
      clock: this.clock,
      logger: this.logger,
    });
    if (options.leaderElection) {
      this.metrics.leaderElectionMasterStatus.set({ name: options.leaderElection.name }, 0);
    }
    // When the API server answers again after an outage, watches reconnect and keys that failed
    // meanwhile are retried at once, instead of after the backoffs that grew while it was down.
    this.client.onRecovered(() => {
      this.cache.retryNow();
      for (const controller of this.controllers) controller.retryFailedNow();
    });
  }

  /** Adds a controller; it starts with the manager (or at once if the manager runs). */
  add<T extends KubeObject>(spec: ControllerSpec<T>): Controller<T> {
    if (this.controllers.some((c) => c.name === spec.name)) {
      throw new Error(`a controller named "${spec.name}" was already added`);
    }
    const running = new Controller<T>(spec, {
      client: this.client,
      cache: this.cache,
      events: this.events,
      metrics: this.metrics,
      logger: this.logger,
      clock: this.clock,
    });
    this.controllers.push(running as unknown as Controller<KubeObject>);
    if (this.state === 'running' && this.mayRun(spec)) {
      void this.cache.waitForSync().then(() => running.start());
    }
    return running;
  }

  /** True while this replica holds the leader lease (always true without leader election). */
  get isLeader(): boolean {
    return !this.options.leaderElection || this.leading;
  }

  /**
   * Adds work that runs beside the controllers: started with them (leader-only by default) once
   * the caches synced; stopped when this replica loses the lease (after the leader-only
   * controllers, before the lease is released) and on shutdown.
   */
  addRunnable(runnable: Runnable): void {
    if (this.runnables.some((r) => r.runnable.name === runnable.name)) {
      throw new Error(`a runnable named "${runnable.name}" was already added`);
    }
    const running = new RunningRunnable(runnable, this.logger);
    this.runnables.push(running);
    if (this.state === 'running' && this.mayRun(runnable)) running.start();
  }

  /** The URL of the health/metrics server, once started. */
  get healthUrl(): string | undefined {
    return this.health?.url;
  }

  /**
   * Starts the health server, the caches (waiting for the first list of each), the controllers
   * that run everywhere, and the leader election for the others. Resolves once started.
   *
   * The campaign starts with the caches, not after them: a new replica may take a Lease held by
   * a dead one only after watching it unrenewed for the lease duration (15 s), and that wait now
   * overlaps the first lists (measured by `make bench BENCH=scale`: a restart with 3,000 leases
   * spent 40 s syncing, then 15 s more campaigning). Leader-only controllers still start only
   * once the caches have synced.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`the manager was already started (${this.state})`);
    this.state = 'starting';
    if (this.options.healthAddress !== false) {
      this.health = await startHealthServer({
        address: this.options.healthAddress,
        registry: this.registry,
        healthz: () => (this.state === 'stopped' ? ['the manager stopped'] : []),
        readyz: () => this.readinessProblems(),
      });
      this.logger.info('serving /healthz, /readyz and /metrics', { url: this.health.url });
    }
    this.cache.start();
    if (this.options.leaderElection) this.startElection(this.options.leaderElection);
    await this.cache.waitForSync();
    if (this.state !== 'starting') return; // stopped while syncing
    this.state = 'running';
    this.logger.info('caches synced', { kinds: Object.keys(this.cache.stats()) });
    for (const controller of this.controllers) if (this.mayRun(controller.spec)) controller.start();
    for (const runnable of this.runnables) if (this.mayRun(runnable.runnable)) runnable.start();
  }

  /**
   * Graceful shutdown (idempotent): stop taking work, let in-flight reconciles finish within the
   * bound, release the leader lease, close watches and connections, flush Events.
   */
  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  /** Stops on SIGTERM or SIGINT; a second signal exits at once. */
  stopOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (this.stopping) {
        this.logger.warn('second signal; exiting without finishing', { signal });
        process.exit(1);
      }
      this.logger.info('shutting down', { signal });
      // Exit once stdout has taken the last log lines (writes to a pipe are asynchronous).
      const exit = (code: number): void => void process.stdout.write('', () => process.exit(code));
      void this.stop().then(
        () => exit(0),
        (error: unknown) => {
          this.logger.error('shutdown failed', { error });
          exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  private mayRun(work: { readonly needLeaderElection?: boolean }): boolean {
    return !(work.needLeaderElection ?? true) || this.isLeader;
  }

  private startElection(config: LeaderElectionConfig): void {
    const leaderOnly = (): Controller<KubeObject>[] =>
      this.controllers.filter((c) => c.spec.needLeaderElection ?? true);
    const leaderOnlyRunnables = (): RunningRunnable[] =>
      this.runnables.filter((r) => r.runnable.needLeaderElection ?? true);
    this.elector = new LeaderElector(
      clientLeaseStore(this.client, config.namespace, config.name),
      {
        name: config.name,
        identity: this.identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        clock: this.clock,
        logger: this.logger,
      },
      {
        onStartedLeading: () => {
          this.leading = true;
          this.metrics.leaderElectionMasterStatus.set({ name: config.name }, 1);
          // Elected while the caches sync: start() starts them once synced.
          if (this.state !== 'running') return;
          for (const controller of leaderOnly()) controller.start();
          for (const runnable of leaderOnlyRunnables()) runnable.start();
        },
        onStoppedLeading: async () => {
          this.leading = false;
          this.metrics.leaderElectionMasterStatus.set({ name: config.name }, 0);
          // In-flight reconciles finish before the lease is given back, so a successor never
          // works on a key this replica is still writing.
          await Promise.all(leaderOnly().map((c) => c.stop(this.options.gracefulShutdownMs)));
          // Then the work outside the cluster (a chain side) that they fed or that fed them.
          await Promise.all(leaderOnlyRunnables().map((r) => r.stop()));
        },
        onNewLeader: (identity) => this.logger.info('leader', { identity }),
      },
    );
    this.election = this.elector.run(this.electionAbort.signal);
  }

  private readinessProblems(): string[] {
    if (this.state === 'stopping' || this.state === 'stopped') return ['shutting down'];
    const unsynced = Object.entries(this.cache.stats())
      .filter(([, stats]) => !stats.synced)
      .map(([kind]) => `cache of ${kind} not synced yet`);
    return this.state === 'running' ? unsynced : [...unsynced, 'starting'];
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    const grace = this.options.gracefulShutdownMs ?? 30_000;
    const everywhere = this.controllers.filter((c) => !(c.spec.needLeaderElection ?? true));
    // Leader-only controllers and runnables stop inside the election (before the lease is
    // released); without an election, here.
    this.electionAbort.abort();
    await Promise.all([this.election, ...everywhere.map((c) => c.stop(grace))]);
    await Promise.all(this.controllers.map((c) => c.stop(grace)));
    await Promise.all(this.runnables.map((r) => r.stop()));
    await this.cache.stop();
    await this.events.flush();
    this.client.close();
    await this.health?.close();
    this.state = 'stopped';
    this.logger.info('stopped');
  }
}

/** Creates a Manager; see `Manager`. */
export function createManager(options: ManagerOptions): Manager {
  return new Manager(options);
}

/** A runnable and its current run: started at most once at a time, stopped by aborting it. */
class RunningRunnable {
  private run: { readonly abort: AbortController; readonly done: Promise<void> } | undefined;

  constructor(
    readonly runnable: Runnable,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.run) return;
    const abort = new AbortController();
    const log = this.logger.child({ runnable: this.runnable.name });
    log.info('starting');
    const done = this.runnable.start(abort.signal).then(
      () => void log.info('stopped'),
      (error: unknown) => void log.error('stopped with an error', { error }),
    );
    this.run = { abort, done };
  }

  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.abort.abort();
    await run.done;
  }
}
