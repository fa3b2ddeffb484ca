import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { logTopic } from '../../src/logs/log-record.ts';
import { collectSubscription, startTestServer, waitFor, type TestServer } from '../support/test-server.ts';
import { allLogLines, getJob, isAlive, killQuietly, printedPids, processesOfJob, startJob, trainer, useTrainer, waitForJob } from './job-helpers.ts';

let server: TestServer;
/** Every pid a test saw, killed after it whatever happened, so that one failure does not leak into the next test. */
const seen = new Set<number>();
beforeAll(async () => {
  server = await startTestServer({ env: { ANANA_STOP_GRACE_MS: '500', ANANA_MAX_CONCURRENT_JOBS: '1' } });
});
afterEach(() => {
  killQuietly(seen);
  seen.clear();
});
afterAll(() => server?.close());

const STOP = 'mutation($id: ID!) { stopJob(id: $id) { id status error stopRequested finishedAt } }';

/** Waits until the trainer printed every pid of its tree, and returns them. */
async function waitForTree(id: string, roles: string[]): Promise<Map<string, number>> {
  return waitFor(
    async () => {
      const pids = printedPids(await allLogLines(server.gql, id));
      for (const pid of pids.values()) seen.add(pid);
      return roles.every((r) => pids.has(r)) ? pids : undefined;
    },
    15_000,
    `the pids of ${roles.join(', ')}`,
  );
}

