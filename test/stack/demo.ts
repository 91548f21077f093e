// make demo: the whole market on the local stack. The operator (a local process, acting as the
// ServiceAccount of the RBAC role kept in the repository) serves a Provider and two GpuNodePools;
// a tenant, with the `supercloud` CLI, orders GPU time; the provider bids, wins, runs the
// workloads on the right nodes and is paid by the second; the tenant reads a workload's status,
// endpoints and logs through the provider gateway (a local process too); one lease is closed by
// the tenant, another runs out of escrow. Each step is printed as it happens; the stack stays up.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonRpcProvider } from 'ethers';
import yaml from 'js-yaml';
import type { ComputeLease } from '../../operator/src/api/computelease.js';
import type { GpuNodePool } from '../../operator/src/api/gpunodepool.js';
import type { Provider } from '../../operator/src/api/provider.js';
import { mockToken } from '../../operator/src/chain/deploy.js';
import { computeLeaseName } from '../../operator/src/workloads/names.js';
import { spawnOperator, type OperatorProcess } from '../harness/operator.js';
import type { StackDescription } from './description.js';
import { defaultNodeGroups, parseNodeGroups } from './nodes.js';
import { repoRoot, stackFile, toolPath } from './paths.js';
import { waitFor } from './process.js';
import { stackUp } from './stack.js';

const bold = (text: string): string => `\u001b[1m${text}\u001b[0m`;
const step = (message: string): void => console.log(`\n${bold(`▶ ${message}`)}`);
const providerAccount = 2; // account 1 is the tenant the CLI picks from .stack/stack.json
const walletSecret = { name: 'supercloud-provider-wallet', namespace: 'supercloud-system' };

/**
 * The example pools' prices are for an 18-decimal token; the local stack's TUSD has 6: the same
 * prices in TUSD base units (2.50 TUSD per H100-hour, 1.20 per A100-hour).
 */
const localPrices: Record<string, GpuNodePool['spec']['prices']> = {
  h100: {
    perGpuHour: '2500000',
    perCpuCoreHour: '10000',
    perGiBMemoryHour: '2000',
    perGiBStorageHour: '100',
  },
  a100: {
    perGpuHour: '1200000',
    perCpuCoreHour: '10000',
    perGiBMemoryHour: '2000',
    perGiBStorageHour: '100',
  },
};

interface Context {
  readonly stack: StackDescription;
  readonly kubectl: Kubectl;
  readonly chain: JsonRpcProvider;
}

/** kubectl on the stack; `input` goes to its stdin. */
type Kubectl = (args: readonly string[], input?: string) => string;

async function main(): Promise<void> {
  step('Local stack: Kubernetes 1.33 control plane, KWOK GPU nodes, anvil with the contracts');
  const stack = await stackUp(
    parseNodeGroups(process.env.SUPERCLOUD_NODES ?? defaultNodeGroups),
    (m) => console.log(`  ${m}`),
  );
  const kubectl: Kubectl = (args, input) =>
    execFileSync(toolPath('kubectl'), ['--kubeconfig', stack.kubeconfig, ...args], {
      encoding: 'utf8',
      ...(input === undefined ? {} : { input }),
    });
  const chain = new JsonRpcProvider(stack.rpcUrl, stack.chainId, {
    staticNetwork: true,
    cacheTimeout: -1,
  });
  const context: Context = { stack, kubectl, chain };
  console.log(
    `  Marketplace ${stack.contracts.marketplace}, ${mockToken.symbol} ${stack.contracts.token}`,
  );

  step("CustomResourceDefinitions and the operator's least-privilege RBAC");
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', join(repoRoot, 'crds')]);
  kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  kubectl(['apply', '-f', join(repoRoot, 'examples/operator-rbac.yaml')]);
  kubectl(['apply', '-f', join(repoRoot, 'examples/gateway-rbac.yaml')]);

  step('supercloud-operator run (as its ServiceAccount, leader-elected, following the chain)');
  const operator = await startOperator(stack.kubeconfig);
  step("supercloud-operator gateway (as its own ServiceAccount): the tenants' door");
  const gateway = await startGateway(stack.kubeconfig);
  try {
    await provider(context, gateway.url);
    await market(context);
  } finally {
    await gateway.process.stop();
    await operator.stop();
  }

  step('Look around (the operator has stopped; the stack stays up)');
  console.log(`  export KUBECONFIG=${stack.kubeconfig}`);
  console.log('  kubectl get supercloud                     # providers, pools, leases');
  console.log('  kubectl get events -A --field-selector involvedObject.kind=ComputeLease');
  console.log('  npm run -s supercloud -- lease status <id>  # the tenant CLI');
  console.log('  make run-operator RELEASE=supercloud-operator   # the operator again');
  console.log(
    '  make run-gateway                           # the gateway again (supercloud status|logs)',
  );
  console.log('  make cluster-down                          # stops everything');
  chain.destroy();
}

