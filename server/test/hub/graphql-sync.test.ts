import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubService } from '../../src/hub/hub-service.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

const SHARED_REPO = 'anana-tester/shared-results';
const [onlyA, shared, onlyB] = [randomUUID(), randomUUID(), randomUUID()];

let fake: FakeHub;
/** Two machines sharing one repo, each with trials of its own and one identical trial. */
let a: TestServer;
let b: TestServer;
let unconfigured: TestServer;
const dirs: string[] = [];

beforeAll(async () => {
  fake = await startFakeHub();
  [a, b, unconfigured] = await Promise.all([
    hubServer(SHARED_REPO, {
      [`tune/${onlyA}/trial_0.json`]: trial(0, 0.4),
      [`tune/${onlyA}/trial_1.json`]: trial(1, 0.3),
      [`tune/${shared}/trial_0.json`]: trial(0, 0.5),
    }),
    hubServer(SHARED_REPO, {
      [`tune/${shared}/trial_0.json`]: trial(0, 0.5),
      [`tune/${onlyB}/trial_0.json`]: trial(0, 0.2),
    }),
    startTestServer(),
  ]);
});

afterAll(async () => {
  await Promise.all([a, b, unconfigured].map((s) => s?.close()));
  await fake?.close();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const SYNC = `mutation($direction: SyncDirection!) {
  syncResults(direction: $direction) {
    direction repo uploaded downloaded pulledTrials pulledTrialFiles ingestedTrials errors commit
    conflicts { path rule } skipped { path reason } startedAt finishedAt
  }
}`;
const STATUS = `{ syncStatus { configured missing repo running intervalMs lastPushAt lastPullAt pendingPush errors conflicts { path } lastReports { direction } } }`;
const LEADERBOARD = `{ leaderboard(first: 100) { totalCount rows { filePath source score jobId } } }`;
const FLAVORS = `query($executor: Executor) { hardwareFlavors(executor: $executor) { name prettyName executor cpu ram accelerator pricePerHour unitLabel error } }`;
const TRANSFER = /\/preupload\/|\/commit\/|\/resolve\/|\/__lfs\/|\/info\/lfs\//;

const trial = (n: number, score: number) => JSON.stringify({ number: n, params: { learning_rate: 0.01 * (n + 1) }, score, metric: 'val_loss' });

/** A results folder holding `files` before its server starts (the start-up rescan indexes them as LOCAL). */
async function resultsWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'anana-hub-'));
  dirs.push(dir);
  for (const [rel, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), content);
  }
  return dir;
}

async function hubServer(repo: string, files: Record<string, string> = {}, env: Record<string, string> = {}): Promise<TestServer> {
  return startTestServer({
    resultsDir: await resultsWith(files),
    env: { HF_TOKEN: fake.token, HF_ENDPOINT: fake.url, ANANA_HUB_REPO: repo, ...env },
  });
}

async function sync(server: TestServer, direction: 'PUSH' | 'PULL' | 'BOTH') {
  const res = await server.gql(SYNC, { direction });
  expect(res.errors).toBeUndefined();
  return res.data.syncResults;
}

const board = async (server: TestServer) => (await server.gql(LEADERBOARD)).data.leaderboard;
const bySource = (rows: Array<{ filePath: string; source: string }>) => Object.fromEntries(rows.map((r) => [r.filePath, r.source]));

