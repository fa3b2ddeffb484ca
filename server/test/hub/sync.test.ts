import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHubConfig } from '../../src/hub/config.ts';
import { getSyncStatus, syncResults, type SyncDirection, type SyncOptions } from '../../src/hub/sync.ts';
import { startFakeHub, type FakeHub, type FakeHubRequest } from '../support/fake-hub.ts';

let fake: FakeHub;
let root: string;
let counter = 0;

beforeAll(async () => {
  // Small pages and a low LFS threshold, so tree paging and the LFS upload path are exercised as well.
  fake = await startFakeHub({ treePageSize: 3, lfsThresholdBytes: 1024 });
  root = await mkdtemp(path.join(tmpdir(), 'anana-sync-'));
});

afterAll(async () => {
  await fake.close();
  await rm(root, { recursive: true, force: true });
});

const TRANSFER = /\/preupload\/|\/commit\/|\/resolve\/|\/__lfs\/|\/info\/lfs\//;
const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const trial = (n: number, score: number) => JSON.stringify({ number: n, params: { lr: 0.01 * (n + 1) }, score });

/** A fresh results folder and repo per test; requests are read from `since()` on. */
async function setup() {
  const repo = `team/results-${++counter}`;
  const dir = path.join(root, `case-${counter}`, '.anana-results');
  await mkdir(dir, { recursive: true });
  const hub = { url: fake.url, token: fake.token, repo };
  let mark = fake.requests.length;
  return {
    repo,
    dir,
    hub,
    sync: (direction: SyncDirection, extra: Partial<SyncOptions> = {}) => syncResults({ resultsDir: dir, direction, hub, ...extra }),
    write: async (rel: string, content: string | Buffer) => {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), content);
    },
    read: (rel: string) => readFile(path.join(dir, rel)),
    exists: (rel: string) => existsSync(path.join(dir, rel)),
    mark: () => void (mark = fake.requests.length),
    since: (): FakeHubRequest[] => fake.requests.slice(mark),
  };
}

