// What `supercloud-operator check provider` (the chart's `helm test` hook) finds wrong with a
// Provider: the conditions it needs true are not, or describe an older spec. Pure.
import type { Provider } from '../api/provider.js';

/**
 * One line per problem; empty when every condition in `required` is True and describes the
 * current spec (its observedGeneration is the object's generation).
 *
 * @example providerProblems(provider, 'default', ['ChainConnected', 'WalletReady']) // []
 */
export function providerProblems(
  provider: Provider | undefined,
  name: string,
  required: readonly string[],
): string[] {
  if (!provider) return [`Provider ${name} does not exist: check provider.name`];
  const conditions = provider.status?.conditions ?? [];
  if (conditions.length === 0) {
    return [`Provider ${name} has no status yet: is the operator running and leading?`];
  }
  const generation = provider.metadata.generation;
  return required.flatMap((type) => {
    const condition = conditions.find((c) => c.type === type);
    if (!condition) return [`${type} is not reported yet`];
    if (condition.status !== 'True') {
      return [`${type} is ${condition.status} (${condition.reason}): ${condition.message}`];
    }
    if (
      generation !== undefined &&
      condition.observedGeneration !== undefined &&
      condition.observedGeneration < generation
    ) {
      return [
        `${type} describes generation ${condition.observedGeneration} of the spec, which is at ${generation}`,
      ];
    }
    return [];
  });
}

/** The required conditions as they stand, for the success line: `ChainConnected (head at block 9)`. */
export function providerSummary(provider: Provider, required: readonly string[]): string {
  const conditions = provider.status?.conditions ?? [];
  return required
    .map((type) => `${type} (${conditions.find((c) => c.type === type)?.message ?? ''})`)
    .join(', ');
}