describe('results sync over GraphQL', () => {
  it('brings a trial pushed by one server to another one as source HUB, exactly once, and a repeated sync transfers nothing', async () => {
    const pushed = await sync(a, 'PUSH');
    expect(pushed.uploaded).toEqual([`tune/${onlyA}/trial_0.json`, `tune/${onlyA}/trial_1.json`, `tune/${shared}/trial_0.json`].sort());
    expect(pushed).toMatchObject({ direction: 'PUSH', repo: SHARED_REPO, errors: [], conflicts: [], commit: fake.headCommit(SHARED_REPO) });

    const pulled = await sync(b, 'PULL');
    expect(pulled.downloaded).toEqual([`tune/${onlyA}/trial_0.json`, `tune/${onlyA}/trial_1.json`]);
    expect(pulled).toMatchObject({ pulledTrials: 2, ingestedTrials: 2, errors: [], conflicts: [] });

    // The shared trial is identical on both sides: one row, still LOCAL; the remote ones are HUB.
    const onB = await board(b);
    expect(onB.totalCount).toBe(4);
    expect(bySource(onB.rows)).toEqual({
      [`tune/${onlyA}/trial_0.json`]: 'HUB',
      [`tune/${onlyA}/trial_1.json`]: 'HUB',
      [`tune/${shared}/trial_0.json`]: 'LOCAL',
      [`tune/${onlyB}/trial_0.json`]: 'LOCAL',
    });

    expect((await sync(b, 'BOTH')).uploaded).toEqual([`tune/${onlyB}/trial_0.json`]);
    const mark = fake.requests.length;
    const again = await sync(b, 'BOTH');
    expect(again).toMatchObject({ uploaded: [], downloaded: [], pulledTrials: 0, ingestedTrials: 0, commit: null, errors: [] });
    expect(fake.requests.slice(mark).filter((r) => TRANSFER.test(r.path))).toEqual([]);
    expect((await board(b)).totalCount).toBe(4);

    expect((await sync(a, 'PULL')).downloaded).toEqual([`tune/${onlyB}/trial_0.json`]);
    const onA = await board(a);
    expect(onA.totalCount).toBe(4);
    expect(bySource(onA.rows)[`tune/${onlyB}/trial_0.json`]).toBe('HUB');
    expect(onA.rows.filter((r: { source: string }) => r.source === 'LOCAL')).toHaveLength(3);

    const status = (await a.gql(STATUS)).data.syncStatus;
    expect(status).toMatchObject({ configured: true, missing: [], repo: SHARED_REPO, running: false, intervalMs: 0, pendingPush: [], conflicts: [], errors: [] });
    expect(Date.parse(status.lastPushAt)).toBeLessThanOrEqual(Date.parse(status.lastPullAt));
    expect(status.lastReports.map((r: { direction: string }) => r.direction)).toEqual(['PULL', 'PUSH']);
  });

  it('answers CONFLICT while a promotion holds the project lock, without touching the Hub', async () => {
    const added = `tune/${randomUUID()}/trial_0.json`;
    await mkdir(path.dirname(path.join(a.resultsDir, added)), { recursive: true });
    await writeFile(path.join(a.resultsDir, added), trial(0, 0.1));
    const { promotion } = a.app.services;
    await promotion.acquireLock('promotion', 'someone promoting');
    const mark = fake.requests.length;
    try {
      const res = await a.gql(SYNC, { direction: 'BOTH' });

      expect(res.data).toBeNull();
      expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(/promotion is in progress/), extensions: { code: 'CONFLICT' } });
      expect(fake.requests.length).toBe(mark);
    } finally {
      await promotion.releaseLock(null);
    }
    expect((await sync(a, 'BOTH')).uploaded).toContain(added);
  });

  it('reports NOT_CONFIGURED without HF_TOKEN and ANANA_HUB_REPO while the rest of the API works', async () => {
    const res = await unconfigured.gql(SYNC, { direction: 'PULL' });

    expect(res.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/HF_TOKEN and ANANA_HUB_REPO/),
      extensions: { code: 'NOT_CONFIGURED', missing: ['HF_TOKEN', 'ANANA_HUB_REPO'] },
    });
    expect((await unconfigured.gql(STATUS)).data.syncStatus).toMatchObject({ configured: false, missing: ['HF_TOKEN', 'ANANA_HUB_REPO'], repo: null, lastPushAt: null });
    const rest = await unconfigured.gql('{ health { ok } jobs { totalCount } leaderboard { totalCount } }');
    expect(rest).toEqual({ data: { health: { ok: true }, jobs: { totalCount: 0 }, leaderboard: { totalCount: 0 } } });
    const flavors = (await unconfigured.gql(FLAVORS)).data.hardwareFlavors;
    expect(flavors).toEqual([expect.objectContaining({ name: 'cpu', executor: 'LOCAL', pricePerHour: 0, error: expect.stringMatching(/not configured.*HF_TOKEN/) })]);
  });

  it('lists the Hub hardware flavors with hourly prices after the local one', async () => {
    const flavors = (await a.gql(FLAVORS)).data.hardwareFlavors;

    expect(flavors[0]).toMatchObject({ name: 'cpu', executor: 'LOCAL', error: null });
    expect(flavors.find((f: { name: string }) => f.name === 'cpu-basic')).toEqual({
      name: 'cpu-basic',
      prettyName: 'CPU Basic',
      executor: 'HF_JOBS',
      cpu: '2 vCPU',
      ram: '16 GB',
      accelerator: null,
      pricePerHour: 0.01,
      unitLabel: 'minute',
      error: null,
    });
    expect(flavors.find((f: { name: string }) => f.name === 'a10g-small')).toMatchObject({ accelerator: '1x Nvidia A10G (24 GB)', pricePerHour: 1 });
    const cloudOnly = (await a.gql(FLAVORS, { executor: 'HF_JOBS' })).data.hardwareFlavors;
    expect(cloudOnly.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(['cpu-basic', 't4-small', 'a10g-large']));
    expect(cloudOnly.some((f: { executor: string }) => f.executor === 'LOCAL')).toBe(false);
  });

  it('keeps serving when the Hub is unreachable: UPSTREAM from sync, the local flavor with the reason', async () => {
    const { services } = unconfigured.app;
    const resultsDir = await resultsWith({});
    const hub = new HubService({ ...services, config: { ...services.config, resultsDir, hfToken: fake.token, hubRepo: 'anana-tester/unreachable', hfEndpoint: 'http://127.0.0.1:9' } });

    await expect(hub.sync('PULL', 'tester')).rejects.toMatchObject({ code: 'UPSTREAM', message: expect.stringMatching(/cannot reach the Hub/) });
    expect(await hub.hardwareFlavors()).toEqual({ flavors: [expect.objectContaining({ name: 'cpu', executor: 'LOCAL' })], error: expect.stringMatching(/cannot reach the Hub/) });
    expect((await hub.status()).errors).toEqual([expect.stringMatching(/cannot reach the Hub/)]);
    expect((await unconfigured.gql('{ health { ok } }')).data.health.ok).toBe(true);
  });

  it('syncs in the background, skipping rounds while the project lock is held', async () => {
    // B's services with a sync period, as ANANA_SYNC_INTERVAL_MS=100 would give them.
    const { services } = b.app;
    const hub = new HubService({ ...services, config: { ...services.config, syncIntervalMs: 100 } });
    const [first, second] = [`tune/${randomUUID()}/trial_0.json`, `tune/${randomUUID()}/trial_0.json`];
    const sourceOn = async (file: string) => bySource((await board(b)).rows)[file];
    await hub.start();
    try {
      fake.putFile(SHARED_REPO, first, trial(0, 0.25));
      expect(await waitFor(() => sourceOn(first), 10_000, 'first background pull')).toBe('HUB');

      // A background round may hold the lock right now: the promotion waits for it, as a user would retry.
      const promotionLocks = () => services.promotion.acquireLock('promotion', 'someone promoting').then(() => true, () => false);
      await waitFor(promotionLocks, 10_000, 'the project lock');
      fake.putFile(SHARED_REPO, second, trial(0, 0.15));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(await sourceOn(second)).toBeUndefined();
      await services.promotion.releaseLock(null);

      expect(await waitFor(() => sourceOn(second), 10_000, 'background pull after the lock')).toBe('HUB');
      expect(await hub.status()).toMatchObject({ intervalMs: 100, lastPullAt: expect.any(String) });
    } finally {
      await services.promotion.releaseLock(null);
      await hub.close();
    }
  });
});
