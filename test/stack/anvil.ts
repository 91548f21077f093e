import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonRpcProvider, Wallet, concat, keccak256 } from 'ethers';
import {
  marketplaceBytecode,
  mockErc20Bytecode,
  providerRegistryBytecode,
} from '../../operator/src/chain/abi/index.js';
import { deploySupercloud, mockToken } from '../../operator/src/chain/deploy.js';
import type { StackAccount, StackContracts } from './description.js';
import { startDaemon, stopProcess, waitFor } from './process.js';
import { repoRoot, stackDir } from './paths.js';

/** The chain id anvil runs with; the same as Hardhat's and Foundry's default local chain. */
export const localChainId = 31337;

/** anvil's deterministic development accounts (mnemonic "test test ... junk"), the first five. */
export const anvilAccounts: readonly StackAccount[] = [
  [
    '0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266',
    '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  ],
  [
    '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
    '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d',
  ],
  [
    '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a',
  ],
  [
    '0x90F79bf6EB2c4f870365E785982E1f101E93b906',
    '0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6',
  ],
  [
    '0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65',
    '0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a',
  ],
].map(([address = '', privateKey = '']) => ({ address, privateKey }));

const anvilPidFile = join(stackDir, 'anvil.pid');

export interface StartedAnvil {
  readonly pid: number;
  readonly rpcUrl: string;
}

/** Starts anvil on 127.0.0.1:port with the deterministic accounts and waits until it answers. */
export async function startAnvil(port: number): Promise<StartedAnvil> {
  const anvil = join(repoRoot, 'node_modules/.bin/anvil');
  const pid = startDaemon(
    anvil,
    [
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--chain-id',
      String(localChainId),
      '--accounts',
      '10',
    ],
    join(stackDir, 'logs', 'anvil.log'),
  );
  // Recorded at once, so that a start that fails later (deploying the contracts) is cleaned up.
  writeFileSync(anvilPidFile, String(pid));
  const rpcUrl = `http://127.0.0.1:${port}`;
  // An actual request: a provider with a static network answers getNetwork() without one.
  await waitFor('anvil to answer eth_chainId', () => isAnvilServing(rpcUrl), 30_000);
  return { pid, rpcUrl };
}

export async function isAnvilServing(rpcUrl: string): Promise<boolean> {
  const provider = new JsonRpcProvider(rpcUrl, localChainId, { staticNetwork: true });
  try {
    return (await provider.send('eth_chainId', [])) === `0x${localChainId.toString(16)}`;
  } catch {
    return false;
  } finally {
    provider.destroy();
  }
}

/** Stops the anvil this stack started (its whole process group), if any. */
export async function stopAnvil(): Promise<void> {
  if (!existsSync(anvilPidFile)) return;
  const pid = Number(readFileSync(anvilPidFile, 'utf8').trim());
  if (Number.isInteger(pid) && pid > 0) await stopProcess(pid, 5_000, true);
  rmSync(anvilPidFile, { force: true });
}

/** Mock tokens minted to each of accounts 1..4 when the contracts are deployed: 1,000,000 TUSD. */
export const fundedTokenAmount = 1_000_000n * 10n ** BigInt(mockToken.decimals);

function localProvider(rpcUrl: string): JsonRpcProvider {
  // No 250 ms cache of identical requests: anvil mines at once, so answers change that fast.
  return new JsonRpcProvider(rpcUrl, localChainId, {
    staticNetwork: true,
    pollingInterval: 100,
    cacheTimeout: -1,
  });
}

/** What the contracts are built from now: the keccak256 of their creation bytecodes. */
export function contractsBuildHash(): string {
  return keccak256(concat([mockErc20Bytecode, providerRegistryBytecode, marketplaceBytecode]));
}

/**
 * Deploys the mock token, the provider registry and the marketplace with account 0 (also the
 * treasury and the owner), and mints {@link fundedTokenAmount} to accounts 1..4.
 */
export async function deployStackContracts(rpcUrl: string): Promise<StackContracts> {
  const [deployerAccount, ...others] = anvilAccounts;
  if (!deployerAccount) throw new Error('no anvil account to deploy with');
  const provider = localProvider(rpcUrl);
  try {
    const deployer = new Wallet(deployerAccount.privateKey, provider);
    const { token, registry, marketplace, deployBlock } = await deploySupercloud({
      deployer,
      treasury: deployer.address,
      fundAccounts: others.map(({ address }) => ({ address, amount: fundedTokenAmount })),
    });
    return { token, registry, marketplace, deployBlock, buildHash: contractsBuildHash() };
  } finally {
    provider.destroy();
  }
}

/**
 * True when every contract of the description has code on the chain (a restarted anvil has none)
 * and was built from the sources of now (a contract changed since is deployed again).
 */
export async function areContractsDeployed(
  rpcUrl: string,
  contracts: StackContracts | undefined,
): Promise<boolean> {
  if (!contracts || contracts.buildHash !== contractsBuildHash()) return false;
  const provider = localProvider(rpcUrl);
  try {
    const codes = await Promise.all(
      [contracts.token, contracts.registry, contracts.marketplace].map((address) =>
        provider.getCode(address),
      ),
    );
    return codes.every((code) => code !== '0x');
  } finally {
    provider.destroy();
  }
}
