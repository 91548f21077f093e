import { gpuModelId, manifestHash, normalizeGpuModel } from './identifiers.js';

describe('normalizeGpuModel', () => {
  it.each([
    [' nvidia h100 80gb hbm3 ', 'NVIDIA-H100-80GB-HBM3'],
    ['NVIDIA_A100_SXM4__40GB', 'NVIDIA-A100-SXM4-40GB'],
    ['NVIDIA-H100-80GB-HBM3', 'NVIDIA-H100-80GB-HBM3'],
  ])('normalizes %p to %p', (input, expected) => {
    expect(normalizeGpuModel(input)).toBe(expected);
  });
});

describe('gpuModelId', () => {
  // keccak256("NVIDIA-H100-80GB-HBM3") as anvil's web3_sha3 (another implementation) computes it.
  const h100 = '0xd564e81dd19f06136affe1095d88c10794c4ffbc0a6e8da6772563853693fc41';

  it('is keccak256 of the normalized name', () => {
    expect(gpuModelId('NVIDIA-H100-80GB-HBM3')).toBe(h100);
  });

  it('gives the same id for any spelling of the same model', () => {
    expect(gpuModelId(' nvidia h100_80gb hbm3')).toBe(h100);
  });

  it('tells models apart', () => {
    expect(gpuModelId('NVIDIA-A100-SXM4-40GB')).not.toBe(h100);
  });
});

describe('manifestHash', () => {
  it('hashes a string as its UTF-8 bytes', () => {
    const manifest = 'services:\n  - name: llm\n';
    expect(manifestHash(manifest)).toBe(manifestHash(new TextEncoder().encode(manifest)));
  });

  it('is the keccak256 of the empty input for no bytes', () => {
    expect(manifestHash(new Uint8Array())).toBe(
      '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470',
    );
  });
});
