// The tenant CLI against a private anvil with the contracts deployed: the library the CLI and the
// demo call (TenantClient) through a whole order → bids → lease → top-up → close story, and the
// real `supercloud` process for its JSON output, its refusals before sending, and decoded reverts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Wallet } from 'ethers';
import {
  connectContract,
  marketplaceAbi,
  mockErc20Abi,
} from '../../../operator/src/chain/abi/index.js';
import { gpuModelId } from '../../../operator/src/chain/identifiers.js';
import { buildOrderRequest } from '../../../operator/src/cli/order-request.js';
import { TenantClient } from '../../../operator/src/cli/tenant.js';
import { canonicalManifestHash } from '../../../operator/src/workloads/canonical.js';
import { parseManifestYaml } from '../../../operator/src/workloads/parse.js';
import { anvilAccounts } from '../../stack/anvil.js';
import { repoRoot } from '../../stack/paths.js';
import {
  freePort,
  mined,
  registerProvider,
  startTestChain,
  type TestChain,
} from '../../harness/test-chain.js';

const gpuModel = 'NVIDIA-H100-80GB-HBM3';
const manifestText = readFileSync(join(repoRoot, 'examples/workloads/llm-inference.yaml'), 'utf8');
/** What the manifest sums to (2 GPUs, 16 cores, 128 GiB, 100 GiB storage). */
const manifestTotals = { gpus: 2n, cpuMillis: 16_000n, memoryMiB: 131_072n, storageMiB: 102_400n };

let chain: TestChain;
let tenant: Wallet;
let providerA: Wallet;
let providerB: Wallet;
let workdir: string;
let keyFile: string;
let manifestFile: string;

beforeAll(async () => {
  chain = await startTestChain('cli');
  [tenant, providerA, providerB] = await Promise.all([
    chain.freshWallet(),
    chain.freshWallet(),
    chain.freshWallet(),
  ]);
  const token = connectContract(mockErc20Abi, chain.contracts.token, tenant);
  await mined(token.mint(tenant.address, 10n ** 12n));
  await registerProvider(chain, providerA);
  await registerProvider(chain, providerB);
  workdir = mkdtempSync(join(tmpdir(), 'supercloud-cli-'));
  keyFile = join(workdir, 'tenant.key');
  writeFileSync(keyFile, `${tenant.privateKey}\n`, { mode: 0o600 });
  manifestFile = join(workdir, 'llm.yaml');
  writeFileSync(manifestFile, manifestText);
});

