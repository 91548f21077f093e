// The fault suite's chain: a private anvil (reorganizing or speeding up the stack's own chain
// would disturb the other suites), whose order ids start far from any other run's (ComputeLeases
// and lease namespaces are named by lease id, cluster-wide), a block producer that keeps blocks
// coming (the follower stays `confirmations` blocks behind the head) and speeds up the chain's
// clock between faults so that leases accrue and run out in seconds, and the on-chain facts the
// suite checks against (leases won, payments, closes), read from events and contract state.
import { Wallet, type EventLog } from 'ethers';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
} from '../../../operator/src/chain/abi/index.js';
import { mapWithConcurrency } from '../../../operator/src/market/concurrency.js';
import { anvilAccounts } from '../../stack/anvil.js';
import { sleep } from '../../stack/process.js';
import { mined, type TestChain } from '../../harness/test-chain.js';

/** The marketplace read-only, through the suite's direct connection (never the cut proxy). */
export function marketReader(chain: TestChain) {
  return connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
}

/** The marketplace's owner (anvil account 0 deploys the private chain's contracts). */
function owner(chain: TestChain): Wallet {
  return new Wallet(anvilAccounts[0]!.privateKey, chain.provider);
}

/** Sets the marketplace's minimum run (a deposit covers it at the order's max price). */
export async function setMinRun(chain: TestChain, seconds: number): Promise<void> {
  const market = connectContract(marketplaceAbi, chain.contracts.marketplace, owner(chain));
  await mined(market.setMinRunSeconds(BigInt(seconds)));
}

/**
 * Makes the next order id `first` on the private chain: the marketplace's `lastOrderId` is found
 * in its storage (a 6-byte field packed after the treasury, fee and minimum run; looked up, not
 * assumed, and checked through the public getter) and set with anvil_setStorageAt.
 */
export async function startOrderIdsAt(chain: TestChain, first: bigint): Promise<void> {
  const address = chain.contracts.marketplace;
  const market = marketReader(chain);
  const current = await market.lastOrderId();
  const target = first - 1n;
  const fieldMask = (1n << 48n) - 1n;
  const treasury = BigInt(await market.treasury());
  const slots: { slot: number; value: bigint }[] = [];
  for (let slot = 0; slot < 16; slot++) {
    slots.push({ slot, value: BigInt(await chain.provider.getStorage(address, slot)) });
  }
  // The slot holding the treasury first (the layout the contract has), then every slot.
  const ordered = [
    ...slots.filter((s) => (s.value & ((1n << 160n) - 1n)) === treasury),
    ...slots.filter((s) => (s.value & ((1n << 160n) - 1n)) !== treasury),
  ];
  const hex = (value: bigint) => `0x${value.toString(16).padStart(64, '0')}`;
  for (const { slot, value } of ordered) {
    const offsets = [208, ...Array.from({ length: 26 }, (_, i) => i * 8)];
    for (const bit of offsets) {
      if (((value >> BigInt(bit)) & fieldMask) !== current) continue;
      const changed = (value & ~(fieldMask << BigInt(bit))) | (target << BigInt(bit));
      await chain.rpc('anvil_setStorageAt', [address, hex(BigInt(slot)), hex(changed)]);
      if ((await market.lastOrderId()) === target) return;
      await chain.rpc('anvil_setStorageAt', [address, hex(BigInt(slot)), hex(value)]);
    }
  }
  throw new Error('could not find Marketplace.lastOrderId in the contract storage');
}

/**
 * Mines a block every `blockMs` (a chain that keeps producing blocks, as a real one does), and,
 * while `fast`, moves the clock `jumpSeconds` further at each block. `hold` runs something with no
 * block mined meanwhile by the producer (a reorg computed from the head, automine switched off).
 */
export class BlockProducer {
  /** Moves the clock forward between faults; off while a fault runs or the suite converges. */
  fast = false;
  private stopped = false;
  private lock: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  /** Chain seconds added by jumps so far (reported). */
  jumped = 0;

