// The shell protocol between the tenant CLI and the gateway (`GET /v1/leases/{id}/shell`, a
// WebSocket with the subprotocol `v1.shell.supercloud.dev`). Binary messages framed as in
// Kubernetes' v5.channel.k8s.io, so the gateway relays the API server's exec streams as they are:
// the first byte names the stream, the rest is its bytes.
//
//   tenant → gateway   0 stdin, 4 resize ({"width","height"} JSON), 255 end of stdin (payload 0)
//   gateway → tenant   1 stdout, 2 stderr (none with a TTY: the TTY merges it into stdout),
//                      3 exit ({"exitCode", "message"?} JSON), sent once, just before close 1000
//
// A session that ends without an exit message ends with a close code and a reason saying why
// (`shellCloseCodes`). Pure: shared by the gateway and the CLI, no I/O.
import type { RawData } from 'ws';
import { GatewayError } from './errors.js';

/** The WebSocket subprotocol a tenant offers. */
export const shellSubprotocol = 'v1.shell.supercloud.dev';

/** The first byte of every message. */
export const shellChannels = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  exit: 3,
  resize: 4,
  /** End of stdin: v5.channel.k8s.io's CLOSE, payload the channel closed (0). */
  close: 255,
} as const;

/** How a session ends when the command did not end it (the reason says more). */
export const shellCloseCodes = {
  /** After the exit message. */
  exited: 1000,
  /** The gateway is stopping. */
  goingAway: 1001,
  /** The tenant sent a message outside the protocol. */
  badMessage: 1008,
  /** The connection to the replica was lost before the command ended. */
  upstreamLost: 1011,
  /** The provider turned shells off (Provider spec.gateway.shell.enabled). */
  shellDisabled: 4403,
  /** The lease closed: its workload is going. */
  leaseClosed: 4410,
} as const;

/** How the command ended: its exit code, and a message when it could not run or was cut. */
export interface ShellExit {
  readonly exitCode: number;
  readonly message?: string;
}

/** A terminal's size in characters. */
export interface TerminalSize {
  readonly width: number;
  readonly height: number;
}

/** Bounds of a command (the API server takes it in the query of the exec request). */
export const shellCommandLimits = { args: 64, argLength: 4096, totalLength: 16 * 1024 } as const;

/** The largest terminal side (the kubelet takes uint16). */
const maxTerminalSide = 10_000;

/** A message on `channel`. */
export function shellFrame(channel: number, payload: Uint8Array | string = ''): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  return Buffer.concat([Buffer.from([channel]), bytes]);
}

/** The bytes of a WebSocket message as ws hands them over. */
export function messageBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** The stream and bytes of a message; undefined for an empty one. */
export function parseShellFrame(
  data: Buffer,
): { readonly channel: number; readonly payload: Buffer } | undefined {
  if (data.length === 0) return undefined;
  return { channel: data[0]!, payload: data.subarray(1) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isSide = (value: unknown): value is number =>
  Number.isInteger(value) && (value as number) >= 1 && (value as number) <= maxTerminalSide;

/** A resize message's size; throws {@link GatewayError} (400 BadResize) when it is not one. */
export function parseResize(payload: Buffer): TerminalSize {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isRecord(value) || !isSide(value.width) || !isSide(value.height)) {
    throw new GatewayError(
      400,
      'BadResize',
      `a resize is {"width","height"}, whole numbers from 1 to ${maxTerminalSide}`,
    );
  }
  return { width: value.width, height: value.height };
}

/** The resize message of the exec protocol (the kubelet's TerminalSize). */
export function kubeResizeFrame(size: TerminalSize): Buffer {
  return shellFrame(
    shellChannels.resize,
    JSON.stringify({ Width: size.width, Height: size.height }),
  );
}

/** An exit message's content; undefined when it is not one. */
export function parseShellExit(payload: Buffer): ShellExit | undefined {
  try {
    const value = JSON.parse(payload.toString('utf8')) as unknown;
    if (!isRecord(value) || !Number.isInteger(value.exitCode)) return undefined;
    return {
      exitCode: value.exitCode as number,
      ...(typeof value.message === 'string' ? { message: value.message } : {}),
    };
  } catch {
    return undefined;
  }
}

/** A Kubernetes Status as the exec protocol's error stream carries it. */
interface ExecStatus {
  readonly status?: string;
  readonly reason?: string;
  readonly message?: string;
  readonly details?: { readonly causes?: readonly { reason?: string; message?: string }[] };
}

const exitCodeOf = (text: string | undefined): number | undefined => {
  const code = Number(text);
  return text && Number.isInteger(code) && code >= 0 && code <= 255 ? code : undefined;
};

/**
 * How a command ended, from the Status the API server sends on the exec error stream: Success
 * is 0; NonZeroExitCode (the kubelet's report of an exit) carries the code; a runtime that
 * reports an exit as an error ending in "exit status N" (KWOK's local exec) gives N; any other
 * failure (the command could not start, the container is gone) is 1 with its message, as
 * `kubectl exec` exits 1 and prints it.
 */
export function exitFromStatus(status: unknown): ShellExit {
  const s = (isRecord(status) ? status : {}) as ExecStatus;
  if (s.status === 'Success') return { exitCode: 0 };
  if (s.reason === 'NonZeroExitCode') {
    const code = exitCodeOf(s.details?.causes?.find((c) => c.reason === 'ExitCode')?.message);
    if (code !== undefined) return { exitCode: code };
  }
  const reported = exitCodeOf(/exit status ([0-9]{1,3})$/.exec(s.message ?? '')?.[1]);
  if (reported !== undefined) return { exitCode: reported };
  return { exitCode: 1, message: s.message || 'the command failed without a reason' };
}

/**
 * The command of a shell request (`command=` once per argument, as the exec API takes it);
 * throws {@link GatewayError} (400) when there is none or it is out of bounds.
 */
export function parseShellCommand(params: URLSearchParams): string[] {
  const command = params.getAll('command');
  if (command.length === 0 || command[0] === '') {
    throw new GatewayError(
      400,
      'CommandRequired',
      'name the program to run with command= (once per argument), e.g. command=sh',
    );
  }
  const bad = (why: string) => new GatewayError(400, 'BadCommand', `the command ${why}`);
  if (command.length > shellCommandLimits.args) {
    throw bad(`has more than ${shellCommandLimits.args} arguments`);
  }
  if (command.some((arg) => arg.length > shellCommandLimits.argLength)) {
    throw bad(`has an argument longer than ${shellCommandLimits.argLength} characters`);
  }
  if (command.reduce((sum, arg) => sum + arg.length, 0) > shellCommandLimits.totalLength) {
    throw bad(`is longer than ${shellCommandLimits.totalLength} characters in all`);
  }
  if (command.some((arg) => arg.includes('\0'))) throw bad('contains a NUL character');
  return command;
}
