// The Provider controller, declared: a Provider wakes itself; a GpuNodePool change wakes every
// Provider (the pools' GPU models are published in the registry); the chain side wakes a Provider
// whose signer starts or stops failing.
import type { Provider } from '../../api/provider.js';
import type { LabelSelector } from '../../config/label-selector.js';
import { controller, type ControllerSpec } from '../../kube/controller.js';
import { GpuNodePoolKind, ProviderKind } from '../../api/kinds.js';
import { onGenerationChange } from '../watch-filters.js';
import { providerReconciler, type ProviderReconcilerOptions } from './reconciler.js';

/** Name of the controller in metrics and logs. */
export const providerControllerName = 'provider';

export interface ProviderControllerOptions extends ProviderReconcilerOptions {
  /** Reconcile only Providers with matching labels (one shard; tests share one cluster). */
  readonly selector?: LabelSelector;
}

/**
 * @example manager.add(providerController({ registry, chainSide }))
 */
export function providerController(options: ProviderControllerOptions): ControllerSpec<Provider> {
  const wanted = (provider: Provider): boolean =>
    options.selector === undefined || options.selector.matches(provider.metadata.labels);
  return controller<Provider>({
    name: providerControllerName,
    for: ProviderKind,
    filter: wanted,
    watches: [
      {
        kind: GpuNodePoolKind,
        map: onGenerationChange((_pool, cache) =>
          cache
            .list(ProviderKind)
            .filter(wanted)
            .map((provider) => ({ name: provider.metadata.name ?? '' })),
        ),
      },
    ],
    // A signer that starts or stops failing wakes its Provider (WalletReady says so at once).
    sources: [options.chainSide.providerKeys],
    reconcile: providerReconciler(options),
  });
}