describe('stopJob', () => {
  it('ends a whole tree: a SIGTERM-ignoring child, a setsid grandchild and a double-forked daemon; 0 survivors', async () => {
    useTrainer(server, trainer('stubborn-tree.sh'));
    const id = await startJob(server.gql);
    const pids = await waitForTree(id, ['main', 'ignorer', 'setsid', 'daemon']);
    for (const pid of processesOfJob(id)) seen.add(pid);
    for (const [role, pid] of pids) expect(isAlive(pid), `${role} ${pid} runs before the stop`).toBe(true);

    const started = Date.now();
    const res = await server.gql(STOP, { id });
    expect(res.errors).toBeUndefined();
    // stopJob answers once the processes are gone and the final state is recorded.
    expect(res.data.stopJob).toMatchObject({ status: 'STOPPED', stopRequested: true });
    expect(res.data.stopJob.finishedAt).not.toBeNull();
    // SIGTERM, the 500 ms grace period, SIGKILL: not much more.
    expect(Date.now() - started).toBeLessThan(5_000);

    for (const [role, pid] of pids) expect(isAlive(pid), `${role} ${pid} survived the stop`).toBe(false);
    expect(processesOfJob(id)).toEqual([]);
    const job = await getJob(server.gql, id);
    expect(job.status).toBe('STOPPED');
    expect(job.error).toMatch(/stopped/);
  });

  it('gives a trainer that handles SIGTERM its grace period (one SIGTERM, none to what its handler starts) and reads its last words', async () => {
    server.app.services.config.stopGraceMs = 3_000;
    try {
      // Cleans up for 800 ms after SIGTERM, then says so and exits 143; a second SIGTERM would kill it at once.
      useTrainer(server, ['bash', '-c', 'trap \'sleep 0.8 && echo "cleaned up"; exit 143\' TERM; echo ready; while :; do sleep 0.05; done', 'trainer']);
      const id = await startJob(server.gql);
      await waitFor(async () => (await allLogLines(server.gql, id)).some((l) => l.text === 'ready'), 10_000, 'ready');
      const res = await server.gql(STOP, { id });
      expect(res.data.stopJob.status).toBe('STOPPED');
      const lines = await allLogLines(server.gql, id);
      expect(lines.map((l) => l.text)).toContain('cleaned up');
      expect(processesOfJob(id)).toEqual([]);
    } finally {
      server.app.services.config.stopGraceMs = 500;
    }
  });

  it('kills what a trainer left behind when it exits normally (a setsid daemon), and still succeeds', async () => {
    useTrainer(server, trainer('leave-daemon.sh'));
    const id = await startJob(server.gql);
    const job = await waitForJob(server.gql, id);
    expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0 });
    const daemon = printedPids(await allLogLines(server.gql, id)).get('daemon');
    expect(daemon).toBeGreaterThan(0);
    seen.add(daemon as number);
    expect(isAlive(daemon as number)).toBe(false);
    expect(processesOfJob(id)).toEqual([]);
  });

  it('gives the children their whole grace period, and one SIGTERM, when the main process exits at once', async () => {
    const { config } = server.app.services;
    const grace = config.stopGraceMs;
    config.stopGraceMs = 5_000;
    try {
      useTrainer(server, trainer('checkpoint-on-term.sh'));
      const id = await startJob(server.gql);
      await waitForJob(server.gql, id, ['RUNNING']);
      await waitFor(async () => (await allLogLines(server.gql, id)).some((l) => l.text.startsWith('child ')), 15_000, 'the child');
      const res = await server.gql(STOP, { id });
      expect(res.errors).toBeUndefined();
      const job = await waitForJob(server.gql, id);
      expect(job.status).toBe('STOPPED');
      const texts = (await allLogLines(server.gql, id)).map((l) => l.text);
      expect(texts.filter((t) => t === 'child: saving checkpoint')).toHaveLength(1);
      expect(texts).toContain('child: checkpoint saved');
      expect(processesOfJob(id)).toEqual([]);
    } finally {
      config.stopGraceMs = grace;
    }
  });

  it('dequeues a QUEUED job: STOPPED, and it never starts', async () => {
    useTrainer(server, trainer('numbered.mjs', 100, 10, 100));
    const running = await startJob(server.gql);
    const queued = await startJob(server.gql);
    await waitForJob(server.gql, running, ['RUNNING']);
    expect((await getJob(server.gql, queued)).status).toBe('QUEUED');
    // Subscribers that wait for the queued job's lines are told that there will be none.
    const client = server.wsClient();
    const logs = collectSubscription<any>(client, 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq } } }', { id: queued }, (items) => items.at(-1)?.jobLogs.done, 10_000);
    const metrics = collectSubscription<any>(client, 'subscription($id: ID!) { jobMetrics(jobId: $id) { lastSeq done points { seq } } }', { id: queued }, (items) => items.at(-1)?.jobMetrics.done, 10_000);
    await waitFor(() => server.app.services.events.listenerCount(logTopic(queued)) === 2, 10_000, 'both subscriptions');

    const res = await server.gql(STOP, { id: queued });
    expect(res.errors).toBeUndefined();
    expect(res.data.stopJob).toMatchObject({ status: 'STOPPED', error: 'stopped before it started' });
    expect((await logs).map((b) => b.jobLogs)).toEqual([{ lastSeq: 0, done: true, lines: [] }]);
    expect((await metrics).map((b) => b.jobMetrics)).toEqual([{ lastSeq: 0, done: true, points: [] }]);

    await server.gql(STOP, { id: running });
    await waitForJob(server.gql, running);
    // The slot freed by the first job must not go to the dequeued one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const after = await getJob(server.gql, queued);
    expect(after).toMatchObject({ status: 'STOPPED', pid: null, startedAt: null, lastSeq: 0 });
  });

  it('stops a job right after it was queued (before or while its process starts): nothing runs on', async () => {
    useTrainer(server, trainer('stubborn-tree.sh'));
    for (let i = 0; i < 3; i++) {
      const id = await startJob(server.gql);
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, i * 15));
      const res = await server.gql(STOP, { id });
      expect(res.errors).toBeUndefined();
      const job = await waitForJob(server.gql, id);
      expect(job.status).toBe('STOPPED');
      await waitFor(() => processesOfJob(id).length === 0, 5_000, `no process of job ${id}`);
    }
  });

  it('answers CONFLICT for a job that has ended, INVALID_INPUT for a bad id, NOT_FOUND for an unknown one', async () => {
    useTrainer(server, trainer('numbered.mjs', 3));
    const id = await startJob(server.gql);
    await waitForJob(server.gql, id, ['SUCCEEDED']);
    const ended = await server.gql(STOP, { id });
    expect(ended.errors?.[0].extensions?.code).toBe('CONFLICT');
    expect(ended.errors?.[0].message).toMatch(/already ended \(SUCCEEDED\)/);
    expect((await getJob(server.gql, id)).status).toBe('SUCCEEDED');

    const bad = await server.gql(STOP, { id: 'not-a-uuid' });
    expect(bad.errors?.[0].extensions?.code).toBe('INVALID_INPUT');
    const unknown = await server.gql(STOP, { id: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const health = await server.gql('{ health { ok } }');
    expect(health.data.health.ok).toBe(true);
  });
});
