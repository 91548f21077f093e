// make demo: the local stack, then the operator turning a ComputeLease into an isolated GPU
// workload on the H100 pool. Later steps (a tenant's order on chain) are added here as they land.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { JsonRpcProvider, formatEther, formatUnits } from 'ethers';
import { connectContract, mockErc20Abi } from '../../operator/src/chain/abi/index.js';
import { mockToken } from '../../operator/src/chain/deploy.js';
import { spawnOperator, type OperatorProcess } from '../harness/operator.js';
import { loadKubeConfig } from './kube.js';
import { repoRoot, toolPath } from './paths.js';
import { waitFor } from './process.js';
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

  const kubectl = (...args: string[]): string =>
    execFileSync(toolPath('kubectl'), ['--kubeconfig', stack.kubeconfig, ...args], {
      encoding: 'utf8',
    });

  step("CustomResourceDefinitions and the operator's least-privilege RBAC");
  kubectl('apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds'));
  kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
  kubectl('apply', '-f', join(repoRoot, 'test/integration/controllers/rbac.yaml'));
  console.log(
    kubectl(
      'get',
      'crd',
      'computeleases.supercloud.dev',
      'gpunodepools.supercloud.dev',
      'providers.supercloud.dev',
    ).trimEnd(),
  );

  step('supercloud-operator run (as its ServiceAccount, leader-elected)');
  const operator = await startOperator(stack.kubeconfig);
  try {
    step('GpuNodePools and a ComputeLease: examples/computelease-h100.yaml');
    kubectl(
      'apply',
      '-f',
      join(repoRoot, 'examples/gpunodepool-h100.yaml'),
      '-f',
      join(repoRoot, 'examples/gpunodepool-a100.yaml'),
      '-f',
      join(repoRoot, 'examples/computelease-h100.yaml'),
    );
    await waitFor(
      'the lease to be Running',
      async () =>
        kubectl('get', 'computelease', 'lease-1001', '-o', 'jsonpath={.status.phase}') ===
        'Running',
      120_000,
      500,
    );
    console.log(kubectl('get', 'supercloud').trimEnd());
    const namespace = kubectl(
      'get',
      'computelease',
      'lease-1001',
      '-o',
      'jsonpath={.status.namespace}',
    );
    step(`The lease's namespace ${namespace}: pods on H100 nodes, isolation objects`);
    console.log(kubectl('get', 'pods', '-n', namespace, '-o', 'wide').trimEnd());
    console.log(
      kubectl(
        'get',
        'resourcequota,limitrange,networkpolicy,serviceaccount,deployment,service',
        '-n',
        namespace,
      ).trimEnd(),
    );
  } finally {
    await operator.stop();
  }

  step('Look around (the operator has stopped; the objects stay until make cluster-down)');
  console.log(`  export KUBECONFIG=${stack.kubeconfig}`);
  console.log('  kubectl get supercloud');
  console.log('  kubectl get nodes -L nvidia.com/gpu.product,supercloud.dev/pool');
  console.log('  npx tsx operator/src/main.ts run --kubeconfig $KUBECONFIG   # the operator again');
  console.log('  make cluster-down   # stops everything');
}

/** `supercloud-operator run` as the ServiceAccount of rbac.yaml; resolves once it reconciles. */
async function startOperator(kubeconfig: string): Promise<OperatorProcess> {
  const operator = spawnOperator([
    'run',
    '--kubeconfig',
    kubeconfig,
    '--as',
    'system:serviceaccount:supercloud-system:supercloud-operator',
    '--as-group',
    'system:serviceaccounts',
    '--leader-elect',
    '--health-address',
    '127.0.0.1:0',
  ]);
  await operator.ready();
  console.log(`  pid ${operator.child.pid}, leader-elected, controllers started`);
  return operator;
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
