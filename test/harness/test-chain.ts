// A private anvil per test file, on a free port, with supercloud's contracts deployed: tests that
// switch automine off, reorganize the chain or cut the RPC off cannot disturb the shared stack.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  Interface,
  JsonRpcProvider,
  Wallet,
  toUtf8Bytes,
  type InterfaceAbi,
  type TransactionReceipt,
} from 'ethers';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
  providerRegistryAbi,
} from '../../operator/src/chain/abi/index.js';
import { deploySupercloud } from '../../operator/src/chain/deploy.js';
import { gpuModelId } from '../../operator/src/chain/identifiers.js';
import { stack } from './stack.js';
import { repoRoot, stackDir } from '../stack/paths.js';
import { waitFor } from '../stack/process.js';
import { anvilAccounts, localChainId } from '../stack/anvil.js';

export interface TestChainContracts {
  readonly token: string;
  readonly registry: string;
  readonly marketplace: string;
  readonly deployBlock: number;
}

/** A running private anvil: its URLs, the deployed contracts and a provider for admin RPCs. */
export interface TestChain {
  readonly port: number;
  readonly rpcUrl: string;
  readonly wsUrl: string;
  readonly chainId: number;
  readonly contracts: TestChainContracts;
  /** For cheat codes and reads; uncached. */
  readonly provider: JsonRpcProvider;
  /** A JSON-RPC call to anvil (evm_mine, anvil_reorg, evm_setAutomine, ...). */
  rpc<T = unknown>(method: string, params?: readonly unknown[]): Promise<T>;
  /** Mines `blocks` empty blocks at once. */
  mine(blocks: number): Promise<void>;
  /** A new wallet with 100 ETH of gas money, on no account anyone else uses. */
  freshWallet(): Promise<Wallet>;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestChainOptions {
  /**
   * Cancun instead of anvil's latest hardfork, and no state kept per block: anvil then mines a
   * block in the same time at any height (otherwise it grows with the chain: EIP-2935's history
   * contract and per-block state snapshots), so a chain of 100,000 blocks takes seconds. State
   * is readable at the latest block only.
   */
  readonly longChain?: boolean;
}

/**
 * anvil on 127.0.0.1:`port` for `chainId`, with `args` added, in its own process group: the npm
 * wrapper and the anvil binary it starts are stopped together.
 */
export function spawnAnvil(
  port: number,
  chainId: number,
  args: readonly string[],
  stdio: StdioOptions,
): { readonly child: ChildProcess; stop(): Promise<void> } {
  const child = spawn(
    join(repoRoot, 'node_modules/.bin/anvil'),
    ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(chainId), ...args],
    { stdio, detached: true },
  );
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    await exited;
  };
  return { child, stop };
}

