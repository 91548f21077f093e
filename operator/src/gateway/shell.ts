// GET /v1/leases/{id}/shell?service=&replica=&command=...&tty=&stdin= (a WebSocket upgrade): a
// tenant's `kubectl exec` into a replica of its lease, through the API server (pods/exec), when
// the provider enables shells (Provider spec.gateway.shell.enabled). Every refusal is an HTTP
// answer before the upgrade: the exec is opened first, and the tenant's socket upgraded only once
// the API server has. Then the streams are relayed as they are (shell-protocol.ts) until the
// command ends, the tenant leaves, the lease closes or the provider turns shells off. Nothing the
// tenant types or receives, not even the command, is logged.
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import type { ComputeLease } from '../api/computelease.js';
import type { Provider } from '../api/provider.js';
import { objectPath, type KubeClient } from '../kube/client.js';
import { KubeApiError } from '../kube/errors.js';
import { PodKind } from '../kube/objects.js';
import type { Logger } from '../logging/logger.js';
import { leaseNamespaceName } from '../workloads/names.js';
import { errorBody, GatewayError } from './errors.js';
import { requireOpen, requireVerified } from './lease-directory.js';
import { flag, parseReplicaRef, replicaPod, type ReplicaRef } from './logs.js';
import {
  exitFromStatus,
  kubeResizeFrame,
  messageBytes,
  parseResize,
  parseShellCommand,
  parseShellFrame,
  shellChannels,
  shellCloseCodes,
  shellFrame,
  shellSubprotocol,
  type ShellExit,
} from './shell-protocol.js';

/** What a shell request asks for. */
export interface ShellRequest extends ReplicaRef {
  readonly command: readonly string[];
  /** A terminal: stderr merged into stdout, resizes honoured. */
  readonly tty: boolean;
  /** Whether the tenant's stdin reaches the command (a TTY implies it). */
  readonly stdin: boolean;
}

/** Reads and checks the query of a shell request against the lease's manifest. */
export function parseShellRequest(params: URLSearchParams, lease: ComputeLease): ShellRequest {
  const replica = parseReplicaRef(params, lease);
  const command = parseShellCommand(params);
  const tty = flag(params, 'tty');
  return { ...replica, command, tty, stdin: tty || flag(params, 'stdin') };
}

/** Whether the lease's Provider offers shells (off unless it says so). */
export function shellsEnabled(provider: Provider | undefined): boolean {
  return provider?.spec.gateway?.shell?.enabled === true;
}

/** Refuses a shell unless the lease's Provider enables shells. */
export function requireShellEnabled(provider: Provider | undefined): void {
  if (!shellsEnabled(provider)) {
    throw new GatewayError(
      403,
      'ShellDisabled',
      'this provider does not offer shells into replicas (Provider spec.gateway.shell.enabled is false)',
    );
  }
}

/** The exec protocols offered to the API server, newest first (v5 can end stdin). */
const execProtocols = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;
/** Shells open at once on one lease, at most. */
export const maxShellsPerLease = 8;
/** The largest message a tenant may send (stdin comes in chunks far smaller). */
const maxTenantMessageBytes = 64 * 1024;
/** The largest message taken from the API server. */
const maxUpstreamMessageBytes = 1024 * 1024;
/** Output queued for a slow tenant above which reading from the replica pauses, and resumes below. */
const highWaterBytes = 1024 * 1024;
const lowWaterBytes = 256 * 1024;
/** How often a session checks its lease and Provider; every `pingEvery`-th time it pings both peers. */
const watchdogMs = 1_000;
const pingEvery = 30;

/** The lease and Provider as the cache shows them now (the server's view). */
export interface ShellContext {
  readonly lease: ComputeLease;
  readonly tenant: string;
  /** False once the lease is closing or gone. */
  readonly isOpen: () => boolean;
  /** The lease's Provider now (shells may be turned off while open). */
  readonly provider: () => Provider | undefined;
  /**
   * Records the request's nonce where every gateway replica sees it (lease-nonces.ts), refusing
   * a replay: called once the request passed every other check, before the exec opens.
   */
  readonly recordNonce: () => Promise<void>;
}

/** Why a session ended, as logged. */
type ShellEnd =
  | 'exited'
  | 'tenant left'
  | 'lease closed'
  | 'shells disabled'
  | 'replica connection lost'
  | 'bad message'
  | 'gateway stopping';

