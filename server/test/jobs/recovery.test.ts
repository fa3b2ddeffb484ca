import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServerProcess, type ServerProcess } from '../support/server-process.ts';
import { createScratchDatabase, TEST_DATABASE, waitFor } from '../support/test-server.ts';
import { allLogLines, getJob, isAlive, killQuietly, logFileLines, processesOfJob, range, startJob, trainer, waitForJob } from './job-helpers.ts';

let resultsDir: string;
let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
const servers: ServerProcess[] = [];
const jobIds: string[] = [];

beforeAll(async () => {
  resultsDir = await mkdtemp(path.join(tmpdir(), 'anana-recovery-'));
  if (TEST_DATABASE === 'postgres') scratch = await createScratchDatabase();
});
afterAll(async () => {
  for (const server of servers) await server.kill();
  for (const id of jobIds) killQuietly(processesOfJob(id));
  await scratch?.drop();
  await rm(resultsDir, { recursive: true, force: true });
});

/** A server process on this file's storage (the same embedded database directory or PostgreSQL database each time). */
async function serverProcess(): Promise<ServerProcess> {
  const server = await startServerProcess({
    resultsDir,
    databaseUrl: scratch?.url,
    env: { ANANA_TRAIN_CMD: JSON.stringify(trainer('scenario.mjs')), ANANA_MAX_CONCURRENT_JOBS: '4', ANANA_STOP_GRACE_MS: '500' },
  });
  servers.push(server);
  return server;
}

const JOB = 'id status exitCode signal error pid lastSeq finishedAt';

/** Lets a streaming job (scenario 1) finish: it prints `total <n>` and exits 0. */
async function release(id: string): Promise<void> {
  const dir = path.join(resultsDir, 'tune', id);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'release'), '');
}

/**
 * Checks that the persisted log of a streaming job holds every line its trainer wrote exactly once, numbered
 * without gap, in the database and in the .log file alike.
 */
async function expectEveryLineOnce(server: ServerProcess, id: string): Promise<void> {
  const lines = await allLogLines(server.gql, id);
  // The streams are read in turns, so the final `total <n>` (stdout) may come before the last stderr lines.
  const totals = lines.filter((l) => l.text.startsWith('total '));
  expect(totals.length).toBe(1);
  const total = Number(totals[0].text.slice(6));
  expect(total).toBeGreaterThan(0);
  expect(lines.map((l) => l.seq)).toEqual(range(total + 1));
  // Each line exactly once (compared as a set of numbers, since the two streams interleave).
  const numbered = lines.filter((l) => l !== totals[0]);
  const numbers = numbered.map((l) => Number(/^line (\d+)$/.exec(l.text)?.[1])).sort((a, b) => a - b);
  expect(numbers).toEqual(range(total));
  for (const l of numbered) expect(l.stream, l.text).toBe(Number(l.text.slice(5)) % 3 === 0 ? 'STDERR' : 'STDOUT');
  const file = await logFileLines(resultsDir, id);
  expect(file.map((l) => [l.seq, l.stream, l.text])).toEqual(lines.map((l) => [l.seq, l.stream, l.text]));
  expect((await getJob(server.gql, id, 'lastSeq')).lastSeq).toBe(total + 1);
}

