/**
 * A small seeded generator (mulberry32): the same seed gives the same trials, data and curves on every
 * machine, which `Math.random` cannot.
 */
export class Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Derives an independent generator, so that trial `n` does not depend on how many trials ran before. */
  static derive(seed: number, ...streams: number[]): Random {
    let h = 2166136261 ^ (seed >>> 0);
    for (const value of streams) h = Math.imul(h ^ (value >>> 0), 16777619) >>> 0;
    return new Random(Math.imul(h ^ (h >>> 15), 2246822507) >>> 0);
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** Uniform in log space: the usual prior for learning rates and weight decay. */
  logUniform(low: number, high: number): number {
    return Math.exp(this.uniform(Math.log(low), Math.log(high)));
  }

  choice<T>(values: readonly T[]): T {
    return values[Math.floor(this.next() * values.length)];
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(values: T[]): T[] {
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [values[i], values[j]] = [values[j], values[i]];
    }
    return values;
  }
}
