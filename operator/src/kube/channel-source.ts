// Keys from outside the cluster (controller-runtime's source.Channel): whoever learns that an
// object must be looked at (a chain event about a lease) emits its key; every controller that
// watches the source enqueues it. The emitter knows nothing of the controllers, and a reconcile
// reads the world by key as for any other event.
import type { ObjectKey } from './objects.js';

/**
 * @example
 * const leaseKeys = new ChannelSource();
 * manager.add(controller({ name: 'computelease', for: ComputeLeaseKind, sources: [leaseKeys], reconcile }));
 * leaseKeys.emit({ name: 'lease-42' }); // from the chain side
 */
export class ChannelSource {
  private readonly listeners = new Set<(key: ObjectKey) => void>();

  /** Wakes every watching controller for `key`; a no-op while none runs. */
  emit(key: ObjectKey): void {
    for (const listener of this.listeners) listener(key);
  }

  /** Called by a controller when it starts; returns the function that unsubscribes. */
  subscribe(listener: (key: ObjectKey) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