/** Starts anvil on a free port, deploys the contracts and funds a tenant account with tokens. */
export async function startTestChain(
  name: string,
  options: TestChainOptions = {},
): Promise<TestChain> {
  const port = await freePort();
  const logDir = join(stackDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const log = openSync(join(logDir, `chain-side-${name}.log`), 'w');
  const anvil = spawnAnvil(
    port,
    localChainId,
    options.longChain ? ['--hardfork', 'cancun', '--prune-history'] : [],
    ['ignore', log, log],
  );
  closeSync(log);
  const rpcUrl = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(rpcUrl, localChainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  const stop = async (): Promise<void> => {
    provider.destroy();
    await anvil.stop();
  };
  try {
    await waitFor(
      `anvil on port ${port}`,
      async () => (await provider.getBlockNumber()) >= 0,
      30_000,
      100,
    );
    const deployer = new Wallet(anvilAccounts[0]!.privateKey, provider);
    const deployed = await deploySupercloud({
      deployer,
      treasury: deployer.address,
      fundAccounts: anvilAccounts.slice(1).map(({ address }) => ({ address, amount: 10n ** 15n })),
    });
    return testChain(port, provider, deployed, stop);
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * The local stack's own anvil as a {@link TestChain} (stopping it only closes the connection):
 * for suites whose leases must not share ids with the stack's (ComputeLeases are named by lease
 * id, cluster-wide, and `make demo` leaves its leases on the stack).
 */
export function stackTestChain(): TestChain {
  const { rpcUrl, chainId, contracts } = stack();
  const provider = new JsonRpcProvider(rpcUrl, chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
    pollingInterval: 100,
  });
  return testChain(Number(new URL(rpcUrl).port), provider, contracts, async () =>
    provider.destroy(),
  );
}

function testChain(
  port: number,
  provider: JsonRpcProvider,
  contracts: TestChainContracts,
  stop: () => Promise<void>,
): TestChain {
  const rpc = <T>(method: string, params: readonly unknown[] = []): Promise<T> =>
    provider.send(method, [...params]) as Promise<T>;
  return {
    port,
    rpcUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    chainId: localChainId,
    contracts,
    provider,
    rpc,
    mine: async (blocks) => {
      await rpc('anvil_mine', [`0x${blocks.toString(16)}`]);
    },
    freshWallet: async () => {
      const wallet = Wallet.createRandom(provider);
      await rpc('anvil_setBalance', [wallet.address, `0x${(10n ** 20n).toString(16)}`]);
      return new Wallet(wallet.privateKey, provider);
    },
    stop,
  };
}

/** Resources of an order for one H100, as a tenant would ask. */
export const h100Resources = {
  gpuModel: gpuModelId('NVIDIA-H100-80GB-HBM3'),
  gpuCount: 1n,
  gpuMemoryMiB: 81_559n,
  cpuMillicores: 8000n,
  memoryMiB: 65_536n,
  storageMiB: 102_400n,
};

const manifest = `version: v1alpha1
services:
  - name: llm
    image: vllm/vllm-openai:v0.6.3
    resources: { gpu: 1, cpu: 8000m, memory: 64Gi }
`;

/**
 * Creates an order as `tenant` (a wallet the chain funded with tokens, e.g. anvil account 1,
 * sending through a NonceManager) and returns its id. Mines it when automine is on.
 */
export async function createOrder(
  chain: TestChain,
  tenant: Wallet,
  maxPricePerSecond: bigint,
  biddingSeconds = 600n,
): Promise<bigint> {
  const market = connectContract(marketplaceAbi, chain.contracts.marketplace, tenant);
  const token = connectContract(mockErc20Abi, chain.contracts.token, tenant);
  const deposit = maxPricePerSecond * (await market.minRunSeconds());
  if ((await token.allowance(tenant.address, chain.contracts.marketplace)) < deposit) {
    await mined(token.approve(chain.contracts.marketplace, 2n ** 255n));
  }
  const receipt = await mined(
    market.createOrder(
      h100Resources,
      maxPricePerSecond,
      biddingSeconds,
      deposit,
      toUtf8Bytes(manifest),
    ),
  );
  const created = receipt.logs
    .map((log) => market.interface.parseLog(log))
    .find((event) => event?.name === 'OrderCreated');
  if (!created) throw new Error('createOrder emitted no OrderCreated');
  return created.args.orderId as bigint;
}

/** Registers `provider` in the registry (it pays its own gas). */
/**
 * Waits until `provider` is registered on chain (an operator's first transaction) and returns the
 * registry, read-only, for what the test checks next.
 */
export async function waitForRegistration(chain: TestChain, provider: string, timeoutMs = 60_000) {
  const registry = connectContract(providerRegistryAbi, chain.contracts.registry, chain.provider);
  await waitFor(
    'the provider registered on chain',
    () => registry.isRegistered(provider),
    timeoutMs,
    200,
  );
  return registry;
}

export async function registerProvider(chain: TestChain, provider: Wallet): Promise<void> {
  const registry = connectContract(providerRegistryAbi, chain.contracts.registry, provider);
  await mined(registry.register('https://gpu.example', [{ key: 'region', value: 'test' }]));
}

/** A tenant of its own: a fresh wallet with gas money and 10^15 payment-token units. */
export async function fundedTenant(chain: TestChain): Promise<Wallet> {
  const tenant = await chain.freshWallet();
  const token = connectContract(mockErc20Abi, chain.contracts.token, tenant);
  await mined(token.mint(tenant.address, 10n ** 15n));
  return tenant;
}

/** The tenant of tests: anvil account 1, funded with tokens at deployment. */
export function tenantWallet(chain: TestChain): Wallet {
  return new Wallet(anvilAccounts[1]!.privateKey, chain.provider);
}

export async function mined(
  sent: Promise<{ wait(): Promise<TransactionReceipt | null> }>,
): Promise<TransactionReceipt> {
  const receipt = await (await sent).wait();
  if (!receipt || receipt.status !== 1) throw new Error('transaction failed');
  return receipt;
}

const registryInterface = new Interface(providerRegistryAbi as unknown as InterfaceAbi);

/**
 * Signs `ProviderRegistry.update` as `provider` (registered) with the given nonce and generous
 * fixed fees, so that no estimate or fee call is needed: an event for the follower to find.
 */
export function signedRegistryUpdate(
  chain: TestChain,
  provider: Wallet,
  nonce: number,
  label: string,
): Promise<string> {
  return provider.signTransaction({
    type: 2,
    chainId: chain.chainId,
    nonce,
    to: chain.contracts.registry,
    data: registryInterface.encodeFunctionData('update', [`https://gpu.example/${label}`, []]),
    gasLimit: 200_000n,
    maxFeePerGas: 100_000_000_000n,
    maxPriorityFeePerGas: 1_000_000_000n,
  });
}

/**
 * Emits `count` ProviderUpdated events from `provider` (registered), one every `spacing` blocks
 * (automine on: each transaction mines its own block, then `spacing − 1` empty ones follow).
 */
export async function emitRegistryEvents(
  chain: TestChain,
  provider: Wallet,
  count: number,
  spacing = 1,
): Promise<void> {
  let nonce = await chain.provider.getTransactionCount(provider.address, 'pending');
  for (let i = 0; i < count; i++) {
    const signed = await signedRegistryUpdate(chain, provider, nonce++, `event-${i}`);
    await chain.rpc('eth_sendRawTransaction', [signed]);
    if (spacing > 1) await chain.mine(spacing - 1);
  }
}

/** The logs of the followed contracts from `fromBlock` to `toBlock`, in one query, as keys. */
export async function logKeys(
  chain: TestChain,
  fromBlock: number,
  toBlock: number,
): Promise<string[]> {
  const logs = await chain.provider.getLogs({
    address: [chain.contracts.marketplace, chain.contracts.registry],
    fromBlock,
    toBlock,
  });
  return logs.map((log) => `${log.blockNumber}/${log.blockHash}/${log.index}`);
}
