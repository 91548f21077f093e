// A busy chain for the event follower: blocks carrying the marketplace's and the registry's events
// among other contracts' (a noisy contract emitting ten events a call, token mints), and runs of
// empty blocks between them. Mined fast on a private anvil (see TestChainOptions.longChain):
// automine off, each busy block's transactions sent in one JSON-RPC batch (anvil signs for its
// unlocked accounts), then the block and the empty ones after it mined with one anvil_mine.
//
// anvil rebuilds its whole state trie for every block it mines, empty or not, so the chain's
// state is kept small: most marketplace events are providers lowering their bids on a few open
// orders (BidPlaced, one storage slot rewritten) and registry updates (ProviderUpdated), with a
// new order (OrderCreated, the heavy event: it carries the manifest) now and then.
import { Interface, toUtf8Bytes, type InterfaceAbi } from 'ethers';
import {
  marketplaceAbi,
  mockErc20Abi,
  providerRegistryAbi,
} from '../../operator/src/chain/abi/index.js';
import { h100Resources, type TestChain } from './test-chain.js';

export interface LogMixOptions {
  /** Blocks to add to the chain. */
  readonly blocks: number;
  /** One block in this many carries transactions; the others are empty. */
  readonly busyEvery: number;
  /** Bids (a provider lowering its bid on an open order) per busy block; default 2. */
  readonly bidsPerBlock?: number;
  /** A new order every this many busy blocks; default 25. */
  readonly newOrderEvery?: number;
  /** A registry update every this many busy blocks; default 4. */
  readonly updateEvery?: number;
  /** Calls of the noisy contract per busy block, ten unrelated events each; default 3. */
  readonly noiseCallsPerBlock?: number;
}

/** What was mined. */
export interface LogMix {
  readonly fromBlock: number;
  readonly toBlock: number;
  readonly busyBlocks: number;
  readonly transactions: number;
}

/**
 * A contract whose every call emits ten LOG1 events (topic: the caller, 32 zero bytes of data):
 * ten times CALLER PUSH1 32 PUSH1 0 LOG1, then STOP, behind a constructor that returns it.
 */
const noisyContractCode = `0x603d600c600039603d6000f3${'3360206000a1'.repeat(10)}00`;

const market = new Interface(marketplaceAbi as unknown as InterfaceAbi);
const registry = new Interface(providerRegistryAbi as unknown as InterfaceAbi);
const token = new Interface(mockErc20Abi as unknown as InterfaceAbi);

const manifest = toUtf8Bytes(`version: v1alpha1
services:
  - name: llm
    image: vllm/vllm-openai:v0.6.3
    resources: { gpu: 1, cpu: 8000m, memory: 64Gi }
`);

/** Orders open for bids at a time: new orders replace the oldest. */
const openOrders = 4;
const maxPricePerSecond = 1_000_000_000n;
const biddingSeconds = 30n * 24n * 3_600n;

interface Transaction {
  readonly from: string;
  readonly to?: string;
  readonly data: string;
  readonly gas: number;
}

/**
 * Adds `blocks` blocks to the chain: every `busyEvery`-th one carries bids, now and then a new
 * order or a provider's registry update, and the noise (other contracts' events). Returns the
 * range mined. Automine is on again afterwards.
 *
 * @example const mix = await mineLogMix(chain, { blocks: 100_000, busyEvery: 20 });
 */
