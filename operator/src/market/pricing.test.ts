import { marginOverFloorStrategy, poolPricePerSecond, poolPriceStrategy } from './pricing.js';
import type { GpuNodePoolSpec } from '../api/gpunodepool.js';

const prices: GpuNodePoolSpec['prices'] = {
  perGpuHour: '3600000',
  perCpuCoreHour: '36000',
  perGiBMemoryHour: '3600',
  perGiBStorageHour: '0',
};
const resources = { gpuCount: 2, cpuMillicores: 4000, memoryMiB: 8192, storageMiB: 10_240 };

describe('poolPricePerSecond', () => {
  it('converts hourly prices to per second for the resources', () => {
    // 2 GPUs × 1000/s + 4 cores × 10/s + 8 GiB × 1/s
    expect(poolPricePerSecond(prices, resources)).toBe(2048n);
  });

  it('rounds up, never selling below the list price', () => {
    expect(
      poolPricePerSecond(
        { ...prices, perGpuHour: '3601' },
        { ...resources, gpuCount: 1, cpuMillicores: 0, memoryMiB: 0 },
      ),
    ).toBe(2n);
    expect(
      poolPricePerSecond(
        { ...prices, perGpuHour: '3600' },
        { ...resources, gpuCount: 1, cpuMillicores: 0, memoryMiB: 0 },
      ),
    ).toBe(1n);
  });

  it('counts fractions of cores and GiB', () => {
    expect(
      poolPricePerSecond(
        {
          perGpuHour: '0',
          perCpuCoreHour: '3600000',
          perGiBMemoryHour: '3600000',
          perGiBStorageHour: '3600000',
        },
        { gpuCount: 0, cpuMillicores: 500, memoryMiB: 512, storageMiB: 256 },
      ),
    ).toBe(500n + 500n + 250n);
  });

  it('takes 18-decimal token prices without losing precision', () => {
    expect(
      poolPricePerSecond(
        {
          perGpuHour: '2500000000000000000',
          perCpuCoreHour: '0',
          perGiBMemoryHour: '0',
          perGiBStorageHour: '0',
        },
        { gpuCount: 8, cpuMillicores: 0, memoryMiB: 0, storageMiB: 0 },
      ),
    ).toBe((8n * 2_500_000_000_000_000_000n + 3599n) / 3600n);
  });
});

describe('pricing strategies', () => {
  const input = (floor: bigint, max: bigint) => ({
    pool: {} as GpuNodePoolSpec,
    resources: { ...resources, gpuModel: '0x', gpuMemoryMiB: 0 },
    floorPerSecond: floor,
    maxPricePerSecond: max,
  });

  it('pool price bids the floor whatever the max', () => {
    expect(poolPriceStrategy.price(input(100n, 1000n))).toBe(100n);
    expect(poolPriceStrategy.price(input(100n, 50n))).toBe(100n);
  });

  it('margin over floor adds the margin when the max allows', () => {
    expect(marginOverFloorStrategy(1500).price(input(100n, 1000n))).toBe(115n);
  });

  it('margin over floor takes what the max leaves, never less than the floor', () => {
    expect(marginOverFloorStrategy(1500).price(input(100n, 110n))).toBe(110n);
    expect(marginOverFloorStrategy(1500).price(input(100n, 90n))).toBe(100n);
  });

  it('refuses a negative or fractional margin', () => {
    expect(() => marginOverFloorStrategy(-1)).toThrow(RangeError);
    expect(() => marginOverFloorStrategy(1.5)).toThrow(RangeError);
  });
});
