// Where the CLI's connection settings come from, field by field, first match wins:
//   1. flags (--rpc-url, --marketplace, --key / --key-file, --chain-id)
//   2. environment (SUPERCLOUD_RPC_URL, SUPERCLOUD_MARKETPLACE, SUPERCLOUD_PRIVATE_KEY,
//      SUPERCLOUD_PRIVATE_KEY_FILE, SUPERCLOUD_CHAIN_ID)
//   3. a local stack description given with --stack / SUPERCLOUD_STACK
//   4. the config file (--config, SUPERCLOUD_CONFIG, default ~/.config/supercloud/config.yaml)
//   5. when there is no config file: ./.stack/stack.json, written by `make cluster-up`
// Pure: files are read through the `readFile` given, so the precedence is unit-tested.
import { dirname, isAbsolute, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { CliUsageError } from './errors.js';

/** Which account of a local stack's description acts as the tenant (the tests' convention). */
export const stackTenantAccountIndex = 1;

export const envNames = {
  rpcUrl: 'SUPERCLOUD_RPC_URL',
  marketplace: 'SUPERCLOUD_MARKETPLACE',
  privateKey: 'SUPERCLOUD_PRIVATE_KEY',
  privateKeyFile: 'SUPERCLOUD_PRIVATE_KEY_FILE',
  chainId: 'SUPERCLOUD_CHAIN_ID',
  config: 'SUPERCLOUD_CONFIG',
  stack: 'SUPERCLOUD_STACK',
} as const;

/** The connection flags every command takes (commander's camel-cased names). */
export interface ConnectionFlags {
  readonly rpcUrl?: string;
  readonly marketplace?: string;
  readonly key?: string;
  readonly keyFile?: string;
  readonly chainId?: string;
  readonly config?: string;
  readonly stack?: string;
}

/** Where each setting came from, for `--verbose`-style messages (never the key itself). */
export type SettingSource = 'flag' | 'environment' | 'stack' | 'config';

/** Everything needed to talk to the marketplace. The key is absent for read-only use. */
export interface ConnectionSettings {
  readonly rpcUrl: string;
  readonly marketplace: string;
  /** 0x-prefixed, 32 bytes. Never print it. */
  readonly privateKey?: string;
  /** When known; otherwise asked from the node. */
  readonly chainId?: number;
  readonly sources: Readonly<Partial<Record<'rpcUrl' | 'marketplace' | 'privateKey', string>>>;
}

export interface ResolveSettingsParameters {
  readonly flags: ConnectionFlags;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly home: string;
  /** The file's text, or undefined when it does not exist. */
  readonly readFile: (path: string) => string | undefined;
}

/** The config file's fields (YAML). Relative `privateKeyFile` paths are from the file's folder. */
interface ConfigFile {
  rpcUrl?: string;
  marketplace?: string;
  privateKey?: string;
  privateKeyFile?: string;
  chainId?: number;
}

/** One layer of settings, as found in one place. */
interface Layer {
  readonly source: string;
  readonly rpcUrl?: string;
  readonly marketplace?: string;
  readonly privateKey?: string;
  /** Read only if no earlier layer has a key. */
  readonly privateKeyFile?: string;
  readonly chainId?: number;
}

export function defaultConfigPath(home: string): string {
  return join(home, '.config', 'supercloud', 'config.yaml');
}

/**
 * Resolves the connection settings from flags, environment, a stack description and the config
 * file (see the top of this file for the order).
 * @throws CliUsageError naming the missing setting and every way to give it.
 */
export function resolveSettings(parameters: ResolveSettingsParameters): ConnectionSettings {
  const { flags, env, cwd, home, readFile } = parameters;
  const layers: Layer[] = [
    {
      source: 'flag',
      rpcUrl: flags.rpcUrl,
      marketplace: flags.marketplace,
      privateKey: flags.key,
      privateKeyFile: flags.keyFile && resolve(cwd, flags.keyFile),
      chainId: flags.chainId === undefined ? undefined : parseChainId('--chain-id', flags.chainId),
    },
    {
      source: 'environment',
      rpcUrl: nonEmpty(env[envNames.rpcUrl]),
      marketplace: nonEmpty(env[envNames.marketplace]),
      privateKey: nonEmpty(env[envNames.privateKey]),
      privateKeyFile: nonEmpty(env[envNames.privateKeyFile]),
      chainId: nonEmpty(env[envNames.chainId])
        ? parseChainId(envNames.chainId, env[envNames.chainId]!)
        : undefined,
    },
  ];

  const explicitStack = flags.stack ?? nonEmpty(env[envNames.stack]);
  if (explicitStack) {
    const path = resolve(cwd, explicitStack);
    const text = readFile(path);
    if (text === undefined) {
      throw new CliUsageError(
        `the stack description ${path} does not exist`,
        'start the local stack with `make cluster-up`, or pass the path of its .stack/stack.json',
      );
    }
    layers.push(stackLayer(path, text));
  }

  const explicitConfig = flags.config ?? nonEmpty(env[envNames.config]);
  const configPath = resolve(cwd, explicitConfig ?? defaultConfigPath(home));
  const configText = readFile(configPath);
  if (configText === undefined && explicitConfig) {
    throw new CliUsageError(
      `the config file ${configPath} does not exist`,
      'create it (YAML with rpcUrl, marketplace and privateKeyFile) or drop --config / SUPERCLOUD_CONFIG',
    );
  }
  if (configText !== undefined) {
    layers.push(configLayer(configPath, configText));
  } else if (!explicitStack) {
    const implicitStack = join(cwd, '.stack', 'stack.json');
    const text = readFile(implicitStack);
    if (text !== undefined) layers.push(stackLayer(implicitStack, text));
  }

  const first = <K extends 'rpcUrl' | 'marketplace' | 'chainId'>(
    key: K,
  ): { value: Layer[K]; source?: string } => {
    const layer = layers.find((candidate) => candidate[key] !== undefined);
    return layer ? { value: layer[key], source: layer.source } : { value: undefined };
  };
  const rpcUrl = first('rpcUrl');
  const marketplace = first('marketplace');
  const chainId = first('chainId');
  if (rpcUrl.value === undefined)
    throw missing('the RPC URL', '--rpc-url', envNames.rpcUrl, 'rpcUrl');
  if (marketplace.value === undefined) {
    throw missing('the marketplace address', '--marketplace', envNames.marketplace, 'marketplace');
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(marketplace.value)) {
    throw new CliUsageError(
      `the marketplace address "${marketplace.value}" (from ${marketplace.source}) is not a 20-byte hex address`,
    );
  }
  const key = privateKeyOf(layers, readFile);
  return {
    rpcUrl: rpcUrl.value,
    marketplace: marketplace.value,
    ...(key ? { privateKey: key.value } : {}),
    ...(chainId.value !== undefined ? { chainId: chainId.value } : {}),
    sources: {
      rpcUrl: rpcUrl.source,
      marketplace: marketplace.source,
      ...(key ? { privateKey: key.source } : {}),
    },
  };
}

/** The settings of a command that sends transactions: a key is required. */
export function requirePrivateKey(settings: ConnectionSettings): string {
  if (!settings.privateKey) {
    throw missing('a private key', '--key-file (or --key)', envNames.privateKey, 'privateKeyFile');
  }
  return settings.privateKey;
}

/** The first layer's key, inline or from a file; checked for shape without ever echoing it. */
function privateKeyOf(
  layers: readonly Layer[],
  readFile: (path: string) => string | undefined,
): { value: string; source: string } | undefined {
  for (const layer of layers) {
    let key = layer.privateKey;
    let where = layer.source;
    if (key === undefined && layer.privateKeyFile !== undefined) {
      key = readFile(layer.privateKeyFile)?.trim();
      where = `${layer.source} (file ${layer.privateKeyFile})`;
      if (key === undefined) {
        throw new CliUsageError(
          `the private key file ${layer.privateKeyFile} (from ${layer.source}) does not exist`,
        );
      }
    }
    if (key === undefined) continue;
    const normalized = key.startsWith('0x') ? key : `0x${key}`;
    if (!/^0x[0-9a-fA-F]{64}$/.test(normalized)) {
      throw new CliUsageError(
        `the private key from ${where} is not 32 bytes of hex`,
        'give the key as 64 hex digits, with or without 0x (the value is not shown here)',
      );
    }
    return { value: normalized, source: where };
  }
  return undefined;
}

function configLayer(path: string, text: string): Layer {
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliUsageError(`the config file ${path} is not valid YAML: ${reason}`);
  }
  if (parsed === null || parsed === undefined) return { source: `config ${path}` };
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CliUsageError(`the config file ${path} must be a YAML mapping`);
  }
  const config = parsed as Record<string, unknown>;
  const known = ['rpcUrl', 'marketplace', 'privateKey', 'privateKeyFile', 'chainId'];
  const unknown = Object.keys(config).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    throw new CliUsageError(
      `the config file ${path} has unknown fields: ${unknown.join(', ')}`,
      `use only ${known.join(', ')}`,
    );
  }
  const field = (key: keyof ConfigFile): string | undefined => {
    const value = config[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw new CliUsageError(`${key} in the config file ${path} must be a string`);
    }
    return value;
  };
  const keyFile = field('privateKeyFile');
  const chainId = config['chainId'];
  return {
    source: `config ${path}`,
    rpcUrl: field('rpcUrl'),
    marketplace: field('marketplace'),
    privateKey: field('privateKey'),
    privateKeyFile: keyFile && (isAbsolute(keyFile) ? keyFile : join(dirname(path), keyFile)),
    chainId:
      chainId === undefined || chainId === null
        ? undefined
        : parseChainId(`chainId in ${path}`, String(chainId)),
  };
}

