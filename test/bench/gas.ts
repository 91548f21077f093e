// Gas per marketplace call and per full lease lifecycle, from the checked-in forge gas snapshot
// (contracts/test/gas: one call per test, no base cost or calldata, as Sablier publishes), beside
// Sablier Flow's published figures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../stack/paths.js';
import type { Figure, Section } from './report.js';

/** What each gas test measures, and Sablier Flow's figure for the same operation where it has one. */
const calls: ReadonlyArray<{ test: string; name: string; sablier?: number }> = [
  {
    test: 'test_Gas_CreateOrder_1KiBManifest',
    name: 'createOrder, 1 KiB manifest',
    sablier: 113_703,
  },
  { test: 'test_Gas_PlaceBid_First', name: 'placeBid, first bid' },
  { test: 'test_Gas_PlaceBid_Lowering', name: 'placeBid, lowering' },
  { test: 'test_Gas_PlaceBids_1Order', name: 'placeBids, 1 first bid' },
  { test: 'test_Gas_PlaceBids_10Orders', name: 'placeBids, 10 first bids' },
  { test: 'test_Gas_PlaceBids_100Orders', name: 'placeBids, 100 first bids' },
  {
    test: 'test_Gas_PlaceBid_FullOrder',
    name: 'placeBid, worst case (a full order of 32 bids: evicts the worst)',
  },
  { test: 'test_Gas_CancelBid_LastOfFullOrder', name: 'cancelBid, worst case (last of 32 bids)' },
  { test: 'test_Gas_AcceptBid', name: 'acceptBid' },
  { test: 'test_Gas_Finalize', name: 'finalize' },
  { test: 'test_Gas_Deposit', name: 'deposit', sablier: 32_997 },
  { test: 'test_Gas_Withdraw_1Lease', name: 'withdraw, 1 lease', sablier: 38_178 },
  { test: 'test_Gas_Withdraw_10Leases', name: 'withdraw, 10 leases' },
  { test: 'test_Gas_Withdraw_100Leases', name: 'withdraw, 100 leases' },
  { test: 'test_Gas_Withdraw_500Leases', name: 'withdraw, 500 leases' },
  { test: 'test_Gas_GetBidsOf_10Orders', name: 'getBidsOf, 10 orders (eth_call)' },
  { test: 'test_Gas_Close', name: 'close' },
  { test: 'test_Gas_Close_PayoutDeferred', name: 'close, the payout refused and credited' },
  { test: 'test_Gas_Claim', name: 'claim (a credited payment)' },
  { test: 'test_Gas_FullLifecycle', name: 'full lease lifecycle' },
];

function readGasSnapshot(text: string): Map<string, number> {
  const gas = new Map<string, number>();
  for (const match of text.matchAll(/:(\w+)\(\) \(gas: (\d+)\)/g)) {
    gas.set(match[1] as string, Number(match[2]));
  }
  return gas;
}

export async function gasTable(): Promise<Section> {
  const gas = readGasSnapshot(readFileSync(join(repoRoot, 'contracts/.gas-snapshot'), 'utf8'));
  const gasOf = (test: string): number => {
    const value = gas.get(test);
    if (value === undefined)
      throw new Error(`contracts/.gas-snapshot has no ${test}; run forge snapshot`);
    return value;
  };
  const figures: Figure[] = calls.map(({ test, name, sablier }) => ({
    name,
    value: gasOf(test).toLocaleString('en-US'),
    ...(sablier === undefined
      ? {}
      : { reference: `Sablier Flow ${sablier.toLocaleString('en-US')}` }),
  }));
  /** What each item beyond the first adds to a batch of `count`. */
  const perAdditional = (first: string, batch: string, count: number): string =>
    Math.round((gasOf(batch) - gasOf(first)) / (count - 1)).toLocaleString('en-US');
  figures.push(
    {
      name: 'withdraw, per additional lease in a batch of 10 / 100 / 500',
      value: [10, 100, 500]
        .map((count) =>
          perAdditional('test_Gas_Withdraw_1Lease', `test_Gas_Withdraw_${count}Leases`, count),
        )
        .join(' / '),
      reference: 'target ≤ 12,000',
    },
    {
      name: 'placeBids, per additional bid in a batch of 10 / 100',
      value: [10, 100]
        .map((count) =>
          perAdditional('test_Gas_PlaceBids_1Order', `test_Gas_PlaceBids_${count}Orders`, count),
        )
        .join(' / '),
      reference: 'a placeBid transaction of its own: placeBid first bid + 21,000 + calldata',
    },
  );
  return {
    title: 'Gas',
    method:
      'contracts/.gas-snapshot (forge snapshot of contracts/test/gas, `make test-contracts` checks it): gas executed by each call, without the 21,000 base cost and calldata, 1% protocol fee.',
    figures,
  };
}
