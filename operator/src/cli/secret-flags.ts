// The secrets a tenant gives on the command line, for `secrets set` and `deploy --secret`: values
// as NAME=VALUE (or NAME, read from the environment so the value stays out of the shell history)
// and registry credentials whose password is read from a file.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { SecretsRequest } from '../gateway/secrets.js';
import { CliUsageError } from './errors.js';

export interface RegistryFlags {
  readonly registry?: string;
  readonly registryUser?: string;
  readonly registryPasswordFile?: string;
}

/** Adds --registry, --registry-user and --registry-password-file. */
export function withRegistryOptions(command: Command): Command {
  return command
    .option('--registry <server>', 'a private registry, e.g. ghcr.io')
    .option('--registry-user <name>', 'its user name')
    .option('--registry-password-file <path>', 'a file holding its password or token');
}

/** The environment variable a secret name alone is read from: `hf-token` → `HF_TOKEN`. */
export function secretEnvironmentName(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * NAME=VALUE, or NAME alone to read the value from the environment (`hf-token` from $HF_TOKEN),
 * which keeps it out of the shell history.
 */
export function secretValue(
  pair: string,
  environment: NodeJS.ProcessEnv = process.env,
): [string, string] {
  const equals = pair.indexOf('=');
  if (equals > 0) return [pair.slice(0, equals), pair.slice(equals + 1)];
  const variable = secretEnvironmentName(pair);
  const value = environment[variable];
  if (value === undefined) {
    throw new CliUsageError(
      `${pair}: give ${pair}=VALUE, or set the environment variable ${variable}`,
    );
  }
  return [pair, value];
}

/**
 * The delivery the flags describe, or undefined when they name nothing to deliver.
 *
 * @example secretsRequest(['hf-token'], { registry: 'ghcr.io', registryUser: 'me', registryPasswordFile: 'pat' })
 */
export function secretsRequest(
  pairs: readonly string[],
  flags: RegistryFlags,
): SecretsRequest | undefined {
  let registry: SecretsRequest['registry'];
  if (flags.registry) {
    if (!flags.registryUser || !flags.registryPasswordFile) {
      throw new CliUsageError('--registry needs --registry-user and --registry-password-file');
    }
    const password = readFileSync(flags.registryPasswordFile, 'utf8').trim();
    registry = { server: flags.registry, username: flags.registryUser, password };
  }
  if (pairs.length === 0 && !registry) return undefined;
  return {
    ...(pairs.length > 0
      ? { values: Object.fromEntries(pairs.map((pair) => secretValue(pair))) }
      : {}),
    ...(registry ? { registry } : {}),
  };
}
