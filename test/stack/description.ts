import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stackFile } from './paths.js';

/** A funded account of the local chain (anvil's deterministic development accounts). */
export interface StackAccount {
  readonly address: string;
  readonly privateKey: string;
}

/** Contracts deployed on the local chain by `deploySupercloud` (operator/src/chain/deploy.ts). */
export interface StackContracts {
  /** The mock ERC-20 payment token (6 decimals), minted to accounts 1..4. */
  readonly token: string;
  readonly registry: string;
  readonly marketplace: string;
  /** The block of the first deployment: where an event follower starts. */
  readonly deployBlock: number;
  /**
   * The keccak256 of the creation bytecodes deployed (`contractsBuildHash`): contracts built from
   * other sources since are deployed again. Absent in descriptions written before it.
   */
  readonly buildHash?: string;
}

/** One GPU (or CPU-only) node group of the local cluster. */
export interface StackNodeGroup {
  readonly pool: string;
  readonly nodes: number;
  readonly gpuProduct?: string;
  readonly gpusPerNode: number;
}

/** What `make cluster-up` writes to `.stack/stack.json`: everything needed to talk to the stack. */
export interface StackDescription {
  /** Absolute path of an admin kubeconfig. */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> */
  readonly apiServer: string;
  /** The kwokctl cluster name and work directory (for stopping and starting components). */
  readonly kwok: { readonly cluster: string; readonly workdir: string };
  /** etcd's client URL, for tests that compact it. */
  readonly etcdEndpoint: string;
  /** JSON-RPC URL of anvil. */
  readonly rpcUrl: string;
  readonly chainId: number;
  readonly anvilPid: number;
  readonly accounts: readonly StackAccount[];
  readonly nodeGroups: readonly StackNodeGroup[];
  /** Deployed by account 0 when the stack comes up (again if the chain lost them). */
  readonly contracts: StackContracts;
  readonly startedAt: string;
}

/** The running stack's description, or undefined when none was written. */
export function readStackDescription(): StackDescription | undefined {
  if (!existsSync(stackFile)) return undefined;
  return JSON.parse(readFileSync(stackFile, 'utf8')) as StackDescription;
}

export function writeStackDescription(description: StackDescription): void {
  mkdirSync(dirname(stackFile), { recursive: true });
  writeFileSync(stackFile, JSON.stringify(description, null, 2) + '\n');
}