  constructor(
    private readonly chain: TestChain,
    private readonly blockMs: number,
    private readonly jumpSeconds: number,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await sleep(this.blockMs);
        if (this.stopped) break;
        await this.hold(async () => {
          if (this.fast && this.jumpSeconds > 0) {
            await this.chain.rpc('evm_increaseTime', [this.jumpSeconds]);
            this.jumped += this.jumpSeconds;
          }
          await this.chain.mine(1);
        }).catch(() => undefined);
      }
    })();
  }

  /** Runs `task` while no block is produced by this producer. */
  hold<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lock.then(task);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

/** The chain's view of one lease of the provider (final or current state). */
export interface LeaseOnChain {
  readonly leaseId: bigint;
  readonly tenant: string;
  readonly active: boolean;
}

/** Ids of the leases `provider` won, from LeaseCreated events on the chain as it is now. */
export async function leasesWon(chain: TestChain, provider: string): Promise<bigint[]> {
  const market = marketReader(chain);
  const logs = await market.queryFilter(
    market.filters.LeaseCreated!(null, null, provider),
    chain.contracts.deployBlock,
  );
  return [...new Set(logs.map((log) => (log as EventLog).args.leaseId as bigint))];
}

/** The state on chain of each lease. */
export async function leasesOnChain(
  chain: TestChain,
  ids: readonly bigint[],
): Promise<Map<bigint, LeaseOnChain>> {
  const market = marketReader(chain);
  const rows = await mapWithConcurrency([...ids], 16, async (leaseId) => {
    const lease = await market.getLease(leaseId);
    return { leaseId, tenant: lease.tenant, active: lease.active } satisfies LeaseOnChain;
  });
  return new Map(rows.map((row) => [row.leaseId, row]));
}

/** What the chain's events say the provider was paid, per lease (withdrawals and closes, net of fees). */
export async function paymentsOnChain(
  chain: TestChain,
  provider: string,
): Promise<Map<bigint, bigint>> {
  const market = marketReader(chain);
  const from = chain.contracts.deployBlock;
  const withdrawn = await market.queryFilter(market.filters.Withdrawn!(null, provider), from);
  const closed = await market.queryFilter(market.filters.LeaseClosed!(null, null, provider), from);
  const paid = new Map<bigint, bigint>();
  const add = (leaseId: bigint, amount: bigint) =>
    paid.set(leaseId, (paid.get(leaseId) ?? 0n) + amount);
  for (const log of withdrawn) {
    const { args } = log as EventLog;
    add(args.leaseId as bigint, (args.amount as bigint) - (args.fee as bigint));
  }
  for (const log of closed) {
    const { args } = log as EventLog;
    add(args.leaseId as bigint, args.providerPayout as bigint);
  }
  return paid;
}

/** One close of a lease of the provider, from its LeaseClosed event. */
export interface CloseOnChain {
  readonly leaseId: bigint;
  readonly closedBy: string;
  readonly refund: bigint;
}

export async function closesOnChain(chain: TestChain, provider: string): Promise<CloseOnChain[]> {
  const market = marketReader(chain);
  const closed = await market.queryFilter(
    market.filters.LeaseClosed!(null, null, provider),
    chain.contracts.deployBlock,
  );
  return closed.map((log) => {
    const { args } = log as EventLog;
    return {
      leaseId: args.leaseId as bigint,
      closedBy: args.closedBy as string,
      refund: args.refund as bigint,
    };
  });
}

/** The provider wallet's payment-token balance. */
export async function tokenBalance(chain: TestChain, address: string): Promise<bigint> {
  return connectContract(mockErc20Abi, chain.contracts.token, chain.provider).balanceOf(address);
}

/** The latest block's time (unix seconds). */
export async function chainTime(chain: TestChain): Promise<number> {
  return (await chain.provider.getBlock('latest'))!.timestamp;
}
