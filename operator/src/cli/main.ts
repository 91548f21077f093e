#!/usr/bin/env node
// supercloud: the tenant CLI. Orders GPU time on the marketplace, follows the auction, starts,
// funds and closes leases.
//
//   supercloud quote -f workload.yaml --gpu-model NVIDIA-H100-80GB-HBM3 --max-price 1000
//   supercloud order create -f workload.yaml --gpu-model NVIDIA-H100-80GB-HBM3 --max-price 1000 --deposit 2h
//   supercloud order bids 7
//   supercloud order finalize 7
//   supercloud lease status 7 --json
//   supercloud manifest hash -f workload.yaml
//
// Connection settings: flags > environment > --stack > config file > ./.stack/stack.json (config.ts).
// --json prints one JSON object on stdout (amounts as decimal strings) and nothing else there.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { Command } from 'commander';
import { getAddress, isAddress } from 'ethers';
import {
  parseDeposit,
  parseDurationSeconds,
  parsePositiveInteger,
  parsePricePerSecond,
} from './amounts.js';
import { envNames, requirePrivateKey, resolveSettings, type ConnectionFlags } from './config.js';
import { CliUsageError, errorMessage } from './errors.js';
import { toJson } from './format.js';
import { manifestDigest } from './manifest-digest.js';
import { buildOrderRequest, type OrderFlags, type ResourceFlags } from './order-request.js';
import {
  renderAccount,
  renderBids,
  renderLease,
  renderLeaseClosed,
  renderLeaseStarted,
  renderOrder,
  renderOrderCancelled,
  renderOrderCreated,
  renderToppedUp,
} from './render.js';
import { connectTenant, type ConnectedTenant } from './tenant.js';
import { orderTerms, quoteProviders, quoteTerms } from './quote.js';
import { renderNoBidReasons, renderQuotes } from './quote-render.js';
import { deploy } from './deploy.js';
import { secretsRequest, withRegistryOptions, type RegistryFlags } from './secret-flags.js';
import { gatewayFor, renderWorkloadStatus, workloadCommands } from './workload-commands.js';

interface GlobalFlags extends ConnectionFlags {
  readonly json?: boolean;
}

/** Where results and progress go: --json keeps stdout for the one JSON object. */
interface Output {
  readonly json: boolean;
  progress(line: string): void;
  result(value: unknown, text: string): void;
}

function output(json: boolean): Output {
  return {
    json,
    progress: (line) => (json ? process.stderr : process.stdout).write(`${line}\n`),
    result: (value, text) => process.stdout.write(`${json ? toJson(value) : text}\n`),
  };
}

function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
}

function readManifestFile(path: string): string {
  const text = readTextFile(path);
  if (text === undefined) throw new CliUsageError(`the manifest file ${path} does not exist`);
  return text;
}

/** Resolves the settings, connects, runs `body`, and always releases the connection. */
async function withTenant(
  command: Command,
  needsKey: boolean,
  body: (tenant: ConnectedTenant, out: Output) => Promise<void>,
): Promise<void> {
  const flags = command.optsWithGlobals<GlobalFlags>();
  const out = output(flags.json ?? false);
  const settings = resolveSettings({
    flags,
    env: process.env,
    cwd: process.cwd(),
    home: homedir(),
    readFile: readTextFile,
  });
  if (needsKey) requirePrivateKey(settings);
  const tenant = await connectTenant(settings, { onProgress: out.progress });
  try {
    await body(tenant, out);
  } finally {
    tenant.destroy();
  }
}

const idOf = (what: string) => (text: string) => parsePositiveInteger(what, text);

function addressOf(text: string): string {
  if (!isAddress(text)) throw new CliUsageError(`--provider "${text}" is not an address`);
  return getAddress(text);
}

/** The options that say what an order buys: the manifest and the resources. */
function withResourceOptions(command: Command): Command {
  return command
    .requiredOption('-f, --file <path>', 'the workload manifest (YAML or JSON)')
    .option('--gpus <n>', 'GPUs in all (default: the manifest total)')
    .option('--gpu-model <name>', 'GPU model, e.g. NVIDIA-H100-80GB-HBM3 (needed with GPUs)')
    .option('--gpu-memory-mib <n>', 'least memory per GPU in MiB (default 0: any)')
    .option('--cpu-millis <n>', 'CPU in millicores (default: the manifest total)')
    .option('--memory-mib <n>', 'memory in MiB (default: the manifest total)')
    .option('--storage-mib <n>', 'ephemeral storage in MiB (default: the manifest total)');
}