// Separate server processes and restarts: slow on a loaded machine, hence the longer timeouts.
describe('a server killed with SIGKILL while jobs run, then restarted', () => {
  it('re-attaches to a job still running (no line lost or doubled) and ends the others from what they left', async () => {
    const first = await serverProcess();
    const ids = {
      streaming: await startJob(first.gql, { trials: 1, seed: 1 }),
      succeeds: await startJob(first.gql, { trials: 1, seed: 2 }),
      fails: await startJob(first.gql, { trials: 1, seed: 3 }),
      vanishes: await startJob(first.gql, { trials: 1, seed: 4 }),
    };
    jobIds.push(...Object.values(ids));
    const running = await waitFor(
      async () => {
        const jobs = await Promise.all(Object.values(ids).map((id) => getJob(first.gql, id, JOB)));
        return jobs.every((j) => j.status === 'RUNNING' && j.pid) && jobs[0].lastSeq >= 300 ? jobs : undefined;
      },
      60_000,
      'four running jobs',
    );

    await first.kill();
    // While no server runs: two jobs end on their own (leaving exit records), one is killed outright
    // (its launcher too, so it leaves none), and the first keeps printing into its files.
    const vanishing = running[3].pid as number;
    process.kill(-vanishing, 'SIGKILL');
    await waitFor(() => !isAlive(vanishing) && processesOfJob(ids.vanishes).length === 0, 5_000, 'the killed job to be gone');
    const exitRecord = (id: string) => path.join(resultsDir, 'logs', `${id}.exit.json`);
    await waitFor(() => existsSync(exitRecord(ids.succeeds)) && existsSync(exitRecord(ids.fails)), 10_000, 'the exit records');
    expect(existsSync(exitRecord(ids.vanishes))).toBe(false);
    expect(processesOfJob(ids.streaming).length).toBeGreaterThan(0);

    const second = await serverProcess();
    // The live job is followed again; the ended ones are settled; none is left RUNNING without a process.
    expect((await getJob(second.gql, ids.streaming, JOB)).status).toBe('RUNNING');
    expect(await waitForJob(second.gql, ids.succeeds, undefined, 10_000, JOB)).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, error: null });
    const failed = await waitForJob(second.gql, ids.fails, undefined, 10_000, JOB);
    expect(failed).toMatchObject({ status: 'FAILED', exitCode: 4 });
    expect(failed.error).toMatch(/exited with code 4.*failed late/);
    const lost = await waitForJob(second.gql, ids.vanishes, undefined, 10_000, JOB);
    expect(lost.status).toBe('LOST');
    expect(lost.error).toMatch(/vanished without recording its exit/);
    // What the ended jobs printed while no server watched was read too.
    expect((await allLogLines(second.gql, ids.succeeds)).map((l) => l.text)).toEqual(['short job started', 'short job done']);
    expect((await allLogLines(second.gql, ids.fails)).map((l) => l.text)).toEqual(['failing job started', 'ERROR: failed late']);

    await waitFor(async () => (await getJob(second.gql, ids.streaming, JOB)).lastSeq > running[0].lastSeq + 300, 20_000, 'lines after the restart');
    await release(ids.streaming);
    expect(await waitForJob(second.gql, ids.streaming, undefined, 20_000, JOB)).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    await expectEveryLineOnce(second, ids.streaming);

    const stuck = await second.gql('{ jobs(status: [RUNNING, QUEUED]) { totalCount } }');
    expect(stuck.data.jobs.totalCount).toBe(0);
    await second.stop();
  }, 120_000);

  it('hands a running job over across a graceful restart (SIGTERM): the job runs on, nothing lost or doubled', async () => {
    const first = await serverProcess();
    const id = await startJob(first.gql, { trials: 1, seed: 1 });
    jobIds.push(id);
    const before = await waitFor(async () => {
      const job = await getJob(first.gql, id, JOB);
      return job.lastSeq >= 200 ? job : undefined;
    }, 20_000, 'the first lines');
    // SIGTERM: the server shuts down and lets go of the job, which keeps running.
    await first.stop();
    expect(processesOfJob(id).length).toBeGreaterThan(0);

    const second = await serverProcess();
    expect((await getJob(second.gql, id, JOB)).status).toBe('RUNNING');
    await waitFor(async () => (await getJob(second.gql, id, JOB)).lastSeq > before.lastSeq + 300, 20_000, 'lines after the restart');
    await release(id);
    expect(await waitForJob(second.gql, id, undefined, 20_000, JOB)).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    await expectEveryLineOnce(second, id);
    await second.stop();
  }, 120_000);
});
