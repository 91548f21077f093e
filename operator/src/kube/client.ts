import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import { KubeApiError, KubeConnectionError, KubeRuntimeError, type ApiStatus } from './errors.js';
import type { KubeObject, ResourceKind } from './objects.js';

/** The field manager of every write the operator makes (server-side apply owns fields by it). */
export const fieldManager = 'supercloud-operator';

/** Counts every request the client sends (controller-runtime exports `rest_client_requests_total`). */
export interface RequestMetrics {
  /** One request finished: HTTP method, status code (or `<error>`), API server host. */
  observe(method: string, code: string, host: string): void;
}

/** Acting as another user (`kubectl --as`, `--as-group`), so RBAC applies as to that user. */
export interface Impersonation {
  readonly user: string;
  readonly groups?: readonly string[];
}

export interface KubeClientOptions {
  /** Whose credentials and which cluster: see `loadKubeConfig`. */
  readonly kubeConfig: KubeConfig;
  readonly impersonate?: Impersonation;
  /** A request without an answer after this long fails (watches use `idleTimeoutMs` instead). */
  readonly requestTimeoutMs?: number;
  /** Connections kept open to the API server for ordinary requests (default 128). */
  readonly maxSockets?: number;
  readonly metrics?: RequestMetrics;
  readonly userAgent?: string;
}

/** Patch content types the API server accepts. */
export const patchContentType = {
  apply: 'application/apply-patch+yaml',
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  strategic: 'application/strategic-merge-patch+json',
} as const;
export type PatchType = keyof typeof patchContentType;

export interface ListOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** Page size; the client follows `continue` until the list is complete. */
  readonly limit?: number;
  readonly signal?: AbortSignal;
}

export interface ListResult<T> {
  readonly items: T[];
  readonly resourceVersion: string;
}

export interface PatchOptions {
  readonly namespace?: string;
  /** Write a subresource, e.g. `status`. */
  readonly subresource?: string;
  /** Server-side apply only: take over fields other managers own. */
  readonly force?: boolean;
  readonly fieldManager?: string;
}

export interface DeleteOptions {
  readonly namespace?: string;
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  /** Only delete this exact object (not a newer one with the same name). */
  readonly uid?: string;
}

export interface WatchOptions {
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  readonly resourceVersion: string;
  /** The server ends the watch after this long; the informer then resumes from the last version. */
  readonly timeoutSeconds: number;
  /**
   * No byte (event or bookmark) for this long means the connection is dead even if TCP did not
   * notice (half-open after a network partition): the watch is closed so the caller re-establishes it.
   */
  readonly idleTimeoutMs: number;
  readonly signal?: AbortSignal;
}

/** One line of a watch stream. */
export interface WatchEvent<T> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

/** Why a watch stream ended. */
export type WatchEnd =
  | { readonly reason: 'closed' }
  | { readonly reason: 'idle' }
  | { readonly reason: 'aborted' }
  | { readonly reason: 'error'; readonly error: unknown };

/** How often the credentials (tokens, certificates) are read again, so rotated ones are used. */
const credentialsRefreshMs = 60_000;

/**
 * A small REST client for any resource kind, over one keep-alive connection pool. It works on
 * the wire JSON (no model conversion), counts every request, speaks every patch type including
 * server-side apply, and streams watches with an idle bound. Built on KubeConfig for
 * credentials, so kubeconfig files, in-cluster tokens, exec plugins and impersonation all work.
 */
export class KubeClient {
  readonly server: URL;
  private readonly host: string;
  private readonly kubeConfig: KubeConfig;
  private readonly options: KubeClientOptions;
  private credentials:
    { tls: RequestOptions; headers: Record<string, string | string[]> } | undefined;
  private credentialsAt = 0;
  private requestAgent: HttpAgent | undefined;
  private watchAgent: HttpAgent | undefined;
  private requests = 0;
  private readonly requestsByMethod = new Map<string, number>();
  /** Whether the last answer was no answer or a 5xx; the next 2xx means the server is back. */
  private unhealthy = false;
  private readonly recoveryListeners = new Set<() => void>();

