import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageCache, imageIdOf, parseImageId, type CachedImageInfo } from '../../src/inference/image-cache.ts';

let resultsDir: string;
let cache: ImageCache;

beforeEach(async () => {
  resultsDir = await mkdtemp(path.join(os.tmpdir(), 'anana-image-cache-'));
  cache = new ImageCache(resultsDir);
});
afterEach(() => rm(resultsDir, { recursive: true, force: true }));

function infoFor(bytes: Buffer): CachedImageInfo {
  return {
    imageId: imageIdOf(bytes),
    original: { format: 'png', width: 10, height: 20 },
    crop: { x: 0, y: 5, size: 10, padded: false, pad: { top: 0, left: 0, bottom: 0, right: 0 } },
    faceMethod: 'fallback-attention',
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('ImageCache', () => {
  it('returns what was stored under the content hash, in <results>/cache/images', async () => {
    const upload = Buffer.from('the original upload');
    const png = Buffer.from('crop bytes');
    await cache.put(infoFor(upload), png);
    const id = imageIdOf(upload);
    expect(await readdir(path.join(resultsDir, 'cache', 'images'))).toEqual([`${id}.json`, `${id}.png`]);
    expect(await cache.get(id)).toEqual({ png, info: infoFor(upload) });
  });

  it('keeps the first crop when the same image is stored again', async () => {
    const upload = Buffer.from('same upload');
    await cache.put(infoFor(upload), Buffer.from('first'));
    await cache.put(infoFor(upload), Buffer.from('second'));
    expect((await cache.get(imageIdOf(upload))).png.toString()).toBe('first');
  });

  it('leaves no temporary files behind', async () => {
    await Promise.all([1, 2, 3].map((n) => cache.put(infoFor(Buffer.from(`upload ${n}`)), Buffer.from(`crop ${n}`))));
    const files = await readdir(cache.dir);
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(files).toHaveLength(6);
  });

  it('says NOT_FOUND for a well-formed id never stored', async () => {
    await expect(cache.get('a'.repeat(64))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    { name: 'a path traversal', id: '../../etc/passwd' },
    { name: 'a traversal padded to 64 characters', id: `../../${'a'.repeat(58)}` },
    { name: 'a non-hex character', id: `${'a'.repeat(63)}g` },
    { name: 'uppercase hex', id: 'A'.repeat(64) },
    { name: 'a short id', id: 'abc123' },
    { name: 'a long id', id: 'a'.repeat(65) },
    { name: 'an empty id', id: '' },
    { name: 'a trailing newline', id: `${'a'.repeat(64)}\n` },
  ])('refuses $name with INVALID_INPUT', async ({ id }) => {
    expect(() => parseImageId(id)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
    await expect(cache.get(id)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});
