// The tenant's end of a shell (gateway/shell-protocol.ts): a WebSocket to the provider gateway,
// signed like every gateway request (the signature covers GET, the path with its query and an
// empty body), that carries stdin and terminal sizes out and the command's output and exit back.
import WebSocket from 'ws';
import type { GatewayErrorBody } from '../gateway/errors.js';
import { signGatewayRequest, type TypedDataSigner } from '../gateway/request-signature.js';
import {
  messageBytes,
  parseShellExit,
  parseShellFrame,
  shellChannels,
  shellCloseCodes,
  shellFrame,
  shellSubprotocol,
  type ShellExit,
  type TerminalSize,
} from '../gateway/shell-protocol.js';
import { GatewayRequestError } from './gateway-client.js';

/** What to run, and where. */
export interface ShellTarget {
  readonly leaseId: bigint;
  /** The manifest service; the gateway picks the only one when unset. */
  readonly service?: string;
  /** 0-based; the gateway takes 0 when unset. */
  readonly replica?: number;
  readonly command: readonly string[];
  /** A terminal: raw keys in, stderr merged into stdout, resizes sent. */
  readonly tty?: boolean;
  /** Pass stdin on (implied by tty). */
  readonly stdin?: boolean;
}

export interface OpenShellParameters extends ShellTarget {
  /** The gateway's base URL (http(s)://host[:port]). */
  readonly gatewayUrl: string;
  /** Named in errors: the provider whose gateway this is. */
  readonly provider?: string;
  readonly signer: TypedDataSigner;
  readonly chain: { readonly chainId: number; readonly marketplace: string };
}

/** Where the session reads and writes. */
export interface ShellIo {
  /** Read when the target takes stdin; its end ends the command's stdin. */
  readonly stdin?: NodeJS.ReadableStream;
  readonly stdout: (chunk: Buffer) => void;
  readonly stderr: (chunk: Buffer) => void;
  /** The local terminal, with tty: its size now, and a subscription to its changes. */
  readonly terminal?: {
    size(): TerminalSize;
    onResize(listener: () => void): () => void;
  };
}

export type OpenShellReturnType = ShellExit;

/** The path signed and sent: `/v1/leases/{id}/shell?service=&replica=&tty=&stdin=&command=...`. */
export function shellPath(target: ShellTarget): string {
  const query = new URLSearchParams();
  if (target.service !== undefined) query.set('service', target.service);
  if (target.replica !== undefined) query.set('replica', String(target.replica));
  if (target.tty) query.set('tty', 'true');
  else if (target.stdin) query.set('stdin', 'true');
  for (const arg of target.command) query.append('command', arg);
  const text = query.toString();
  // No bare `?`: the URL parser drops it, and the signed path must be the path sent.
  return `/v1/leases/${target.leaseId}/shell${text ? `?${text}` : ''}`;
}

/** The close codes a gateway ends a session with, by number, for messages. */
const closeNames = new Map<number, string>(
  Object.entries(shellCloseCodes).map(([name, code]) => [code, name]),
);

/**
 * Runs the target's command in the replica and resolves with how it ended (its exit code, and a
 * message when it could not run). Rejects with {@link GatewayRequestError} when the gateway
 * refuses (the refusal's code and message) or the session ends without the command ending.
 *
 * @example
 * const exit = await openShell({ gatewayUrl, signer, chain, leaseId: 7n, command: ['ls'] }, {
 *   stdout: (b) => process.stdout.write(b), stderr: (b) => process.stderr.write(b) });
 */
export async function openShell(
  parameters: OpenShellParameters,
  io: ShellIo,
): Promise<OpenShellReturnType> {
  const path = shellPath(parameters);
  const { gatewayUrl } = parameters;
  const who = `the gateway of provider ${parameters.provider ?? '?'} (${gatewayUrl})`;
  const headers = await signGatewayRequest(parameters.signer, parameters.chain, {
    method: 'GET',
    path,
    leaseId: parameters.leaseId,
  });
  const socket = new WebSocket(new URL(path, gatewayUrl), [shellSubprotocol], {
    headers,
    perMessageDeflate: false,
  });
  const takesStdin = parameters.tty === true || parameters.stdin === true;
  const cleanups: (() => void)[] = [];

  return new Promise<ShellExit>((resolve, reject) => {
    let exit: ShellExit | undefined;
    let opened = false;
    const send = (frame: Buffer): void => {
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
    };

    socket.once('unexpected-response', (request, response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        request.destroy();
        let refusal: GatewayErrorBody | undefined;
        try {
          refusal = JSON.parse(text) as GatewayErrorBody;
        } catch {
          refusal = undefined;
        }
        reject(
          new GatewayRequestError(
            `${who} refused: ${refusal?.error?.message ?? `HTTP ${response.statusCode}`}`,
            refusal?.error?.code ?? 'Http',
            response.statusCode ?? 0,
          ),
        );
      });
    });
    socket.on('error', (error) => {
      if (opened) return; // a close follows, and says how the session ended
      reject(
        new GatewayRequestError(`${who} does not answer (${error.message})`, 'Unreachable', 0),
      );
    });

    socket.on('open', () => {
      opened = true;
      if (takesStdin && io.stdin) {
        const stdin = io.stdin;
        const onData = (chunk: Buffer | string): void =>
          send(shellFrame(shellChannels.stdin, chunk));
        const onEnd = (): void =>
          send(shellFrame(shellChannels.close, Buffer.from([shellChannels.stdin])));
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        cleanups.push(() => {
          stdin.off('data', onData);
          stdin.off('end', onEnd);
        });
      }
      if (parameters.tty && io.terminal) {
        const { terminal } = io;
        const sendSize = (): void =>
          send(shellFrame(shellChannels.resize, JSON.stringify(terminal.size())));
        sendSize();
        cleanups.push(terminal.onResize(sendSize));
      }
    });

    socket.on('message', (data) => {
      const frame = parseShellFrame(messageBytes(data));
      if (!frame) return;
      if (frame.channel === shellChannels.stdout) io.stdout(frame.payload);
      else if (frame.channel === shellChannels.stderr) io.stderr(frame.payload);
      else if (frame.channel === shellChannels.exit) exit = parseShellExit(frame.payload);
    });

    socket.on('close', (code, reason) => {
      for (const cleanup of cleanups) cleanup();
      if (!opened) return; // refused or unreachable: rejected above
      if (exit) return resolve(exit);
      const why = reason.toString() || `closed with code ${code}`;
      reject(
        new GatewayRequestError(
          `the shell ended before the command did: ${why}`,
          closeNames.get(code) ?? 'Closed',
          code,
        ),
      );
    });
  });
}