afterAll(async () => {
  await chain?.stop();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

const market = () => connectContract(marketplaceAbi, chain.contracts.marketplace, chain.provider);
const tokenBalance = (address: string) =>
  connectContract(mockErc20Abi, chain.contracts.token, chain.provider).balanceOf(address);

async function placeBid(provider: Wallet, orderId: bigint, pricePerSecond: bigint): Promise<void> {
  const marketplace = connectContract(marketplaceAbi, chain.contracts.marketplace, provider);
  await mined(marketplace.placeBid(orderId, pricePerSecond));
}

async function advance(seconds: number): Promise<void> {
  await chain.rpc('evm_increaseTime', [seconds]);
  await chain.mine(1);
}

describe('TenantClient', () => {
  let client: TenantClient;
  const lines: string[] = [];

  beforeAll(() => {
    client = new TenantClient({
      provider: chain.provider,
      marketplace: chain.contracts.marketplace,
      signer: tenant,
      onProgress: (line) => lines.push(line),
    });
  });

  it('runs an order from a YAML manifest to a closed lease, with chain state at each step', async () => {
    const request = buildOrderRequest(manifestText, {
      gpuModel,
      maxPrice: '1000',
      deposit: '2h',
      biddingSeconds: '10m',
    });
    const balanceBefore = await tokenBalance(tenant.address);
    const created = await client.createOrder(request);
    expect(lines).toEqual(expect.arrayContaining(['sending approve…', 'sending createOrder…']));
    expect(lines.some((line) => line.includes(`(tx ${created.transactionHash})`))).toBe(true);

    // On chain: the order as asked, the manifest hash the provider will check, the deposit held.
    const onChain = await market().getOrder(created.orderId);
    expect(onChain.tenant).toBe(tenant.address);
    expect(onChain.status).toBe(1n);
    expect(onChain.manifestHash).toBe(canonicalManifestHash(parseManifestYaml(manifestText)));
    expect(onChain.resources.gpuModel).toBe(gpuModelId(gpuModel));
    expect(onChain.resources.gpuCount).toBe(manifestTotals.gpus);
    expect(onChain.resources.cpuMillicores).toBe(manifestTotals.cpuMillis);
    expect(onChain.resources.memoryMiB).toBe(manifestTotals.memoryMiB);
    expect(onChain.resources.storageMiB).toBe(manifestTotals.storageMiB);
    expect(onChain.escrow).toBe(1000n * 7200n);
    expect(await tokenBalance(tenant.address)).toBe(balanceBefore - 1000n * 7200n);

    const shown = await client.order(created.orderId);
    expect(shown).toMatchObject({ status: 'Open', biddingOpen: true, escrow: 7_200_000n });
    expect(shown.bestBid).toBeUndefined();

    // Two bids: listed lowest first; the tenant accepts the dearer one, which is its right.
    await placeBid(providerA, created.orderId, 900n);
    await placeBid(providerB, created.orderId, 700n);
    expect(await client.bids(created.orderId)).toEqual([
      { provider: providerB.address, pricePerSecond: 700n },
      { provider: providerA.address, pricePerSecond: 900n },
    ]);
    expect((await client.order(created.orderId)).bestBid).toEqual({
      provider: providerB.address,
      pricePerSecond: 700n,
    });

    // Below the bid's price: refused by the marketplace's bound, decoded, nothing leased.
    await expect(
      client.acceptBid(created.orderId, providerA.address, { maxPricePerSecond: 899n }),
    ).rejects.toThrow(
      /Marketplace_BidAboveLimit\(orderId=\d+, provider=0x[0-9a-fA-F]{40}, pricePerSecond=900, maxPricePerSecond=899\)/,
    );
    expect((await client.order(created.orderId)).status).toBe('Open');

    const lease = await client.acceptBid(created.orderId, providerA.address);
    expect(lines).toContain(`${providerA.address} bids 900 per second; accepting at most that`);
    expect(lease).toMatchObject({
      leaseId: created.orderId,
      provider: providerA.address,
      pricePerSecond: 900n,
      escrow: 7_200_000n,
    });
    expect((await market().getLease(lease.leaseId)).active).toBe(true);
    expect((await client.order(created.orderId)).status).toBe('Leased');

    await advance(100);
    const running = await client.lease(lease.leaseId);
    const elapsed = running.asOf - lease.startedAt;
    expect(elapsed).toBeGreaterThanOrEqual(100n);
    expect(running).toMatchObject({ active: true, exhausted: false, accrued: 900n * elapsed });
    expect(running.remaining).toBe(7_200_000n - 900n * elapsed);
    expect(running.fundedUntil).toBe(lease.startedAt + 7_200_000n / 900n);

    const toppedUp = await client.topUp(lease.leaseId, 900_000n);
    const afterTopUp = await market().getLease(lease.leaseId);
    expect(toppedUp.escrow).toBe(7_200_000n + 900_000n);
    expect(afterTopUp.fundedUntil).toBe(lease.startedAt + 8_100_000n / 900n);
    expect(toppedUp.fundedUntil).toBe(afterTopUp.fundedUntil);

    const beforeClose = await tokenBalance(tenant.address);
    const closed = await client.close(lease.leaseId);
    const final = await market().getLease(lease.leaseId);
    expect(final.active).toBe(false);
    expect(closed.closedBy).toBe(tenant.address);
    expect(closed.providerPayout + closed.fee + closed.refund).toBe(8_100_000n);
    expect(await tokenBalance(tenant.address)).toBe(beforeClose + closed.refund);
    expect((await client.lease(lease.leaseId)).active).toBe(false);
  });

  it('refuses a deposit below the minimum run before sending anything', async () => {
    const nonce = await chain.provider.getTransactionCount(tenant.address);
    const request = buildOrderRequest(manifestText, {
      gpuModel,
      maxPrice: '1000',
      deposit: '1000',
      biddingSeconds: '60',
    });
    await expect(client.createOrder(request)).rejects.toThrow(/below the marketplace's minimum/);
    expect(await chain.provider.getTransactionCount(tenant.address)).toBe(nonce);
  });

  it('cancels an open order and refunds the deposit', async () => {
    const request = buildOrderRequest(manifestText, {
      gpuModel,
      maxPrice: '10',
      deposit: '1h',
      biddingSeconds: '60',
    });
    const { orderId } = await client.createOrder(request);
    const before = await tokenBalance(tenant.address);
    const cancelled = await client.cancelOrder(orderId);
    expect(cancelled.refund).toBe(36_000n);
    expect(await tokenBalance(tenant.address)).toBe(before + 36_000n);
    expect((await market().getOrder(orderId)).status).toBe(3n);
  });
});

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real CLI from source, in an empty folder and home, so only what is passed counts. */
function supercloud(
  args: readonly string[],
  env: Record<string, string> = {},
  cwd = workdir,
): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      join(repoRoot, 'node_modules/.bin/tsx'),
      [join(repoRoot, 'operator/src/cli/main.ts'), ...args],
      {
        cwd,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: workdir,
          SUPERCLOUD_RPC_URL: chain.rpcUrl,
          SUPERCLOUD_MARKETPLACE: chain.contracts.marketplace,
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('the supercloud process', () => {
  const createArgs = (file: string) => [
    'order',
    'create',
    '-f',
    file,
    '--gpu-model',
    gpuModel,
    '--max-price',
    '3600000/h',
    '--deposit',
    '1h',
    '--bidding-seconds',
    '120',
    '--key-file',
    keyFile,
  ];

  it('creates an order and prints one JSON object on stdout', async () => {
    const result = await supercloud([...createArgs(manifestFile), '--json']);
    expect(result.stderr).not.toContain(tenant.privateKey.slice(2));
    expect(result.code).toBe(0);
    const created = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(created).toMatchObject({
      tenant: tenant.address,
      maxPricePerSecond: '1000',
      deposit: '3600000',
    });
    const orderId = BigInt(created['orderId'] as string);
    const onChain = await market().getOrder(orderId);
    expect(onChain.tenant).toBe(tenant.address);
    expect(onChain.maxPricePerSecond).toBe(1000n);
    expect(onChain.manifestHash).toBe(created['manifestHash']);

    await placeBid(providerA, orderId, 800n);
    const bids = await supercloud(['order', 'bids', String(orderId), '--json']);
    expect(bids.code).toBe(0);
    expect(JSON.parse(bids.stdout)).toEqual({
      orderId: String(orderId),
      bids: [{ provider: providerA.address, pricePerSecond: '800' }],
    });

    // Before the deadline finalize reverts in the estimate: the custom error, no transaction.
    const nonce = await chain.provider.getTransactionCount(tenant.address);
    const early = await supercloud(['order', 'finalize', String(orderId), '--key-file', keyFile]);
    expect(early.code).toBe(1);
    expect(early.stderr).toContain('Marketplace_BiddingOpen');
    expect(early.stderr).toContain(`orderId=${orderId}`);
    expect(await chain.provider.getTransactionCount(tenant.address)).toBe(nonce);

    // After it, anyone finalizes: the lowest bid wins; the human form shows the lease.
    await advance(121);
    const finalized = await supercloud([
      'order',
      'finalize',
      String(orderId),
      '--key-file',
      keyFile,
    ]);
    expect(finalized.code).toBe(0);
    expect(finalized.stdout).toMatch(/sending finalize…/);
    expect(finalized.stdout).toMatch(new RegExp(`provider\\s+${providerA.address}`));
    const lease = await market().getLease(orderId);
    expect([lease.provider, lease.pricePerSecond, lease.active]).toEqual([
      providerA.address,
      800n,
      true,
    ]);

    const status = await supercloud(['lease', 'status', String(orderId), '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      leaseId: String(orderId),
      provider: providerA.address,
      pricePerSecond: '800',
      active: true,
    });
  });

  it('fails a bad manifest naming the field, before any transaction', async () => {
    const bad = join(workdir, 'bad.yaml');
    writeFileSync(bad, manifestText.replace('cpuMillis: 16000', 'cpuMillis: -5'));
    const nonce = await chain.provider.getTransactionCount(tenant.address);
    const result = await supercloud(createArgs(bad));
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('cpuMillis');
    expect(result.stderr).toContain('nothing was sent');
    expect(await chain.provider.getTransactionCount(tenant.address)).toBe(nonce);
  });

  it('names the RPC URL it cannot reach', async () => {
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const result = await supercloud(['order', 'show', '1'], { SUPERCLOUD_RPC_URL: deadUrl });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`the chain RPC endpoint ${deadUrl} did not answer`);
  });

  it('runs as the stack tenant from ./.stack/stack.json: create, accept, top up, close', async () => {
    const project = join(workdir, 'project');
    mkdirSync(join(project, '.stack'), { recursive: true });
    writeFileSync(
      join(project, '.stack/stack.json'),
      JSON.stringify({
        rpcUrl: chain.rpcUrl,
        chainId: chain.chainId,
        contracts: chain.contracts,
        accounts: anvilAccounts,
      }),
    );
    const stackTenant = anvilAccounts[1]!.address;
    // Empty variables count as unset: only the stack description speaks.
    const noEnv = { SUPERCLOUD_RPC_URL: '', SUPERCLOUD_MARKETPLACE: '' };
    const run = (args: string[]) => supercloud(args, noEnv, project);

    const created = await run(['order', 'create', ...createArgs(manifestFile).slice(2, -2)]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/sending approve…\n.*mined in block/);
    const orderId = BigInt(/^order\s+(\d+)$/m.exec(created.stdout)![1]!);
    expect((await market().getOrder(orderId)).tenant).toBe(stackTenant);

    await placeBid(providerB, orderId, 500n);
    await placeBid(providerA, orderId, 400n);
    const bids = await run(['order', 'bids', String(orderId)]);
    expect(bids.stdout.split('\n').slice(1, 3)).toEqual([
      expect.stringMatching(new RegExp(`^1\\s+${providerA.address}\\s+400\\s+1440000$`)),
      expect.stringMatching(new RegExp(`^2\\s+${providerB.address}\\s+500\\s+1800000$`)),
    ]);

    const accepted = await run([
      'order',
      'accept',
      String(orderId),
      '--provider',
      providerB.address,
      '--max-price',
      '500',
    ]);
    expect(accepted.code).toBe(0);
    expect((await market().getLease(orderId)).provider).toBe(providerB.address);

    const escrowBefore = (await market().getLease(orderId)).remaining;
    const topUp = await run(['lease', 'top-up', String(orderId), '--amount', '1h', '--json']);
    expect(topUp.code).toBe(0);
    expect(JSON.parse(topUp.stdout)).toMatchObject({ amount: String(500n * 3600n) });
    expect((await market().getLease(orderId)).remaining).toBeGreaterThan(escrowBefore);

    const balanceBefore = await tokenBalance(stackTenant);
    const closed = await run(['lease', 'close', String(orderId), '--json']);
    expect(closed.code).toBe(0);
    const result = JSON.parse(closed.stdout) as { refund: string; closedBy: string };
    expect(result.closedBy).toBe(stackTenant);
    expect(await tokenBalance(stackTenant)).toBe(balanceBefore + BigInt(result.refund));
    expect((await market().getLease(orderId)).active).toBe(false);

    // A second close reverts on the contract's rule, decoded.
    const again = await run(['lease', 'close', String(orderId)]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Marketplace_LeaseClosed');
  });

  it('reads a config file with a key file beside it, and checks its chain id', async () => {
    const home = join(workdir, 'home');
    const configDir = join(home, '.config/supercloud');
    mkdirSync(configDir, { recursive: true });
    writeFileSync(join(configDir, 'tenant.key'), tenant.privateKey, { mode: 0o600 });
    const config = (chainId: number) =>
      [
        `rpcUrl: ${chain.rpcUrl}`,
        `marketplace: "${chain.contracts.marketplace}"`,
        'privateKeyFile: tenant.key',
        `chainId: ${chainId}`,
      ].join('\n');
    writeFileSync(join(configDir, 'config.yaml'), config(chain.chainId));
    const noEnv = { SUPERCLOUD_RPC_URL: '', SUPERCLOUD_MARKETPLACE: '', HOME: home };

    const account = await supercloud(['account', '--json'], noEnv);
    expect(account.code).toBe(0);
    expect(JSON.parse(account.stdout)).toMatchObject({
      address: tenant.address,
      token: chain.contracts.token,
      tokenBalance: String(await tokenBalance(tenant.address)),
      chainId: chain.chainId,
    });

    writeFileSync(join(configDir, 'config.yaml'), config(1));
    const wrongChain = await supercloud(['account'], noEnv);
    expect(wrongChain.code).toBe(1);
    expect(wrongChain.stderr).toContain(
      `the RPC endpoint ${chain.rpcUrl} serves chain ${chain.chainId}, but chain 1 is configured`,
    );
  });
});
