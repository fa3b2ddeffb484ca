import { describe, expect, it } from 'vitest';
import { cached, readCached, writeCached } from '../src/object-cache.ts';

describe('values cached on an object', () => {
  const KEY = Symbol('test cache');

  it('computes once and returns the cached value after', () => {
    const owner = { a: 1 };
    let calls = 0;
    const compute = () => ({ n: ++calls });
    const first = cached(owner, KEY, compute);
    expect(cached(owner, KEY, compute)).toBe(first);
    expect(calls).toBe(1);
    writeCached(owner, KEY, { n: 42 });
    expect(readCached(owner, KEY)).toEqual({ n: 42 });
  });

  it('is invisible to JSON, spreads, key listings and equality', () => {
    const owner = { a: 1, nested: { b: 2 } };
    cached(owner, KEY, () => 'hidden');
    expect(JSON.stringify(owner)).toBe('{"a":1,"nested":{"b":2}}');
    expect(Object.keys(owner)).toEqual(['a', 'nested']);
    expect(Object.getOwnPropertySymbols({ ...owner })).toEqual([]);
    expect(readCached({ ...owner }, KEY)).toBeUndefined();
    expect(owner).toEqual({ a: 1, nested: { b: 2 } });
  });

  it('keeps values apart per object and per key', () => {
    const OTHER = Symbol('other cache');
    const x = {};
    const y = {};
    cached(x, KEY, () => 'x');
    cached(y, KEY, () => 'y');
    cached(x, OTHER, () => 'x other');
    expect([readCached(x, KEY), readCached(y, KEY), readCached(x, OTHER), readCached(y, OTHER)]).toEqual(['x', 'y', 'x other', undefined]);
  });

  it('caches nothing on a frozen object, and still gives the computed value', () => {
    const frozen = Object.freeze({ a: 1 });
    let calls = 0;
    expect(cached(frozen, KEY, () => ++calls)).toBe(1);
    expect(cached(frozen, KEY, () => ++calls)).toBe(2);
    expect(readCached(frozen, KEY)).toBeUndefined();
  });
});
