/**
 * Values cached on an object itself, under a symbol, as non-enumerable properties: they live exactly as long as
 * the object, and are invisible to JSON, spreads and key listings.
 *
 * For short-lived objects (a live log batch, its results, their JSON) this is what a WeakMap keyed by them
 * should be, and under load is not: measured under a log flood, what a long-lived WeakMap held for such keys
 * survived V8's young-generation collections and was promoted to the old generation (which only a full
 * collection frees): a third of the server's promoted memory.
 */
export function readCached<T>(owner: object, key: symbol): T | undefined {
  return (owner as Record<symbol, T | undefined>)[key];
}

/** Caches `value` on `owner`; a frozen or sealed object caches nothing (its readers compute again). */
export function writeCached<T>(owner: object, key: symbol, value: T): void {
  if (Object.isExtensible(owner) || Object.hasOwn(owner, key)) Reflect.defineProperty(owner, key, { value, writable: true, configurable: true, enumerable: false });
}

/** The value cached on `owner` under `key`, computed and cached by `compute` the first time. */
export function cached<T>(owner: object, key: symbol, compute: () => T): T {
  let value = readCached<T>(owner, key);
  if (value === undefined) writeCached(owner, key, (value = compute()));
  return value;
}
