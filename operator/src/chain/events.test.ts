import { Interface, type InterfaceAbi } from 'ethers';
import { marketplaceAbi, providerRegistryAbi } from './abi/index.js';
import { decodeLogs, marketplaceEventsNamed, type LogEntry } from './events.js';
import { twoH100Resources } from './testing/resources.js';

const contracts = {
  marketplace: '0x00000000000000000000000000000000000000Aa',
  registry: '0x00000000000000000000000000000000000000bB',
};
const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const registry = new Interface(providerRegistryAbi as unknown as InterfaceAbi);
const provider = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';

function log(
  address: string,
  encoded: { data: string; topics: string[] },
  index: number,
): LogEntry {
  return {
    address,
    ...encoded,
    blockNumber: 7,
    blockHash: `0x${'07'.repeat(32)}`,
    index,
    transactionHash: `0x${'ab'.repeat(32)}`,
  };
}

describe('decodeLogs', () => {
  it('decodes both contracts’ events by address, with structs as objects', () => {
    const resources = twoH100Resources;
    const events = decodeLogs(
      [
        log(
          contracts.marketplace.toLowerCase(),
          market.encodeEventLog('OrderCreated', [
            3n,
            provider,
            resources.gpuModel,
            Object.values(resources),
            10n,
            1_000n,
            36_000n,
            `0x${'11'.repeat(32)}`,
            '0x1234',
          ]),
          0,
        ),
        log(
          contracts.registry,
          registry.encodeEventLog('ProviderRegistered', [
            provider,
            'https://gpu.example',
            [['region', 'eu']],
          ]),
          1,
        ),
      ],
      contracts,
    );

    expect(events).toHaveLength(2);
    const [order, registered] = events;
    expect(order).toMatchObject({
      contract: 'marketplace',
      name: 'OrderCreated',
      blockNumber: 7,
      logIndex: 0,
    });
    if (order?.name !== 'OrderCreated') throw new Error('expected OrderCreated');
    // Typed by the ABI: args.resources is an object with bigint fields.
    expect(order.args.orderId).toBe(3n);
    expect(order.args.resources).toEqual(resources);
    expect(order.args.manifest).toBe('0x1234');
    if (registered?.name !== 'ProviderRegistered') throw new Error('expected ProviderRegistered');
    expect(registered.contract).toBe('registry');
    expect(registered.args.attributes).toEqual([{ key: 'region', value: 'eu' }]);
  });

  it('leaves out logs of other addresses and unknown topics', () => {
    const fee = market.encodeEventLog('FeeUpdated', [1n, 2n]);
    const events = decodeLogs(
      [
        log('0x00000000000000000000000000000000000000cc', fee, 0),
        log(contracts.registry, fee, 1), // a marketplace event at the registry's address
        log(contracts.marketplace, { data: '0x', topics: [`0x${'ff'.repeat(32)}`] }, 2),
        log(contracts.marketplace, fee, 3),
      ],
      contracts,
    );
    expect(events.map((event) => event.logIndex)).toEqual([3]);
  });

  it('decodes only the contracts it is given (a receipt’s Marketplace events)', () => {
    const fee = market.encodeEventLog('FeeUpdated', [1n, 2n]);
    const registered = registry.encodeEventLog('ProviderRegistered', [provider, 'https://x', []]);
    const events = decodeLogs(
      [log(contracts.registry, registered, 0), log(contracts.marketplace, fee, 1)],
      { marketplace: contracts.marketplace },
    );
    expect(events.map(({ contract, name }) => `${contract}.${name}`)).toEqual([
      'marketplace.FeeUpdated',
    ]);
  });
});

describe('marketplaceEventsNamed', () => {
  it('keeps the Marketplace events of one name, in order, typed by it', () => {
    const events = decodeLogs(
      [
        log(contracts.marketplace, market.encodeEventLog('FeeUpdated', [1n, 2n]), 0),
        log(contracts.marketplace, market.encodeEventLog('MinRunUpdated', [60n, 120n]), 1),
        log(contracts.marketplace, market.encodeEventLog('FeeUpdated', [2n, 3n]), 2),
      ],
      contracts,
    );
    const updates = marketplaceEventsNamed(events, 'FeeUpdated');
    expect(updates.map(({ args }) => args.newFeeBps)).toEqual([2n, 3n]);
    expect(marketplaceEventsNamed(events, 'LeaseClosed')).toEqual([]);
  });
});
