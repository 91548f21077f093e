import { describe, expect, it } from '@jest/globals';
import { ZeroHash } from 'ethers';
import { gpuModelId } from '../chain/identifiers.js';
import { canonicalManifest, canonicalManifestHash } from '../workloads/canonical.js';
import { ManifestError, parseManifestYaml } from '../workloads/parse.js';
import { CliUsageError } from './errors.js';
import { buildOrderRequest, type OrderFlags } from './order-request.js';

const manifest = `version: v1
services:
  - name: web
    image: nginx:1.27
    resources: { cpuMillis: 500, memoryMiB: 256, ephemeralStorageMiB: 1024 }
  - name: worker
    image: ghcr.io/acme/worker:1.0
    replicas: 3
    resources: { gpus: 2, cpuMillis: 4000, memoryMiB: 16384, ephemeralStorageMiB: 2048 }
`;

const base: OrderFlags = {
  gpuModel: 'nvidia h100 80gb hbm3',
  maxPrice: '1000',
  deposit: '1h',
  biddingSeconds: '60',
};

describe('buildOrderRequest', () => {
  it('takes resources from the manifest totals and puts the canonical manifest on chain', () => {
    const request = buildOrderRequest(manifest, base);
    expect(request.resources).toEqual({
      gpuModel: gpuModelId('NVIDIA-H100-80GB-HBM3'),
      gpuCount: 6n,
      gpuMemoryMiB: 0n,
      cpuMillicores: 12_500n,
      memoryMiB: 49_408n,
      storageMiB: 7168n,
    });
    expect(request.gpuModelName).toBe('NVIDIA-H100-80GB-HBM3');
    const parsed = parseManifestYaml(manifest);
    expect(request.manifest).toBe(canonicalManifest(parsed));
    expect(request.manifestHash).toBe(canonicalManifestHash(parsed));
    expect(request).toMatchObject({
      maxPricePerSecond: 1000n,
      deposit: 3_600_000n,
      biddingSeconds: 60n,
    });
  });

  it('takes larger resources from the flags', () => {
    const request = buildOrderRequest(manifest, {
      ...base,
      gpus: '8',
      gpuMemoryMib: '81559',
      cpuMillis: '16000',
      memoryMib: '65536',
      storageMib: '10240',
    });
    expect(request.resources).toMatchObject({
      gpuCount: 8n,
      gpuMemoryMiB: 81_559n,
      cpuMillicores: 16_000n,
      memoryMiB: 65_536n,
      storageMiB: 10_240n,
    });
  });

  it('refuses resources below what the manifest needs', () => {
    expect(() => buildOrderRequest(manifest, { ...base, gpus: '4' })).toThrow(
      /--gpus 4 is less than the manifest needs \(6/,
    );
    expect(() => buildOrderRequest(manifest, { ...base, memoryMib: '1024' })).toThrow(
      CliUsageError,
    );
  });

  it('needs a GPU model exactly when the order has GPUs', () => {
    const withoutModel: OrderFlags = { ...base, gpuModel: undefined };
    expect(() => buildOrderRequest(manifest, withoutModel)).toThrow(/no --gpu-model/);
    const cpuOnly = manifest.replace('gpus: 2, ', '');
    expect(buildOrderRequest(cpuOnly, withoutModel).resources).toMatchObject({
      gpuModel: ZeroHash,
      gpuCount: 0n,
    });
    expect(() => buildOrderRequest(cpuOnly, base)).toThrow(/asks for no GPUs/);
  });

  it('fails a bad manifest with the field named', () => {
    const bad = manifest.replace('image: nginx:1.27', 'image: "Not An Image!"');
    expect(() => buildOrderRequest(bad, base)).toThrow(ManifestError);
    expect(() => buildOrderRequest(bad, base)).toThrow(/image/);
  });

  it('refuses amounts the contract cannot hold', () => {
    expect(() =>
      buildOrderRequest(manifest, { ...base, maxPrice: (2n ** 96n).toString() }),
    ).toThrow(/2\^96/);
    expect(() => buildOrderRequest(manifest, { ...base, gpus: '70000' })).toThrow(/uint16/);
  });
});