/** The options that describe an order: what to buy, the price and the deposit. */
function withOrderOptions(command: Command): Command {
  return withResourceOptions(command)
    .requiredOption(
      '--max-price <price>',
      'the most to pay, token base units per second ("250"), or per hour/day ("900000/h")',
    )
    .requiredOption(
      '--deposit <amount>',
      'escrow in token base units, or a run time at the max price ("2h", "1d")',
    )
    .option('--bidding-seconds <duration>', 'how long providers may bid ("60", "5m")', '60');
}

function orderCommands(): Command {
  const order = new Command('order').description('create orders and follow their auctions');

  withOrderOptions(
    order
      .command('create')
      .description('put a workload on the market: approve the deposit, then createOrder'),
  ).action(async (flags: OrderFlags & { file: string }, command: Command) => {
    // Everything about the manifest and the flags is checked before connecting.
    const request = buildOrderRequest(readManifestFile(flags.file), flags);
    await withTenant(command, true, async ({ client }, out) => {
      const created = await client.createOrder(request);
      out.result(
        { ...created, resources: request.resources, gpuModelName: request.gpuModelName },
        renderOrderCreated(created, request, await client.chainTime()),
      );
    });
  });

  order
    .command('show <orderId>')
    .description('the order: status, deadline, max price, best bid')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const orderId = idOf('the order id')(id);
      await withTenant(command, false, async ({ client }, out) => {
        const summary = await client.order(orderId);
        out.result(summary, renderOrder(summary, await client.chainTime()));
      });
    });

  order
    .command('bids <orderId>')
    .description("the order's live bids, lowest price first")
    .action(async (id: string, _flags: unknown, command: Command) => {
      const orderId = idOf('the order id')(id);
      await withTenant(command, false, async (tenant, out) => {
        const bids = await tenant.client.bids(orderId);
        const order = bids.length === 0 ? await tenant.client.order(orderId) : undefined;
        if (order?.status !== 'Open') {
          out.result({ orderId, bids }, renderBids(orderId, bids));
          return;
        }
        // No bid on an open order: ask each provider why, where its gateway can say.
        const terms = await orderTerms(tenant.provider, tenant.marketplace, order);
        const quotes = terms && (await quoteProviders(tenant, terms, gatewayOption(command)));
        out.result(
          { orderId, bids, ...(quotes ? { quotes } : {}) },
          `${renderBids(orderId, bids)}\n${renderNoBidReasons(quotes)}`,
        );
      });
    });

  order
    .command('accept <orderId>')
    .description("accept a provider's bid now (tenant only): the lease starts at its price")
    .requiredOption('--provider <address>', 'the bidder to accept (see `order bids`)')
    .option(
      '--max-price <price>',
      'the most to accept, per second ("700") or per hour/day ("2520000/h"), e.g. the price `order bids` showed (default: the bid as read now)',
    )
    .action(
      async (id: string, flags: { provider: string; maxPrice?: string }, command: Command) => {
        const orderId = idOf('the order id')(id);
        const provider = addressOf(flags.provider);
        const maxPricePerSecond =
          flags.maxPrice === undefined
            ? undefined
            : parsePricePerSecond('--max-price', flags.maxPrice);
        await withTenant(command, true, async ({ client }, out) => {
          const lease = await client.acceptBid(
            orderId,
            provider,
            maxPricePerSecond === undefined ? {} : { maxPricePerSecond },
          );
          out.result(lease, renderLeaseStarted(lease, await client.chainTime()));
        });
      },
    );

  order
    .command('finalize <orderId>')
    .description('after the bidding deadline: lease the order to the lowest bid (anyone may)')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const orderId = idOf('the order id')(id);
      await withTenant(command, true, async ({ client }, out) => {
        const lease = await client.finalize(orderId);
        out.result(lease, renderLeaseStarted(lease, await client.chainTime()));
      });
    });

  order
    .command('cancel <orderId>')
    .description('cancel an open order and get the deposit back')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const orderId = idOf('the order id')(id);
      await withTenant(command, true, async ({ client }, out) => {
        const cancelled = await client.cancelOrder(orderId);
        out.result(cancelled, renderOrderCancelled(cancelled));
      });
    });
  return order;
}

