/**
 * Answers that cost a scan of every trial in a scope (how many there are, which metric most report),
 * kept until any trial is written. Invalidation also forgets answers still being computed, so no answer
 * started before a write is handed to a caller that arrives after it.
 */
export class ScopeCache<T> {
  readonly #values = new Map<string, Promise<T>>();

  constructor(private readonly maxEntries = 1_000) {}

  /** The cached answer for `key`, or the one `compute` gives (shared by concurrent callers). */
  get(key: string, compute: () => Promise<T>): Promise<T> {
    const cached = this.#values.get(key);
    if (cached) return cached;
    const value = compute();
    if (this.#values.size >= this.maxEntries) this.#values.clear();
    this.#values.set(key, value);
    value.catch(() => {
      if (this.#values.get(key) === value) this.#values.delete(key);
    });
    return value;
  }

  invalidate(): void {
    this.#values.clear();
  }
}
