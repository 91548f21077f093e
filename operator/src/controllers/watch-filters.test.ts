import type { InformerCache } from '../kube/informer-cache.js';
import type { KubeObject } from '../kube/objects.js';
import { onGenerationChange } from './watch-filters.js';

const cache = {} as InformerCache;
const pool = (generation: number, status = 'a'): KubeObject & { status: string } => ({
  metadata: { name: 'h100', uid: 'u1', generation },
  status,
});

describe('onGenerationChange', () => {
  it('maps an object when first seen and when its generation changes, not on status updates', () => {
    const map = onGenerationChange<KubeObject>((object) => [
      { name: `lease-of-${object.metadata?.name}` },
    ]);
    expect(map(pool(1), cache)).toEqual([{ name: 'lease-of-h100' }]);
    // An update calls the map with the old object, then the new one.
    expect(map(pool(1), cache)).toEqual([]);
    expect(map(pool(1, 'b'), cache)).toEqual([]);
    expect(map(pool(1, 'b'), cache)).toEqual([]);
    expect(map(pool(2, 'b'), cache)).toEqual([{ name: 'lease-of-h100' }]);
  });

  it('tells objects apart by uid, so a re-created object maps again', () => {
    const map = onGenerationChange<KubeObject>(() => [{ name: 'x' }]);
    expect(map(pool(1), cache)).toHaveLength(1);
    expect(map({ metadata: { name: 'h100', uid: 'u2', generation: 1 } }, cache)).toHaveLength(1);
  });
});
