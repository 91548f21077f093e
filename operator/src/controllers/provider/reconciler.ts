// The Provider reconcile: load the signer (the wallet key from the referenced Secret, or a remote
// signer; never logged) and check it can sign, reach the chain, register or update the provider in
// the ProviderRegistry when the chain differs from the spec and the pools, start following the
// chain and bidding once registered, and report it all in the status (one write per reconcile).
import type { Registry } from 'prom-client';
import {
  providerConditionTypes,
  providerReasons as reasons,
  type Provider,
} from '../../api/provider.js';
import {
  connectContract,
  ierc20Abi,
  marketplaceAbi,
  providerRegistryAbi,
} from '../../chain/abi/index.js';
import {
  InsufficientFundsError,
  SignedTransactionMismatchError,
  SignerAccountMissingError,
  SignerRefusedError,
  type SignerError,
} from '../../chain/errors.js';
import { RemoteSigner } from '../../chain/remote-signer.js';
import { contractCall } from '../../chain/intent.js';
import { describeError } from '../../chain/rpc.js';
import { applyStatus } from '../../kube/apply.js';
import type { ReconcileContext, ReconcileRequest, Reconciler } from '../../kube/controller.js';
import { isNotFound } from '../../kube/errors.js';
import { marketMetrics } from '../../market/metrics.js';
import { GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import { jsonEqual } from '../semantic.js';
import {
  desiredRegistration,
  registrationDifference,
  sameRegistration,
  type Registration,
} from './registration.js';
import type { ChainSide } from '../../chain-side/chain-side.js';
import type { ChainSession } from '../../chain-side/session.js';
import { loadProviderSigner } from './signer.js';
import { providerStatus, reconcilerFields, type ProviderObservation } from './status.js';

export interface ProviderReconcilerOptions {
  readonly registry: Registry;
  /** Where the Providers' chain sessions run (and wake their Provider when signing fails). */
  readonly chainSide: Pick<ChainSide, 'session' | 'end' | 'providerKeys'>;
  /** How often balances and the chain head are refreshed. Default 30 s. */
  readonly resyncMs?: number;
}

type Observed = { -readonly [K in keyof ProviderObservation]: ProviderObservation[K] };

/** The WalletReady reason of a signer that cannot sign now. */
function signerReason(problem: SignerError): string {
  if (problem instanceof SignerAccountMissingError) return reasons.SignerAccountMissing;
  if (problem instanceof SignedTransactionMismatchError) return reasons.SignatureMismatch;
  if (problem instanceof SignerRefusedError) return reasons.SignerRefused;
  return reasons.SignerUnreachable;
}

async function readRegistration(
  session: ChainSession,
  registryAddress: string,
): Promise<Registration | undefined> {
  return session.rpc.call('ProviderRegistry.getProvider', async (p) => {
    const registry = connectContract(providerRegistryAbi, registryAddress, p);
    if (!(await registry.isRegistered(session.address))) return undefined;
    const info = await registry.getProvider(session.address);
    return {
      gatewayUrl: info.gatewayUrl,
      attributes: info.attributes.map(({ key, value }) => ({ key, value })),
    };
  });
}

/**
 * A signer that cannot sign: a Warning Event when the problem is new (the WalletReady condition
 * had another reason), and a log line. Its message names the signer's URL, never a credential.
 */
function reportSignerProblem(
  provider: Provider,
  wallet: ProviderObservation['wallet'],
  context: ReconcileContext,
): void {
  const previous = provider.status?.conditions?.find(
    (condition) => condition.type === providerConditionTypes.WalletReady,
  );
  if (previous?.status === 'False' && previous.reason === wallet.reason) return;
  context.events.record(ProviderKind, provider, {
    type: 'Warning',
    reason: wallet.reason,
    action: 'Sign',
    note: wallet.message,
  });
  context.log.warn('the provider signer cannot sign; transactions wait for it', {
    reason: wallet.reason,
    error: wallet.message,
  });
}

/**
 * @example manager.add(controller({ name: "provider", for: ProviderKind, reconcile: providerReconciler({ registry, chainSide }) }))
 */
export function providerReconciler(options: ProviderReconcilerOptions): Reconciler {
  const { chainSide } = options;
  const resyncMs = options.resyncMs ?? 30_000;
  const metrics = marketMetrics(options.registry);

  async function observeChain(
    provider: Provider,
    session: ChainSession,
  ): Promise<{ head: number; native: bigint; token: bigint; registration?: Registration }> {
    const { chain } = provider.spec;
    const head = await session.rpc.call('eth_blockNumber', (p) => p.getBlockNumber());
    const native = await session.rpc.call('eth_getBalance', (p) => p.getBalance(session.address));
    const tokenAddress =
      chain.token ??
      (await session.rpc.call('Marketplace.token', (p) =>
        connectContract(marketplaceAbi, chain.marketplace, p).token(),
      ));
    const token = await session.rpc.call('ERC20.balanceOf', (p) =>
      connectContract(ierc20Abi, tokenAddress, p).balanceOf(session.address),
    );
    const registration = await readRegistration(session, chain.registry);
    return { head, native, token, ...(registration ? { registration } : {}) };
  }

  /** Registers or updates when the chain differs; returns what the Registered condition says. */
  async function register(
    provider: Provider,
    session: ChainSession,
    onChain: Registration | undefined,
    context: ReconcileContext,
  ): Promise<NonNullable<ProviderObservation['registration']>> {
    const desired = desiredRegistration(provider, context.cache.list(GpuNodePoolKind));
    if (onChain && sameRegistration(onChain, desired)) {
      return {
        registered: true,
        reason: reasons.RegisteredOnChain,
        message: 'the registry holds the spec',
      };
    }
    const method = onChain ? 'update' : 'register';
    const registryAddress = provider.spec.chain.registry;
    const attributes = desired.attributes.map(({ key, value }) => ({ key, value }));
    try {
      await session.sender.send({
        ...contractCall(providerRegistryAbi, registryAddress, method, [
          desired.gatewayUrl,
          attributes,
        ]),
        key: `${method}/${JSON.stringify(desired)}`,
        precheck: async () => {
          const now = await readRegistration(session, registryAddress);
          return now && sameRegistration(now, desired)
            ? { send: false, reason: 'the registry already holds it' }
            : { send: true };
        },
      });
    } catch (error) {
      const outOfGas = error instanceof InsufficientFundsError;
      const message = outOfGas
        ? `the wallet ${session.address} cannot pay the gas of ${method}: send it native currency`
        : `${method} failed: ${describeError(error)}`;
      context.events.record(ProviderKind, provider, {
        type: 'Warning',
        reason: outOfGas ? reasons.OutOfGas : reasons.RegistrationFailed,
        action: 'Register',
        note: message,
      });
      context.log.warn('registration failed', { method, error: describeError(error) });
      return {
        registered: onChain !== undefined,
        reason: outOfGas ? reasons.OutOfGas : reasons.RegistrationFailed,
        message,
      };
    }
    const changed = onChain ? registrationDifference(onChain, desired) : 'new provider';
    context.events.record(ProviderKind, provider, {
      type: 'Normal',
      reason: onChain ? reasons.RegistrationUpdated : reasons.RegisteredOnChain,
      action: 'Register',
      note: `${method} in the ProviderRegistry (${changed})`,
    });
    context.log.info('provider registration written', { method, changed });
    return {
      registered: true,
      reason: reasons.RegisteredOnChain,
      message: `${method}: ${changed}`,
    };
  }

  /** Everything but the status write: fills `observed` as far as it gets. */
  async function converge(
    provider: Provider,
    context: ReconcileContext,
    observed: Observed,
  ): Promise<{ requeueAfterMs: number }> {
    const name = provider.metadata.name ?? '';
    const loaded = await loadProviderSigner(provider, context);
    if (!('signer' in loaded)) {
      observed.wallet = { ready: false, reason: loaded.reason, message: loaded.problem };
      await chainSide.end(name);
      return { requeueAfterMs: resyncMs };
    }
    // A remote signer's address is known without it: the session reads the chain (leases keep
    // being verified and synced) while the signer cannot sign, and its transactions fail and are
    // retried until it can.
    const session = await chainSide.session(provider, loaded.signer);
    const signerProblem = await session.signer.check();
    observed.wallet = signerProblem
      ? {
          ready: false,
          address: session.address,
          reason: signerReason(signerProblem),
          message: signerProblem.message,
        }
      : {
          ready: true,
          address: session.address,
          reason: session.signer instanceof RemoteSigner ? reasons.SignerReady : reasons.KeyLoaded,
          message: session.signer.description,
        };
    if (signerProblem) reportSignerProblem(provider, observed.wallet, context);
    const signerRetryMs = signerProblem ? Math.min(resyncMs, 5_000) : resyncMs;
    let chain;
    try {
      chain = await observeChain(provider, session);
    } catch (error) {
      // RPC down: report it and look again soon; the follower retries on its own meanwhile.
      observed.chain = { connected: false, error: describeError(error) };
      observed.follower = session.followerStatus();
      return { requeueAfterMs: Math.min(resyncMs, 5_000) };
    }
    metrics.walletBalance.set({ asset: 'native' }, Number(chain.native));
    metrics.walletBalance.set({ asset: 'token' }, Number(chain.token));
    observed.chain = {
      connected: true,
      head: chain.head,
      balances: { native: chain.native, token: chain.token },
    };
    observed.registration = await register(provider, session, chain.registration, context);
    // Bids need a registered provider: the follower (and so the bid engine) starts only then.
    if (observed.registration.registered) await session.startMarket();
    observed.follower = session.followerStatus();
    return {
      requeueAfterMs: Math.min(
        signerRetryMs,
        observed.registration.registered ? resyncMs : Math.min(resyncMs, 15_000),
      ),
    };
  }

  const reconcile: Reconciler = async ({ name }: ReconcileRequest, context: ReconcileContext) => {
    const provider = context.cache.get(ProviderKind, name);
    if (!provider || provider.metadata.deletionTimestamp) {
      await chainSide.end(name);
      return;
    }
    const observed: Observed = {
      wallet: {
        ready: false,
        reason: reasons.KeyMissing,
        message: 'the signer was not loaded yet',
      },
    };
    let result: { requeueAfterMs: number } | undefined;
    let failure: unknown;
    try {
      result = await converge(provider, context, observed);
    } catch (error) {
      failure = error;
    }
    // One status write, also when a step failed: what was learned is reported.
    const status = providerStatus(provider, observed, new Date());
    if (!jsonEqual(status, reconcilerFields(provider.status))) {
      try {
        await applyStatus(context.client, ProviderKind, provider, status);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    if (failure !== undefined) throw failure;
    return result;
  };

  return reconcile;
}
