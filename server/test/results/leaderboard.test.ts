import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScopeCache } from '../../src/results/scope-cache.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';

let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  dir = path.join(server.resultsDir, 'tune', 'laptop-run');
  await mkdir(dir, { recursive: true });
}, 60_000);
afterAll(() => server?.close());

async function writeTrial(n: number, score: number, metric = 'val_loss') {
  const file = path.join(dir, `trial_${n}.json`);
  await writeFile(file, JSON.stringify({ params: { lr: n / 1000 }, score, metric }));
  expect(await server.app.services.trials.ingestFile(file, null, 'LOCAL')).toBe(true);
}

const BOARD = `query($first: Int, $after: String, $metric: String) {
  leaderboard(first: $first, after: $after, metric: $metric) { metric totalCount hasMore endCursor rows { number score } }
}`;

describe('leaderboard', () => {
  it('counts and ranks a trial written after the count was last computed', async () => {
    await writeTrial(1, 0.5);
    await writeTrial(2, 0.3);
    const before = (await server.gql(BOARD)).data.leaderboard;
    expect(before).toMatchObject({ metric: 'val_loss', totalCount: 2 });
    await writeTrial(3, 0.1);
    const after = (await server.gql(BOARD)).data.leaderboard;
    expect(after.totalCount).toBe(3);
    expect(after.rows.map((r: any) => r.number)).toEqual([3, 2, 1]);
  });

  it('switches the default metric when another metric becomes the most reported', async () => {
    for (const n of [10, 11, 12, 13]) await writeTrial(n, 0.9 - n / 100, 'accuracy');
    const board = (await server.gql(BOARD)).data.leaderboard;
    expect(board).toMatchObject({ metric: 'accuracy', totalCount: 4 });
    // Maximised: the highest accuracy first.
    expect(board.rows.map((r: any) => r.number)).toEqual([10, 11, 12, 13]);
  });

  it('walks pages of tied scores by cursor with every trial exactly once, in id order within the tie', async () => {
    for (const n of [20, 21, 22, 23, 24, 25, 26]) await writeTrial(n, 0.42, 'tied_loss');
    const seen: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const board: any = (await server.gql(BOARD, { first: 2, after, metric: 'tied_loss' })).data.leaderboard;
      seen.push(...board.rows.map((r: any) => r.number));
      if (!board.hasMore) break;
      after = board.endCursor;
    }
    expect([...seen].sort()).toEqual([20, 21, 22, 23, 24, 25, 26]);
    expect(new Set(seen).size).toBe(7);
    const ids = (await server.app.services.db.prisma.trial.findMany({ where: { metric: 'tied_loss' }, orderBy: { id: 'asc' }, select: { number: true } })).map((t) => t.number);
    expect(seen).toEqual(ids);
  });

  it('filters by source and by job', async () => {
    const file = path.join(dir, 'trial_30.json');
    await writeFile(file, JSON.stringify({ params: { lr: 0.3 }, score: 0.2, metric: 'hub_loss' }));
    expect(await server.app.services.trials.ingestFile(file, null, 'HUB')).toBe(true);
    await writeTrial(31, 0.1, 'hub_loss');
    const query = `query($source: TrialSource, $jobId: ID) { leaderboard(metric: "hub_loss", source: $source, jobId: $jobId) { totalCount rows { number source } } }`;
    const hub = (await server.gql(query, { source: 'HUB' })).data.leaderboard;
    expect(hub).toEqual({ totalCount: 1, rows: [{ number: 30, source: 'HUB' }] });
    const local = (await server.gql(query, { source: 'LOCAL' })).data.leaderboard;
    expect(local).toEqual({ totalCount: 1, rows: [{ number: 31, source: 'LOCAL' }] });
    const otherJob = (await server.gql(query, { jobId: '00000000-0000-4000-8000-000000000000' })).data.leaderboard;
    expect(otherJob).toEqual({ totalCount: 0, rows: [] });
  });
});

describe('ScopeCache', () => {
  it('computes once for concurrent callers, and again after an invalidation', async () => {
    const cache = new ScopeCache<number>();
    let calls = 0;
    const compute = async () => ++calls;
    expect(await Promise.all([cache.get('a', compute), cache.get('a', compute)])).toEqual([1, 1]);
    cache.invalidate();
    expect(await cache.get('a', compute)).toBe(2);
  });

  it('does not hand an answer still being computed at an invalidation to a later caller', async () => {
    const cache = new ScopeCache<string>();
    let release!: (v: string) => void;
    const slow = cache.get('k', () => new Promise<string>((r) => (release = r)));
    cache.invalidate();
    const fresh = cache.get('k', async () => 'after the write');
    release('before the write');
    expect(await slow).toBe('before the write');
    expect(await fresh).toBe('after the write');
    expect(await cache.get('k', async () => 'unused')).toBe('after the write');
  });

  it('forgets a failed computation', async () => {
    const cache = new ScopeCache<number>();
    await expect(cache.get('k', async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    expect(await cache.get('k', async () => 7)).toBe(7);
  });
});
