// Tenant shells through the provider gateway against the real API server: the gateway, run as its
// own ServiceAccount (examples/gateway-rbac.yaml, by impersonation), execs into the lease's
// replica (a pod on a KWOK node, whose exec the stack's ClusterExec runs) for the CLI's shell
// session (operator/src/cli/shell-session.ts). A command returns its output and exit code, a
// terminal carries keys in and output out; a shell is refused while the Provider has shells
// off, and for another tenant's, an expired or a replayed signature (on this gateway or another
// replica), a replica or service that does not exist, no command, and a closed lease; an open
// shell ends when the provider turns shells off and when the lease closes. Nothing typed or
// printed reaches the gateway's log.
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Wallet } from 'ethers';
import WebSocket from 'ws';
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { ComputeLeaseKind, ProviderKind } from '../../../operator/src/api/kinds.js';
import { signGatewayRequest } from '../../../operator/src/gateway/request-signature.js';
import { shellCloseCodes, shellSubprotocol } from '../../../operator/src/gateway/shell-protocol.js';
import type { GatewayRequestError } from '../../../operator/src/cli/gateway-client.js';
import { openShell, shellPath, type ShellTarget } from '../../../operator/src/cli/shell-session.js';
import type { KubeClient } from '../../../operator/src/kube/index.js';
import {
  adminClient,
  createLease,
  deleteLeases,
  example,
  installCrdsAndRbac,
  kubectl,
  phaseIs,
  runId,
  slow,
  testLease,
  waitForLease,
} from '../../harness/cluster-fixtures.js';
import { waitFor } from '../../harness/stack.js';
import {
  createGatewayProvider,
  startTestGateway,
  testGatewayChain,
  type TestGateway,
} from '../../harness/test-gateway.js';
import { startOperator, type OperatorProcess } from '../../harness/test-run-operator.js';
import { repoRoot } from '../../stack/paths.js';
import { shellRefusal } from './shell-refusal.js';

const run = runId();
const leaseName = `shell-${run}`;
const providerName = `shell-${run}`;
const chain = testGatewayChain;
/** Printed by the commands the tests run: it must never show in the gateway's log. */
const marker = `typed-${run}`;

const tenant = new Wallet(Wallet.createRandom().privateKey);
const otherTenant = new Wallet(Wallet.createRandom().privateKey);
const providerWallet = Wallet.createRandom();

/** What a session printed and how it ended. */
interface Ran {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number;
  readonly message?: string;
}

