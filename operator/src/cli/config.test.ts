import { describe, expect, it } from '@jest/globals';
import {
  defaultConfigPath,
  requirePrivateKey,
  resolveSettings,
  stackTenantAccountIndex,
  type ResolveSettingsParameters,
} from './config.js';
import { CliUsageError } from './errors.js';

const key = (digit: string): string => `0x${digit.repeat(64)}`;
const address = (digit: string): string => `0x${digit.repeat(40)}`;

const home = '/home/tenant';
const cwd = '/srv/tenant/project';

const stackJson = JSON.stringify({
  rpcUrl: 'http://127.0.0.1:8545',
  chainId: 31337,
  contracts: { marketplace: address('5'), token: address('6') },
  accounts: [{ privateKey: key('0') }, { privateKey: key('1') }, { privateKey: key('2') }],
});

function resolveWith(
  files: Record<string, string>,
  rest: Partial<ResolveSettingsParameters> = {},
): ReturnType<typeof resolveSettings> {
  return resolveSettings({
    flags: {},
    env: {},
    cwd,
    home,
    readFile: (path) => files[path],
    ...rest,
  });
}

describe('resolveSettings', () => {
  const config = [
    'rpcUrl: http://config:8545',
    `marketplace: "${address('c')}"`,
    'privateKeyFile: tenant.key',
    'chainId: 5',
  ].join('\n');
  const files = {
    [defaultConfigPath(home)]: config,
    [`${home}/.config/supercloud/tenant.key`]: `${key('c')}\n`,
  };

  it('reads the config file, with a key file relative to it', () => {
    expect(resolveWith(files)).toEqual({
      rpcUrl: 'http://config:8545',
      marketplace: address('c'),
      privateKey: key('c'),
      chainId: 5,
      sources: {
        rpcUrl: `config ${defaultConfigPath(home)}`,
        marketplace: `config ${defaultConfigPath(home)}`,
        privateKey: `config ${defaultConfigPath(home)} (file ${home}/.config/supercloud/tenant.key)`,
      },
    });
  });

  it('lets the environment override the file, and flags override both, field by field', () => {
    const env = { SUPERCLOUD_RPC_URL: 'http://env:8545', SUPERCLOUD_PRIVATE_KEY: key('e') };
    const fromEnv = resolveWith(files, { env });
    expect(fromEnv).toMatchObject({
      rpcUrl: 'http://env:8545',
      marketplace: address('c'),
      privateKey: key('e'),
    });
    const fromFlags = resolveWith(
      { ...files, [`${cwd}/my.key`]: key('f').slice(2) },
      { env, flags: { rpcUrl: 'http://flag:8545', keyFile: 'my.key' } },
    );
    expect(fromFlags).toMatchObject({
      rpcUrl: 'http://flag:8545',
      marketplace: address('c'),
      privateKey: key('f'),
      sources: { rpcUrl: 'flag', marketplace: `config ${defaultConfigPath(home)}` },
    });
  });

  it('uses ./.stack/stack.json and its tenant account when there is no config file', () => {
    const settings = resolveWith({ [`${cwd}/.stack/stack.json`]: stackJson });
    expect(settings).toMatchObject({
      rpcUrl: 'http://127.0.0.1:8545',
      marketplace: address('5'),
      privateKey: key(String(stackTenantAccountIndex)),
      chainId: 31337,
    });
  });

  it('ignores ./.stack/stack.json when a config file exists, but not an explicit --stack', () => {
    const both = { ...files, [`${cwd}/.stack/stack.json`]: stackJson };
    expect(resolveWith(both).rpcUrl).toBe('http://config:8545');
    expect(resolveWith(both, { flags: { stack: '.stack/stack.json' } }).rpcUrl).toBe(
      'http://127.0.0.1:8545',
    );
  });

  it('fails when an explicit config or stack file is missing', () => {
    expect(() => resolveWith({}, { flags: { config: 'nope.yaml' } })).toThrow(
      /config file \/srv\/tenant\/project\/nope.yaml does not exist/,
    );
    expect(() => resolveWith({}, { env: { SUPERCLOUD_STACK: '/x/stack.json' } })).toThrow(
      /stack description \/x\/stack.json does not exist/,
    );
  });

  it('names every way to set a missing setting', () => {
    expect(() => resolveWith({})).toThrow(
      /the RPC URL is not set.*--rpc-url.*SUPERCLOUD_RPC_URL.*rpcUrl/,
    );
    expect(() => resolveWith({}, { flags: { rpcUrl: 'http://x' } })).toThrow(
      /the marketplace address is not set/,
    );
  });

  it('checks the key and the address without echoing the key', () => {
    const badKey = 'zz'.repeat(32);
    const attempt = () =>
      resolveWith({}, { flags: { rpcUrl: 'http://x', marketplace: address('a'), key: badKey } });
    expect(attempt).toThrow(/private key from flag is not 32 bytes of hex/);
    expect(attempt).not.toThrow(new RegExp(badKey));
    expect(() => resolveWith({}, { flags: { rpcUrl: 'http://x', marketplace: '0x12' } })).toThrow(
      /not a 20-byte hex address/,
    );
  });

  it('refuses unknown config fields and a bad chain id', () => {
    expect(() => resolveWith({ [defaultConfigPath(home)]: 'rpcURL: http://x' })).toThrow(
      /unknown fields: rpcURL/,
    );
    expect(() => resolveWith(files, { env: { SUPERCLOUD_CHAIN_ID: 'mainnet' } })).toThrow(
      /SUPERCLOUD_CHAIN_ID must be a positive integer/,
    );
  });

  it('leaves the key out for read-only use, and requirePrivateKey says how to give one', () => {
    const settings = resolveWith({}, { flags: { rpcUrl: 'http://x', marketplace: address('a') } });
    expect(settings.privateKey).toBeUndefined();
    expect(() => requirePrivateKey(settings)).toThrow(CliUsageError);
    expect(() => requirePrivateKey(settings)).toThrow(/--key-file/);
  });
});