  constructor(options: KubeClientOptions) {
    const cluster = options.kubeConfig.getCurrentCluster();
    if (!cluster) {
      throw new KubeRuntimeError('the kubeconfig has no current cluster', {
        action: 'set current-context in the kubeconfig, or pass a context name',
      });
    }
    this.server = new URL(cluster.server);
    this.host = this.server.host;
    this.kubeConfig = options.kubeConfig;
    this.options = options;
  }

  /** Requests sent so far (every attempt, watches included). */
  get requestCount(): number {
    return this.requests;
  }

  /** Requests sent so far by HTTP method. */
  requestCountsByMethod(): Record<string, number> {
    return Object.fromEntries(this.requestsByMethod);
  }

  /**
   * Calls `listener` each time the API server answers successfully after it could not be
   * reached (or answered 5xx): the end of an outage. Returns a function that removes it.
   */
  onRecovered(listener: () => void): () => void {
    this.recoveryListeners.add(listener);
    return () => void this.recoveryListeners.delete(listener);
  }

  /** The object, or undefined when it does not exist. */
  async get<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    namespace?: string,
  ): Promise<T | undefined> {
    try {
      return await this.request<T>('GET', objectPath(kind, namespace, name));
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return undefined;
      throw error;
    }
  }

  /**
   * Every object of a kind (following pagination), with the list's resourceVersion; `map`, if
   * given, is applied to each object as its page arrives (e.g. a cache's transform).
   */
  async list<T extends KubeObject>(
    kind: ResourceKind<T>,
    options: ListOptions = {},
    map: (object: T) => T = (object) => object,
  ): Promise<ListResult<T>> {
    const items: T[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.request<{
        items?: T[];
        metadata?: { resourceVersion?: string; continue?: string };
      }>(
        'GET',
        collectionPath(kind, options.namespace),
        {
          labelSelector: options.labelSelector,
          fieldSelector: options.fieldSelector,
          limit: String(options.limit ?? 500),
          continue: continueToken,
        },
        undefined,
        options.signal,
      );
      for (const item of page.items ?? []) {
        // List items carry no apiVersion/kind; restore them so objects look as from a GET.
        items.push(map({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }));
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
    return { items, resourceVersion };
  }

  async create<T extends KubeObject>(kind: ResourceKind<T>, object: T): Promise<T> {
    return this.request<T>(
      'POST',
      collectionPath(kind, object.metadata?.namespace),
      {},
      {
        contentType: 'application/json',
        body: JSON.stringify({ apiVersion: kind.apiVersion, kind: kind.kind, ...object }),
      },
    );
  }

  /** PUT: replaces the object; fails with 409 when metadata.resourceVersion is stale. */
  async replace<T extends KubeObject>(
    kind: ResourceKind<T>,
    object: T,
    subresource?: string,
  ): Promise<T> {
    const { name, namespace } = requireName(kind, object);
    return this.request<T>(
      'PUT',
      objectPath(kind, namespace, name, subresource),
      {},
      {
        contentType: 'application/json',
        body: JSON.stringify({ apiVersion: kind.apiVersion, kind: kind.kind, ...object }),
      },
    );
  }

  /** PATCH with any patch type; `apply` is server-side apply under `fieldManager`. */
  async patch<T extends KubeObject>(
    kind: ResourceKind<T>,
    name: string,
    type: PatchType,
    patch: unknown,
    options: PatchOptions = {},
  ): Promise<T> {
    const manager = options.fieldManager ?? fieldManager;
    return this.request<T>(
      'PATCH',
      objectPath(kind, options.namespace, name, options.subresource),
      {
        fieldManager: type === 'apply' || options.fieldManager ? manager : undefined,
        force: type === 'apply' && options.force ? 'true' : undefined,
      },
      // JSON is YAML, so an apply body is sent as JSON under the apply-patch+yaml type.
      { contentType: patchContentType[type], body: JSON.stringify(patch) },
    );
  }

  /** DELETE; resolves to false when the object was already gone. */
  async delete(kind: ResourceKind, name: string, options: DeleteOptions = {}): Promise<boolean> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.propagationPolicy) body.propagationPolicy = options.propagationPolicy;
    if (options.uid) body.preconditions = { uid: options.uid };
    try {
      await this.request(
        'DELETE',
        objectPath(kind, options.namespace, name),
        {},
        {
          contentType: 'application/json',
          body: JSON.stringify(body),
        },
      );
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && error.code === 404) return false;
      throw error;
    }
  }

  /**
   * Opens a watch and calls `onEvent` for each event until the stream ends; resolves with why it
   * ended (never rejects). An HTTP error status (e.g. 410 Gone) ends it with reason `error`.
   */
  async watch<T extends KubeObject>(
    kind: ResourceKind<T>,
    options: WatchOptions,
    onEvent: (event: WatchEvent<T>) => void,
  ): Promise<WatchEnd> {
    const path = collectionPath(kind, options.namespace);
    const query = {
      watch: '1',
      allowWatchBookmarks: 'true',
      resourceVersion: options.resourceVersion,
      timeoutSeconds: String(options.timeoutSeconds),
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    let response: IncomingMessage;
    try {
      response = await this.send('GET', path, query, undefined, {
        watch: true,
        signal: options.signal,
      });
    } catch (error) {
      return options.signal?.aborted ? { reason: 'aborted' } : { reason: 'error', error };
    }
    if (response.statusCode !== 200) {
      const status = parseStatus(await readBody(response).catch(() => ''));
      return {
        reason: 'error',
        error: new KubeApiError('WATCH', path, response.statusCode ?? 0, status),
      };
    }
    return new Promise<WatchEnd>((resolve) => {
      let ended = false;
      let idleTimer: NodeJS.Timeout | undefined;
      let buffered = '';
      const end = (result: WatchEnd): void => {
        if (ended) return;
        ended = true;
        clearTimeout(idleTimer);
        options.signal?.removeEventListener('abort', onAbort);
        response.destroy();
        resolve(result);
      };
      const armIdleTimer = (): void => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => end({ reason: 'idle' }), options.idleTimeoutMs);
        idleTimer.unref();
      };
      const onAbort = (): void => end({ reason: 'aborted' });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.signal?.aborted) return end({ reason: 'aborted' });
      armIdleTimer();
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        armIdleTimer();
        buffered += chunk;
        let newline = buffered.indexOf('\n');
        while (newline !== -1 && !ended) {
          const line = buffered.slice(0, newline).trim();
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          if (!line) continue;
          let event: WatchEvent<T>;
          try {
            event = JSON.parse(line) as WatchEvent<T>;
          } catch (error) {
            // A torn line means the stream is corrupt: end it, the caller resumes from the last version.
            return end({ reason: 'error', error });
          }
          try {
            onEvent(event);
          } catch (error) {
            return end({ reason: 'error', error });
          }
        }
      });
      response.on('end', () => end({ reason: 'closed' }));
      response.on('error', (error) => end({ reason: 'error', error }));
      response.on('close', () => end({ reason: 'closed' }));
    });
  }

  /**
   * GETs a streamed subresource (a pod's log with follow) on a watch connection; the caller
   * reads the body and destroys it when done. An error status throws KubeApiError.
   */
  async stream(
    path: string,
    query: Record<string, string | undefined>,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    const response = await this.send('GET', path, query, undefined, { watch: true, signal });
    const code = response.statusCode ?? 0;
    if (code < 200 || code >= 300) {
      const status = parseStatus(await readBody(response).catch(() => ''));
      throw new KubeApiError('GET', path, code, status);
    }
    return response;
  }

  /**
   * Opens a WebSocket to a connect subresource (a pod's `exec`) with the client's credentials and
   * impersonation, offering `protocols`; resolves once the API server has upgraded. An answer
   * other than the upgrade (403, 404, ...) rejects with KubeApiError, no answer with
   * KubeConnectionError. The caller owns the socket. Never pooled: one connection each.
   */
  async connect(
    path: string,
    query: URLSearchParams,
    protocols: readonly string[],
    options: { readonly maxPayload?: number } = {},
  ): Promise<WebSocket> {
    const url = new URL(path, this.server);
    url.search = query.toString();
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const { tls, headers } = await this.currentCredentials();
    this.requests++;
    this.requestsByMethod.set('GET', (this.requestsByMethod.get('GET') ?? 0) + 1);
    // ws hands these to tls.connect, servername (kubeconfig tls-server-name) included.
    const connection: WebSocket.ClientOptions & Pick<RequestOptions, 'servername'> = {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
      headers: { ...headers, 'User-Agent': this.options.userAgent ?? 'supercloud-operator' },
      handshakeTimeout: this.options.requestTimeoutMs ?? 60_000,
      perMessageDeflate: false,
      ...(options.maxPayload ? { maxPayload: options.maxPayload } : {}),
    };
    const socket = new WebSocket(url, [...protocols], connection);
    return new Promise<WebSocket>((resolve, reject) => {
      const observe = (code: string): void => {
        this.options.metrics?.observe('GET', code, this.host);
      };
      socket.once('open', () => {
        observe('101');
        resolve(socket);
      });
      socket.once('unexpected-response', (request, response) => {
        const code = response.statusCode ?? 0;
        observe(String(code));
        this.noteHealth(code);
        void readBody(response)
          .catch(() => '')
          .then((text) => reject(new KubeApiError('GET', path, code, parseStatus(text))))
          .finally(() => request.destroy());
      });
      socket.once('error', (error) => {
        observe('<error>');
        this.unhealthy = true;
        reject(new KubeConnectionError('GET', path, error));
      });
    });
  }

  /** Closes every pooled connection (call on shutdown so no socket is left open). */
  close(): void {
    this.requestAgent?.destroy();
    this.watchAgent?.destroy();
    this.requestAgent = undefined;
    this.watchAgent = undefined;
  }

  /** Sends a request and parses the JSON answer; throws KubeApiError / KubeConnectionError. */
  async request<R>(
    method: string,
    path: string,
    query: Record<string, string | undefined> = {},
    payload?: { contentType: string; body: string },
    signal?: AbortSignal,
  ): Promise<R> {
    const response = await this.send(method, path, query, payload, { watch: false, signal });
    let text: string;
    try {
      text = await readBody(response);
    } catch (error) {
      throw new KubeConnectionError(method, path, error);
    }
    const code = response.statusCode ?? 0;
    if (code < 200 || code >= 300) throw new KubeApiError(method, path, code, parseStatus(text));
    return (text ? JSON.parse(text) : {}) as R;
  }

  private async send(
    method: string,
    path: string,
    query: Record<string, string | undefined>,
    payload: { contentType: string; body: string } | undefined,
    mode: { watch: boolean; signal?: AbortSignal },
  ): Promise<IncomingMessage> {
    const url = new URL(path, this.server);
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined && value !== '') url.searchParams.set(name, value);
    }
    const { tls, headers } = await this.currentCredentials();
    const requestHeaders: Record<string, string | string[]> = {
      ...headers,
      Accept: 'application/json',
      'User-Agent': this.options.userAgent ?? 'supercloud-operator',
    };
    if (payload) {
      requestHeaders['Content-Type'] = payload.contentType;
      requestHeaders['Content-Length'] = String(Buffer.byteLength(payload.body));
    }
    const isHttps = url.protocol === 'https:';
    const requestOptions: RequestOptions = {
      ...tls,
      method,
      headers: requestHeaders,
      agent: this.agent(mode.watch, tls, isHttps),
      signal: mode.signal,
    };
    this.requests++;
    this.requestsByMethod.set(method, (this.requestsByMethod.get(method) ?? 0) + 1);
    return new Promise<IncomingMessage>((resolve, reject) => {
      const request = (isHttps ? httpsRequest : httpRequest)(url, requestOptions, (response) => {
        clearTimeout(timer);
        this.options.metrics?.observe(method, String(response.statusCode ?? 0), this.host);
        this.noteHealth(response.statusCode ?? 0);
        resolve(response);
      });
      // Until the answer's headers arrive every request is bounded; a watch's body is then
      // bounded by its idle timer instead.
      const timeoutMs = this.options.requestTimeoutMs ?? 60_000;
      const timer = setTimeout(
        () => request.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      timer.unref();
      request.on('error', (error) => {
        clearTimeout(timer);
        this.options.metrics?.observe(method, '<error>', this.host);
        if (!mode.signal?.aborted) this.unhealthy = true;
        reject(new KubeConnectionError(method, url.pathname, error));
      });
      request.end(payload?.body);
    });
  }

  private noteHealth(code: number): void {
    if (code >= 500) {
      this.unhealthy = true;
    } else if (code >= 200 && code < 300 && this.unhealthy) {
      this.unhealthy = false;
      for (const listener of this.recoveryListeners) listener();
    }
  }

  private agent(watch: boolean, tls: RequestOptions, isHttps: boolean): HttpAgent {
    const existing = watch ? this.watchAgent : this.requestAgent;
    if (existing) return existing;
    const options = {
      keepAlive: true,
      // Detect a silently dead peer on idle pooled connections.
      keepAliveMsecs: 30_000,
      // Watches hold one connection each; ordinary requests share a bounded pool, large enough
      // that 32 lease workers sending a tier of writes at once do not queue for a connection.
      maxSockets: watch ? Infinity : (this.options.maxSockets ?? 128),
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.rejectUnauthorized,
      servername: tls.servername,
    };
    const agent = isHttps ? new HttpsAgent(options) : new HttpAgent(options);
    if (watch) this.watchAgent = agent;
    else this.requestAgent = agent;
    return agent;
  }

  /** TLS material and auth headers from the kubeconfig, re-read every minute for rotation. */
  private async currentCredentials(): Promise<{
    tls: RequestOptions;
    headers: Record<string, string | string[]>;
  }> {
    if (this.credentials && Date.now() - this.credentialsAt < credentialsRefreshMs) {
      return this.credentials;
    }
    const options: RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(options);
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(options.headers ?? {})) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value : String(value);
    }
    if (options.auth)
      headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    const impersonate = this.options.impersonate;
    if (impersonate) {
      headers['Impersonate-User'] = impersonate.user;
      if (impersonate.groups?.length) headers['Impersonate-Group'] = [...impersonate.groups];
    }
    const tls: RequestOptions = {
      ca: options.ca,
      cert: options.cert,
      key: options.key,
      rejectUnauthorized: options.rejectUnauthorized,
      servername: options.servername,
    };
    const tlsChanged =
      this.credentials !== undefined &&
      (String(this.credentials.tls.cert) !== String(tls.cert) ||
        String(this.credentials.tls.key) !== String(tls.key) ||
        String(this.credentials.tls.ca) !== String(tls.ca));
    if (tlsChanged) this.close(); // new pools pick up the rotated certificates
    this.credentials = { tls, headers };
    this.credentialsAt = Date.now();
    return this.credentials;
  }
}

