// The body of POST /v1/quote: the terms of an order as `createOrder` takes them (the manifest,
// the resources, the most the tenant pays per second), checked field by field before anything is
// decided. A bad field is a 400 that names it; a manifest the provider would refuse is not bad
// input but an answer (`manifest_rejected`), as the bid engine would give it.
import { Type, type Static } from '@sinclair/typebox';
import { Address, Uint256String } from '../api/schema.js';
import { formatIssues, validate } from '../api/validate.js';
import { marketplaceAbi } from '../chain/abi/index.js';
import { gpuModelId } from '../chain/identifiers.js';
import type { OrderResources } from '../market/order.js';
import { maxManifestBytes } from '../workloads/parse.js';
import { GatewayError } from './errors.js';

/** The route. */
export const quotePath = '/v1/quote';

/**
 * The largest body taken: a manifest of the most bytes the provider accepts, JSON-escaped (a
 * newline or a quote takes two bytes), and the few other fields.
 */
export const maxQuoteBodyBytes = 2 * maxManifestBytes + 16 * 1024;

/** The widest value of each `Resources` field: the contract's integer width (uint16, ...). */
function resourceMaximum(field: keyof Omit<OrderResources, 'gpuModel'>): number {
  const createOrder = (
    marketplaceAbi as readonly {
      readonly name?: string;
      readonly inputs?: readonly {
        readonly components?: readonly { readonly name: string; readonly type: string }[];
      }[];
    }[]
  ).find((item) => item.name === 'createOrder');
  const type = createOrder?.inputs?.[0]?.components?.find((c) => c.name === field)?.type;
  if (!type?.startsWith('uint')) {
    throw new Error(`the Marketplace ABI has no Resources.${field} integer (make generate)`);
  }
  return 2 ** Number(type.slice('uint'.length)) - 1;
}

const count = (field: keyof Omit<OrderResources, 'gpuModel'>, description: string) =>
  Type.Integer({ minimum: 0, maximum: resourceMaximum(field), description });

/** A GPU model as the chain carries it (keccak256 of the normalized name), or its name. */
const gpuModelIdPattern = /^0x[0-9a-fA-F]{64}$/;

export const QuoteRequestBody = Type.Object(
  {
    manifest: Type.String({
      minLength: 1,
      maxLength: maxManifestBytes,
      description: 'The workload manifest, YAML or JSON (the canonical JSON an order carries).',
    }),
    resources: Type.Object(
      {
        gpuModel: Type.String({
          minLength: 1,
          maxLength: 128,
          description:
            'The GPU model name (NVIDIA-H100-80GB-HBM3), or its id as an order carries it (0x and 64 hex digits).',
        }),
        gpuCount: count('gpuCount', 'GPUs in all.'),
        gpuMemoryMiB: count('gpuMemoryMiB', 'Least memory per GPU in MiB; 0: any.'),
        cpuMillicores: count('cpuMillicores', 'CPU in millicores.'),
        memoryMiB: count('memoryMiB', 'Memory in MiB.'),
        storageMiB: count('storageMiB', 'Ephemeral storage in MiB.'),
      },
      { additionalProperties: false, description: 'What the order buys.' },
    ),
    maxPricePerSecond: Uint256String('The most the tenant pays, token base units per second.'),
    provider: Type.Optional(Address('The provider to quote for, when the gateway serves several.')),
    tenant: Type.Optional(Address('The tenant who would order (default: the zero address).')),
    manifestHash: Type.Optional(
      Type.String({
        pattern: '^0x[0-9a-fA-F]{64}$',
        patternMessage: 'must be 0x and 64 hex digits',
        description:
          "The order's manifest hash (an order on chain); default: the hash of the canonical manifest.",
      }),
    ),
    orderId: Type.Optional(Uint256String('The order quoted, when it is on chain already.')),
  },
  { additionalProperties: false },
);

/** A quote request as checked: the order's terms in the bid engine's types. */
export interface QuoteRequest {
  readonly manifest: string;
  readonly resources: OrderResources;
  readonly maxPricePerSecond: bigint;
  readonly provider?: string;
  readonly tenant?: string;
  readonly manifestHash?: string;
  readonly orderId?: bigint;
}

/** The wire form of a {@link QuoteRequest} (what a client sends). */
export type QuoteRequestJson = Static<typeof QuoteRequestBody>;

/**
 * Checks a parsed JSON body.
 *
 * @throws GatewayError 400 `BadQuote` naming every bad field.
 * @example parseQuoteRequest({ manifest, resources: { gpuModel: 'NVIDIA-H100-80GB-HBM3', gpuCount: 1, ... }, maxPricePerSecond: '1666' })
 */
export function parseQuoteRequest(body: unknown): QuoteRequest {
  const checked = validate(QuoteRequestBody, body);
  if (!checked.ok) {
    throw new GatewayError(
      400,
      'BadQuote',
      `invalid quote request: ${formatIssues(checked.issues)}`,
    );
  }
  const { manifest, resources, maxPricePerSecond, provider, tenant, manifestHash, orderId } =
    checked.value;
  return {
    manifest,
    resources: {
      ...resources,
      gpuModel: gpuModelIdPattern.test(resources.gpuModel)
        ? resources.gpuModel.toLowerCase()
        : gpuModelId(resources.gpuModel),
    },
    maxPricePerSecond: BigInt(maxPricePerSecond),
    ...(provider ? { provider } : {}),
    ...(tenant ? { tenant } : {}),
    ...(manifestHash ? { manifestHash: manifestHash.toLowerCase() } : {}),
    ...(orderId ? { orderId: BigInt(orderId) } : {}),
  };
}

/** The wire form of a quote request, from the order's terms (what the CLI sends). */
export function quoteRequestJson(request: QuoteRequest): QuoteRequestJson {
  return {
    manifest: request.manifest,
    resources: request.resources,
    maxPricePerSecond: request.maxPricePerSecond.toString(),
    ...(request.provider ? { provider: request.provider } : {}),
    ...(request.tenant ? { tenant: request.tenant } : {}),
    ...(request.manifestHash ? { manifestHash: request.manifestHash } : {}),
    ...(request.orderId !== undefined ? { orderId: request.orderId.toString() } : {}),
  };
}