/** Writes a refusal on a socket that asked for an upgrade (no WebSocket was made). */
export function refuseUpgrade(socket: Duplex, refusal: GatewayError): void {
  if (!socket.writable) return void socket.destroy();
  const body = JSON.stringify(errorBody(refusal));
  socket.end(
    [
      `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? ''}`,
      'connection: close',
      'content-type: application/json',
      'cache-control: no-store',
      `content-length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

/** The exec query: the service's container, the command, and the streams asked for. */
function execQuery(request: ShellRequest): URLSearchParams {
  const query = new URLSearchParams({ container: request.service, stdout: 'true' });
  for (const arg of request.command) query.append('command', arg);
  if (request.stdin) query.set('stdin', 'true');
  if (request.tty) query.set('tty', 'true');
  else query.set('stderr', 'true');
  return query;
}

/** The tenant shells of one gateway: opens them, relays them, ends them all on close. */
export class ShellSessions {
  private readonly server = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    perMessageDeflate: false,
    maxPayload: maxTenantMessageBytes,
    handleProtocols: (protocols) => (protocols.has(shellSubprotocol) ? shellSubprotocol : false),
  });
  private readonly perLease = new Map<string, number>();
  private readonly open = new Set<(code: number, reason: string, end: ShellEnd) => void>();

  constructor(
    private readonly client: KubeClient,
    private readonly logger: Logger,
  ) {}

  /**
   * Serves an upgrade request of an authenticated tenant: checks the Provider, the lease and the
   * query, opens the exec, then upgrades. Throws {@link GatewayError} before any upgrade.
   */
  async serve(
    context: ShellContext,
    params: URLSearchParams,
    request: IncomingMessage,
    socket: Duplex,
    head: Buffer,
  ): Promise<void> {
    const { lease } = context;
    const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(/\s*,\s*/);
    if (
      request.headers.upgrade?.toLowerCase() !== 'websocket' ||
      !offered.includes(shellSubprotocol)
    ) {
      throw new GatewayError(
        400,
        'NotAShell',
        `a shell is a WebSocket with the subprotocol ${shellSubprotocol} (supercloud shell opens one)`,
      );
    }
    requireShellEnabled(context.provider());
    // Closed first: a closing lease is no longer verified either, and "closed" says why.
    requireOpen(lease);
    requireVerified(lease);
    const shell = parseShellRequest(params, lease);
    const release = this.reserve(lease.spec.leaseId);
    let upstream: WebSocket;
    try {
      await context.recordNonce();
      upstream = await this.openExec(lease, shell);
    } catch (error) {
      release();
      throw error;
    }
    // The tenant may leave while the exec opens, or send a handshake ws refuses: no relay then.
    let relayed = false;
    const abandon = (): void => {
      if (relayed) return;
      upstream.terminate();
      release();
    };
    socket.once('close', abandon);
    if (socket.destroyed) return abandon();
    this.server.handleUpgrade(request, socket, head, (downstream) => {
      relayed = true;
      socket.off('close', abandon);
      this.relay(context, shell, upstream, downstream, release);
    });
  }

  /** Takes one of the lease's shell slots (from before the exec opens); returns its release. */
  private reserve(leaseId: string): () => void {
    const open = this.perLease.get(leaseId) ?? 0;
    if (open >= maxShellsPerLease) {
      throw new GatewayError(
        429,
        'TooManyShells',
        `lease ${leaseId} has ${maxShellsPerLease} shells open, the most at once; end one first`,
      );
    }
    this.perLease.set(leaseId, open + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.perLease.get(leaseId) ?? 1) - 1;
      if (left > 0) this.perLease.set(leaseId, left);
      else this.perLease.delete(leaseId);
    };
  }

  /** Ends every session (the gateway is stopping). */
  close(): void {
    for (const end of [...this.open]) {
      end(shellCloseCodes.goingAway, 'the gateway is stopping', 'gateway stopping');
    }
    this.server.close();
  }

  /** The exec into the replica's pod, its refusals as the tenant should see them. */
  private async openExec(lease: ComputeLease, shell: ShellRequest): Promise<WebSocket> {
    const namespace = leaseNamespaceName(lease.spec.leaseId);
    const which = `service ${shell.service} replica ${shell.replica}`;
    const pod = await replicaPod(this.client, namespace, shell);
    const name = pod?.metadata?.name;
    if (!name) throw new GatewayError(404, 'NoSuchReplica', `${which} is not running now`);
    if (pod.status?.phase !== 'Running') {
      throw new GatewayError(409, 'ReplicaNotRunning', `${which} is ${pod.status?.phase}`);
    }
    try {
      return await this.client.connect(
        objectPath(PodKind, namespace, name, 'exec'),
        execQuery(shell),
        execProtocols,
        { maxPayload: maxUpstreamMessageBytes },
      );
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) {
        throw new GatewayError(404, 'NoSuchReplica', `${which} is gone; try again`);
      }
      // 400: the container is not running (starting, restarting).
      if (error instanceof KubeApiError && error.code === 400) {
        throw new GatewayError(409, 'ReplicaNotRunning', `${which} cannot run commands now`);
      }
      throw error;
    }
  }

  /** Relays the two sockets until one side ends; the tenant hears how. */
  private relay(
    context: ShellContext,
    shell: ShellRequest,
    upstream: WebSocket,
    downstream: WebSocket,
    release: () => void,
  ): void {
    const leaseId = context.lease.spec.leaseId;
    const started = Date.now();
    const fields = {
      leaseId,
      tenant: context.tenant,
      service: shell.service,
      replica: shell.replica,
      tty: shell.tty,
    };
    this.logger.info('shell opened', fields);
    let exit: ShellExit | undefined;
    let ended = false;
    let ticks = 0;
    const alive = { upstream: true, downstream: true };

    const end = (code: number, reason: string, why: ShellEnd): void => {
      if (ended) return;
      ended = true;
      clearInterval(watchdog);
      this.open.delete(end);
      release();
      if (exit && downstream.readyState === WebSocket.OPEN) {
        downstream.send(shellFrame(shellChannels.exit, JSON.stringify(exit)));
      }
      downstream.close(code, reason);
      if (upstream.readyState === WebSocket.CONNECTING || upstream.readyState === WebSocket.OPEN) {
        upstream.close();
      }
      this.logger.info('shell ended', { ...fields, end: why, ms: Date.now() - started });
    };
    this.open.add(end);

    // The replica's output to the tenant, reading paused while the tenant is behind.
    const resumeWhenDrained = (): void => {
      if (upstream.isPaused && downstream.bufferedAmount < lowWaterBytes) upstream.resume();
    };
    upstream.on('message', (data) => {
      const frame = parseShellFrame(messageBytes(data));
      if (!frame || frame.payload.length === 0) return; // the streams' opening messages
      if (frame.channel === shellChannels.stdout || frame.channel === shellChannels.stderr) {
        downstream.send(messageBytes(data), resumeWhenDrained);
        if (downstream.bufferedAmount > highWaterBytes) upstream.pause();
      } else if (frame.channel === shellChannels.exit) {
        try {
          exit = exitFromStatus(JSON.parse(frame.payload.toString('utf8')));
        } catch {
          exit = { exitCode: 1, message: 'the replica reported an unreadable status' };
        }
      }
    });
    upstream.on('close', () =>
      exit
        ? end(shellCloseCodes.exited, '', 'exited')
        : end(
            shellCloseCodes.upstreamLost,
            'the connection to the replica was lost',
            'replica connection lost',
          ),
    );
    upstream.on('error', (error) =>
      this.logger.warn('shell upstream error', { ...fields, error: error.message }),
    );

    // The tenant's stdin and resizes to the replica, nothing else.
    const refuse = (message: string): void =>
      end(shellCloseCodes.badMessage, message, 'bad message');
    const passOn = (bytes: Buffer): void => {
      upstream.send(bytes, () => {
        if (downstream.isPaused && upstream.bufferedAmount < lowWaterBytes) downstream.resume();
      });
      if (upstream.bufferedAmount > highWaterBytes) downstream.pause();
    };
    downstream.on('message', (data, isBinary) => {
      const frame = isBinary ? parseShellFrame(messageBytes(data)) : undefined;
      if (!frame) return refuse('messages are binary, the first byte naming the stream');
      if (frame.channel === shellChannels.stdin) {
        if (!shell.stdin) return refuse('this shell was opened without stdin');
        return passOn(messageBytes(data));
      }
      if (frame.channel === shellChannels.resize) {
        if (!shell.tty) return refuse('this shell has no terminal to resize');
        try {
          return passOn(kubeResizeFrame(parseResize(frame.payload)));
        } catch (error) {
          return refuse(error instanceof GatewayError ? error.message : 'bad resize');
        }
      }
      if (frame.channel === shellChannels.close) {
        // v4 cannot end stdin: the command then reads on until it ends or the tenant leaves.
        if (upstream.protocol === execProtocols[0])
          passOn(shellFrame(shellChannels.close, Buffer.from([shellChannels.stdin])));
        return;
      }
      refuse(`there is no stream ${frame.channel} to send to`);
    });
    downstream.on('close', () => end(shellCloseCodes.exited, '', 'tenant left'));
    downstream.on('error', () => undefined); // a close follows

    upstream.on('pong', () => (alive.upstream = true));
    downstream.on('pong', () => (alive.downstream = true));
    const watchdog = setInterval(() => {
      if (!context.isOpen()) {
        return end(shellCloseCodes.leaseClosed, `lease ${leaseId} closed`, 'lease closed');
      }
      if (!shellsEnabled(context.provider())) {
        return end(
          shellCloseCodes.shellDisabled,
          'the provider turned shells off',
          'shells disabled',
        );
      }
      if (++ticks % pingEvery !== 0) return;
      // A peer that did not answer the last ping is gone (half-open after a network cut).
      if (!alive.upstream) return upstream.terminate();
      if (!alive.downstream) return downstream.terminate();
      alive.upstream = alive.downstream = false;
      upstream.ping();
      downstream.ping();
    }, watchdogMs);
    watchdog.unref();
  }
}
