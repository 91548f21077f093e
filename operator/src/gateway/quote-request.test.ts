import { gpuModelId } from '../chain/identifiers.js';
import { GatewayError } from './errors.js';
import { parseQuoteRequest, quoteRequestJson } from './quote-request.js';

const resources = {
  gpuModel: 'NVIDIA-H100-80GB-HBM3',
  gpuCount: 2,
  gpuMemoryMiB: 0,
  cpuMillicores: 16_000,
  memoryMiB: 131_072,
  storageMiB: 102_400,
};
const body = { manifest: 'version: v1\nservices: []\n', resources, maxPricePerSecond: '1666' };

/** The refusal of a body: status, code and message. */
function refusal(value: unknown): GatewayError {
  try {
    parseQuoteRequest(value);
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
  throw new Error('the body was accepted');
}

describe('parseQuoteRequest', () => {
  it('takes the terms of an order, the GPU model by name, as the chain carries it (its id)', () => {
    expect(parseQuoteRequest(body)).toEqual({
      manifest: body.manifest,
      resources: { ...resources, gpuModel: gpuModelId('NVIDIA-H100-80GB-HBM3') },
      maxPricePerSecond: 1666n,
    });
  });

  it("takes a model id as an order carries it, an order's id, hash, tenant and provider", () => {
    const id = gpuModelId('NVIDIA-H100-80GB-HBM3').toUpperCase().replace('0X', '0x');
    const hash = `0x${'AB'.repeat(32)}`;
    const parsed = parseQuoteRequest({
      ...body,
      resources: { ...resources, gpuModel: id },
      orderId: '4',
      manifestHash: hash,
      tenant: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
      provider: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
    });
    expect(parsed.resources.gpuModel).toBe(gpuModelId('NVIDIA-H100-80GB-HBM3'));
    expect(parsed).toMatchObject({ orderId: 4n, manifestHash: hash.toLowerCase() });
  });

  it('round-trips through the wire form the CLI sends', () => {
    const parsed = parseQuoteRequest({ ...body, orderId: '9' });
    expect(parseQuoteRequest(JSON.parse(JSON.stringify(quoteRequestJson(parsed))))).toEqual(parsed);
  });

  it.each([
    ['not an object', '(root)', 'Expected object'],
    [{ ...body, manifest: undefined }, 'manifest', 'Expected string'],
    [{ ...body, manifest: 7 }, 'manifest', 'Expected string'],
    [{ ...body, maxPricePerSecond: '-1' }, 'maxPricePerSecond', 'decimal integer'],
    [{ ...body, maxPricePerSecond: 1666 }, 'maxPricePerSecond', 'Expected string'],
    [
      { ...body, resources: { ...resources, gpuCount: -1 } },
      'resources.gpuCount',
      'greater or equal to 0',
    ],
    // The contract's uint16: an order cannot ask for more.
    [{ ...body, resources: { ...resources, gpuCount: 65_536 } }, 'resources.gpuCount', '65535'],
    [{ ...body, resources: { ...resources, cpuMillicores: 1.5 } }, 'resources.cpuMillicores', ''],
    [{ ...body, resources: { ...resources, gpuModel: '' } }, 'resources.gpuModel', ''],
    [{ ...body, resources: { ...resources, gpus: 1 } }, 'resources.gpus', 'unknown field'],
    [{ ...body, provider: `0x${'z'.repeat(40)}` }, 'provider', 'must be an address'],
    [{ ...body, manifestHash: '0x12' }, 'manifestHash', 'must be 0x and 64 hex digits'],
    [{ ...body, extra: true }, 'extra', 'unknown field'],
  ])('refuses %j with a 400 naming %s', (value, field, message) => {
    const error = refusal(value);
    expect(error).toMatchObject({ status: 400, code: 'BadQuote' });
    expect(error.message).toContain(`${field}: `);
    expect(error.message).toContain(message);
  });
});