export async function mineLogMix(chain: TestChain, options: LogMixOptions): Promise<LogMix> {
  const send = rawRpc(chain.rpcUrl);
  // anvil's ten unlocked accounts: tenants are 1–4 (the test chain funds them with tokens),
  // providers 5–8, and 9 sends the noise, so that nonces never interleave.
  const accounts = (await send('eth_accounts', [])) as string[];
  if (accounts.length < 10) throw new Error('the log mix needs anvil with its 10 accounts');
  const tenants = accounts.slice(1, 5);
  const providers = accounts.slice(5, 9);
  const noiseSender = accounts[9]!;
  const nonces = new Map<string, number>();
  for (const address of accounts.slice(1, 10)) {
    nonces.set(address, Number(await send('eth_getTransactionCount', [address, 'pending'])));
  }
  const sendAll = async (transactions: readonly Transaction[]): Promise<void> => {
    const calls = transactions.map((transaction) => {
      const nonce = nonces.get(transaction.from)!;
      nonces.set(transaction.from, nonce + 1);
      return {
        method: 'eth_sendTransaction',
        params: [
          {
            ...transaction,
            gas: hex(transaction.gas),
            nonce: hex(nonce),
            maxFeePerGas: hex(100_000_000_000),
            maxPriorityFeePerGas: hex(1_000_000_000),
          },
        ],
      };
    });
    await send.batch(calls);
  };
  const view = async (name: string): Promise<bigint> => {
    const data = market.encodeFunctionData(name, []);
    const result = (await send('eth_call', [
      { to: chain.contracts.marketplace, data },
      'latest',
    ])) as string;
    return market.decodeFunctionResult(name, result)[0] as bigint;
  };
  const minRunSeconds = await view('minRunSeconds');
  let lastOrderId = await view('lastOrderId');
  let ordersCreated = 0;
  const createOrder = (): Transaction => ({
    from: tenants[ordersCreated++ % tenants.length]!,
    to: chain.contracts.marketplace,
    data: market.encodeFunctionData('createOrder', [
      h100Resources,
      maxPricePerSecond,
      biddingSeconds,
      maxPricePerSecond * minRunSeconds,
      manifest,
    ]),
    gas: 600_000,
  });

  // Set-up, mined as the chain is (automine on): the noisy contract, registered providers,
  // tenants' token approvals, the first open orders.
  const noisy = await deployNoisyContract(chain, send, noiseSender, nonces);
  const setUp: Transaction[] = [];
  for (const provider of providers) {
    if (await isRegistered(chain, provider)) continue;
    setUp.push({
      from: provider,
      to: chain.contracts.registry,
      data: registry.encodeFunctionData('register', [
        'https://gpu.example',
        [{ key: 'region', value: 'bench' }],
      ]),
      gas: 300_000,
    });
  }
  for (const tenant of tenants) {
    setUp.push({
      from: tenant,
      to: chain.contracts.token,
      data: token.encodeFunctionData('approve', [chain.contracts.marketplace, 2n ** 255n]),
      gas: 100_000,
    });
  }
  await send('evm_setAutomine', [false]);
  try {
    await sendAll(setUp);
    await send('evm_mine', []);
    await sendAll(Array.from({ length: openOrders }, createOrder));
    await send('evm_mine', []);
    const open = Array.from({ length: openOrders }, (_, i) => lastOrderId + BigInt(i + 1));
    lastOrderId += BigInt(openOrders);
    /** The next price of each provider's bid on each order: always lower than its last. */
    const prices = new Map<string, bigint>();

    const fromBlock = Number(await send('eth_blockNumber', [])) + 1;
    const target = fromBlock + options.blocks - 1;
    const bids = options.bidsPerBlock ?? 2;
    const newOrderEvery = options.newOrderEvery ?? 25;
    const updateEvery = options.updateEvery ?? 4;
    const noiseCalls = options.noiseCallsPerBlock ?? 3;
    let busyBlocks = 0;
    let transactions = 0;
    for (let block = fromBlock; block <= target; block += options.busyEvery) {
      const batch: Transaction[] = [];
      for (let i = 0; i < bids; i++) {
        const slot = busyBlocks * bids + i;
        const order = open[slot % open.length]!;
        const provider = providers[Math.floor(slot / open.length) % providers.length]!;
        const key = `${order}/${provider}`;
        const price = prices.get(key) ?? maxPricePerSecond;
        prices.set(key, price - 1n);
        batch.push({
          from: provider,
          to: chain.contracts.marketplace,
          data: market.encodeFunctionData('placeBid', [order, price]),
          gas: 400_000,
        });
      }
      if (busyBlocks % newOrderEvery === newOrderEvery - 1) {
        batch.push(createOrder());
        lastOrderId += 1n;
        open[busyBlocks % open.length] = lastOrderId;
      }
      if (busyBlocks % updateEvery === 0) {
        batch.push({
          from: providers[busyBlocks % providers.length]!,
          to: chain.contracts.registry,
          data: registry.encodeFunctionData('update', [`https://gpu.example/${busyBlocks}`, []]),
          gas: 200_000,
        });
      }
      for (let i = 0; i < noiseCalls; i++) {
        batch.push({ from: noiseSender, to: noisy, data: '0x', gas: 60_000 });
      }
      batch.push({
        from: noiseSender,
        to: chain.contracts.token,
        data: token.encodeFunctionData('mint', [noiseSender, 1n]),
        gas: 100_000,
      });
      await sendAll(batch);
      await send('anvil_mine', [hex(Math.min(options.busyEvery, target - block + 1))]);
      busyBlocks += 1;
      transactions += batch.length;
    }
    return { fromBlock, toBlock: target, busyBlocks, transactions };
  } finally {
    await send('evm_setAutomine', [true]);
  }
}

/** JSON-RPC over fetch, without ethers' batching stall: the chain is filled as fast as it goes. */
function rawRpc(url: string) {
  let id = 0;
  const post = async (body: unknown): Promise<unknown> => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return response.json();
  };
  const send = async (method: string, params: unknown[]): Promise<unknown> => {
    const answer = (await post({ jsonrpc: '2.0', id: ++id, method, params })) as {
      result?: unknown;
      error?: { message: string };
    };
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result;
  };
  send.batch = async (calls: readonly { method: string; params: unknown[] }[]): Promise<void> => {
    if (calls.length === 0) return;
    const answers = (await post(calls.map((call) => ({ jsonrpc: '2.0', id: ++id, ...call })))) as {
      error?: { message: string };
    }[];
    const failed = answers.find((answer) => answer.error);
    if (failed) throw new Error(`sending transactions: ${failed.error!.message}`);
  };
  return send;
}

type RawRpc = ReturnType<typeof rawRpc>;

async function deployNoisyContract(
  chain: TestChain,
  send: RawRpc,
  from: string,
  nonces: Map<string, number>,
): Promise<string> {
  const nonce = nonces.get(from)!;
  nonces.set(from, nonce + 1);
  const hash = (await send('eth_sendTransaction', [
    { from, data: noisyContractCode, gas: hex(200_000), nonce: hex(nonce) },
  ])) as string;
  const receipt = await chain.provider.waitForTransaction(hash);
  if (!receipt?.contractAddress) throw new Error('the noisy contract was not deployed');
  return receipt.contractAddress;
}

async function isRegistered(chain: TestChain, provider: string): Promise<boolean> {
  const data = registry.encodeFunctionData('isRegistered', [provider]);
  const result = await chain.provider.call({ to: chain.contracts.registry, data });
  return registry.decodeFunctionResult('isRegistered', result)[0] as boolean;
}

const hex = (n: number): string => `0x${n.toString(16)}`;
