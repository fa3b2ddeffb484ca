import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server.ts';

// Trial files come from trainers and from the Hub: whatever they hold, each is a trial or an invalid trial with its
// reason, and none keeps the others (or the server) from being served.
const FILES: Record<string, string> = {
  trial_0: JSON.stringify({ number: 3_000_000_000, params: { lr: 0.1 }, score: 0.5, metric: 'val_loss' }),
  trial_1: '{"params":{"note":"a\\u0000b"},"score":0.4,"metric":"val_loss"}',
  trial_2: '{"params":{"\\ud800":1},"score":0.3,"metric":"val_loss"}',
  trial_3: `{"params":${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)},"score":0.2,"metric":"val_loss"}`,
  trial_4: `\uFEFF${JSON.stringify({ params: { lr: 0.4 }, score: 0.1, metric: 'val_loss' })}`,
  trial_5: JSON.stringify({ params: { lr: 0.5 }, score: 0.05, metric: 'val_loss' }),
};

let server: TestServer;
let resultsDir: string;
let secret: string;
beforeAll(async () => {
  vi.spyOn(console, 'warn').mockImplementation(() => {});
  resultsDir = await mkdtemp(path.join(tmpdir(), 'anana-trial-files-'));
  const dir = path.join(resultsDir, 'tune', 'laptop-run');
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(FILES)) await writeFile(path.join(dir, `${name}.json`), text);
  secret = path.join(resultsDir, 'secret.txt');
  await writeFile(secret, '{"params":{"password":"hunter2"},"score":0}');
  await symlink(secret, path.join(dir, 'trial_6.json'));
  // The files are there before the server starts: its start-up rescan meets them.
  server = await startTestServer({ resultsDir });
}, 60_000);
afterAll(async () => {
  vi.restoreAllMocks();
  await server?.close();
  await rm(resultsDir, { recursive: true, force: true });
});

describe('trial files the database could not store as they are', () => {
  it('do not keep the server from starting, and each is a trial or an invalid trial with its reason', async () => {
    const board = await server.gql('{ leaderboard(metric: "val_loss", first: 50) { totalCount rows { number score } } }');
    expect(board.errors).toBeUndefined();
    // trial_0's number is beyond 32 bits: it is numbered from its file name; trial_4 starts with a byte-order mark.
    expect(board.data.leaderboard.rows).toEqual([
      { number: 5, score: 0.05 },
      { number: 4, score: 0.1 },
      { number: 0, score: 0.5 },
    ]);
    const invalid = await server.gql('{ invalidTrials { number error } }');
    expect(invalid.errors).toBeUndefined();
    const reasons = Object.fromEntries(invalid.data.invalidTrials.map((t: { number: number; error: string }) => [t.number, t.error]));
    expect(Object.keys(reasons).sort()).toEqual(['1', '2', '3', '6']);
    expect(reasons[1]).toMatch(/NUL character or an unpaired surrogate/);
    expect(reasons[2]).toMatch(/NUL character or an unpaired surrogate/);
    expect(reasons[3]).toMatch(/nested more than 64 levels/);
    expect(reasons[6]).toBe('is a symbolic link; trial files must be regular files');
    expect(JSON.stringify(invalid.data)).not.toContain('hunter2');
  });

  it('answer invalidTrials for an id that is not one with INVALID_INPUT', async () => {
    const res = await server.gql('{ invalidTrials(jobId: "abc") { number } }');
    expect(res.errors?.[0].extensions?.code).toBe('INVALID_INPUT');
  });

  it('store a file the database refuses for a reason the parser does not know as an invalid trial, and go on', async () => {
    const { db, trials } = server.app.services;
    // A constraint the file breaks, standing for any value the database cannot take.
    await db.prisma.$executeRawUnsafe(`ALTER TABLE "Trial" ADD CONSTRAINT test_refused_score CHECK (score IS NULL OR score < 1e300)`);
    try {
      const dir = path.join(resultsDir, 'tune', 'laptop-run');
      await writeFile(path.join(dir, 'trial_7.json'), JSON.stringify({ params: { lr: 0.7 }, score: 1e301, metric: 'val_loss' }));
      expect(await trials.ingestFile(path.join(dir, 'trial_7.json'), null, 'LOCAL')).toBe(true);
      const row = await db.prisma.trial.findFirstOrThrow({ where: { number: 7 } });
      expect(row).toMatchObject({ error: 'holds a value the database cannot store', score: null });
    } finally {
      await db.prisma.$executeRawUnsafe(`ALTER TABLE "Trial" DROP CONSTRAINT test_refused_score`);
    }
  });
});
