import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { CliUsageError } from './errors.js';
import { secretEnvironmentName, secretsRequest, secretValue } from './secret-flags.js';

describe('secretValue', () => {
  it('splits NAME=VALUE at the first =', () => {
    expect(secretValue('hf-token=a=b', {})).toEqual(['hf-token', 'a=b']);
  });

  it('reads NAME alone from the upper-case environment variable', () => {
    expect(secretEnvironmentName('hf-token.v2')).toBe('HF_TOKEN_V2');
    expect(secretValue('hf-token', { HF_TOKEN: 'hf_x' })).toEqual(['hf-token', 'hf_x']);
  });

  it('names the variable to set when it is missing', () => {
    expect(() => secretValue('hf-token', {})).toThrow(
      new CliUsageError('hf-token: give hf-token=VALUE, or set the environment variable HF_TOKEN'),
    );
  });
});

describe('secretsRequest', () => {
  it('is undefined when nothing is to be delivered', () => {
    expect(secretsRequest([], {})).toBeUndefined();
  });

  it('reads the registry password from its file, trimmed', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'secret-flags-')), 'pat');
    writeFileSync(file, 'ghp_secret\n');
    expect(
      secretsRequest(['a=1'], {
        registry: 'ghcr.io',
        registryUser: 'me',
        registryPasswordFile: file,
      }),
    ).toEqual({
      values: { a: '1' },
      registry: { server: 'ghcr.io', username: 'me', password: 'ghp_secret' },
    });
  });

  it('refuses a registry without its user and password file', () => {
    expect(() => secretsRequest([], { registry: 'ghcr.io' })).toThrow(
      '--registry needs --registry-user and --registry-password-file',
    );
  });
});
