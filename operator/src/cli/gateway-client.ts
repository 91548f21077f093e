// The tenant's side of the provider gateway: finds the gateway of the provider that won a lease
// (its gatewayUrl in the ProviderRegistry, or --gateway), signs each request with the tenant key
// (EIP-712, gateway/request-signature.ts) and turns the gateway's refusals into errors that name
// the provider and its URL.
import type { Provider, Signer } from 'ethers';
import { connectContract, marketplaceAbi, providerRegistryAbi } from '../chain/abi/index.js';
import { readLease } from '../chain/marketplace/read-lease.js';
import type { GatewayErrorBody } from '../gateway/errors.js';
import { signGatewayRequest } from '../gateway/request-signature.js';
import type { LeaseEvent } from '../gateway/events.js';
import type { SecretsAnswer, SecretsRequest } from '../gateway/secrets.js';
import type { LeaseStatusAnswer } from '../gateway/status.js';
import { CliUsageError } from './errors.js';

/** A gateway that could not be reached, or refused: names the provider and the URL. */
export class GatewayRequestError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'GatewayRequestError';
  }
}

export interface GatewayClientParameters {
  readonly provider: Provider;
  readonly marketplace: string;
  readonly chainId: number;
  readonly signer: Signer;
  /** The gateway's URL when it is not the one the provider registered (a local run, a proxy). */
  readonly gatewayUrl?: string;
}

export interface LogOptions {
  readonly service?: string;
  readonly replica?: number;
  readonly tail?: number;
  readonly since?: string;
  readonly follow?: boolean;
  readonly previous?: boolean;
}

/**
 * @example
 * const gateway = new GatewayClient({ provider, marketplace, chainId, signer: wallet });
 * console.log((await gateway.status(7n)).endpoints);
 * await gateway.logs(7n, { follow: true }, (text) => process.stdout.write(text));
 */
export class GatewayClient {
  constructor(private readonly parameters: GatewayClientParameters) {}

  /** The lease's status, services and endpoints. */
  status(leaseId: bigint): Promise<LeaseStatusAnswer> {
    return this.json(leaseId, 'GET', 'status');
  }

  /** The lease's Kubernetes Events. */
  async events(leaseId: bigint): Promise<LeaseEvent[]> {
    return (await this.json<{ events: LeaseEvent[] }>(leaseId, 'GET', 'events')).events;
  }

  /** Streams Events as they happen until the lease closes or `signal` aborts. */
  async followEvents(
    leaseId: bigint,
    onEvent: (event: LeaseEvent) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    let buffered = '';
    await this.stream(
      leaseId,
      'events?follow=true',
      (text) => {
        buffered += text;
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          if (line.trim()) onEvent(JSON.parse(line) as LeaseEvent);
          newline = buffered.indexOf('\n');
        }
      },
      signal,
    );
  }

  /** A replica's log; with follow, streamed until the lease closes or `signal` aborts. */
  async logs(
    leaseId: bigint,
    options: LogOptions,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const query = new URLSearchParams();
    if (options.service) query.set('service', options.service);
    if (options.replica !== undefined) query.set('replica', String(options.replica));
    if (options.tail !== undefined) query.set('tail', String(options.tail));
    if (options.since) query.set('since', options.since);
    if (options.follow) query.set('follow', 'true');
    if (options.previous) query.set('previous', 'true');
    const text = query.toString();
    await this.stream(leaseId, `logs${text ? `?${text}` : ''}`, onText, signal);
  }

  /** Delivers secret values and/or registry credentials; answers the names delivered. */
  putSecrets(leaseId: bigint, request: SecretsRequest): Promise<SecretsAnswer> {
    return this.json(leaseId, 'PUT', 'secrets', JSON.stringify(request));
  }

  /** The names of the secrets delivered (never their values). */
  listSecrets(leaseId: bigint): Promise<SecretsAnswer> {
    return this.json(leaseId, 'GET', 'secrets');
  }

  /** The gateway URL of the provider that won the lease. */
  async gatewayOf(leaseId: bigint): Promise<{ url: string; provider: string }> {
    const { provider, marketplace } = this.parameters;
    const lease = await readLease(provider, { marketplace, leaseId });
    if (!lease.exists) {
      throw new CliUsageError(
        `there is no lease ${leaseId} on chain`,
        'check the id (supercloud order show <orderId>)',
      );
    }
    if (this.parameters.gatewayUrl)
      return { url: this.parameters.gatewayUrl, provider: lease.provider };
    const registryAddress = await connectContract(marketplaceAbi, marketplace, provider).registry();
    const registry = connectContract(providerRegistryAbi, registryAddress, provider);
    const info = await registry.getProvider(lease.provider);
    if (!info.gatewayUrl) {
      throw new CliUsageError(
        `provider ${lease.provider} registered no gateway URL`,
        'ask the provider, or pass --gateway <url>',
      );
    }
    return { url: info.gatewayUrl, provider: lease.provider };
  }

  private async send(
    leaseId: bigint,
    method: string,
    route: string,
    body?: string,
    signal?: AbortSignal,
  ): Promise<Response> {
    const { url, provider } = await this.gatewayOf(leaseId);
    const path = `/v1/leases/${leaseId}/${route}`;
    const headers = await signGatewayRequest(
      this.parameters.signer,
      { chainId: this.parameters.chainId, marketplace: this.parameters.marketplace },
      { method, path, leaseId, ...(body !== undefined ? { body } : {}) },
    );
    let response: Response;
    try {
      response = await fetch(new URL(path, url), {
        method,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new GatewayRequestError(
        `the gateway of provider ${provider} at ${url} does not answer (${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)})`,
        'Unreachable',
        0,
      );
    }
    if (!response.ok) {
      const refusal = (await response.json().catch(() => undefined)) as
        GatewayErrorBody | undefined;
      throw new GatewayRequestError(
        `the gateway of provider ${provider} (${url}) refused: ${refusal?.error.message ?? `HTTP ${response.status}`}`,
        refusal?.error.code ?? 'Http',
        response.status,
      );
    }
    return response;
  }

  private async json<T>(leaseId: bigint, method: string, route: string, body?: string): Promise<T> {
    return (await (await this.send(leaseId, method, route, body)).json()) as T;
  }

  private async stream(
    leaseId: bigint,
    route: string,
    onText: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    const response = await this.send(leaseId, 'GET', route, undefined, signal);
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body)
        onText(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch (error) {
      if (!signal?.aborted) throw error;
    }
  }
}