/** The Provider (wallet: anvil account 2) and the two pools, registered on chain. */
async function provider({ stack, kubectl }: Context, gatewayUrl: string): Promise<void> {
  step('The provider: a wallet Secret, examples/provider.yaml, the H100 and A100 GpuNodePools');
  const key = stack.accounts[providerAccount]!;
  apply(kubectl, {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: walletSecret,
    type: 'Opaque',
    stringData: { privateKey: key.privateKey },
  });
  const example = loadYaml<Provider>('examples/provider.yaml');
  apply(kubectl, {
    ...example,
    spec: {
      ...example.spec,
      chain: {
        ...example.spec.chain,
        chainId: stack.chainId,
        rpcUrls: [stack.rpcUrl],
        marketplace: stack.contracts.marketplace,
        registry: stack.contracts.registry,
        // anvil mines a block per transaction: there is nothing to wait for.
        confirmations: 0,
        startBlock: stack.contracts.deployBlock,
      },
      settlement: { ...example.spec.settlement, withdrawIntervalSeconds: 600 },
      // Registered on chain: where the tenant's CLI finds the gateway.
      gatewayUrl,
    },
  });
  for (const pool of ['h100', 'a100']) {
    const object = loadYaml<GpuNodePool>(`examples/gpunodepool-${pool}.yaml`);
    apply(kubectl, { ...object, spec: { ...object.spec, prices: localPrices[pool]! } });
  }
  await waitFor(
    'the provider registered on chain',
    async () =>
      kubectl(['get', 'provider', 'default', '-o', 'jsonpath={.status.registered}']) === 'true',
    60_000,
    500,
  );
  console.log(kubectl(['get', 'providers,gpunodepools']).trimEnd());
}

interface DemoOrder {
  readonly label: string;
  readonly file: string;
  readonly gpuModel: string;
  readonly maxPrice: string;
  orderId?: string;
}

