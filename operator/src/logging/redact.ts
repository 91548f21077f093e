/** What replaces a secret in a log line. */
export const redacted = '[REDACTED]';

/**
 * Field names whose value is a secret whatever it looks like. Names ending in Ref/Name/Reference
 * point at a secret (e.g. `walletSecretRef`) and are kept.
 */
const secretKey =
  /(password|passwd|passphrase|secret|token|private[-_]?key|mnemonic|seed[-_]?phrase|authorization|api[-_]?key|credential|client[-_]?key|key[-_]?data)/i;
const referenceKey = /(ref|name|reference|path|file)$/i;

/**
 * A 32-byte hex string is a transaction hash or a private key; it is kept only under a field
 * named like a hash or an id (`txHash`, `blockHash`, `leaseId`, `topics`), and redacted elsewhere.
 */
const bytes32 = /^(0x)?[0-9a-fA-F]{64}$/;
const hashOrIdKey = /(hash|id|ids|root|topics?|salt|digest|block)$/i;

/** Secrets recognisable inside any string (log messages included). */
const secretPatterns: readonly [RegExp, string][] = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, redacted],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${redacted}`],
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, redacted],
  [
    /\b(private[_-]?key|privateKey|password|passphrase|secret|token|mnemonic)(["']?\s*[:=]\s*["']?)[^\s"',}]+/gi,
    `$1$2${redacted}`,
  ],
];

/** Removes recognisable secrets from a string. */
export function redactString(text: string): string {
  let result = text;
  for (const [pattern, replacement] of secretPatterns)
    result = result.replace(pattern, replacement);
  return result;
}

function isSecretKey(key: string): boolean {
  return secretKey.test(key) && !referenceKey.test(key);
}

/**
 * A copy of `value` safe to log: values under secret field names become `[REDACTED]`, 32-byte
 * hex strings outside hash/id fields too, and secrets inside strings are masked. Handles
 * cycles, Errors (message and stack) and deep objects.
 */
export function redact(value: unknown, key = '', seen = new WeakSet<object>(), depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (key && isSecretKey(key)) return redacted;
  if (typeof value === 'string') {
    if (bytes32.test(value) && !hashOrIdKey.test(key)) return redacted;
    return redactString(value);
  }
  if (typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  if (depth > 10) return '[Too deep]';
  seen.add(value);
  if (value instanceof Error) {
    const copy: Record<string, unknown> = {
      name: value.name,
      message: redactString(value.message),
    };
    if (value.stack) copy.stack = redactString(value.stack);
    for (const [k, v] of Object.entries(value)) copy[k] = redact(v, k, seen, depth + 1);
    return copy;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, key, seen, depth + 1));
  if (ArrayBuffer.isView(value)) return `<${value.byteLength} bytes>`;
  if (value instanceof Date) return value;
  const copy: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) copy[k] = redact(v, k, seen, depth + 1);
  return copy;
}
