// `supercloud shell <leaseId> [--service S] [--replica N] [-i] [-- command...]`: a command in a
// replica of the lease (a shell, `sh`, when none is given), through the provider gateway, with
// `kubectl exec` semantics: a terminal in raw mode when stdin and stdout are terminals, stdin
// passed on with one (or -i), and the remote command's exit code as the CLI's own. With --json
// the command runs without a terminal and its output comes back as one JSON object.
import { Command } from 'commander';
import { parsePositiveInteger } from './amounts.js';
import { CliUsageError } from './errors.js';
import { openShell, type ShellIo } from './shell-session.js';
import type { ConnectedTenant } from './tenant.js';
import { gatewayFor, type WorkloadCommandContext } from './workload-commands.js';

interface ShellFlags {
  readonly service?: string;
  readonly replica: string;
  readonly stdin?: boolean;
  /** False with --no-tty. */
  readonly tty: boolean;
}

/** What `--json` prints: the command's output as UTF-8 text and how it ended. */
export interface ShellJsonResult {
  readonly leaseId: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly message?: string;
}

/** The program run when the command line names none: a shell, as `kubectl exec -it ... -- sh`. */
const defaultCommand = ['sh'];

function replicaOf(text: string): number {
  if (!/^[0-9]{1,6}$/.test(text)) {
    throw new CliUsageError(`--replica "${text}" is not a replica number (0, 1, ...)`);
  }
  return Number(text);
}

/** The local terminal as the session needs it: raw keys, its size and its resizes. */
function rawTerminal(): { io: Pick<ShellIo, 'terminal'>; restore(): void } {
  const { stdin, stdout } = process;
  stdin.setRawMode(true);
  return {
    io: {
      terminal: {
        size: () => ({ width: stdout.columns, height: stdout.rows }),
        onResize: (listener) => {
          stdout.on('resize', listener);
          return () => void stdout.off('resize', listener);
        },
      },
    },
    restore: () => void stdin.setRawMode(false),
  };
}

async function runShell(
  tenant: ConnectedTenant,
  command: Command,
  target: { leaseId: bigint; service?: string; replica: number; command: string[] },
  mode: { json: boolean; tty: boolean; stdin: boolean },
  result: (value: unknown, text: string) => void,
): Promise<void> {
  const gateway = gatewayFor(tenant, command);
  const { url, provider } = await gateway.gatewayOf(target.leaseId);
  const output = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const terminal = mode.tty ? rawTerminal() : undefined;
  const takesStdin = mode.tty || mode.stdin;
  try {
    const exit = await openShell(
      {
        gatewayUrl: url,
        provider,
        signer: tenant.signer!, // gatewayFor refused a tenant without a key
        chain: { chainId: tenant.chainId, marketplace: tenant.marketplace },
        ...target,
        tty: mode.tty,
        stdin: takesStdin,
      },
      {
        ...(takesStdin ? { stdin: process.stdin } : {}),
        ...terminal?.io,
        stdout: (chunk) => (mode.json ? output.stdout.push(chunk) : process.stdout.write(chunk)),
        stderr: (chunk) => (mode.json ? output.stderr.push(chunk) : process.stderr.write(chunk)),
      },
    );
    if (mode.json) {
      const answer: ShellJsonResult = {
        leaseId: target.leaseId.toString(),
        stdout: Buffer.concat(output.stdout).toString('utf8'),
        stderr: Buffer.concat(output.stderr).toString('utf8'),
        exitCode: exit.exitCode,
        ...(exit.message ? { message: exit.message } : {}),
      };
      result(answer, '');
    } else if (exit.message) {
      process.stderr.write(`supercloud: ${exit.message}\n`);
    }
    process.exitCode = exit.exitCode;
  } finally {
    terminal?.restore();
    // Stop reading stdin, or the process would wait on it after the command ended.
    if (takesStdin) process.stdin.pause();
  }
}

export function shellCommand(context: WorkloadCommandContext): Command {
  return new Command('shell')
    .description(
      "run a command in a replica (a shell when none is given), as kubectl exec, through the provider gateway; the exit code is the command's (the provider must offer shells)",
    )
    .argument('<leaseId>')
    .argument(
      '[command...]',
      `the program and its arguments, after -- (default: ${defaultCommand.join(' ')})`,
    )
    .option('--service <name>', 'the manifest service (needed when there are several)')
    .option('--replica <n>', 'which replica, from 0', '0')
    .option('-i, --stdin', 'pass stdin to the command (always, with a terminal)')
    .option('--no-tty', 'no terminal, even when stdin and stdout are terminals')
    .action(async (id: string, args: string[], flags: ShellFlags, command: Command) => {
      const leaseId = parsePositiveInteger('the lease id', id);
      const replica = replicaOf(flags.replica);
      await context.withTenant(command, async (tenant, out) => {
        const tty =
          !out.json && flags.tty && process.stdin.isTTY === true && process.stdout.isTTY === true;
        await runShell(
          tenant,
          command,
          {
            leaseId,
            ...(flags.service !== undefined ? { service: flags.service } : {}),
            replica,
            command: args.length > 0 ? args : defaultCommand,
          },
          { json: out.json, tty, stdin: flags.stdin === true },
          out.result,
        );
      });
    });
}
