/** Returned by a mapIterator function to leave an item out. */
export const SKIP: unique symbol = Symbol('skip');

/**
 * `fn(item)` for each item of `source`, leaving out the items for which it returns SKIP. A plain iterator, not an
 * async generator: a generator's return() waits until its pending next() settles (for a subscription of a quiet
 * job, until the job prints again); this one hands return() to the source at once, so a dropped subscriber's
 * listeners go at once. An error reading the source is passed through `onSourceError`; when `fn` fails, the
 * source is returned before the error is thrown.
 */
export function mapIterator<T, R>(
  source: AsyncIterator<T>,
  fn: (item: T) => R | typeof SKIP | Promise<R | typeof SKIP>,
  onSourceError: (error: unknown) => unknown = (error) => error,
): AsyncGenerator<R> {
  const iterator = {
    async next(): Promise<IteratorResult<R>> {
      for (;;) {
        let step: IteratorResult<T>;
        try {
          step = await source.next();
        } catch (error) {
          throw onSourceError(error);
        }
        if (step.done) return { value: undefined, done: true };
        let value: R | typeof SKIP;
        try {
          value = await fn(step.value);
        } catch (error) {
          await source.return?.();
          throw error;
        }
        if (value !== SKIP) return { value, done: false };
      }
    },
    async return(): Promise<IteratorResult<R>> {
      await source.return?.();
      return { value: undefined, done: true };
    },
    async throw(error: unknown): Promise<IteratorResult<R>> {
      await source.return?.();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator as AsyncGenerator<R>;
}
