import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WriteWatch } from '../../src/logs/write-watch.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'anana-watch-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function file(name: string) {
  const p = path.join(dir, name);
  await writeFile(p, '');
  return p;
}

describe('WriteWatch', () => {
  it('ends a sleep at the first write instead of at its end', async () => {
    const out = await file('a.out');
    const watch = new WriteWatch([out]);
    try {
      let woke = false;
      const sleeping = watch.sleep(60_000).then(() => (woke = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(woke).toBe(false);
      await appendFile(out, 'line\n');
      await sleeping;
      expect(woke).toBe(true);
    } finally {
      watch.close();
    }
  });

  it('does not miss a write made between a read and the next sleep', async () => {
    const out = await file('b.out');
    const watch = new WriteWatch([out]);
    try {
      await appendFile(out, 'line\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Would wait the full minute if the write had been forgotten.
      await watch.sleep(60_000);
    } finally {
      watch.close();
    }
  });

  it('falls back to plain sleeps for a file it cannot watch', async () => {
    const watch = new WriteWatch([path.join(dir, 'missing')]);
    const t0 = Date.now();
    await watch.sleep(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    watch.close();
  });

  it('wakes a sleeper when closed', async () => {
    const watch = new WriteWatch([await file('c.out')]);
    const sleeping = watch.sleep(60_000);
    watch.close();
    await sleeping;
  });
});
