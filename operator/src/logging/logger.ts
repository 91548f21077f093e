import type { Writable } from 'node:stream';
import winston from 'winston';
import { redact, redactString } from './redact.js';

export type { Logger } from 'winston';

/** The levels a logger accepts, most severe first (npm levels, as winston). */
export const logLevels = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LoggerOptions {
  /** From configuration; default `info`. */
  readonly level?: string;
  /** Added to every line, e.g. `{ component: 'operator' }`. */
  readonly fields?: Record<string, unknown>;
  /** Where lines go; default stdout. Tests pass a stream to read them back. */
  readonly stream?: Writable;
  /** No output at all (unit tests). */
  readonly silent?: boolean;
}

/** Throws a clear error for a level that is not one of `logLevels`. */
export function parseLogLevel(level: string): LogLevel {
  if ((logLevels as readonly string[]).includes(level)) return level as LogLevel;
  throw new Error(`log level "${level}" is not one of ${logLevels.join(', ')}`);
}

/**
 * Masks secrets in every line, whatever a caller passes: the message, every field, nested
 * objects and errors (see `redact`). Symbol-keyed winston internals are left alone.
 */
const redaction = winston.format((info) => {
  for (const key of Object.keys(info)) {
    info[key] =
      key === 'message' && typeof info[key] === 'string'
        ? redactString(info[key])
        : redact(info[key], key);
  }
  return info;
});

/**
 * A winston JSON logger: one JSON object per line with `level`, `message`, `timestamp` and fields.
 * Make a per-reconcile child with `logger.child({ controller, key })`.
 */
export function createLogger(options: LoggerOptions = {}): winston.Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: parseLogLevel(options.level ?? 'info'),
    levels: winston.config.npm.levels,
    silent: options.silent,
    defaultMeta: options.fields,
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      redaction(),
      winston.format.timestamp(),
      winston.format.json(),
    ),
    transports: [transport],
  });
}

/** A logger that prints nothing (unit tests, libraries used without one). */
export function silentLogger(): winston.Logger {
  return createLogger({ silent: true });
}
