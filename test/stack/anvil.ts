import { join } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import type { StackAccount } from './description.js';
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
  const rpcUrl = `http://127.0.0.1:${port}`;
  const provider = new JsonRpcProvider(rpcUrl, localChainId, { staticNetwork: true });
  try {
    await waitFor(
      'anvil to answer eth_chainId',
      async () => (await provider.getNetwork()).chainId === BigInt(localChainId),
      30_000,
    );
  } finally {
    provider.destroy();
  }
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

export function stopAnvil(pid: number): Promise<void> {
  return stopProcess(pid);
}
