// Work the manager runs beside its controllers (controller-runtime's manager.Runnable): a loop
// outside the cluster (a chain follower, a settlement timer) that starts when this replica may
// act and stops, within the graceful-shutdown bound, when it may not.

/** Something the manager starts and stops; `start` resolves once it has stopped. */
export interface Runnable {
  /** Unique per manager; names it in logs. */
  readonly name: string;
  /**
   * Runs until `signal` aborts, then cleans up and resolves. A rejection is logged; the manager
   * does not restart it (a runnable retries its own transient failures).
   */
  start(signal: AbortSignal): Promise<void>;
  /** Run only while this replica holds the leader lease. Default true. */
  readonly needLeaderElection?: boolean;
}

/**
 * Resolves when `signal` aborts: the body of a runnable whose work is driven by others and that
 * only has to clean up at the end.
 *
 * @example { name: 'sessions', start: async (signal) => { await untilAborted(signal); await sessions.stopAll(); } }
 */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener('abort', () => resolve(), { once: true }),
  );
}
