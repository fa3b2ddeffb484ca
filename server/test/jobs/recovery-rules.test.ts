import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchDatabase, startTestServer, TEST_DATABASE, waitFor, type TestServer } from '../support/test-server.ts';
import { allLogLines, getJob, isAlive, killQuietly, logFileLines, printedPids, processesOfJob, range, startJob, trainer, useTrainer, waitForJob } from './job-helpers.ts';
import { readLogs } from '../../src/logs/log-store.ts';

// The rules of JobService.recover() and of a graceful hand-over, with servers inside the test process.
// (recovery.test.ts kills real server processes.)

const JOB = 'id status exitCode signal error pid lastSeq finishedAt';
const jobIds: string[] = [];
afterAll(() => {
  for (const id of jobIds) killQuietly(processesOfJob(id));
});

describe('a graceful restart while jobs run', () => {
  it('lets go at once even while a job floods its output; the next server resumes it without loss or duplicate, and can stop a re-attached tree', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'anana-detach-'));
    const db = TEST_DATABASE === 'postgres' ? await createScratchDatabase() : undefined;
    try {
      const total = 200_000;
      const env = { ANANA_MAX_CONCURRENT_JOBS: '2', ANANA_STOP_GRACE_MS: '300' };
      const first = await startTestServer({ resultsDir: dir, databaseUrl: db?.url, keepData: true, env });
      useTrainer(first, trainer('stubborn-tree.sh'));
      const tree = await startJob(first.gql);
      jobIds.push(tree);
      const pids = await waitFor(async () => {
        const found = printedPids(await allLogLines(first.gql, tree));
        return found.size === 4 ? found : undefined;
      }, 20_000, 'the pids of the tree');
      // 200,000 lines written over at least 2 s, faster than any storage here persists them: a backlog builds up,
      // and the job is still writing when the first server lets go.
      useTrainer(first, trainer('numbered.mjs', total, 500, 5, 4));
      const id = await startJob(first.gql);
      jobIds.push(id);
      await waitFor(async () => (await getJob(first.gql, id)).lastSeq >= 2_000, 20_000, 'the first lines');
      await first.close();
      // The backlog of unread output must not hold up the shutdown: it let go with lines still unread.
      const persisted = Number((await readFile(path.join(dir, 'logs', `${id}.log`), 'utf8')).split('\n').length - 1);
      expect(persisted).toBeLessThan(total);
      for (const pid of pids.values()) expect(isAlive(pid)).toBe(true);

      const second = await startTestServer({ resultsDir: dir, databaseUrl: db?.url, keepData: true, env });
      try {
        // The re-attached tree is stopped through its marker and recorded pid, though this server did not start it.
        const stopped = await second.gql('mutation($id: ID!) { stopJob(id: $id) { status } }', { id: tree });
        expect(stopped.data.stopJob.status).toBe('STOPPED');
        for (const [role, pid] of pids) expect(isAlive(pid), role).toBe(false);
        expect(processesOfJob(tree)).toEqual([]);

        const job = await waitForJob(second.gql, id, undefined, 60_000);
        expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, lastSeq: total });
        const rows = await readLogs(second.app.services.db, id, { limit: 1_000_000 });
        expect(rows.map((r) => r.seq)).toEqual(range(total));
        expect(rows.map((r) => Number(r.text.slice(5))).sort((a, b) => a - b)).toEqual(range(total));
        expect((await logFileLines(dir, id)).length).toBe(total);
      } finally {
        await second.close();
      }
    } finally {
      await db?.drop();
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('recovery inside one process', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ANANA_STOP_GRACE_MS: '200' } });
    useTrainer(server, trainer('numbered.mjs', 1));
  });
  afterAll(() => server?.close());

  /** A job that ran, set back to RUNNING as a server that crashed would have left it. */
  async function orphan(data: Record<string, unknown>): Promise<string> {
    const id = await startJob(server.gql);
    jobIds.push(id);
    await waitForJob(server.gql, id, ['SUCCEEDED']);
    await waitFor(() => server.app.services.jobs.runningHere === 0, 5_000, 'the run to be let go');
    await server.app.services.db.prisma.job.update({ where: { id }, data: { status: 'RUNNING', finishedAt: null, exitCode: null, ...data } });
    return id;
  }

  it('marks a RUNNING job whose server died before it recorded the process LOST, and kills what did start', async () => {
    const id = await orphan({ pid: null, ownerId: 'gone-server' });
    // The launcher may have been spawned just before the crash: only the job marker leads to it.
    const stray = spawn('bash', ['-c', 'trap "" TERM; while :; do sleep 0.1; done'], { env: { ...process.env, ANANA_JOB_ID: id }, detached: true, stdio: 'ignore' });
    stray.unref();
    await waitFor(() => processesOfJob(id).length > 0, 5_000, 'the stray process');
    await server.app.services.jobs.recover();
    const job = await getJob(server.gql, id, JOB);
    expect(job.status).toBe('LOST');
    expect(job.error).toMatch(/server stopped while starting the process; the \d+ process\(es\) it had started were killed/);
    expect(isAlive(stray.pid as number)).toBe(false);
    expect(processesOfJob(id)).toEqual([]);
  });

  it('leaves alone a RUNNING job whose server is alive', async () => {
    const { prisma } = server.app.services.db;
    await prisma.serverInstance.create({ data: { id: 'live-peer', hostname: 'elsewhere', pid: 1, role: 'server', flavors: [] } });
    const id = await orphan({ ownerId: 'live-peer' });
    await server.app.services.jobs.recover();
    expect((await getJob(server.gql, id, JOB)).status).toBe('RUNNING');
    await prisma.job.update({ where: { id }, data: { status: 'SUCCEEDED' } });
  });

  it('takes over at once the job of a server of this machine whose process is gone, without waiting for its heartbeat to expire', async () => {
    const { prisma } = server.app.services.db;
    // A server of this machine that just died: its heartbeat is fresh, its pid is not alive.
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    await prisma.serverInstance.create({ data: { id: 'dead-neighbour', hostname: hostname(), pid: dead.pid as number, role: 'server', flavors: [] } });
    const id = await orphan({ ownerId: 'dead-neighbour' });
    await server.app.services.jobs.recover();
    // Re-attached: its process is gone and its exit record says it succeeded.
    const job = await waitForJob(server.gql, id, undefined, 10_000, JOB);
    expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
  });
});