describe('syncResults', () => {
  it('pushes trial files, run outputs and job metadata, creating the repo when it is missing', async () => {
    const t = await setup();
    const model = Buffer.alloc(4096, 7);
    await t.write('tune/j1/trial_0.json', trial(0, 0.8));
    await t.write('tune/j1/trial_1.json', trial(1, 0.9));
    await t.write('train/r1/model.onnx', model);
    await t.write('train/r1/metrics.json', '{"val_loss":0.1}');
    await t.write('train/r1/predictions/val.csv', 'id,label\n1,cat\n');
    await t.write('jobs/j1.json', '{"id":"j1"}');
    // Never synced: the database, caches, logs, files being written, dot files.
    await t.write('db/pglite/PG_VERSION', '17');
    await t.write('cache/blob.bin', 'x');
    await t.write('logs/j1.log', 'line');
    await t.write('tune/j1/trial_2.json.tmp', '{');
    await t.write('tune/j1/.lock', '');
    expect(fake.hasRepo(t.repo)).toBe(false);

    const report = await t.sync('PUSH');

    const pushed = ['jobs/j1.json', 'train/r1/metrics.json', 'train/r1/model.onnx', 'train/r1/predictions/val.csv', 'tune/j1/trial_0.json', 'tune/j1/trial_1.json'];
    expect(report.uploaded).toEqual(pushed);
    expect(fake.listFiles(t.repo)).toEqual(['.gitattributes', ...pushed]);
    expect(fake.getFile(t.repo, 'train/r1/model.onnx')).toEqual(model);
    expect(fake.getFile(t.repo, 'tune/j1/trial_1.json')?.toString()).toBe(trial(1, 0.9));
    expect(report.commit).toBe(fake.headCommit(t.repo));
    expect(report.errors).toEqual([]);
    expect(t.since().some((r) => r.path.endsWith('.git/info/lfs/objects/batch'))).toBe(true);
  });

  it('pulls remote files into the same paths and lists the pulled trial files', async () => {
    const t = await setup();
    const model = Buffer.alloc(3000, 9);
    fake.putFile(t.repo, 'tune/cloud-1/trial_0.json', trial(0, 0.7));
    fake.putFile(t.repo, 'train/run-9/model.onnx', model, { lfs: true });
    fake.putFile(t.repo, 'jobs/cloud-1.json', '{"id":"cloud-1"}');
    fake.putFile(t.repo, 'README.md', '# results');

    const report = await t.sync('PULL');

    expect(report.downloaded).toEqual(['jobs/cloud-1.json', 'train/run-9/model.onnx', 'tune/cloud-1/trial_0.json']);
    expect(report.pulledTrialFiles).toEqual(['tune/cloud-1/trial_0.json']);
    expect((await t.read('tune/cloud-1/trial_0.json')).toString()).toBe(trial(0, 0.7));
    expect(await t.read('train/run-9/model.onnx')).toEqual(model);
    expect(t.exists('README.md')).toBe(false);
    expect(report.uploaded).toEqual([]);
    expect(t.since().filter((r) => r.path.includes('/commit/'))).toEqual([]);
  });

  it('transfers nothing on a second sync when nothing changed', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.5));
    await t.write('train/r1/model.onnx', Buffer.alloc(2048, 1));
    fake.putFile(t.repo, 'tune/cloud/trial_0.json', trial(0, 0.6));
    fake.putFile(t.repo, 'train/cloud/model.onnx', Buffer.alloc(2048, 2), { lfs: true });
    const first = await t.sync('BOTH');
    expect(first.uploaded).toHaveLength(2);
    expect(first.downloaded).toHaveLength(2);

    t.mark();
    const second = await t.sync('BOTH');

    expect(second.uploaded).toEqual([]);
    expect(second.downloaded).toEqual([]);
    expect(t.since().filter((r) => TRANSFER.test(r.path))).toEqual([]);
    // It did look at the remote: the idempotence comes from comparing, not from not asking.
    expect(t.since().some((r) => r.path.includes('/tree/'))).toBe(true);
  });

  it('uploads only the file that changed since the last sync', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.5));
    await t.write('tune/j1/trial_1.json', trial(1, 0.6));
    await t.sync('PUSH');
    await t.write('tune/j1/trial_1.json', trial(1, 0.65));

    const report = await t.sync('BOTH');

    expect(report.uploaded).toEqual(['tune/j1/trial_1.json']);
    expect(report.downloaded).toEqual([]);
    expect(fake.getFile(t.repo, 'tune/j1/trial_1.json')?.toString()).toBe(trial(1, 0.65));
  });

  it('pulls a remote update of a file that did not change locally', async () => {
    const t = await setup();
    await t.write('jobs/j1.json', '{"status":"RUNNING"}');
    await t.sync('BOTH');
    fake.putFile(t.repo, 'jobs/j1.json', '{"status":"SUCCEEDED"}');

    const report = await t.sync('BOTH');

    expect(report.downloaded).toEqual(['jobs/j1.json']);
    expect(report.conflicts).toEqual([]);
    expect((await t.read('jobs/j1.json')).toString()).toBe('{"status":"SUCCEEDED"}');
  });

  it('redoes the push on the new head when another commit lands between preupload and commit', async () => {
    const t = await setup();
    fake.createRepo(t.repo);
    await t.write('tune/laptop/trial_0.json', trial(0, 0.4));
    fake.beforeNextCommit(() => fake.putFile(t.repo, 'tune/cloud/trial_0.json', trial(0, 0.9)));
    t.mark();

    const report = await t.sync('BOTH');

    const commits = t.since().filter((r) => r.path.endsWith('/commit/main'));
    expect(commits.map((r) => r.status)).toEqual([412, 200]);
    expect(report.commitAttempts).toBe(2);
    expect(report.uploaded).toEqual(['tune/laptop/trial_0.json']);
    expect(report.downloaded).toEqual(['tune/cloud/trial_0.json']);
    expect(report.commit).toBe(fake.headCommit(t.repo));
    expect(fake.getFile(t.repo, 'tune/cloud/trial_0.json')?.toString()).toBe(trial(0, 0.9));
    expect(fake.getFile(t.repo, 'tune/laptop/trial_0.json')?.toString()).toBe(trial(0, 0.4));
    expect((await t.read('tune/cloud/trial_0.json')).toString()).toBe(trial(0, 0.9));
  });

  it('gives up with CONFLICT when the head keeps moving, and records the failure', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.4));
    fake.failNextCommits(3);

    await expect(t.sync('PUSH', { maxCommitAttempts: 3 })).rejects.toMatchObject({ code: 'CONFLICT' });

    expect(fake.getFile(t.repo, 'tune/j1/trial_0.json')).toBeUndefined();
    const status = await getSyncStatus(t.dir);
    expect(status.pendingPush).toEqual(['tune/j1/trial_0.json']);
    expect(status.errors.join('\n')).toMatch(/kept moving/);
  });

  it('keeps both versions and reports a conflict when a file changed on both sides', async () => {
    const t = await setup();
    const rel = 'tune/j1/trial_0.json';
    await t.write(rel, trial(0, 0.5));
    await t.sync('BOTH');
    await t.write(rel, trial(0, 0.55));
    fake.putFile(t.repo, rel, trial(0, 0.95));

    const report = await t.sync('BOTH');

    expect(report.conflicts).toHaveLength(1);
    const [conflict] = report.conflicts;
    expect(conflict).toMatchObject({ path: rel, rule: 'KEEP_BOTH', localSha: sha256(trial(0, 0.55)) });
    expect(conflict.remoteCopy).toBe(`${rel}.remote-${conflict.remoteOid.slice(0, 8)}`);
    expect((await t.read(rel)).toString()).toBe(trial(0, 0.55));
    expect((await t.read(conflict.remoteCopy!)).toString()).toBe(trial(0, 0.95));
    expect(fake.getFile(t.repo, rel)?.toString()).toBe(trial(0, 0.95));
    expect(report.uploaded).toEqual([]);
    expect(report.pulledTrialFiles).toEqual([]);

    t.mark();
    const again = await t.sync('BOTH');
    expect(again.conflicts).toEqual(report.conflicts);
    expect(t.since().filter((r) => TRANSFER.test(r.path))).toEqual([]);
    const status = await getSyncStatus(t.dir);
    expect(status.conflicts.map((c) => c.path)).toEqual([rel]);
    expect(status.pendingPush).toEqual([]);
  });

  it('refuses remote paths that would land outside the synced folders and writes nothing for them', async () => {
    const t = await setup();
    const caseDir = path.dirname(t.dir);
    fake.putFile(t.repo, 'tune/../../escape.json', 'x');
    fake.putFile(t.repo, 'tune/..\\..\\windows.json', 'x');
    fake.putFile(t.repo, '/etc/absolute.json', 'x');
    fake.putFile(t.repo, 'db/pglite/PG_VERSION', 'x');
    fake.putFile(t.repo, 'tune/ok/trial_0.json', trial(0, 0.3));
    t.mark();

    const report = await t.sync('PULL');

    expect(report.errors).toHaveLength(4);
    for (const bad of ['tune/../../escape.json', 'tune/..\\\\..\\\\windows.json', '/etc/absolute.json', 'db/pglite/PG_VERSION']) {
      expect(report.errors.some((e) => e.includes(bad))).toBe(true);
    }
    expect(report.downloaded).toEqual(['tune/ok/trial_0.json']);
    expect(existsSync(path.join(caseDir, 'escape.json'))).toBe(false);
    expect(existsSync(path.join(root, 'escape.json'))).toBe(false);
    expect(t.exists('db/pglite/PG_VERSION')).toBe(false);
    expect(t.since().filter((r) => r.path.includes('/resolve/')).every((r) => r.path.endsWith('tune/ok/trial_0.json'))).toBe(true);
  });

  it('does not propagate deletions in either direction', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.1));
    await t.write('tune/j1/trial_1.json', trial(1, 0.2));
    await t.sync('BOTH');
    await rm(path.join(t.dir, 'tune/j1/trial_0.json'));
    fake.deleteFile(t.repo, 'tune/j1/trial_1.json');
    t.mark();

    const report = await t.sync('BOTH');

    expect(report.skipped).toEqual([
      { path: 'tune/j1/trial_0.json', reason: 'DELETED_LOCALLY' },
      { path: 'tune/j1/trial_1.json', reason: 'DELETED_REMOTELY' },
    ]);
    expect(fake.getFile(t.repo, 'tune/j1/trial_0.json')).toBeDefined();
    expect(t.exists('tune/j1/trial_1.json')).toBe(true);
    expect(t.since().filter((r) => TRANSFER.test(r.path))).toEqual([]);
  });

  it('leaves remote changes for later on PUSH and local changes for later on PULL', async () => {
    const t = await setup();
    await t.write('tune/local/trial_0.json', trial(0, 0.1));
    fake.putFile(t.repo, 'tune/remote/trial_0.json', trial(0, 0.2));

    const push = await t.sync('PUSH');
    expect(push.uploaded).toEqual(['tune/local/trial_0.json']);
    expect(push.pendingPull).toEqual(['tune/remote/trial_0.json']);
    expect(t.exists('tune/remote/trial_0.json')).toBe(false);

    await t.write('tune/local/trial_1.json', trial(1, 0.3));
    const pull = await t.sync('PULL');
    expect(pull.downloaded).toEqual(['tune/remote/trial_0.json']);
    expect(pull.pendingPush).toEqual(['tune/local/trial_1.json']);
    expect(fake.getFile(t.repo, 'tune/local/trial_1.json')).toBeUndefined();
  });

  it('reports the last sync of each direction and the files pending push', async () => {
    const t = await setup();
    const before = await getSyncStatus(t.dir);
    expect(before).toMatchObject({ lastPushAt: null, lastPullAt: null, pendingPush: [], conflicts: [] });

    await t.write('tune/j1/trial_0.json', trial(0, 0.1));
    const push = await t.sync('PUSH');
    await t.write('tune/j1/trial_1.json', trial(1, 0.2));
    const status = await getSyncStatus(t.dir, { repo: t.repo });

    expect(status.lastPushAt).toBe(push.finishedAt);
    expect(status.lastPullAt).toBeNull();
    expect(status.lastSync.PUSH?.uploaded).toEqual(['tune/j1/trial_0.json']);
    expect(status.pendingPush).toEqual(['tune/j1/trial_1.json']);
    expect(status.remoteHead).toBe(fake.headCommit(t.repo));
    expect((await getSyncStatus(t.dir, { repo: 'team/another-repo' })).pendingPush).toEqual(['tune/j1/trial_0.json', 'tune/j1/trial_1.json']);
  });

  it('throws NOT_CONFIGURED naming what is missing, without asking the Hub anything', async () => {
    const t = await setup();
    const hub = readHubConfig({ HF_ENDPOINT: fake.url });
    t.mark();

    const attempt = syncResults({ resultsDir: t.dir, direction: 'BOTH', hub });

    await expect(attempt).rejects.toMatchObject({ code: 'NOT_CONFIGURED', message: expect.stringMatching(/HF_TOKEN and ANANA_HUB_REPO/) });
    expect(t.since()).toEqual([]);
  });

  it('throws UPSTREAM when the Hub refuses the token, and records it for the status', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.1));

    await expect(syncResults({ resultsDir: t.dir, direction: 'PUSH', hub: { ...t.hub, token: 'hf_wrong' } })).rejects.toMatchObject({
      code: 'UPSTREAM',
      message: expect.stringMatching(/refused the token/),
    });

    expect((await getSyncStatus(t.dir)).errors.join('\n')).toMatch(/refused the token/);
    expect(fake.hasRepo(t.repo)).toBe(false);
  });

  it('throws UPSTREAM saying the Hub cannot be reached when nothing answers at HF_ENDPOINT', async () => {
    const t = await setup();

    await expect(syncResults({ resultsDir: t.dir, direction: 'PULL', hub: { ...t.hub, url: 'http://127.0.0.1:1' } })).rejects.toMatchObject({
      code: 'UPSTREAM',
      message: expect.stringMatching(/cannot reach the Hub/),
    });
  });

  it('refuses a second sync of the same folder while one is running', async () => {
    const t = await setup();
    await t.write('tune/j1/trial_0.json', trial(0, 0.1));

    const first = t.sync('PUSH');
    const second = t.sync('PUSH');

    await expect(second).rejects.toMatchObject({ code: 'CONFLICT' });
    expect((await first).uploaded).toEqual(['tune/j1/trial_0.json']);
  });
});