/** The tenant's side, with the CLI, and what the provider's cluster does about it. */
async function market(context: Context): Promise<void> {
  const { kubectl } = context;
  const orders: DemoOrder[] = [
    {
      label: 'H100 × 8',
      file: 'examples/workloads/fine-tune-8gpu.yaml',
      gpuModel: 'NVIDIA-H100-80GB-HBM3',
      maxPrice: '30000000/h',
    },
    {
      label: 'A100 × 2',
      file: 'examples/workloads/llm-inference.yaml',
      gpuModel: 'NVIDIA-A100-SXM4-40GB',
      maxPrice: '3600000/h',
    },
    {
      label: 'B200 × 2 (nobody sells it)',
      file: 'examples/workloads/llm-inference.yaml',
      gpuModel: 'NVIDIA-B200',
      maxPrice: '3600000/h',
    },
  ];
  step('The tenant orders GPU time (anvil account 1), deposit: one hour at the max price');
  for (const order of orders) {
    const created = cli<{ orderId: string }>(
      'order',
      'create',
      '-f',
      order.file,
      '--gpu-model',
      order.gpuModel,
      '--max-price',
      order.maxPrice,
      '--deposit',
      '1h',
      '--bidding-seconds',
      '30',
    );
    order.orderId = created.orderId;
    console.log(`  ${order.label}: order ${created.orderId}`);
  }
  const [h100, a100, nobody] = orders.map((o) => o.orderId!) as [string, string, string];

  step('The provider bids on the orders its pools can serve');
  await waitFor(
    'bids on the H100 and A100 orders',
    async () => (await bids(h100)).length > 0 && (await bids(a100)).length > 0,
    60_000,
    500,
  );
  for (const order of orders) {
    const live = await bids(order.orderId!);
    console.log(
      `  order ${order.orderId} (${order.label}): ${live.length === 0 ? 'no bid' : live.map((b) => `${b.pricePerSecond}/s from ${b.provider}`).join(', ')}`,
    );
  }

  step(
    'Bidding closes (chain time +31 s); the tenant finalizes: the lowest bid wins, a lease starts',
  );
  await advance(context, 31);
  for (const id of [h100, a100]) {
    const lease = cli<{ leaseId: string; provider: string; pricePerSecond: string }>(
      'order',
      'finalize',
      id,
    );
    console.log(`  lease ${lease.leaseId}: ${lease.pricePerSecond}/s to ${lease.provider}`);
  }
  cli('order', 'cancel', nobody);
  console.log(`  order ${nobody} had no bid: cancelled, the deposit refunded`);

  step('Each lease becomes a ComputeLease, then pods on the pool it was bid for');
  for (const id of [h100, a100]) {
    await waitForLease(kubectl, id, 'Running', (l) => l.status?.phase === 'Running');
  }
  console.log(kubectl(['get', 'computeleases']).trimEnd());
  for (const id of [h100, a100]) {
    console.log(kubectl(['get', 'pods', '-n', computeLeaseName(id), '-o', 'wide']).trimEnd());
  }

  step('An hour passes on chain: the escrow streams to the provider, who withdraws');
  await advance(context, 3600);
  for (const id of [h100, a100]) {
    await waitForLease(kubectl, id, 'paid', (l) => BigInt(l.status?.amountWithdrawn ?? '0') > 0n);
  }
  console.log(
    kubectl([
      'get',
      'computeleases',
      '-o',
      'custom-columns=LEASE:.spec.leaseId,PRICE/S:.status.pricePerSecond,ESCROW:.status.escrowBalance,FUNDED-UNTIL:.status.fundedUntil,PAID:.status.amountWithdrawn,FUNDED:.status.conditions[?(@.type=="Funded")].reason',
    ]).trimEnd(),
  );

  step(`The tenant reads lease ${a100}'s endpoint and logs through the provider's gateway`);
  console.log(cliText('status', a100));
  console.log(cliText('logs', a100, '--tail', '3').trimEnd());

  step(`The tenant closes lease ${h100}: paid to now, the rest refunded, the workload torn down`);
  const closed = cli<{ refund: string }>('lease', 'close', h100);
  await waitForLease(kubectl, h100, 'Closed', (l) => l.status?.phase === 'Closed');
  const refunds = new Map([[h100, closed.refund]]);

  step(`Lease ${a100} runs out of escrow: the provider closes it and tears it down`);
  const status = cli<{ fundedUntil: string; asOf: string }>('lease', 'status', a100);
  await advance(context, Number(status.fundedUntil) - Number(status.asOf) + 1);
  await waitForLease(kubectl, a100, 'Closed', (l) => l.status?.phase === 'Closed');
  refunds.set(a100, '0');

  step('Summary');
  const rows = [h100, a100].map((id) => {
    const lease = getLease(kubectl, id);
    return {
      lease: id,
      pool: lease.spec.pool,
      GPUs: lease.spec.resources.gpus,
      'price/s': lease.spec.pricePerSecond,
      'paid to provider': lease.status?.amountWithdrawn,
      'refunded to tenant': refunds.get(id),
      phase: `${lease.status?.phase} (${lease.status?.closeReason})`,
    };
  });
  console.table(rows);
  console.log(`  amounts in ${mockToken.symbol} base units (${mockToken.decimals} decimals)`);
}

/** Runs `supercloud <args> --json` (progress on the console), returns its JSON. */
/** Runs the tenant CLI with the stack's settings; its progress (stderr) is shown indented. */
function supercloud(args: readonly string[], json: boolean): string {
  console.log(`  $ supercloud ${args.join(' ')}`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'operator/src/cli/main.ts'),
      ...args,
      '--stack',
      stackFile,
      ...(json ? ['--json'] : []),
    ],
    { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  for (const line of result.stderr.split('\n').filter(Boolean)) console.log(`    ${line}`);
  if (result.status !== 0) throw new Error(`supercloud ${args.join(' ')} failed`);
  return result.stdout;
}