/** The parts of `.stack/stack.json` (test/stack/description.ts) the CLI reads. */
interface StackFile {
  rpcUrl?: unknown;
  chainId?: unknown;
  contracts?: { marketplace?: unknown };
  accounts?: readonly { privateKey?: unknown }[];
}

function stackLayer(path: string, text: string): Layer {
  let stack: StackFile;
  try {
    stack = JSON.parse(text) as StackFile;
  } catch {
    throw new CliUsageError(
      `the stack description ${path} is not JSON`,
      'bring the stack up again with `make cluster-up`',
    );
  }
  const text_ = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  return {
    source: `stack ${path}`,
    rpcUrl: text_(stack.rpcUrl),
    marketplace: text_(stack.contracts?.marketplace),
    privateKey: text_(stack.accounts?.[stackTenantAccountIndex]?.privateKey),
    chainId: typeof stack.chainId === 'number' ? stack.chainId : undefined,
  };
}

function parseChainId(what: string, text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw new CliUsageError(`${what} must be a positive integer chain id, got "${text}"`);
  }
  return Number(text);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function missing(what: string, flag: string, env: string, configKey: string): CliUsageError {
  return new CliUsageError(
    `${what} is not set`,
    `pass ${flag}, set ${env}, put ${configKey} in ~/.config/supercloud/config.yaml, or run in a folder with .stack/stack.json (make cluster-up)`,
  );
}
