import { PassThrough } from 'node:stream';
import { createLogger, parseLogLevel } from './logger.js';
import { redact, redactString, redacted } from './redact.js';

const privateKey = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d';
const txHash = '0x8a1f0c3c4e5d6b7a8f9e0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a69788796a5b4';

describe('redact', () => {
  it('masks values under secret field names, at any depth, but keeps references to secrets', () => {
    const out = redact({
      provider: { wallet: { privateKey, address: '0xabc' } },
      headers: { Authorization: 'Bearer abc.def.ghi' },
      password: 'hunter2',
      apiKey: 'k',
      walletSecretRef: { name: 'wallet' },
      accessToken: 't',
    });
    expect(out).toEqual({
      provider: { wallet: { privateKey: redacted, address: '0xabc' } },
      headers: { Authorization: redacted },
      password: redacted,
      apiKey: redacted,
      walletSecretRef: { name: 'wallet' },
      accessToken: redacted,
    });
  });

  it('keeps 32-byte hashes under hash and id fields and masks them anywhere else', () => {
    expect(redact({ txHash, blockHash: txHash, leaseId: txHash, topics: [txHash] })).toEqual({
      txHash,
      blockHash: txHash,
      leaseId: txHash,
      topics: [txHash],
    });
    expect(redact({ key: privateKey, values: [privateKey] })).toEqual({
      key: redacted,
      values: [redacted],
    });
  });

  it('masks tokens, JWTs, PEM keys and key=value secrets inside strings', () => {
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----';
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    expect(redactString(`key ${pem} end`)).toBe(`key ${redacted} end`);
    expect(redactString(`sent Authorization: Bearer ${jwt}`)).toBe(
      `sent Authorization: Bearer ${redacted}`,
    );
    expect(redactString(`token is ${jwt}`)).toBe(`token is ${redacted}`);
    expect(redactString(`privateKey=${privateKey} rest`)).toBe(`privateKey=${redacted} rest`);
    expect(redactString(`{"password": "x y"}`)).toBe(`{"password": "${redacted} y"}`);
    expect(redactString(`withdrew in ${txHash}`)).toBe(`withdrew in ${txHash}`);
  });

  it('handles errors, cycles and binary data', () => {
    const error = new Error(`signing failed with privateKey=${privateKey}`);
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic.self = cyclic;
    const out = redact({ error, cyclic, bytes: new Uint8Array(32) }) as {
      error: { message: string; stack: string };
      cyclic: { self: unknown };
      bytes: string;
    };
    expect(out.error.message).toBe(`signing failed with privateKey=${redacted}`);
    expect(out.error.stack).not.toContain(privateKey);
    expect(out.cyclic.self).toBe('[Circular]');
    expect(out.bytes).toBe('<32 bytes>');
  });
});

describe('createLogger', () => {
  function capture(level = 'info') {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    return { logger: createLogger({ level, stream, fields: { component: 'test' } }), lines };
  }

  it('writes JSON lines with child fields, and never a secret', async () => {
    const { logger, lines } = capture();
    const child = logger.child({ controller: 'computelease', key: 'lease-7' });
    child.info(`loaded wallet privateKey=${privateKey}`, { wallet: { privateKey }, txHash });
    child.error('failed', { error: new Error(`Bearer sometokenvalue123`) });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'info',
      component: 'test',
      controller: 'computelease',
      key: 'lease-7',
      wallet: { privateKey: redacted },
      txHash,
    });
    expect(typeof lines[0]!.timestamp).toBe('string');
    expect(JSON.stringify(lines)).not.toContain(privateKey.slice(2));
    expect(JSON.stringify(lines)).not.toContain('sometokenvalue123');
  });

  it('honours the configured level and rejects unknown levels', async () => {
    const { logger, lines } = capture('warn');
    logger.info('hidden');
    logger.warn('shown');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => line.message)).toEqual(['shown']);
    expect(() => parseLogLevel('loud')).toThrow(/not one of error, warn/);
  });
});
