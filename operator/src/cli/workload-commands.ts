// `supercloud status|logs|events|secrets|shell <leaseId>`: the running workload, through the provider
// gateway of the provider that won the lease (found in the ProviderRegistry, or --gateway).
import { Command } from 'commander';
import type { LeaseEvent } from '../gateway/events.js';
import type { SecretsAnswer } from '../gateway/secrets.js';
import type { LeaseStatusAnswer } from '../gateway/status.js';
import { parsePositiveInteger } from './amounts.js';
import { CliUsageError } from './errors.js';
import { GatewayClient } from './gateway-client.js';
import { secretsRequest, withRegistryOptions, type RegistryFlags } from './secret-flags.js';
import { shellCommand } from './shell.js';
import type { ConnectedTenant } from './tenant.js';

/** How the workload commands reach a connected tenant and print (provided by main.ts). */
export interface WorkloadCommandContext {
  withTenant(
    command: Command,
    body: (
      tenant: ConnectedTenant,
      out: { json: boolean; result(value: unknown, text: string): void },
    ) => Promise<void>,
  ): Promise<void>;
}

/** The gateway client of the connected tenant (its key signs), honouring --gateway. */
export function gatewayFor(tenant: ConnectedTenant, command: Command): GatewayClient {
  if (!tenant.signer) {
    throw new CliUsageError(
      'the gateway answers only the lease tenant: its requests are signed with the tenant key',
      'pass --key-file, set SUPERCLOUD_PRIVATE_KEY, or put privateKeyFile in the config file',
    );
  }
  const { gateway } = command.optsWithGlobals<{ gateway?: string }>();
  return new GatewayClient({
    provider: tenant.provider,
    marketplace: tenant.marketplace,
    chainId: tenant.chainId,
    signer: tenant.signer,
    ...(gateway ? { gatewayUrl: gateway } : {}),
  });
}

const leaseIdOf = (text: string): bigint => parsePositiveInteger('the lease id', text);

/** The workload status, one line per service and endpoint. */
export function renderWorkloadStatus(status: LeaseStatusAnswer): string {
  const lines = [
    `lease ${status.leaseId}: ${status.phase}${status.message ? ` (${status.message})` : ''}`,
  ];
  for (const service of status.services) {
    lines.push(`  ${service.name}: ${service.readyReplicas}/${service.replicas} ready`);
  }
  for (const endpoint of status.endpoints) {
    const where = (endpoint as { url?: string }).url ?? `${endpoint.host}:${endpoint.port}`;
    lines.push(`  ${endpoint.service} ${endpoint.protocol}/${endpoint.port} → ${where}`);
  }
  if (status.escrow.escrowBalance) {
    lines.push(
      `  escrow ${status.escrow.escrowBalance}, funded until ${status.escrow.fundedUntil ?? '?'}`,
    );
  }
  return lines.join('\n');
}

function renderEvent(event: LeaseEvent): string {
  return `${event.time}  ${event.type.padEnd(7)} ${event.reason.padEnd(22)} ${event.object}: ${event.note}`;
}

function renderSecrets(answer: SecretsAnswer): string {
  const names = answer.names.length > 0 ? answer.names.join(', ') : 'none';
  return `secrets delivered: ${names}; registry credentials: ${answer.registry ? 'yes' : 'no'}`;
}

export function workloadCommands(context: WorkloadCommandContext): Command[] {
  const status = new Command('status')
    .description(
      "the workload: phase, each service's replicas, endpoints, escrow (from the provider gateway)",
    )
    .argument('<leaseId>')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await context.withTenant(command, async (tenant, out) => {
        const answer = await gatewayFor(tenant, command).status(leaseIdOf(id));
        out.result(answer, renderWorkloadStatus(answer));
      });
    });

  const logs = new Command('logs')
    .description("a replica's log (from the provider gateway)")
    .argument('<leaseId>')
    .option('--service <name>', 'the manifest service (needed when there are several)')
    .option('--replica <n>', 'which replica, from 0', '0')
    .option('--tail <n>', 'the last n lines only')
    .option('--since <duration>', 'lines of the last 30s, 5m, 2h')
    .option('-f, --follow', 'keep printing new lines until the lease closes (Ctrl-C ends)')
    .option('--previous', 'the log of the previous container (after a restart)')
    .action(
      async (id: string, flags: Record<string, string | boolean | undefined>, command: Command) => {
        await context.withTenant(command, async (tenant) => {
          const abort = new AbortController();
          process.once('SIGINT', () => abort.abort());
          await gatewayFor(tenant, command).logs(
            leaseIdOf(id),
            {
              ...(typeof flags.service === 'string' ? { service: flags.service } : {}),
              replica: Number(flags.replica ?? 0),
              ...(typeof flags.tail === 'string' ? { tail: Number(flags.tail) } : {}),
              ...(typeof flags.since === 'string' ? { since: flags.since } : {}),
              follow: flags.follow === true,
              previous: flags.previous === true,
            },
            (text) => process.stdout.write(text),
            abort.signal,
          );
        });
      },
    );

  const events = new Command('events')
    .description('the Kubernetes Events of the workload (from the provider gateway)')
    .argument('<leaseId>')
    .option('-f, --follow', 'keep printing new Events until the lease closes (Ctrl-C ends)')
    .action(async (id: string, flags: { follow?: boolean }, command: Command) => {
      await context.withTenant(command, async (tenant, out) => {
        const gateway = gatewayFor(tenant, command);
        if (flags.follow) {
          const abort = new AbortController();
          process.once('SIGINT', () => abort.abort());
          await gateway.followEvents(
            leaseIdOf(id),
            (event) =>
              process.stdout.write(`${out.json ? JSON.stringify(event) : renderEvent(event)}\n`),
            abort.signal,
          );
          return;
        }
        const list = await gateway.events(leaseIdOf(id));
        out.result({ events: list }, list.map(renderEvent).join('\n') || 'no Events');
      });
    });

  const secrets = new Command('secrets').description(
    'secret values and registry credentials for a lease: delivered to the provider only, never on chain',
  );
  withRegistryOptions(
    secrets
      .command('set <leaseId> [pairs...]')
      .description(
        'deliver NAME=VALUE pairs (or NAME, read from the environment) and/or registry credentials',
      ),
  ).action(async (id: string, pairs: string[], flags: RegistryFlags, command: Command) => {
    const request = secretsRequest(pairs, flags);
    if (!request) {
      throw new CliUsageError(
        'give NAME=VALUE pairs, NAME (read from $NAME in upper case, - and . as _), or --registry',
      );
    }
    await context.withTenant(command, async (tenant, out) => {
      const answer = await gatewayFor(tenant, command).putSecrets(leaseIdOf(id), request);
      out.result(answer, renderSecrets(answer));
    });
  });
  secrets
    .command('list <leaseId>')
    .description('the names of the secrets delivered (never their values)')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await context.withTenant(command, async (tenant, out) => {
        const answer = await gatewayFor(tenant, command).listSecrets(leaseIdOf(id));
        out.result(answer, renderSecrets(answer));
      });
    });
  return [status, logs, events, secrets, shellCommand(context)];
}
