// `supercloud deploy`: the tenant's whole journey in one command. It puts the order on chain,
// shows bids as they arrive, takes the best one (the first with --accept-first, else the lowest
// at the deadline), then waits through the winning provider's gateway until the workload runs and
// answers where it can be reached.
import type { SecretsRequest } from '../gateway/secrets.js';
import type { LeaseStatusAnswer } from '../gateway/status.js';
import { CliUsageError } from './errors.js';
import { GatewayRequestError, type GatewayClient } from './gateway-client.js';
import type { OrderRequest } from './order-request.js';
import type { Bid, LeaseStarted, OrderCreated, TenantClient } from './tenant.js';

export interface DeployOptions {
  readonly request: OrderRequest;
  /** Accept the first bid at once instead of the lowest at the deadline. */
  readonly acceptFirst: boolean;
  /** How long to wait for the workload to run once leased. */
  readonly runTimeoutMs: number;
  /** How often the chain and the gateway are asked. */
  readonly pollMs?: number;
  readonly onProgress?: (line: string) => void;
  /** Secret values and registry credentials to deliver through the gateway once leased. */
  readonly secrets?: SecretsRequest;
}

export interface Deployed {
  readonly order: OrderCreated;
  readonly lease: LeaseStarted;
  readonly status: LeaseStatusAnswer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Gateway refusals that only mean "not there yet": the lease object, its verification. */
const notYet = new Set(['NoSuchLease', 'NotVerified', 'ProviderNotReady']);

/**
 * @example
 * const { lease, status } = await deploy(tenant, gateway, { request, acceptFirst: false, runTimeoutMs: 600_000 });
 */
export async function deploy(
  tenant: TenantClient,
  gateway: GatewayClient,
  options: DeployOptions,
): Promise<Deployed> {
  const progress = options.onProgress ?? (() => {});
  const pollMs = options.pollMs ?? 1_000;
  const order = await tenant.createOrder(options.request);
  progress(
    `order ${order.orderId} is open for bids until ${new Date(Number(order.biddingDeadline) * 1000).toISOString()}`,
  );
  const bid = await chooseBid(tenant, order, options.acceptFirst, pollMs, progress);
  const lease = options.acceptFirst
    ? await tenant.acceptBid(order.orderId, bid.provider, { maxPricePerSecond: bid.pricePerSecond })
    : await tenant.finalize(order.orderId);
  progress(
    `lease ${lease.leaseId} started with ${lease.provider} at ${lease.pricePerSecond} per second`,
  );
  const deadline = Date.now() + options.runTimeoutMs;
  if (options.secrets) {
    const secrets = options.secrets;
    const delivered = await untilKnown(lease, deadline, pollMs, () =>
      gateway.putSecrets(lease.leaseId, secrets),
    );
    progress(
      `secrets delivered: ${[...delivered.names, ...(delivered.registry ? ['registry credentials'] : [])].join(', ')}`,
    );
  }
  const status = await waitUntilRunning(gateway, lease, deadline, pollMs, progress);
  return { order, lease, status };
}

/** Waits for bids, printing each new one; the first, or the lowest once bidding closed. */
async function chooseBid(
  tenant: TenantClient,
  order: OrderCreated,
  acceptFirst: boolean,
  pollMs: number,
  progress: (line: string) => void,
): Promise<Bid> {
  // The chain's clock may run ahead of the wall clock (a local chain): count from its offset.
  const offset = Number(await tenant.chainTime()) - Date.now() / 1000;
  const seen = new Set<string>();
  for (;;) {
    const bids = await tenant.bids(order.orderId);
    for (const bid of bids.filter((b) => !seen.has(`${b.provider}/${b.pricePerSecond}`))) {
      seen.add(`${bid.provider}/${bid.pricePerSecond}`);
      progress(`bid: ${bid.provider} at ${bid.pricePerSecond} per second`);
    }
    const [best] = bids;
    if (best && acceptFirst) return best;
    const now = Math.max(Number(await tenant.chainTime()), Date.now() / 1000 + offset);
    if (now > Number(order.biddingDeadline)) {
      if (best) return best;
      throw new CliUsageError(
        `no provider bid on order ${order.orderId} before its deadline`,
        `see why each provider skipped it with \`supercloud order bids ${order.orderId}\` (or ask first with \`supercloud quote\`); raise --max-price or ask for a GPU model providers sell; \`supercloud order cancel ${order.orderId}\` returns the deposit`,
      );
    }
    await sleep(pollMs);
  }
}

/**
 * Calls the gateway until it knows the lease (its ComputeLease made and verified: "not there
 * yet" refusals are retried); any other refusal, or the deadline, ends the wait.
 */
async function untilKnown<T>(
  lease: LeaseStarted,
  deadline: number,
  pollMs: number,
  call: () => Promise<T>,
): Promise<T> {
  for (;;) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof GatewayRequestError) || !notYet.has(error.code)) throw error;
    }
    if (Date.now() > deadline) throw notRunning(lease, 'unknown');
    await sleep(pollMs);
  }
}

function notRunning(lease: LeaseStarted, phase: string): CliUsageError {
  return new CliUsageError(
    `lease ${lease.leaseId} is not running within --timeout (last phase: ${phase})`,
    `follow it with \`supercloud status ${lease.leaseId}\` and \`supercloud events ${lease.leaseId}\``,
  );
}

/** Asks the gateway until the workload runs; fails on Rejected or Failed, or at the deadline. */
async function waitUntilRunning(
  gateway: GatewayClient,
  lease: LeaseStarted,
  deadline: number,
  pollMs: number,
  progress: (line: string) => void,
): Promise<LeaseStatusAnswer> {
  let phase = '';
  for (;;) {
    const status = await untilKnown(lease, deadline, pollMs, () => gateway.status(lease.leaseId));
    if (status.phase !== phase) {
      phase = status.phase;
      progress(`workload ${phase}${status.message ? `: ${status.message}` : ''}`);
    }
    if (status.phase === 'Running') return status;
    if (status.phase === 'Rejected' || status.phase === 'Failed') {
      throw new CliUsageError(
        `the provider did not start lease ${lease.leaseId}: ${status.message ?? status.phase}`,
        `\`supercloud events ${lease.leaseId}\` shows why; \`supercloud lease close ${lease.leaseId}\` ends the lease`,
      );
    }
    if (Date.now() > deadline) throw notRunning(lease, phase || 'unknown');
    await sleep(pollMs);
  }
}