describe('tenant shells through the provider gateway', () => {
  let client: KubeClient;
  let operator: OperatorProcess;
  let gateway: TestGateway;
  let lease: ComputeLease;

  const target = (overrides: Partial<ShellTarget> = {}): ShellTarget => ({
    leaseId: BigInt(lease.spec.leaseId),
    command: ['sh'],
    ...overrides,
  });
  const session = (overrides: Partial<ShellTarget>, signer = tenant) => ({
    gatewayUrl: gateway.url,
    provider: providerWallet.address,
    signer,
    chain,
    ...target(overrides),
  });

  /** Runs a command to its end without stdin. */
  async function runCommand(command: string[]): Promise<Ran> {
    const out = { stdout: '', stderr: '' };
    const exit = await openShell(session({ command }), {
      stdout: (chunk) => (out.stdout += chunk.toString()),
      stderr: (chunk) => (out.stderr += chunk.toString()),
    });
    return { ...out, ...exit };
  }

  /** Runs a command once the gateway sees shells on (its informer follows the Provider). */
  async function runOnceOffered(command: string[]): Promise<Ran> {
    let ran: Ran | undefined;
    await waitFor(
      'the gateway to offer shells',
      async () => {
        ran = await runCommand(command).catch((error: unknown) => {
          if ((error as GatewayRequestError).code === 'ShellDisabled') return undefined;
          throw error;
        });
        return ran !== undefined;
      },
      20_000,
      100,
    );
    return ran!;
  }

  /** The refusal of a shell the CLI's session asks for: its code. */
  async function refused(overrides: Partial<ShellTarget>, signer = tenant): Promise<string> {
    const error = await openShell(session(overrides, signer), {
      stdout: () => undefined,
      stderr: () => undefined,
    }).then(
      () => undefined,
      (rejection: unknown) => rejection as GatewayRequestError,
    );
    if (!error) throw new Error('the shell was opened');
    return `${error.status} ${error.code}`;
  }

  /** An interactive shell (a terminal) left open; resolves how it ended. */
  function openTerminal(): { typed: PassThrough; output: () => string; ended: Promise<unknown> } {
    const typed = new PassThrough();
    let output = '';
    const ended = openShell(session({ command: ['sh'], tty: true }), {
      stdin: typed,
      stdout: (chunk) => (output += chunk.toString()),
      stderr: (chunk) => (output += chunk.toString()),
      terminal: { size: () => ({ width: 100, height: 30 }), onResize: () => () => undefined },
    }).then(
      (exit) => exit,
      (error: unknown) => error,
    );
    return { typed, output: () => output, ended };
  }

  /** Types into a terminal until the shell answers (its first keys may precede the shell). */
  async function answers(terminal: ReturnType<typeof openTerminal>, seen: string): Promise<void> {
    terminal.typed.write(`echo ${seen}\n`);
    await waitFor(
      `the shell to print ${seen}`,
      async () => terminal.output().includes(seen),
      20_000,
      50,
    );
  }

  async function setShells(enabled: boolean): Promise<void> {
    await client.patch(ProviderKind, providerName, 'merge', {
      spec: { gateway: { shell: { enabled } } },
    });
  }

  beforeAll(async () => {
    client = adminClient();
    installCrdsAndRbac();
    kubectl(['apply', '--server-side', '-f', join(repoRoot, 'examples/gpunodepool-h100.yaml')]);
    // Shells off: what a Provider without spec.gateway gets.
    await createGatewayProvider(client, providerName, providerWallet.address);
    operator = startOperator({ run });
    await operator.ready();
    lease = await createLease(
      client,
      testLease(example<ComputeLease>('computelease-h100.yaml'), run, leaseName, {
        tenant: tenant.address,
        provider: providerWallet.address,
      }),
    );
    gateway = await startTestGateway();
    await waitForLease(client, leaseName, 'Running', phaseIs('Running'), 90_000);
  }, slow);

  afterAll(async () => {
    await gateway?.stop();
    await deleteLeases(client, [leaseName]);
    await client.delete(ProviderKind, providerName);
    const code = await operator.stop();
    client.close();
    expect(code).toBe(0);
  }, slow);

  it(
    'refuses a shell while the Provider has shells off (the default)',
    async () => {
      const provider = await client.get(ProviderKind, providerName);
      expect(provider?.spec.gateway).toEqual({ shell: { enabled: false } });
      expect(await refused({ command: ['true'] })).toBe('403 ShellDisabled');
    },
    slow,
  );

  it(
    'runs a command in the replica once shells are on: its stdout, stderr and exit code',
    async () => {
      await setShells(true);
      const first = await runOnceOffered(['echo', marker]);
      expect(first).toEqual({ stdout: `${marker}\n`, stderr: '', exitCode: 0 });

      const failed = await runCommand([
        'sh',
        '-c',
        `echo out-${marker}; echo err-${marker} >&2; exit 3`,
      ]);
      expect(failed).toEqual({ stdout: `out-${marker}\n`, stderr: `err-${marker}\n`, exitCode: 3 });

      // A program that cannot start: exit 1 and the reason, as kubectl exec.
      const missing = await runCommand([`no-such-program-${run}`]);
      expect(missing.exitCode).toBe(1);
      expect(missing.message).toContain('executable file not found');
    },
    slow,
  );

  it(
    'carries stdin to the command (-i) and keys into a terminal, and the exit code back',
    async () => {
      const typed = new PassThrough();
      let stdout = '';
      const piped = openShell(session({ command: ['head', '-n', '1'], stdin: true }), {
        stdin: typed,
        stdout: (chunk) => (stdout += chunk.toString()),
        stderr: () => undefined,
      });
      typed.end(`piped-${marker}\n`);
      expect(await piped).toEqual({ exitCode: 0 });
      expect(stdout).toBe(`piped-${marker}\n`);

      const terminal = openTerminal();
      await answers(terminal, `answer-${marker}`);
      terminal.typed.write('exit 5\n');
      expect(await terminal.ended).toEqual({ exitCode: 5 });
    },
    slow,
  );

  it(
    "refuses another tenant's, an expired and a replayed signature, and a bad request, each with its reason",
    async () => {
      expect(await refused({ command: ['true'] }, otherTenant)).toBe('403 NotTheTenant');
      expect(await refused({ command: [] })).toBe('400 CommandRequired');
      expect(await refused({ replica: 1, command: ['true'] })).toBe('400 BadQuery');
      expect(await refused({ service: 'nope', command: ['true'] })).toBe('404 NoSuchService');

      const leaseId = BigInt(lease.spec.leaseId);
      const path = shellPath(target({ command: ['true'] }));
      const signed = (now?: number) =>
        signGatewayRequest(tenant, chain, { method: 'GET', path, leaseId }, now ? { now } : {});
      const stale = await signed(Math.floor(Date.now() / 1000) - 600);
      expect(await shellRefusal(gateway.url, path, stale)).toEqual({
        status: 401,
        code: 'Expired',
      });

      const headers = await signed();
      const once = await new Promise<WebSocket>((resolve, reject) => {
        const socket = new WebSocket(new URL(path, gateway.url), [shellSubprotocol], { headers });
        socket.once('open', () => resolve(socket)).once('error', reject);
      });
      once.close();
      expect(await shellRefusal(gateway.url, path, headers)).toEqual({
        status: 401,
        code: 'Replayed',
      });
      // Another replica refuses it too: the nonce is recorded in the lease namespace.
      const replica = await startTestGateway();
      try {
        expect(await shellRefusal(replica.url, path, headers)).toEqual({
          status: 401,
          code: 'Replayed',
        });
      } finally {
        await replica.stop();
      }

      // The same route without the upgrade.
      const plain = await fetch(`${gateway.url}${path}`, { headers: await signed() });
      expect(plain.status).toBe(426);
    },
    slow,
  );

  it(
    'ends an open shell when the provider turns shells off',
    async () => {
      const terminal = openTerminal();
      await answers(terminal, `before-off-${marker}`);
      await setShells(false);
      const error = (await terminal.ended) as GatewayRequestError;
      expect({ code: error.code, status: error.status }).toEqual({
        code: 'shellDisabled',
        status: shellCloseCodes.shellDisabled,
      });
      await setShells(true);
      expect(await runOnceOffered(['true'])).toEqual({ stdout: '', stderr: '', exitCode: 0 });
    },
    slow,
  );

  it(
    'ends an open shell when the lease closes, then refuses the closed lease',
    async () => {
      const terminal = openTerminal();
      await answers(terminal, `before-close-${marker}`);
      await client.patch(ComputeLeaseKind, leaseName, 'merge', {
        spec: { closeRequested: { reason: 'ClosedByTenant' } },
      });
      const error = (await terminal.ended) as GatewayRequestError;
      expect({ code: error.code, status: error.status }).toEqual({
        code: 'leaseClosed',
        status: shellCloseCodes.leaseClosed,
      });
      expect(await refused({ command: ['true'] })).toBe('410 LeaseClosed');

      // Nothing typed or printed was logged; the shells were.
      const logged = gateway.logged.join('\n');
      expect(logged).not.toContain(marker);
      expect(logged).toContain('"route":"shell"');
      expect(logged).toContain('shell ended');
    },
    slow,
  );
});