/** --gateway: one gateway to ask instead of the ones registered on chain. */
const gatewayOption = (command: Command) => {
  const { gateway } = command.optsWithGlobals<{ gateway?: string }>();
  return gateway ? { gatewayUrl: gateway } : {};
};

function quoteCommand(): Command {
  return withResourceOptions(
    new Command('quote').description(
      "ask every registered provider's gateway what it would bid on these terms, or why not (nothing is sent to the chain)",
    ),
  )
    .option(
      '--max-price <price>',
      'the most you would pay, per second ("250") or per hour/day ("900000/h"); default: any price',
    )
    .option('--provider <address>', 'ask this registered provider only')
    .option('--timeout <duration>', 'how long each gateway may take to answer', '10s')
    .action(
      async (
        flags: ResourceFlags & {
          file: string;
          maxPrice?: string;
          provider?: string;
          timeout: string;
        },
        command: Command,
      ) => {
        const terms = quoteTerms(readManifestFile(flags.file), flags);
        const only = flags.provider === undefined ? undefined : addressOf(flags.provider);
        const timeoutMs = Number(parseDurationSeconds('--timeout', flags.timeout)) * 1000;
        await withTenant(command, false, async (tenant, out) => {
          const quotes = await quoteProviders(tenant, terms, {
            timeoutMs,
            ...(only ? { only } : {}),
            ...gatewayOption(command),
          });
          out.result({ quotes }, renderQuotes(quotes));
        });
      },
    );
}

function deployCommand(): Command {
  return withRegistryOptions(
    withOrderOptions(
      new Command('deploy').description(
        'order, take the best bid, wait until the workload runs, print its endpoints',
      ),
    ),
  )
    .option('--accept-first', 'take the first bid at once instead of the lowest at the deadline')
    .option('--timeout <duration>', 'how long the workload may take to run once leased', '10m')
    .option(
      '--secret <NAME[=VALUE]>',
      'a secret for the manifest, delivered through the gateway once leased (NAME alone reads $NAME upper-cased, - as _; repeat for more)',
      (pair: string, pairs: string[]) => [...pairs, pair],
      [] as string[],
    )
    .action(
      async (
        flags: OrderFlags &
          RegistryFlags & {
            file: string;
            acceptFirst?: boolean;
            timeout: string;
            secret: string[];
          },
        command: Command,
      ) => {
        const request = buildOrderRequest(readManifestFile(flags.file), flags);
        const secrets = secretsRequest(flags.secret, flags);
        const runTimeoutMs = Number(parseDurationSeconds('--timeout', flags.timeout)) * 1000;
        await withTenant(command, true, async (tenant, out) => {
          const deployed = await deploy(tenant.client, gatewayFor(tenant, command), {
            request,
            acceptFirst: flags.acceptFirst === true,
            runTimeoutMs,
            onProgress: out.progress,
            ...(secrets ? { secrets } : {}),
          });
          out.result(
            { orderId: deployed.order.orderId, ...deployed.lease, workload: deployed.status },
            renderWorkloadStatus(deployed.status),
          );
        });
      },
    );
}

function leaseCommands(): Command {
  const lease = new Command('lease').description('follow, fund and close leases');

  lease
    .command('status <leaseId>')
    .description('provider, price, accrued, remaining escrow, funded-until')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const leaseId = idOf('the lease id')(id);
      await withTenant(command, false, async ({ client }, out) => {
        const summary = await client.lease(leaseId);
        out.result(summary, renderLease(summary));
      });
    });

  lease
    .command('top-up <leaseId>')
    .description("add to the lease's escrow (approving the marketplace first if needed)")
    .requiredOption(
      '--amount <amount>',
      'token base units, or a run time at the lease price ("2h", "1d")',
    )
    .action(async (id: string, flags: { amount: string }, command: Command) => {
      const leaseId = idOf('the lease id')(id);
      await withTenant(command, true, async ({ client }, out) => {
        const { pricePerSecond } = await client.lease(leaseId);
        const amount = parseDeposit('--amount', flags.amount, pricePerSecond);
        const toppedUp = await client.topUp(leaseId, amount);
        out.result(toppedUp, renderToppedUp(toppedUp, await client.chainTime()));
      });
    });

  lease
    .command('close <leaseId>')
    .description('end the lease: the provider is paid what streamed, the rest is refunded')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const leaseId = idOf('the lease id')(id);
      await withTenant(command, true, async ({ client }, out) => {
        const closed = await client.close(leaseId);
        out.result(closed, renderLeaseClosed(closed));
      });
    });
  return lease;
}