function cli<T = unknown>(...args: string[]): T {
  return JSON.parse(supercloud(args, true)) as T;
}

/** The CLI's text output, indented. */
function cliText(...args: string[]): string {
  return supercloud(args, false)
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n');
}

async function bids(orderId: string): Promise<{ provider: string; pricePerSecond: string }[]> {
  const spawned = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      join(repoRoot, 'operator/src/cli/main.ts'),
      'order',
      'bids',
      orderId,
      '--stack',
      stackFile,
      '--json',
    ],
    { cwd: repoRoot, encoding: 'utf8' },
  );
  if (spawned.status !== 0) throw new Error(`supercloud order bids ${orderId}: ${spawned.stderr}`);
  return (JSON.parse(spawned.stdout) as { bids: { provider: string; pricePerSecond: string }[] })
    .bids;
}

/** Moves the chain's clock forward and mines a block at the new time. */
async function advance({ chain }: Context, seconds: number): Promise<void> {
  await chain.send('evm_increaseTime', [Math.ceil(seconds)]);
  await chain.send('evm_mine', []);
}

function getLease(kubectl: Kubectl, id: string): ComputeLease {
  return JSON.parse(
    kubectl(['get', 'computelease', computeLeaseName(id), '-o', 'json']),
  ) as ComputeLease;
}

async function waitForLease(
  kubectl: Kubectl,
  id: string,
  what: string,
  check: (lease: ComputeLease) => boolean,
): Promise<void> {
  await waitFor(
    `lease ${id} ${what}`,
    async () => {
      try {
        return check(getLease(kubectl, id));
      } catch {
        return false; // not created yet
      }
    },
    120_000,
    500,
  );
  console.log(`  lease ${id}: ${what}`);
}

function loadYaml<T>(file: string): T {
  return yaml.load(readFileSync(join(repoRoot, file), 'utf8')) as T;
}

function apply(kubectl: Kubectl, object: unknown): void {
  kubectl(['apply', '--server-side', '--force-conflicts', '-f', '-'], JSON.stringify(object));
}

/** `supercloud-operator run` as the ServiceAccount of examples/operator-rbac.yaml; resolves once it reconciles. */
async function startOperator(kubeconfig: string): Promise<OperatorProcess> {
  const operator = spawnOperator([
    'run',
    '--kubeconfig',
    kubeconfig,
    '--as',
    'system:serviceaccount:supercloud-system:supercloud-operator',
    '--as-group',
    'system:serviceaccounts',
    '--as-group',
    'system:serviceaccounts:supercloud-system',
    '--leader-elect',
    '--health-address',
    '127.0.0.1:0',
    '--chain-poll-ms',
    '500',
    '--chain-sweep-ms',
    '2000',
    '--settlement-interval-ms',
    '2000',
  ]);
  await operator.ready();
  console.log(`  pid ${operator.child.pid}, leader-elected, controllers started`);
  return operator;
}

/**
 * `supercloud-operator gateway` at $GATEWAY_ADDRESS (the Makefile's, as for `make run-gateway`),
 * as the ServiceAccount of examples/gateway-rbac.yaml.
 */
async function startGateway(
  kubeconfig: string,
): Promise<{ process: OperatorProcess; url: string }> {
  const address = process.env.GATEWAY_ADDRESS ?? '127.0.0.1:18443';
  const gateway = spawnOperator([
    'gateway',
    '--kubeconfig',
    kubeconfig,
    '--as',
    'system:serviceaccount:supercloud-system:supercloud-gateway',
    '--listen',
    address,
  ]);
  await waitFor(
    'the gateway to serve',
    async () => gateway.lines.some((line) => line.message === 'serving'),
    60_000,
    100,
  );
  const url = `http://${address}`;
  console.log(`  pid ${gateway.child.pid}, serving ${url}`);
  return { process: gateway, url };
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
