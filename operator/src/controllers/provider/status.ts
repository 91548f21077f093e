// The Provider status, built from what one reconcile learned. Pure.
import {
  providerConditionTypes as types,
  providerReasons as reasons,
  type Provider,
  type ProviderStatus,
} from '../../api/provider.js';
import type { FollowerStatus } from '../../chain/follower.js';
import { isConditionTrue, setCondition, type Condition } from '../../kube/conditions.js';

/** What a reconcile found out; a part left undefined was not reached. */
export interface ProviderObservation {
  /**
   * Whether the signer can sign (WalletReady's reason and message), and the provider address when
   * known: a remote signer's is, even while the signer is down.
   */
  readonly wallet: {
    readonly ready: boolean;
    readonly address?: string;
    readonly reason: string;
    readonly message: string;
  };
  readonly chain?:
    | {
        readonly connected: true;
        readonly head: number;
        readonly balances: { readonly native: bigint; readonly token: bigint };
      }
    | { readonly connected: false; readonly error: string };
  readonly registration?:
    | { readonly registered: true; readonly reason: string; readonly message: string }
    | { readonly registered: false; readonly reason: string; readonly message: string };
  readonly follower?: FollowerStatus;
}

/** Blocks of lag beyond the confirmations still counted as synced (a poll interval's worth). */
const syncedSlackBlocks = 5;

export function providerStatus(
  provider: Provider,
  observed: ProviderObservation,
  now: Date,
): ProviderStatus {
  const previous = provider.status ?? {};
  const generation = provider.metadata.generation;
  let conditions: Condition[] | undefined = previous.conditions as Condition[] | undefined;
  const set = (type: string, ok: boolean, reason: string, message: string): void => {
    conditions = setCondition(
      conditions,
      { type, status: ok ? 'True' : 'False', reason, message, observedGeneration: generation },
      now,
    );
  };
  const { wallet, chain, registration, follower } = observed;
  set(types.WalletReady, wallet.ready, wallet.reason, wallet.message);
  if (chain?.connected) {
    set(types.ChainConnected, true, reasons.RpcReachable, `head at block ${chain.head}`);
  } else if (chain) {
    set(types.ChainConnected, false, reasons.RpcUnreachable, chain.error);
  }
  if (registration) {
    set(types.Registered, registration.registered, registration.reason, registration.message);
  }
  const checkpoint = follower?.checkpoint;
  if (follower && checkpoint && chain?.connected) {
    const lag = Math.max(0, chain.head - checkpoint.number);
    const allowed = provider.spec.chain.confirmations + syncedSlackBlocks;
    set(
      types.Synced,
      lag <= allowed,
      lag <= allowed ? reasons.CaughtUp : reasons.Behind,
      `${lag} blocks behind the head (confirmations ${provider.spec.chain.confirmations})`,
    );
  }
  const ready = wallet.ready && chain?.connected === true && registration?.registered === true;
  const notReady = [types.WalletReady, types.ChainConnected, types.Registered].filter(
    (type) => !isConditionTrue(conditions, type),
  );
  set(
    types.Ready,
    ready,
    ready ? reasons.AllReady : reasons.NotReady,
    ready ? 'registered on chain and bidding' : `not true: ${notReady.join(', ')}`,
  );
  const lastProcessed =
    checkpoint && checkpoint.number >= 0
      ? { lastProcessedBlock: checkpoint.number, lastProcessedBlockHash: checkpoint.hash }
      : previous.lastProcessedBlock !== undefined
        ? {
            lastProcessedBlock: previous.lastProcessedBlock,
            ...(previous.lastProcessedBlockHash
              ? { lastProcessedBlockHash: previous.lastProcessedBlockHash }
              : {}),
          }
        : {};
  return {
    ...(generation !== undefined ? { observedGeneration: generation } : {}),
    ...(wallet.address ? { providerAddress: wallet.address } : {}),
    ...(registration
      ? { registered: registration.registered }
      : previous.registered !== undefined
        ? { registered: previous.registered }
        : {}),
    ...(chain?.connected
      ? {
          // The follower may have seen a newer head than the reconcile's own read.
          chainHead: Math.max(chain.head, follower?.head ?? 0),
          balances: {
            native: chain.balances.native.toString(),
            token: chain.balances.token.toString(),
          },
        }
      : {
          ...(previous.chainHead !== undefined ? { chainHead: previous.chainHead } : {}),
          ...(previous.balances ? { balances: previous.balances } : {}),
        }),
    ...lastProcessed,
    conditions,
  };
}

/** The status without the fields the chain side writes with patches of its own (bidPools). */
export function reconcilerFields(status: ProviderStatus | undefined): ProviderStatus {
  const fields = { ...status };
  delete fields.bidPools;
  return fields;
}