function accountCommand(): Command {
  return new Command('account')
    .description('the tenant wallet: address, token balance and allowance, gas, chain')
    .action(async (_flags: unknown, command: Command) => {
      await withTenant(command, true, async ({ client, chainId, rpcUrl }, out) => {
        const account = await client.account();
        out.result({ ...account, chainId, rpcUrl }, renderAccount(account, chainId, rpcUrl));
      });
    });
}

function manifestCommands(): Command {
  const manifest = new Command('manifest').description(
    "a workload manifest's canonical form and hash, as the chain and the operator see it (no chain needed)",
  );
  const digestOf = (flags: { file: string }, command: Command) => ({
    out: output(command.optsWithGlobals<GlobalFlags>().json ?? false),
    digest: manifestDigest(readManifestFile(flags.file)),
  });

  manifest
    .command('hash')
    .description(
      "keccak256 of the canonical manifest: the order's manifest hash on chain, the value of a ComputeLease's spec.manifestHash",
    )
    .requiredOption('-f, --file <path>', 'the workload manifest, or a ComputeLease (YAML or JSON)')
    .action((flags: { file: string }, command: Command) => {
      const { out, digest } = digestOf(flags, command);
      const { manifestHash, bytes, leaseManifestHash } = digest;
      const stale =
        leaseManifestHash !== undefined && leaseManifestHash.toLowerCase() !== manifestHash;
      if (stale) {
        // On stderr in both modes: stdout holds the hash alone, for $(supercloud manifest hash ...).
        process.stderr.write(
          `${flags.file}: spec.manifestHash is ${leaseManifestHash}, not the hash of its spec.manifest: the operator would reject the lease\n`,
        );
      }
      out.result(
        {
          file: flags.file,
          manifestHash,
          bytes,
          ...(leaseManifestHash === undefined ? {} : { leaseManifestHash, matches: !stale }),
        },
        manifestHash,
      );
    });

  manifest
    .command('canonical')
    .description(
      'the canonical manifest (JSON, defaults filled in, keys sorted, no whitespace): the bytes `order create` puts on chain',
    )
    .requiredOption('-f, --file <path>', 'the workload manifest, or a ComputeLease (YAML or JSON)')
    .action((flags: { file: string }, command: Command) => {
      const { out, digest } = digestOf(flags, command);
      out.result({ file: flags.file, ...digest }, digest.canonical);
    });
  return manifest;
}

function program(): Command {
  const cli = new Command('supercloud')
    .description('supercloud tenant CLI: buy GPU time on the marketplace')
    .option('--rpc-url <url>', `chain JSON-RPC URL (${envNames.rpcUrl})`)
    .option('--marketplace <address>', `Marketplace contract (${envNames.marketplace})`)
    .option('--key <hex>', `tenant private key (${envNames.privateKey}); prefer --key-file`)
    .option('--key-file <path>', `file holding the private key (${envNames.privateKeyFile})`)
    .option('--chain-id <id>', `expected chain id (${envNames.chainId})`)
    .option(
      '--config <path>',
      `config file (${envNames.config}, default ~/.config/supercloud/config.yaml)`,
    )
    .option(
      '--stack <path>',
      `a local stack's .stack/stack.json (${envNames.stack}); ./.stack/stack.json is used when there is no config file`,
    )
    .option('--json', 'print one JSON object on stdout (amounts as decimal strings)')
    .option(
      '--gateway <url>',
      "the provider gateway's URL, instead of the one the provider registered on chain",
    )
    .addCommand(quoteCommand())
    .addCommand(deployCommand())
    .addCommand(orderCommands())
    .addCommand(leaseCommands())
    .addCommand(accountCommand())
    .addCommand(manifestCommands());
  for (const command of workloadCommands({
    withTenant: (command, body) => withTenant(command, true, body),
  })) {
    cli.addCommand(command);
  }
  return cli;
}

program()
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    process.stderr.write(`supercloud: ${errorMessage(error)}\n`);
    process.exitCode = 1;
  });
