// The chain follower's checkpoint kept in the Provider status (lastProcessedBlock and its hash),
// so that a restarted operator, or another replica taking over, resumes where reading stopped.
import type { CheckpointStore } from '../chain/follower.js';
import type { BlockRef } from '../chain/reorg.js';
import { mergeStatus } from '../kube/apply.js';
import type { KubeClient } from '../kube/client.js';
import type { InformerCache } from '../kube/informer-cache.js';
import { ProviderKind } from '../api/kinds.js';

/**
 * A {@link CheckpointStore} in the status of the Provider `name`, loaded from the informer cache
 * (the operator may list and watch Providers, not get them). A checkpoint older than the last
 * save, read from a cache that lags, only means some blocks are read again: harmless.
 */
export class ProviderCheckpointStore implements CheckpointStore {
  constructor(
    private readonly client: KubeClient,
    private readonly cache: InformerCache,
    private readonly name: string,
  ) {}

  async load(): Promise<BlockRef | undefined> {
    const provider = this.cache.get(ProviderKind, this.name);
    const number = provider?.status?.lastProcessedBlock;
    const hash = provider?.status?.lastProcessedBlockHash;
    return number !== undefined && hash ? { number, hash } : undefined;
  }

  async save(block: number, hash: string): Promise<void> {
    await mergeStatus(
      this.client,
      ProviderKind,
      { metadata: { name: this.name } },
      { lastProcessedBlock: block, lastProcessedBlockHash: hash },
    );
  }
}
