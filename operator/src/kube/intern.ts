/**
 * One shared copy of each short string among the objects an informer cache holds. JSON.parse
 * gives every object its own copy of every string value, yet most of them repeat across objects
 * of a kind and across kinds: apiVersions, label keys and values, namespace and owner names, image
 * names, quantities, condition types and reasons. Sharing them cut the heap of 10,000 leases'
 * cached objects by about a third (measured by `make bench BENCH=scale`; see the kube README).
 *
 * The table is bounded: once it holds `maxEntries` strings it starts afresh, so strings seen once
 * (uids, timestamps) cannot make it grow without end; the strings repeated often are back in it
 * after their next occurrence. Interning never changes a value, only which copy an object points
 * to.
 *
 * @example const object = sharedInterner.intern(JSON.parse(text));
 */
export class StringInterner {
  private table = new Map<string, string>();

  constructor(
    /** Longer strings (messages, annotations, certificates) are rarely repeated: left alone. */
    private readonly maxLength = 64,
    private readonly maxEntries = 100_000,
  ) {}

  /** Strings in the table now (for tests and figures). */
  get size(): number {
    return this.table.size;
  }

  /** Replaces, in place, every short string value in `value` (objects and arrays, deeply) by its shared copy; returns `value`. */
  intern<T>(value: T): T {
    this.walk(value);
    return value;
  }

  private walk(value: unknown): void {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        if (typeof item === 'string') value[i] = this.canonical(item);
        else if (item !== null && typeof item === 'object') this.walk(item);
      }
    } else if (value !== null && typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key in record) {
        const item = record[key];
        if (typeof item === 'string') record[key] = this.canonical(item);
        else if (item !== null && typeof item === 'object') this.walk(item);
      }
    }
  }

  private canonical(text: string): string {
    if (text.length > this.maxLength) return text;
    const known = this.table.get(text);
    if (known !== undefined) return known;
    if (this.table.size >= this.maxEntries) this.table = new Map();
    this.table.set(text, text);
    return text;
  }
}

/** The interner of every informer in the process (strings repeat across kinds too). */
export const sharedInterner = new StringInterner();
