// make demo: the local stack and what it offers. Later steps (operator, a tenant's orders) are
// added here as they land.
import { CoreV1Api } from '@kubernetes/client-node';
import { JsonRpcProvider, formatEther, formatUnits } from 'ethers';
import { connectContract, mockErc20Abi } from '../../operator/src/chain/abi/index.js';
import { mockToken } from '../../operator/src/chain/deploy.js';
import { loadKubeConfig } from './kube.js';
import {
  defaultNodeGroups,
  gpuProductLabel,
  gpuResource,
  parseNodeGroups,
  poolLabel,
} from './nodes.js';
import { stackUp } from './stack.js';

const step = (message: string): void => console.log(`\n\u001b[1m▶ ${message}\u001b[0m`);

async function main(): Promise<void> {
  step('Local stack: Kubernetes 1.33 control plane, KWOK GPU nodes, anvil');
  const stack = await stackUp(
    parseNodeGroups(process.env.SUPERCLOUD_NODES ?? defaultNodeGroups),
    (m) => console.log(`  ${m}`),
  );

  step('GPU node pools');
  const core = loadKubeConfig(stack.kubeconfig).makeApiClient(CoreV1Api);
  const nodes = (await core.listNode()).items;
  const rows = new Map<string, { model: string; nodes: number; ready: number; gpus: number }>();
  for (const node of nodes) {
    const pool = node.metadata?.labels?.[poolLabel] ?? '(none)';
    const row = rows.get(pool) ?? {
      model: node.metadata?.labels?.[gpuProductLabel] ?? 'CPU only',
      nodes: 0,
      ready: 0,
      gpus: 0,
    };
    row.nodes += 1;
    row.ready += node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
      ? 1
      : 0;
    row.gpus += Number(node.status?.allocatable?.[gpuResource] ?? 0);
    rows.set(pool, row);
  }
  console.table(Object.fromEntries(rows));

  step('Chain');
  const provider = new JsonRpcProvider(stack.rpcUrl, stack.chainId, { staticNetwork: true });
  const block = await provider.getBlockNumber();
  const token = connectContract(mockErc20Abi, stack.contracts.token, provider);
  const balances = await Promise.all(
    stack.accounts.map(async ({ address }) => {
      const [eth, tokens] = await Promise.all([
        provider.getBalance(address),
        token.balanceOf(address),
      ]);
      return `${formatEther(eth)} ETH, ${formatUnits(tokens, mockToken.decimals)} ${mockToken.symbol}`;
    }),
  );
  provider.destroy();
  console.log(`  anvil at ${stack.rpcUrl}, chain id ${stack.chainId}, block ${block}`);
  stack.accounts.forEach((account, index) =>
    console.log(`  account ${index}: ${account.address} (${balances[index]})`),
  );

  step('Contracts (deployed by account 0, the owner and treasury)');
  const contractRows: [string, string][] = [
    ['Marketplace', stack.contracts.marketplace],
    ['ProviderRegistry', stack.contracts.registry],
    [`${mockToken.symbol} (mock ERC-20, ${mockToken.decimals} decimals)`, stack.contracts.token],
  ];
  for (const [name, address] of contractRows) console.log(`  ${name.padEnd(34)} ${address}`);
  console.log(`  deployed from block ${stack.contracts.deployBlock}`);

  step('Look around');
  console.log(`  export KUBECONFIG=${stack.kubeconfig}`);
  console.log('  kubectl get nodes -L nvidia.com/gpu.product,supercloud.dev/pool');
  console.log('  make cluster-down   # stops everything');
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
