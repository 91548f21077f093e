import { abiEnumNames, bindingName, enumsFile, parseEnums } from './generate-abis.js';

describe('bindingName', () => {
  it.each([
    ['Marketplace', 'marketplace'],
    ['ProviderRegistry', 'providerRegistry'],
    ['MockERC20', 'mockErc20'],
    ['IERC20', 'ierc20'],
    ['IERC20Errors', 'ierc20Errors'],
  ])('names the bindings of %p %p', (contract, name) => {
    expect(bindingName(contract)).toBe(name);
  });
});

describe('abiEnumNames', () => {
  it('finds the enums of parameters, nested struct components included, once each', () => {
    const abi = [
      {
        outputs: [
          {
            internalType: 'struct OrderView',
            components: [{ internalType: 'enum OrderStatus' }, { internalType: 'uint256' }],
          },
        ],
      },
      { inputs: [{ internalType: 'enum OrderStatus' }, { internalType: 'enum Vault.Mode' }] },
    ];
    expect(abiEnumNames(abi)).toEqual(['OrderStatus', 'Mode']);
  });
});

describe('parseEnums and enumsFile', () => {
  const source = [
    'pragma solidity ^0.8.24;',
    '/// @notice Where an order is in its life.',
    'enum OrderStatus { None, Open, Leased, Cancelled }',
    'contract Vault { enum Mode { Closed, Open } }',
  ].join('\n');

  it('reads the members in value order and the NatSpec from the Solidity source', () => {
    expect(parseEnums(new Map([['contracts/src/types/DataTypes.sol', source]]))).toEqual([
      {
        name: 'OrderStatus',
        members: ['None', 'Open', 'Leased', 'Cancelled'],
        notice: 'Where an order is in its life.',
        source: 'contracts/src/types/DataTypes.sol',
      },
      {
        name: 'Mode',
        members: ['Closed', 'Open'],
        notice: undefined,
        source: 'contracts/src/types/DataTypes.sol',
      },
    ]);
  });

  it('writes the values by member and the members by value', () => {
    const [orderStatus] = parseEnums(new Map([['contracts/src/types/DataTypes.sol', source]]));
    const text = enumsFile([orderStatus!]);
    expect(text).toContain(
      'export const orderStatus = { None: 0, Open: 1, Leased: 2, Cancelled: 3 } as const;',
    );
    expect(text).toContain(
      'export type OrderStatus = (typeof orderStatus)[keyof typeof orderStatus];',
    );
    expect(text).toContain(
      'export const orderStatusNames = ["None","Open","Leased","Cancelled"] as const;',
    );
  });

  it('fails on a source solc cannot parse', () => {
    expect(() => parseEnums(new Map([['Broken.sol', 'enum {']]))).toThrow(/could not parse/);
  });
});
