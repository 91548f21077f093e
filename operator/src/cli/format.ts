// Output of the tenant CLI: one JSON object for --json (bigints as decimal strings, so that no
// amount loses precision in a JavaScript or jq consumer), or aligned key/value and column tables.

/**
 * JSON with every bigint as a decimal string, indented.
 *
 * @example toJson({ orderId: 1n }) // '{\n  "orderId": "1"\n}'
 */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, member: unknown) => (typeof member === 'bigint' ? member.toString() : member),
    2,
  );
}

/** A cell: bigints and numbers in decimal, undefined as an empty cell. */
export type Cell = string | number | bigint | boolean | undefined;

function cellText(cell: Cell): string {
  return cell === undefined ? '' : String(cell);
}

/**
 * Rows of label and value, labels padded to one width.
 *
 * @example formatFields([['order', 1n], ['status', 'Open']]) // 'order   1\nstatus  Open'
 */
export function formatFields(rows: readonly (readonly [string, Cell])[]): string {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${cellText(value)}`).join('\n');
}

/**
 * A table with a header row; every column padded to its widest cell. Numbers and bigints are
 * right-aligned so that amounts line up.
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly Cell[])[],
): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => cellText(row[column]).length)),
  );
  const line = (cells: readonly Cell[], header: boolean): string =>
    cells
      .map((cell, column) => {
        const text = cellText(cell);
        const numeric = !header && (typeof cell === 'bigint' || typeof cell === 'number');
        return numeric ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
      })
      .join('  ')
      .trimEnd();
  return [line(headers, true), ...rows.map((row) => line(row, false))].join('\n');
}

/** A unix time in seconds as ISO 8601 UTC; `undefined` for 0 (the contracts' "not set"). */
export function isoTime(unixSeconds: bigint): string | undefined {
  if (unixSeconds === 0n) return undefined;
  return new Date(Number(unixSeconds) * 1000).toISOString().replace('.000Z', 'Z');
}

/** How long from `now` until `unixSeconds`, e.g. "in 1h 2m 3s" or "4m ago". */
export function relativeTime(unixSeconds: bigint, nowSeconds: bigint): string {
  const delta = unixSeconds - nowSeconds;
  const text = durationText(delta < 0n ? -delta : delta);
  return delta < 0n ? `${text} ago` : `in ${text}`;
}

/** Seconds as "1d 2h 3m 4s", leaving out zero units ("0s" for zero). */
export function durationText(seconds: bigint): string {
  const units: [bigint, string][] = [
    [86_400n, 'd'],
    [3600n, 'h'],
    [60n, 'm'],
    [1n, 's'],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of units) {
    if (rest >= size) {
      parts.push(`${rest / size}${name}`);
      rest %= size;
    }
  }
  return parts.length > 0 ? parts.join(' ') : '0s';
}
