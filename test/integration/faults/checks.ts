// What the fault suite checks, against the chain as it is now and the cluster read directly (not
// through a cache): convergence (every lease in the phase the chain says) and, at the end, the
// zero-loss figures: leases lost, doubled, orphaned, wrongly closed, and the amounts paid to the
// provider against the chain's events and its token balance.
import type { ComputeLease } from '../../../operator/src/api/computelease.js';
import { sameAddress } from '../../../operator/src/chain/identifiers.js';
import { ComputeLeaseKind } from '../../../operator/src/api/kinds.js';
import {
  DeploymentKind,
  NamespaceKind,
  type KubeClient,
} from '../../../operator/src/kube/index.js';
import { leaseNamespaceName } from '../../../operator/src/workloads/names.js';
import type { TestChain } from '../../harness/test-chain.js';
import { testRunLabel } from '../../harness/test-run-operator.js';
import {
  closesOnChain,
  leasesOnChain,
  leasesWon,
  paymentsOnChain,
  tokenBalance,
  type LeaseOnChain,
} from './chain.js';
import type { ClusterObserver } from './observer.js';

export interface World {
  readonly chain: TestChain;
  readonly client: KubeClient;
  readonly run: string;
  /** The provider wallet's address. */
  readonly provider: string;
  readonly observer: ClusterObserver;
}

/** The chain's leases of the provider and the run's objects in the cluster, read now. */
interface Snapshot {
  readonly onChain: Map<bigint, LeaseOnChain>;
  readonly objects: Map<string, ComputeLease[]>;
  readonly namespaces: Set<string>;
  readonly deployments: Map<string, number>;
}

async function snapshot(world: World): Promise<Snapshot> {
  const { chain, client, run, provider } = world;
  const onChain = await leasesOnChain(chain, await leasesWon(chain, provider));
  const objects = new Map<string, ComputeLease[]>();
  for (const lease of (await client.list(ComputeLeaseKind)).items) {
    if (lease.metadata.labels?.[testRunLabel] !== run) continue;
    objects.set(lease.spec.leaseId, [...(objects.get(lease.spec.leaseId) ?? []), lease]);
  }
  const ours = new Set([...onChain.keys()].map((id) => leaseNamespaceName(id.toString())));
  for (const id of objects.keys()) ours.add(leaseNamespaceName(id));
  const namespaces = new Set(
    (await client.list(NamespaceKind)).items
      .map((ns) => ns.metadata?.name ?? '')
      .filter((name) => ours.has(name)),
  );
  const deployments = new Map<string, number>();
  for (const deployment of (await client.list(DeploymentKind)).items) {
    const namespace = deployment.metadata?.namespace ?? '';
    if (ours.has(namespace)) deployments.set(namespace, (deployments.get(namespace) ?? 0) + 1);
  }
  return { onChain, objects, namespaces, deployments };
}

const settled = (lease: ComputeLease): boolean =>
  lease.status?.observedGeneration === lease.metadata.generation;

/** A lease not (yet) in the phase the chain says. */
export interface Divergence {
  readonly leaseId: string;
  readonly detail: string;
}

export const formatDivergence = ({ leaseId, detail }: Divergence): string =>
  `lease ${leaseId}: ${detail}`;

/**
 * Every lease in the phase the chain says: an active lease Running with exactly one Deployment;
 * a closed one Closed (or never made) with its namespace gone; an object whose lease is not on
 * chain (a reorg took it away) not running and without a namespace. Returns what differs.
 */
export async function divergences(world: World): Promise<Divergence[]> {
  const { onChain, objects, namespaces, deployments } = await snapshot(world);
  const found: Divergence[] = [];
  const add = (leaseId: string, detail: string) => found.push({ leaseId, detail });
  for (const [id, lease] of onChain) {
    const key = id.toString();
    const namespace = leaseNamespaceName(key);
    const [object, ...more] = objects.get(key) ?? [];
    if (more.length > 0) add(key, `${more.length + 1} ComputeLeases`);
    if (lease.active) {
      if (!object) add(key, 'active on chain, no ComputeLease');
      else if (object.status?.phase !== 'Running' || !settled(object)) {
        add(key, `active on chain, ${object.status?.phase ?? 'no phase'}`);
      } else if ((deployments.get(namespace) ?? 0) !== 1) {
        add(key, `${deployments.get(namespace) ?? 0} Deployments`);
      }
    } else {
      if (object && object.status?.phase !== 'Closed') {
        add(key, `closed on chain, ${object.status?.phase ?? 'no phase'}`);
      }
      if (namespaces.has(namespace)) add(key, 'closed on chain, namespace left');
    }
  }
  for (const [key, list] of objects) {
    if (onChain.has(BigInt(key))) continue;
    for (const object of list) {
      if (['Running', 'Deploying'].includes(object.status?.phase ?? '')) {
        add(key, `no lease on chain, ComputeLease ${object.status?.phase}`);
      }
    }
    if (namespaces.has(leaseNamespaceName(key))) add(key, 'no lease on chain, namespace left');
  }
  return found;
}

/**
 * Polls until nothing diverges but the leases in `ignore` (left diverging by an earlier fault:
 * they would otherwise fail every later measurement too); the time it took, or undefined, with
 * what was left.
 */
