/**
 * An async iterator fed by pushes, holding at most `limit` items.
 * When the consumer falls behind, the queue is cleared and `overflowed` is set instead of growing,
 * so a producer never blocks and memory stays bounded; the consumer then catches up from storage.
 */
export class BoundedQueue<T> implements AsyncIterableIterator<T> {
  #items: T[] = [];
  #waiter: ((result: IteratorResult<T>) => void) | undefined;
  #closed = false;
  overflowed = false;

  #onClose: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Runs `fn` when the consumer stops (normally, by error, or by an abrupt client disconnect). */
  onClosed(fn: () => void): void {
    this.#onClose.push(fn);
  }

  push(item: T): void {
    if (this.#closed) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter({ value: item, done: false });
      return;
    }
    if (this.#items.length >= this.limit) {
      this.#items = [];
      this.overflowed = true;
      return;
    }
    this.#items.push(item);
  }

  get size(): number {
    return this.#items.length;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#items.length) return Promise.resolve({ value: this.#items.shift() as T, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.#waiter = resolve));
  }

  /** The next buffered item, left in place (undefined when none is buffered). */
  peek(): T | undefined {
    return this.#items[0];
  }

  /** Takes the next buffered item without waiting (undefined when none is buffered). */
  shift(): T | undefined {
    return this.#items.shift();
  }

  /** Takes everything buffered right now without waiting. */
  drain(): T[] {
    const items = this.#items;
    this.#items = [];
    return items;
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#items = [];
    for (const fn of this.#onClose.splice(0)) fn();
    this.#waiter?.({ value: undefined, done: true });
    this.#waiter = undefined;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