function requireName(kind: ResourceKind, object: KubeObject): { name: string; namespace?: string } {
  const name = object.metadata?.name;
  if (!name) {
    throw new KubeRuntimeError(`a ${kind.kind} without metadata.name cannot be written`, {
      action: 'set metadata.name',
    });
  }
  return { name, namespace: object.metadata?.namespace };
}

/** `/api/v1` or `/apis/<group>/<version>`. */
function groupVersionPath(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
}

/** The URL of a collection; namespaced kinds without a namespace list across all namespaces. */
export function collectionPath(kind: ResourceKind, namespace?: string): string {
  const base = groupVersionPath(kind.apiVersion);
  return kind.namespaced && namespace
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/${kind.plural}`
    : `${base}/${kind.plural}`;
}

/** The URL of one object (and optionally its subresource). */
export function objectPath(
  kind: ResourceKind,
  namespace: string | undefined,
  name: string,
  subresource?: string,
): string {
  if (kind.namespaced && !namespace) {
    throw new KubeRuntimeError(`${kind.kind} ${name} is namespaced but no namespace was given`, {
      action: 'pass metadata.namespace',
    });
  }
  const path = `${collectionPath(kind, namespace)}/${encodeURIComponent(name)}`;
  return subresource ? `${path}/${subresource}` : path;
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
    response.on('aborted', () =>
      reject(new Error('the API server closed the connection mid-answer')),
    );
  });
}

function parseStatus(text: string): ApiStatus | undefined {
  try {
    const parsed = JSON.parse(text) as ApiStatus;
    return parsed && typeof parsed === 'object' ? parsed : undefined;
  } catch {
    return text ? { message: text.slice(0, 500) } : undefined;
  }
}
