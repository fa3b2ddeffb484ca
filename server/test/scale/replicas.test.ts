import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedEventStats } from '../../src/http/shared-events.ts';
import { remoteRelayStats } from '../../src/logs/remote-relay.ts';
import { collectSubscription, createScratchDatabase, startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

// Replicas share one PostgreSQL; the embedded database is single-process by design.
const postgres = process.env.ANANA_TEST_DATABASE === 'postgres';

const freePort = () =>
  new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

describe.skipIf(!postgres)('several replicas on one PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let resultsDir: string;
  const replicas: TestServer[] = [];
  const trainer = ['bash', '-c', 'echo "started $$"; for i in $(seq 1 40); do echo "line $i"; sleep 0.01; done', 'trainer'];

  beforeAll(async () => {
    scratch = await createScratchDatabase();
    resultsDir = await mkdtemp(path.join(tmpdir(), 'anana-replicas-'));
    for (const [i, max] of [2, 2, 0].entries()) {
      replicas.push(
        await startTestServer({
          databaseUrl: scratch.url,
          resultsDir,
          keepData: true,
          env: { ANANA_MAX_CONCURRENT_JOBS: String(max), ANANA_TRAIN_CMD: JSON.stringify(trainer), ANANA_INSTANCE_ID: `replica-${i}`, ANANA_WORKER_FLAVORS: 'cpu' },
        }),
      );
    }
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.close();
    await scratch?.drop();
    await rm(resultsDir, { recursive: true, force: true });
  });

  it('dispatches every queued job exactly once across replicas', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 24; i++) ids.push((await replicas[i % 3].gql('mutation { startJob(input: { trials: 1 }) { id } }')).data.startJob.id);
    const jobs = await waitFor(async () => {
      const res = await replicas[2].gql('{ jobs(first: 100) { nodes { id status attempt lastSeq host } } }');
      const nodes = res.data.jobs.nodes.filter((j: any) => ids.includes(j.id));
      return nodes.every((j: any) => j.status === 'SUCCEEDED') ? nodes : undefined;
    }, 60_000, 'all jobs to succeed');
    expect(jobs).toHaveLength(24);
    expect(jobs.every((j: any) => j.attempt === 1 && j.lastSeq === 41)).toBe(true);
    const owners = await replicas[0].app.services.db.prisma.job.groupBy({ by: ['ownerId'], where: { id: { in: ids } }, _count: { _all: true } });
    expect(owners.map((o) => o.ownerId).sort()).toEqual(['replica-0', 'replica-1']);
    for (const id of ids) {
      const log = await readFile(path.join(resultsDir, 'logs', `${id}.log`), 'utf8');
      expect(log.match(/\tstarted \d+$/gm)).toHaveLength(1);
    }
  }, 90_000);

  it('stops through replica C a job started through and run by another replica', async () => {
    const longTrainer = JSON.stringify(['bash', '-c', 'echo up; sleep 60', 'trainer']);
    const runner = await startTestServer({ databaseUrl: scratch.url, resultsDir, keepData: true, env: { ANANA_TRAIN_CMD: longTrainer, ANANA_INSTANCE_ID: 'runner', ANANA_WORKER_FLAVORS: 'slow' } });
    try {
      const id = (await runner.gql('mutation { startJob(input: { flavor: "slow" }) { id } }')).data.startJob.id;
      const running = await waitFor(async () => {
        const job = (await replicas[2].gql(`{ job(id: "${id}") { status pid } }`)).data.job;
        return job.status === 'RUNNING' && job.pid ? job : undefined;
      }, 20_000, 'job to run on the runner');
      const res = await replicas[2].gql(`mutation { stopJob(id: "${id}") { id status } }`);
      expect(res.errors).toBeUndefined();
      // The answer waits for the state the runner records, as it does on the replica that runs the job.
      expect(res.data.stopJob.status).toBe('STOPPED');
      const stopped = await waitFor(async () => {
        const job = (await replicas[2].gql(`{ job(id: "${id}") { status error } }`)).data.job;
        return job.status === 'STOPPED' ? job : undefined;
      }, 20_000, 'job to stop');
      expect(stopped.error).toMatch(/stopped/);
      expect(() => process.kill(running.pid, 0)).toThrow();
    } finally {
      await runner.close();
    }
  }, 60_000);

  it('streams to a subscriber on replica C the lines of a job replica A runs, in order, without gaps', async () => {
    const client = replicas[2].wsClient();
    const id = (await replicas[0].gql('mutation { startJob(input: { trials: 1 }) { id } }')).data.startJob.id;
    const batches = await collectSubscription<any>(
      client,
      'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq text } } }',
      { id },
      (items) => items.at(-1)?.jobLogs.done,
      30_000,
    );
    const seqs = batches.flatMap((b) => b.jobLogs.lines.map((l: any) => l.seq));
    expect(seqs).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
  }, 40_000);

  it('gives many subscribers on replica C every line once and in order from one read of each persisted range', async () => {
    const clients = Array.from({ length: 8 }, () => replicas[2].wsClient());
    const id = (await replicas[0].gql('mutation { startJob(input: { trials: 1 }) { id } }')).data.startJob.id;
    const before = { ...remoteRelayStats };
    const executedBefore = sharedEventStats.executed;
    const reusedBefore = sharedEventStats.reused;
    const all = await Promise.all(
      clients.map((client) =>
        collectSubscription<any>(client, 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq text } } }', { id }, (items) => items.at(-1)?.jobLogs.done, 30_000),
      ),
    );
    for (const batches of all) {
      const lines = batches.flatMap((b) => b.jobLogs.lines);
      expect(lines.map((l: any) => l.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 1));
      expect(lines.slice(1).map((l: any) => l.text)).toEqual(Array.from({ length: 40 }, (_, i) => `line ${i + 1}`));
    }
    // Ranges were relayed as live batches (read once on replica C), which the subscribers there shared.
    expect(remoteRelayStats.relayed - before.relayed).toBeGreaterThan(0);
    expect(sharedEventStats.reused - reusedBefore).toBeGreaterThan(sharedEventStats.executed - executedBefore);
  }, 40_000);

  it('marks the job of a worker killed with -9 LOST within the heartbeat window, with the reason', async () => {
    const port = await freePort();
    const env = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: scratch.url,
      ANANA_RESULTS_DIR: resultsDir,
      ANANA_WORKER_FLAVORS: 'gpu-test',
      ANANA_HOSTNAME: 'worker-machine',
      ANANA_INSTANCE_ID: 'worker-1',
      ANANA_HEARTBEAT_MS: '300',
      ANANA_HEARTBEAT_TIMEOUT_MS: '1500',
      ANANA_TRAIN_CMD: JSON.stringify(['bash', '-c', 'echo working; sleep 60', 'trainer']),
    };
    const worker = execa(process.execPath, ['--import', 'tsx', 'server/src/main.ts', '--worker'], { env, detached: true, reject: false, cwd: path.resolve(import.meta.dirname, '../../..') });
    const watcher = await startTestServer({
      databaseUrl: scratch.url,
      resultsDir,
      keepData: true,
      env: { ANANA_MAX_CONCURRENT_JOBS: '0', ANANA_HEARTBEAT_MS: '300', ANANA_HEARTBEAT_TIMEOUT_MS: '1500', ANANA_INSTANCE_ID: 'watcher', ANANA_TRAIN_CMD: env.ANANA_TRAIN_CMD },
    });
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok, 30_000, 'worker health');
      const id = (await watcher.gql('mutation { startJob(input: { flavor: "gpu-test" }) { id } }')).data.startJob.id;
      const job = await waitFor(async () => {
        const j = (await watcher.gql(`{ job(id: "${id}") { status pid host } }`)).data.job;
        return j.status === 'RUNNING' && j.pid ? j : undefined;
      }, 20_000, 'worker to run the job');
      expect(job.host).toBe('worker-machine');
      // Power loss: the worker and its job go at once.
      process.kill(-worker.pid!, 'SIGKILL');
      process.kill(-job.pid, 'SIGKILL');
      const killedAt = Date.now();
      const lost = await waitFor(async () => {
        const j = (await watcher.gql(`{ job(id: "${id}") { status error } }`)).data.job;
        return j.status === 'LOST' ? j : undefined;
      }, 15_000, 'job to be marked LOST');
      expect(Date.now() - killedAt).toBeLessThan(1500 + 3 * 300 + 2_000);
      expect(lost.error).toMatch(/worker-1 on worker-machine stopped heartbeating/);
    } finally {
      try {
        process.kill(-worker.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      await watcher.close();
    }
  }, 60_000);
});
