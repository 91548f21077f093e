// The operator's run options: command-line flags (as commander hands them over) checked and
// turned into what the manager and controllers take. Pure, so every refusal is unit-tested.
import { defaultIngressNamespace } from '../api/provider.js';
import type { Impersonation } from '../kube/client.js';
import type { KubeConfigSource } from '../kube/kubeconfig.js';
import { parseLogLevel, type LogLevel } from '../logging/logger.js';
import { parseListenAddress } from '../metrics/server.js';
import type { IngressSettings } from '../workloads/ingress.js';
import { parseLabelSelector, type LabelSelector } from './label-selector.js';

/** `supercloud-operator run` flags, as strings and booleans straight from the command line. */
export interface RunFlags {
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly as?: string;
  readonly asGroup?: readonly string[];
  readonly leaderElect?: boolean;
  readonly leaderElectionNamespace?: string;
  readonly leaderElectionId?: string;
  readonly healthAddress?: string;
  readonly logLevel?: string;
  readonly ingressNamespace?: string;
  readonly ingressDomain?: string;
  readonly ingressClass?: string;
  readonly ingressClusterIssuer?: string;
  readonly leaseSelector?: string;
  readonly leaseWorkers?: string;
  readonly gracefulShutdownSeconds?: string;
  readonly chainPollMs?: string;
  readonly chainSweepMs?: string;
  readonly settlementIntervalMs?: string;
  readonly leaseVerification?: string;
}

/** Everything the operator runs with. */
export interface OperatorOptions {
  readonly kubeConfig: KubeConfigSource;
  readonly impersonate?: Impersonation;
  readonly leaderElection: false | { readonly name: string; readonly namespace: string };
  readonly healthAddress: string;
  readonly logLevel: LogLevel;
  /** Ingress namespace of lease NetworkPolicies when no Provider object sets one. */
  readonly ingressNamespace: string;
  /** How leases' HTTP ports are published (an Ingress per lease); absent: no Ingress. */
  readonly ingress?: IngressSettings;
  /** Only ComputeLeases and Providers with matching labels are reconciled (sharding, tests). */
  readonly leaseSelector?: LabelSelector;
  /** Concurrent ComputeLease reconciles. */
  readonly leaseWorkers: number;
  readonly gracefulShutdownMs: number;
  /** How often the chain follower polls the head. */
  readonly chainPollMs: number;
  /** How often finished auctions are checked and leases resynced with the chain. */
  readonly chainSweepMs: number;
  /** How often the settlement reads the leases (withdrawals follow the Provider's schedule). */
  readonly settlementIntervalMs: number;
  /** `chain`: a ComputeLease runs only if the chain agrees; `cluster`: cluster rules only. */
  readonly leaseVerification: 'chain' | 'cluster';
}

/** Defaults of the flags, shown in `--help`. */
export const runDefaults = {
  leaderElectionNamespace: 'supercloud-system',
  leaderElectionId: 'supercloud-operator',
  healthAddress: '127.0.0.1:8081',
  logLevel: 'info',
  ingressNamespace: defaultIngressNamespace,
  leaseWorkers: '32',
  gracefulShutdownSeconds: '30',
  chainPollMs: '2000',
  chainSweepMs: '15000',
  settlementIntervalMs: '30000',
  leaseVerification: 'chain',
} as const;

/** A flag with a value the operator cannot run with. */
export class OptionsError extends Error {
  override readonly name = 'OptionsError';
  constructor(
    readonly flag: string,
    problem: string,
  ) {
    super(`--${flag}: ${problem}`);
  }
}

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Longest ingress domain: a host's first label (63) and its dot must fit in 253 characters. */
const maxIngressDomainLength = 253 - 64;

function checked<T>(flag: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new OptionsError(flag, error instanceof Error ? error.message : String(error));
  }
}

function namespaceFlag(flag: string, value: string): string {
  if (value.length > 63 || !dnsLabel.test(value)) {
    throw new OptionsError(flag, `"${value}" is not a namespace name (a DNS label)`);
  }
  return value;
}

function subdomainFlag(flag: string, value: string, maxLength: number): string {
  if (value.length > maxLength || !dnsSubdomain.test(value)) {
    throw new OptionsError(
      flag,
      `"${value}" is not a DNS name of at most ${maxLength} characters (lower-case labels joined by dots)`,
    );
  }
  return value;
}

