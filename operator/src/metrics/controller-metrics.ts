import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RequestMetrics } from '../kube/client.js';
import type { WorkQueueMetrics, WorkQueueStats } from '../kube/workqueue.js';

/** controller-runtime's reconcile-time buckets (seconds). */
const reconcileBuckets = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9,
  1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
/** client-go's workqueue buckets: ExponentialBuckets(10e-9, 10, 12). */
const workqueueBuckets = Array.from({ length: 12 }, (_, i) => 10e-9 * 10 ** i);

/** The outcome of one reconcile, as the `result` label of controller_runtime_reconcile_total. */
export type ReconcileResult = 'success' | 'error' | 'requeue' | 'requeue_after';

/**
 * The metrics controller-runtime exports, with its exact names and labels, so dashboards and
 * alerts written for Go operators work unchanged.
 */
export class ControllerMetrics {
  readonly reconcileTotal: Counter<'controller' | 'result'>;
  readonly reconcileErrors: Counter<'controller'>;
  readonly terminalReconcileErrors: Counter<'controller'>;
  readonly reconcilePanics: Counter<'controller'>;
  readonly reconcileTime: Histogram<'controller'>;
  readonly maxConcurrentReconciles: Gauge<'controller'>;
  readonly activeWorkers: Gauge<'controller'>;
  readonly leaderElectionMasterStatus: Gauge<'name'>;
  readonly restClientRequests: Counter<'code' | 'method' | 'host'>;
  private readonly workqueueAdds: Counter<'name' | 'controller'>;
  private readonly workqueueQueueDuration: Histogram<'name' | 'controller'>;
  private readonly workqueueWorkDuration: Histogram<'name' | 'controller'>;
  private readonly workqueueRetries: Counter<'name' | 'controller'>;
  /** Queues whose gauges are read at scrape time. */
  private readonly queues = new Map<string, WorkQueueStats>();

  constructor(registry: Registry) {
    const registers = [registry];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.terminalReconcileErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcilePanics = new Counter({
      name: 'controller_runtime_reconcile_panics_total',
      help: 'Total number of reconciliation panics per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: reconcileBuckets,
      registers,
    });
    this.maxConcurrentReconciles = new Gauge({
      name: 'controller_runtime_max_concurrent_reconciles',
      help: 'Maximum number of concurrent reconciles per controller',
      labelNames: ['controller'],
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.leaderElectionMasterStatus = new Gauge({
      name: 'leader_election_master_status',
      help: "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ['name'],
      registers,
    });
    this.restClientRequests = new Counter({
      name: 'rest_client_requests_total',
      help: 'Number of HTTP requests, partitioned by status code, method, and host.',
      labelNames: ['code', 'method', 'host'],
      registers,
    });
    const queues = this.queues;
    new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue by workqueue and priority',
      labelNames: ['name', 'controller', 'priority'],
      registers,
      collect() {
        for (const [name, queue] of queues) {
          this.set({ name, controller: name, priority: '' }, queue.depth);
        }
      },
    });
    this.workqueueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name', 'controller'],
      registers,
    });
    this.workqueueQueueDuration = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name', 'controller'],
      buckets: workqueueBuckets,
      registers,
    });
    this.workqueueWorkDuration = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes.',
      labelNames: ['name', 'controller'],
      buckets: workqueueBuckets,
      registers,
    });
    new Gauge({
      name: 'workqueue_unfinished_work_seconds',
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration. Large values indicate stuck threads. One can deduce the number of stuck threads by observing the rate at which this increases.",
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        for (const [name, queue] of queues) {
          const total = queue.processingSeconds().reduce((sum, seconds) => sum + seconds, 0);
          this.set({ name, controller: name }, total);
        }
      },
    });
    new Gauge({
      name: 'workqueue_longest_running_processor_seconds',
      help: 'How many seconds has the longest running processor for workqueue been running.',
      labelNames: ['name', 'controller'],
      registers,
      collect() {
        for (const [name, queue] of queues) {
          this.set({ name, controller: name }, Math.max(0, ...queue.processingSeconds()));
        }
      },
    });
    this.workqueueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name', 'controller'],
      registers,
    });
  }

  /** The event sink of one controller's queue; its gauges are read from `stats` at scrape time. */
  workQueue(controller: string, stats: WorkQueueStats): WorkQueueMetrics {
    this.queues.set(controller, stats);
    const labels = { name: controller, controller };
    // Initialise counters at zero so they are exported before the first event.
    this.workqueueAdds.inc(labels, 0);
    this.workqueueRetries.inc(labels, 0);
    return {
      added: () => this.workqueueAdds.inc(labels),
      taken: (seconds) => this.workqueueQueueDuration.observe(labels, seconds),
      done: (seconds) => this.workqueueWorkDuration.observe(labels, seconds),
      retried: () => this.workqueueRetries.inc(labels),
    };
  }

  /** Exports every reconcile counter of a controller at zero before its first reconcile. */
  initController(controller: string, workers: number): void {
    for (const result of ['success', 'error', 'requeue', 'requeue_after'] as const) {
      this.reconcileTotal.inc({ controller, result }, 0);
    }
    this.reconcileErrors.inc({ controller }, 0);
    this.terminalReconcileErrors.inc({ controller }, 0);
    this.reconcilePanics.inc({ controller }, 0);
    this.maxConcurrentReconciles.set({ controller }, workers);
    this.activeWorkers.set({ controller }, 0);
  }

  /** The request counter for the KubeClient. */
  get requests(): RequestMetrics {
    return { observe: (method, code, host) => this.restClientRequests.inc({ code, method, host }) };
  }
}
