// The pools of bids kept in the Provider status (`status.bidPools`, order id → pool), so that a
// restarted operator, or another replica taking over, runs a won lease in the pool its bid was
// for and holds a live bid's capacity on the right pool. Written by merge patch, one key per
// order: the status the Provider reconciler applies (another field manager) leaves it alone.
import { ProviderKind } from '../api/kinds.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerCache } from '../kube/informer-cache.js';
import type { BidPools } from '../market/bid-pools.js';

/** Field manager of status.bidPools (the Provider reconciler's status apply leaves it alone). */
export const bidPoolsFieldManager = 'supercloud-bid-pools';

export class ProviderBidPools implements BidPools {
  /** What this process wrote (null: dropped), over the cache, which lags its own writes. */
  private readonly written = new Map<string, string | null>();

  constructor(
    private readonly client: KubeClient,
    private readonly cache: InformerCache,
    private readonly name: string,
  ) {}

  get(orderId: bigint): string | undefined {
    const key = orderId.toString();
    const cached = this.cache.get(ProviderKind, this.name)?.status?.bidPools?.[key];
    const written = this.written.get(key);
    if (written === undefined) return cached;
    if ((written ?? undefined) === cached) this.written.delete(key); // the cache caught up
    return written ?? undefined;
  }

  async record(pools: ReadonlyMap<bigint, string>): Promise<void> {
    if (pools.size === 0) return;
    await this.patch(new Map([...pools].map(([orderId, pool]) => [orderId.toString(), pool])));
  }

  async drop(orderIds: readonly bigint[]): Promise<void> {
    const present = orderIds.filter((orderId) => this.get(orderId) !== undefined);
    if (present.length === 0) return;
    await this.patch(new Map(present.map((orderId) => [orderId.toString(), null])));
  }

  /** One merge patch of the map: a value sets a key, null removes it. */
  private async patch(changes: ReadonlyMap<string, string | null>): Promise<void> {
    await this.client.patch(
      ProviderKind,
      this.name,
      'merge',
      { status: { bidPools: Object.fromEntries(changes) } },
      { subresource: 'status', fieldManager: bidPoolsFieldManager },
    );
    for (const [key, pool] of changes) this.written.set(key, pool);
  }
}
