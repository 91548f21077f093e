import { ContractFactory, NonceManager, type Signer, type TransactionReceipt } from 'ethers';
import {
  marketplaceAbi,
  marketplaceBytecode,
  mockErc20Abi,
  mockErc20Bytecode,
  providerRegistryAbi,
  providerRegistryBytecode,
  connectContract,
} from './abi/index.js';

/** The mock payment token of local stacks and tests: a USDC-like 6-decimal token. */
export const mockToken = { name: 'Test USD', symbol: 'TUSD', decimals: 6 } as const;

/** The marketplace's default protocol fee: 1% of each payout. */
export const defaultFeeBps = 100;

/** The default minimum run an order's deposit must cover at its maximum price: one hour. */
export const defaultMinRunSeconds = 3600;

/** The contract's cap on the protocol fee (Marketplace.MAX_FEE_BPS). */
export const maxFeeBps = 1000;

export interface DeploySupercloudParameters {
  /** Deploys everything and owns the marketplace. */
  readonly deployer: Signer;
  /** Where protocol fees go. */
  readonly treasury: string;
  /** Protocol fee in basis points, at most {@link maxFeeBps}; {@link defaultFeeBps} if omitted. */
  readonly feeBps?: number;
  /** The minimum run a deposit covers; {@link defaultMinRunSeconds} if omitted. */
  readonly minRunSeconds?: number;
  /** Accounts to mint mock tokens to (token base units). */
  readonly fundAccounts?: readonly { readonly address: string; readonly amount: bigint }[];
}

export interface DeploySupercloudReturnType {
  /** The mock ERC-20 payment token. */
  readonly token: string;
  readonly registry: string;
  readonly marketplace: string;
  /** The block of the first deployment: where an event follower starts. */
  readonly deployBlock: number;
  readonly chainId: number;
}

/** Thrown when deployment parameters are out of range, before anything is sent. */
export class DeployParameterError extends Error {
  override readonly name = 'DeployParameterError';
}

/** The marketplace's constructor settings with defaults applied, validated like the contract does. */
export function marketplaceSettings(
  parameters: Pick<DeploySupercloudParameters, 'feeBps' | 'minRunSeconds'>,
): {
  feeBps: number;
  minRunSeconds: number;
} {
  const feeBps = parameters.feeBps ?? defaultFeeBps;
  const minRunSeconds = parameters.minRunSeconds ?? defaultMinRunSeconds;
  if (!Number.isInteger(feeBps) || feeBps < 0 || feeBps > maxFeeBps) {
    throw new DeployParameterError(
      `feeBps ${feeBps} is not a whole number of basis points between 0 and ${maxFeeBps} (10%)`,
    );
  }
  if (!Number.isInteger(minRunSeconds) || minRunSeconds < 0 || minRunSeconds > 2 ** 32 - 1) {
    throw new DeployParameterError(
      `minRunSeconds ${minRunSeconds} is not a whole number of seconds that fits in 32 bits`,
    );
  }
  return { feeBps, minRunSeconds };
}

async function deployed(
  factory: ContractFactory,
  args: readonly unknown[],
  what: string,
): Promise<{ address: string; receipt: TransactionReceipt }> {
  const contract = await factory.deploy(...args);
  const receipt = await contract.deploymentTransaction()?.wait();
  if (!receipt || receipt.status !== 1) throw new Error(`deploying the ${what} failed`);
  return { address: await contract.getAddress(), receipt };
}

/**
 * Deploys the mock payment token (local stacks and tests only), the provider registry and the
 * marketplace, owned by the deployer, and mints tokens to the accounts to fund.
 *
 * @example
 * const contracts = await deploySupercloud({ deployer: wallet, treasury: wallet.address });
 */
export async function deploySupercloud(
  parameters: DeploySupercloudParameters,
): Promise<DeploySupercloudReturnType> {
  const { feeBps, minRunSeconds } = marketplaceSettings(parameters);
  const { treasury } = parameters;
  // Counts nonces locally: ethers caches identical requests for 250 ms, so asking the node for
  // the pending nonce right after an instantly mined deployment (anvil) returns the old one.
  const deployer = new NonceManager(parameters.deployer);
  const provider = deployer.provider;
  if (!provider) throw new DeployParameterError('the deployer signer has no provider');

  const token = await deployed(
    new ContractFactory(mockErc20Abi, mockErc20Bytecode, deployer),
    [mockToken.name, mockToken.symbol, mockToken.decimals],
    'mock token',
  );
  const registry = await deployed(
    new ContractFactory(providerRegistryAbi, providerRegistryBytecode, deployer),
    [],
    'provider registry',
  );
  const marketplace = await deployed(
    new ContractFactory(marketplaceAbi, marketplaceBytecode, deployer),
    [await deployer.getAddress(), token.address, registry.address, treasury, feeBps, minRunSeconds],
    'marketplace',
  );

  const mintable = connectContract(mockErc20Abi, token.address, deployer);
  for (const { address, amount } of parameters.fundAccounts ?? []) {
    await (await mintable.mint(address, amount)).wait();
  }

  return {
    token: token.address,
    registry: registry.address,
    marketplace: marketplace.address,
    deployBlock: token.receipt.blockNumber,
    chainId: Number((await provider.getNetwork()).chainId),
  };
}