/** `--ingress-domain` and what goes with it; class and issuer need a domain. */
function ingressSettings(flags: RunFlags): IngressSettings | undefined {
  const { ingressDomain, ingressClass, ingressClusterIssuer } = flags;
  if (ingressDomain === undefined) {
    if (ingressClass !== undefined) {
      throw new OptionsError('ingress-class', 'needs --ingress-domain');
    }
    if (ingressClusterIssuer !== undefined) {
      throw new OptionsError('ingress-cluster-issuer', 'needs --ingress-domain');
    }
    return undefined;
  }
  return {
    domain: subdomainFlag('ingress-domain', ingressDomain, maxIngressDomainLength),
    ...(ingressClass !== undefined
      ? { className: subdomainFlag('ingress-class', ingressClass, 253) }
      : {}),
    ...(ingressClusterIssuer !== undefined
      ? { clusterIssuer: subdomainFlag('ingress-cluster-issuer', ingressClusterIssuer, 253) }
      : {}),
  };
}

function positiveInteger(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > max) {
    throw new OptionsError(flag, `"${value}" is not a whole number from 1 to ${max}`);
  }
  return n;
}

/**
 * Checks the flags. Credentials: `--kubeconfig` (and `--context`), else the pod's service
 * account when running in a pod, else what kubectl would use ($KUBECONFIG, ~/.kube/config).
 *
 * @param env the process environment (only KUBERNETES_SERVICE_HOST is read).
 * @throws OptionsError naming the flag.
 */
export function parseRunFlags(
  flags: RunFlags,
  env: Readonly<Record<string, string | undefined>> = {},
): OperatorOptions {
  if (flags.context && !flags.kubeconfig && env.KUBERNETES_SERVICE_HOST) {
    throw new OptionsError('context', 'only applies with --kubeconfig');
  }
  const kubeConfig: KubeConfigSource = flags.kubeconfig
    ? { kubeconfig: flags.kubeconfig, ...(flags.context ? { context: flags.context } : {}) }
    : env.KUBERNETES_SERVICE_HOST
      ? { inCluster: true }
      : flags.context
        ? { context: flags.context }
        : {};
  const groups = flags.asGroup ?? [];
  if (groups.length > 0 && !flags.as) {
    throw new OptionsError('as-group', 'needs --as (the user to act as)');
  }
  const healthAddress = flags.healthAddress ?? runDefaults.healthAddress;
  checked('health-address', () => parseListenAddress(healthAddress));
  const ingress = ingressSettings(flags);
  const leaseSelector =
    flags.leaseSelector === undefined
      ? undefined
      : checked('lease-selector', () => parseLabelSelector(flags.leaseSelector ?? ''));
  return {
    kubeConfig,
    ...(flags.as ? { impersonate: { user: flags.as, groups: [...groups] } } : {}),
    leaderElection: flags.leaderElect
      ? {
          name: flags.leaderElectionId ?? runDefaults.leaderElectionId,
          namespace: namespaceFlag(
            'leader-election-namespace',
            flags.leaderElectionNamespace ?? runDefaults.leaderElectionNamespace,
          ),
        }
      : false,
    healthAddress,
    logLevel: checked('log-level', () => parseLogLevel(flags.logLevel ?? runDefaults.logLevel)),
    ingressNamespace: namespaceFlag(
      'ingress-namespace',
      flags.ingressNamespace ?? runDefaults.ingressNamespace,
    ),
    ...(ingress ? { ingress } : {}),
    ...(leaseSelector ? { leaseSelector } : {}),
    leaseWorkers: positiveInteger(
      'lease-workers',
      flags.leaseWorkers ?? runDefaults.leaseWorkers,
      64,
    ),
    gracefulShutdownMs:
      positiveInteger(
        'graceful-shutdown-seconds',
        flags.gracefulShutdownSeconds ?? runDefaults.gracefulShutdownSeconds,
        3600,
      ) * 1000,
    chainPollMs: positiveInteger(
      'chain-poll-ms',
      flags.chainPollMs ?? runDefaults.chainPollMs,
      600_000,
    ),
    chainSweepMs: positiveInteger(
      'chain-sweep-ms',
      flags.chainSweepMs ?? runDefaults.chainSweepMs,
      3_600_000,
    ),
    settlementIntervalMs: positiveInteger(
      'settlement-interval-ms',
      flags.settlementIntervalMs ?? runDefaults.settlementIntervalMs,
      3_600_000,
    ),
    leaseVerification: leaseVerification(flags.leaseVerification ?? runDefaults.leaseVerification),
  };
}

function leaseVerification(value: string): 'chain' | 'cluster' {
  if (value === 'chain' || value === 'cluster') return value;
  throw new OptionsError(
    'lease-verification',
    `is "${value}"; use chain (the lease must be active on chain and ours) or cluster (cluster rules only, for a cluster without a chain)`,
  );
}
