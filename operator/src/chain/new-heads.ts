import { exponentialDelay } from '../base/backoff.js';
import { systemClock, type Clock, type TimerHandle } from '../base/clock.js';
import { silentLogger, type Logger } from '../logging/logger.js';

export interface NewHeadsOptions {
  /** WebSocket JSON-RPC URLs (`ws://`, `wss://`), tried in turn. */
  readonly urls: readonly string[];
  /** Called with the number of each new block the node announces. */
  readonly onHead: (blockNumber: number) => void;
  /** Called when the subscription comes up or goes down. */
  readonly onStateChange?: (subscribed: boolean) => void;
  /** Reconnect back-off: 1 s doubling up to this. */
  readonly maxBackoffMs?: number;
  readonly logger?: Logger;
  readonly clock?: Clock;
}

const subscribeRequestId = 1;

/**
 * An `eth_subscribe("newHeads")` over WebSocket that reconnects with back-off, moving to the next
 * URL after a failure. It only announces block numbers: the follower uses it to wake up as soon
 * as a block arrives and keeps polling over HTTP, so a subscription that silently dies loses
 * nothing.
 */
export class NewHeadsSubscription {
  private socket: WebSocket | undefined;
  private urlIndex = 0;
  private failures = 0;
  private reconnectTimer: TimerHandle | undefined;
  private stopped = true;
  private isSubscribed = false;
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: NewHeadsOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = (options.logger ?? silentLogger()).child({ component: 'new-heads' });
  }

  get subscribed(): boolean {
    return this.isSubscribed;
  }

  start(): void {
    if (!this.stopped || this.options.urls.length === 0) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) this.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.socket?.close();
    this.socket = undefined;
    this.setSubscribed(false);
  }

  private connect(): void {
    const url = this.options.urls[this.urlIndex % this.options.urls.length] as string;
    let socket: WebSocket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      this.logger.warn('cannot open the WebSocket', { url, error: String(error) });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      socket.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: subscribeRequestId,
          method: 'eth_subscribe',
          params: ['newHeads'],
        }),
      );
    });
    socket.addEventListener('message', (message) => this.onMessage(socket, url, message.data));
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.setSubscribed(false);
      if (!this.stopped) this.scheduleReconnect();
    });
    // An error is followed by a close, which reconnects; nothing else to do here.
    socket.addEventListener('error', () => undefined);
  }

  private onMessage(socket: WebSocket, url: string, data: unknown): void {
    let message: {
      id?: number;
      result?: unknown;
      error?: { message?: string };
      method?: string;
      params?: { result?: { number?: string } };
    };
    try {
      message = JSON.parse(String(data)) as typeof message;
    } catch {
      return;
    }
    if (message.id === subscribeRequestId) {
      if (message.error || typeof message.result !== 'string') {
        this.logger.warn('the node refused the newHeads subscription; polling only', {
          url,
          error: message.error?.message,
        });
        socket.close();
        return;
      }
      this.failures = 0;
      this.setSubscribed(true);
      this.logger.info('subscribed to new blocks', { url });
      return;
    }
    const number =
      message.method === 'eth_subscription' ? message.params?.result?.number : undefined;
    if (typeof number === 'string') this.options.onHead(Number(BigInt(number)));
  }

  private scheduleReconnect(): void {
    this.failures += 1;
    this.urlIndex += 1;
    const delay = exponentialDelay(1_000, this.options.maxBackoffMs ?? 30_000, this.failures - 1);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private setSubscribed(subscribed: boolean): void {
    if (this.isSubscribed === subscribed) return;
    this.isSubscribed = subscribed;
    this.options.onStateChange?.(subscribed);
  }
}

/**
 * The WebSocket URL of a node that serves both on one port (geth, anvil, reth, Erigon):
 * `http(s)://host:port/path` → `ws(s)://host:port/path`. Undefined for anything else.
 */
export function websocketUrlOf(httpUrl: string): string | undefined {
  const match = /^http(s?):\/\/(.+)$/i.exec(httpUrl);
  return match ? `ws${match[1]}://${match[2]}` : undefined;
}
