// `supercloud-operator check`: what the chart's `helm test` hooks run, in the operator's own image
// (no other image to pull, no shell in it). `check ready` asks the operator's /readyz through its
// metrics Service; `check provider` reads the Provider's conditions: the operator reaches the
// chain and its signer. Each waits up to --timeout for success (a fresh install needs a moment),
// prints one line saying what it found, and exits 1 when it failed.
import { setTimeout as delay } from 'node:timers/promises';
import { Command } from 'commander';
import { ProviderKind } from '../api/kinds.js';
import { providerConditionTypes } from '../api/provider.js';
import { KubeClient } from '../kube/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { providerProblems, providerSummary } from './provider-problems.js';

interface CheckFlags {
  readonly timeout: string;
  readonly interval: string;
}

interface ProviderFlags extends CheckFlags {
  readonly name: string;
  readonly condition: string[];
  readonly kubeconfig?: string;
  readonly as?: string;
}

interface ReadyFlags extends CheckFlags {
  readonly url: string;
}

/** What one attempt found: nothing wrong (and what it saw), or the problems. */
type Attempt =
  | { readonly ok: true; readonly found: string }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Attempts until one succeeds or `timeoutMs` passed; prints the outcome; exits 1 on failure. */
async function poll(
  what: string,
  flags: CheckFlags,
  attempt: () => Promise<Attempt>,
): Promise<void> {
  const timeoutMs = seconds(flags.timeout, '--timeout') * 1000;
  const intervalMs = seconds(flags.interval, '--interval') * 1000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await attempt().catch((error: unknown): Attempt => ({
      ok: false,
      problems: [describe(error)],
    }));
    if (result.ok) {
      console.log(`ok: ${what}: ${result.found}`);
      return;
    }
    if (Date.now() + intervalMs > deadline) {
      console.error(
        `failed: ${what}, after ${timeoutMs / 1000} s:\n${result.problems.map((p) => `  ${p}`).join('\n')}`,
      );
      process.exitCode = 1;
      return;
    }
    // A timer that keeps the process alive (the runtime's clock lets a process exit under it).
    await delay(intervalMs);
  }
}

/** An error with its cause (fetch's "fetch failed" says why only there: ECONNREFUSED ...). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause ? `${error.message}: ${cause.code ?? cause.message}` : error.message;
}

function seconds(text: string, flag: string): number {
  const value = Number(text.replace(/s$/, ''));
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${flag} ${text} is not a positive number of seconds (e.g. 120 or 120s)`);
  }
  return value;
}

async function checkReady(flags: ReadyFlags): Promise<void> {
  await poll(`the operator at ${flags.url} is ready`, flags, async () => {
    const response = await fetch(flags.url, { signal: AbortSignal.timeout(5_000) });
    const body = (await response.text()).trim();
    return response.status === 200
      ? { ok: true, found: `HTTP 200 ${body}` }
      : { ok: false, problems: [`HTTP ${response.status}`, ...body.split('\n')] };
  });
}

async function checkProvider(flags: ProviderFlags): Promise<void> {
  const kubeConfig = loadKubeConfig(
    flags.kubeconfig
      ? { kubeconfig: flags.kubeconfig }
      : process.env.KUBERNETES_SERVICE_HOST
        ? { inCluster: true }
        : {},
  );
  const client = new KubeClient({
    kubeConfig,
    ...(flags.as ? { impersonate: { user: flags.as } } : {}),
    userAgent: 'supercloud-check',
  });
  const required = flags.condition.length > 0 ? flags.condition : defaultConditions;
  try {
    await poll(`Provider ${flags.name} has ${required.join(', ')}`, flags, async () => {
      const provider = await client.get(ProviderKind, flags.name);
      const problems = providerProblems(provider, flags.name, required);
      return problems.length === 0
        ? { ok: true, found: providerSummary(provider!, required) }
        : { ok: false, problems };
    });
  } finally {
    client.close();
  }
}

/** What `check provider` asks by default: the operator reads the chain and can sign. */
const defaultConditions = [
  providerConditionTypes.ChainConnected,
  providerConditionTypes.WalletReady,
];

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function checkCommand(): Command {
  const command = new Command('check').description(
    "check a release from inside the cluster (the chart's helm test hooks)",
  );
  const common = (sub: Command): Command =>
    sub
      .option('--timeout <seconds>', 'how long to wait for success', '120')
      .option('--interval <seconds>', 'how long between attempts', '2');
  command.addCommand(
    common(
      new Command('ready')
        .description("the operator's /readyz answers 200 (through its metrics Service)")
        .requiredOption(
          '--url <url>',
          'the /readyz URL, e.g. http://supercloud-provider-metrics:8081/readyz',
        ),
    ).action(async (flags: ReadyFlags) => checkReady(flags)),
  );
  command.addCommand(
    common(
      new Command('provider')
        .description(
          'the Provider reports ChainConnected and WalletReady (the operator reaches the chain and its signer)',
        )
        .requiredOption('--name <name>', 'the Provider object')
        .option(
          '--condition <type>',
          'a condition that must be True (repeatable; default ChainConnected and WalletReady)',
          collect,
          [],
        )
        .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster)')
        .option('--as <user>', 'act as this user (impersonation)'),
    ).action(async (flags: ProviderFlags) => checkProvider(flags)),
  );
  return command;
}
