// The fault suite's randomness: one seeded generator (sfc32), so that a seed printed by a run
// replays the same schedule (which faults, in which order, at which points, how deep) and the same
// lifecycles (close by the tenant or let the escrow run out, how long to wait before closing).

/** A seed from SUPERCLOUD_FAULT_SEED (decimal or 0x-hex, below 2^32), else a fresh random one. */
export function faultSeed(value: string | undefined = process.env.SUPERCLOUD_FAULT_SEED): number {
  if (value === undefined || value.trim() === '') return Math.floor(Math.random() * 2 ** 32);
  const seed = Number(value.trim());
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) {
    throw new Error(`SUPERCLOUD_FAULT_SEED: "${value}" is not a whole number from 0 to 2^32 - 1`);
  }
  return seed;
}

export interface Random {
  readonly seed: number;
  /** Uniform in [0, 1). */
  next(): number;
  /** A whole number in [min, max]. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  shuffle<T>(items: readonly T[]): T[];
  /** An independent generator derived from this one (so that one consumer's draws do not shift another's). */
  fork(): Random;
}

/** sfc32 seeded from one 32-bit number (through splitmix32). */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const splitmix = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  const next = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 2 ** 32;
  };
  for (let i = 0; i < 12; i++) next();
  const random: Random = {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    shuffle: (items) => {
      const copy = [...items];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1));
        [copy[i], copy[j]] = [copy[j]!, copy[i]!];
      }
      return copy;
    },
    fork: () => seededRandom(Math.floor(next() * 2 ** 32)),
  };
  return random;
}