export async function waitForConvergence(
  world: World,
  timeoutMs: number,
  ignore: ReadonlySet<string> = new Set(),
): Promise<{ ms?: number; left: Divergence[] }> {
  const started = Date.now();
  let left: Divergence[] = [{ leaseId: '(all)', detail: 'not checked yet' }];
  while (Date.now() - started < timeoutMs) {
    left = await divergences(world).catch((error: unknown) => [
      {
        leaseId: '(all)',
        detail: `cannot read: ${error instanceof Error ? error.message : String(error)}`,
      },
    ]);
    if (left.every((d) => ignore.has(d.leaseId))) return { ms: Date.now() - started, left };
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { left };
}

/** One lease id with what was found wrong about it. */
export interface Finding {
  readonly leaseId: string;
  readonly detail: string;
}

export interface ZeroLossFigures {
  readonly leasesWon: number;
  readonly lost: Finding[];
  readonly doubled: Finding[];
  readonly orphaned: Finding[];
  readonly wronglyClosed: Finding[];
  readonly amountMismatches: Finding[];
  /** Paid to the provider per the chain's Withdrawn and LeaseClosed events (net of fees). */
  readonly paidPerEvents: bigint;
  /** The sum of amountWithdrawn on the ComputeLeases. */
  readonly paidPerStatus: bigint;
  /** The provider wallet's token balance (it started at zero). */
  readonly balance: bigint;
  readonly closedByTenant: number;
  readonly closedByProvider: number;
}

/** The amounts only: each lease's reported amount against its events, and the totals. */
async function amounts(world: World, snap: Snapshot) {
  const { chain, provider } = world;
  const paid = await paymentsOnChain(chain, provider);
  const balance = await tokenBalance(chain, provider);
  const mismatches: Finding[] = [];
  let paidPerStatus = 0n;
  const ids = new Set([...snap.onChain.keys()].map(String));
  for (const key of snap.objects.keys()) ids.add(key);
  for (const key of ids) {
    const onChain = paid.get(BigInt(key)) ?? 0n;
    const reported = (snap.objects.get(key) ?? []).reduce(
      (sum, object) => sum + BigInt(object.status?.amountWithdrawn ?? '0'),
      0n,
    );
    paidPerStatus += reported;
    if (reported !== onChain) {
      mismatches.push({ leaseId: key, detail: `status says ${reported}, events ${onChain}` });
    }
  }
  const paidPerEvents = [...paid.values()].reduce((sum, value) => sum + value, 0n);
  if (paidPerEvents !== balance) {
    mismatches.push({
      leaseId: '(all)',
      detail: `events pay ${paidPerEvents}, the provider holds ${balance}`,
    });
  }
  if (paidPerStatus !== balance) {
    mismatches.push({
      leaseId: '(all)',
      detail: `statuses say ${paidPerStatus}, the provider holds ${balance}`,
    });
  }
  return { mismatches, paidPerEvents, paidPerStatus, balance };
}

/** Waits (bounded) for the last settlement reports to match the chain; returns the amounts. */
export async function waitForAmounts(world: World, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const result = await amounts(world, await snapshot(world));
    if (result.mismatches.length === 0 || Date.now() - started > timeoutMs) return result;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** The zero-loss figures, after the final convergence. */
export async function zeroLossFigures(world: World): Promise<ZeroLossFigures> {
  const { chain, provider, observer } = world;
  const snap = await snapshot(world);
  const lost: Finding[] = [];
  const doubled: Finding[] = [];
  const orphaned: Finding[] = [];
  for (const [id] of snap.onChain) {
    const key = id.toString();
    if (!observer.runningSeen.has(key)) {
      const object = snap.objects.get(key)?.[0];
      lost.push({
        leaseId: key,
        detail: object
          ? `never Running (now ${object.status?.phase}: ${object.status?.message ?? ''})`
          : 'never Running, no ComputeLease made',
      });
    }
  }
  const ids = new Set([...snap.onChain.keys()].map(String));
  for (const key of snap.objects.keys()) ids.add(key);
  for (const key of ids) {
    const deployments = observer.maxDeployments.get(key) ?? 0;
    const objects = Math.max(observer.maxObjects.get(key) ?? 0, snap.objects.get(key)?.length ?? 0);
    if (deployments > 1 || objects > 1) {
      doubled.push({
        leaseId: key,
        detail: `${deployments} Deployments and ${objects} ComputeLeases at once, at most`,
      });
    }
    const namespace = leaseNamespaceName(key);
    if (snap.namespaces.has(namespace) && snap.onChain.get(BigInt(key))?.active !== true) {
      orphaned.push({ leaseId: key, detail: `namespace ${namespace} without an active lease` });
    }
  }
  const closes = await closesOnChain(chain, provider);
  const wronglyClosed = closes
    .filter((close) => sameAddress(close.closedBy, provider) && close.refund > 0n)
    .map((close) => ({
      leaseId: close.leaseId.toString(),
      detail: `closed by the provider with ${close.refund} of escrow left (refunded)`,
    }));
  const money = await amounts(world, snap);
  return {
    leasesWon: snap.onChain.size,
    lost,
    doubled,
    orphaned,
    wronglyClosed,
    amountMismatches: money.mismatches,
    paidPerEvents: money.paidPerEvents,
    paidPerStatus: money.paidPerStatus,
    balance: money.balance,
    closedByTenant: closes.filter((c) => !sameAddress(c.closedBy, provider)).length,
    closedByProvider: closes.filter((c) => sameAddress(c.closedBy, provider)).length,
  };
}
