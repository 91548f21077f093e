import type { GpuNodePool } from '../../api/gpunodepool.js';
import type { Provider } from '../../api/provider.js';
import {
  desiredRegistration,
  gpuModelsAttribute,
  registrationDifference,
  sameRegistration,
} from './registration.js';

const provider = {
  spec: { gatewayUrl: 'https://gpu.example', attributes: { tier: '3', region: 'eu-west' } },
} as unknown as Provider;
const pool = (model: string) => ({ spec: { gpu: { model } } }) as unknown as GpuNodePool;

describe('desiredRegistration', () => {
  it('publishes the attributes and the pools’ GPU models, sorted and deduplicated', () => {
    const desired = desiredRegistration(provider, [
      pool('nvidia h100 80gb hbm3'),
      pool('NVIDIA-A100-SXM4-40GB'),
      pool('NVIDIA-H100-80GB-HBM3'),
    ]);
    expect(desired).toEqual({
      gatewayUrl: 'https://gpu.example',
      attributes: [
        { key: gpuModelsAttribute, value: 'NVIDIA-A100-SXM4-40GB,NVIDIA-H100-80GB-HBM3' },
        { key: 'region', value: 'eu-west' },
        { key: 'tier', value: '3' },
      ],
    });
  });

  it('leaves gpu.models out without pools', () => {
    expect(desiredRegistration(provider, []).attributes.map((a) => a.key)).toEqual([
      'region',
      'tier',
    ]);
  });
});

describe('sameRegistration', () => {
  const desired = desiredRegistration(provider, [pool('NVIDIA-H100-80GB-HBM3')]);

  it('ignores attribute order', () => {
    expect(
      sameRegistration({ ...desired, attributes: [...desired.attributes].reverse() }, desired),
    ).toBe(true);
  });

  it('notices a changed URL, value, missing or extra attribute, and names it', () => {
    const changed = [
      { ...desired, gatewayUrl: 'https://old.example' },
      {
        ...desired,
        attributes: desired.attributes.map((a) => (a.key === 'tier' ? { ...a, value: '2' } : a)),
      },
      { ...desired, attributes: desired.attributes.filter((a) => a.key !== 'region') },
      { ...desired, attributes: [...desired.attributes, { key: 'old', value: 'x' }] },
    ];
    for (const onChain of changed) expect(sameRegistration(onChain, desired)).toBe(false);
    expect(registrationDifference(changed[0]!, desired)).toBe('gatewayUrl');
    expect(registrationDifference(changed[1]!, desired)).toBe('attributes.tier');
    expect(registrationDifference(changed[3]!, desired)).toBe('attributes.old');
  });
});
