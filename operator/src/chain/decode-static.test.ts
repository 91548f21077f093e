import { Interface, ParamType, type InterfaceAbi } from 'ethers';
import { marketplaceAbi, providerRegistryAbi } from './abi/index.js';
import { decodeStaticResult } from './decode-static.js';
import { plainValue } from './plain-value.js';

const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const registry = new Interface(providerRegistryAbi as unknown as InterfaceAbi);
const tenant = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const provider = '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC';
const max = 2n ** 256n - 1n;

const lease = (i: bigint) => [
  tenant,
  provider,
  10n + i,
  max,
  i,
  5n,
  0n,
  1_750_000_000n,
  100n,
  i % 2n === 0n,
];
const resources = [`0x${'ab'.repeat(32)}`, 8n, 81_559n, 96_000n, 2n ** 40n - 1n, 0n];
const order = (i: bigint) => [
  tenant,
  i % 4n,
  1_750_000_000n + i,
  1_000n,
  `0x${'0f'.repeat(32)}`,
  resources,
  i === 0n ? '0x0000000000000000000000000000000000000000' : provider,
  900n,
  3_600_000n,
  32n,
];

/** The view's output decoded by ethers and made plain, as readView did before. */
function byEthers(iface: Interface, method: string, data: string): unknown {
  const output = iface.getFunction(method)!.outputs[0]!;
  return plainValue(iface.decodeFunctionResult(method, data)[0], output);
}

describe('decodeStaticResult', () => {
  const views: [string, unknown][] = [
    ['getLeases', [0n, 1n, 2n].map(lease)],
    ['getLeases', []],
    ['getOrders', [0n, 1n, 2n, 3n].map(order)],
    ['getBidsOf', [900n, 0n, max]],
    [
      'getBids',
      [
        [provider, 900n],
        [tenant, 1_000n],
      ],
    ],
    ['getLease', lease(7n)],
    ['getOrder', order(5n)],
    ['getBid', 900n],
    ['paused', true],
  ];

  it.each(views)('decodes %s as ethers and plainValue do', (method, value) => {
    const data = market.encodeFunctionResult(method, [value]);
    const output = market.getFunction(method)!.outputs[0]!;
    expect(decodeStaticResult(output, data)).toEqual(byEthers(market, method, data));
  });

  it('reads signed and narrow integers and short fixed bytes as ethers does', () => {
    const param = ParamType.from('tuple(int16 a, uint8 b, bytes4 c, bool d, address[2] e)[]');
    const iface = new Interface([`function f() view returns (${param.format('full')})`]);
    const values = [
      [-2n, 255n, '0xdeadbeef', false, [tenant, provider]],
      [32_767n, 0n, '0x00000001', true, [provider, tenant]],
    ];
    const data = iface.encodeFunctionResult('f', [values]);
    expect(decodeStaticResult(param, data)).toEqual(byEthers(iface, 'f', data));
  });

  it('leaves what has a dynamic part to ethers', () => {
    const getProvider = registry.getFunction('getProvider')!.outputs[0]!;
    expect(decodeStaticResult(getProvider, '0x')).toBeUndefined();
    expect(decodeStaticResult(ParamType.from('string'), '0x')).toBeUndefined();
    expect(decodeStaticResult(ParamType.from('uint256[][]'), '0x')).toBeUndefined();
  });

  it('refuses data too short for what it says it holds, and a dirty address', () => {
    const output = market.getFunction('getLeases')!.outputs[0]!;
    const data = market.encodeFunctionResult('getLeases', [[lease(1n), lease(2n)]]);
    expect(() => decodeStaticResult(output, data.slice(0, -64))).toThrow(RangeError);
    const address = ParamType.from('address');
    expect(() => decodeStaticResult(address, `0x${'ff'.repeat(32)}`)).toThrow(RangeError);
  });
});
