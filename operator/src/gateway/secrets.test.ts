import { GatewayError } from './errors.js';
import { parseSecretsRequest, secretLimits } from './secrets.js';

function refused(body: unknown): string {
  try {
    parseSecretsRequest(body);
  } catch (error) {
    if (error instanceof GatewayError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseSecretsRequest', () => {
  it('takes values and registry credentials', () => {
    expect(
      parseSecretsRequest({
        values: { 'hf-token': 'x' },
        registry: { server: 'ghcr.io', username: 'me', password: 'p' },
      }),
    ).toEqual({
      values: { 'hf-token': 'x' },
      registry: { server: 'ghcr.io', username: 'me', password: 'p' },
    });
  });

  it('refuses what is not a delivery, naming the field', () => {
    expect(refused([])).toMatch('JSON object');
    expect(refused({})).toMatch('nothing to deliver');
    expect(refused({ value: {} })).toMatch('unknown field "value"');
    expect(refused({ values: { '../wallet': 'x' } })).toMatch('not a secret name');
    expect(refused({ values: { a: 1 } })).toMatch('values.a');
    expect(refused({ values: { a: 'x'.repeat(secretLimits.valueLength + 1) } })).toMatch(
      'values.a',
    );
    expect(
      refused({ values: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }),
    ).toMatch('at most 64');
    expect(
      refused({ registry: { server: 'https://ghcr.io', username: 'u', password: 'p' } }),
    ).toMatch('registry.server');
    expect(refused({ registry: { server: 'ghcr.io' } })).toMatch('registry must be');
  });

  it('never puts a value in a refusal', () => {
    expect(refused({ values: { a: 1, 'bad name': 'hunter2' } })).not.toMatch('hunter2');
  });
});
