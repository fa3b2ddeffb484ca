import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRAIN_CMD, PROJECT_ROOT } from '../../src/config/config.ts';
import { startTestServer, waitFor, type TestServer } from '../support/test-server.ts';
import { allLogLines, getJob, logFileLines, processesOfJob, range, startJob, TERMINAL, trainer, useTrainer, waitForJob } from './job-helpers.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { ANANA_STOP_GRACE_MS: '500', ANANA_MAX_CONCURRENT_JOBS: '1' } });
});
afterAll(() => server?.close());

describe('a job from start to end', () => {
  it('runs the example trainer to SUCCEEDED: lines persisted twice, trial files written, metrics parsed', async () => {
    useTrainer(server, DEFAULT_TRAIN_CMD);
    const id = await startJob(server.gql, { trials: 2, quick: true, seed: 7 });
    const job = await waitForJob(server.gql, id, undefined, 40_000, 'id status exitCode signal error lastSeq command cwd gitCommit outputDir trialsDone');
    expect(job).toMatchObject({ status: 'SUCCEEDED', exitCode: 0, signal: null, error: null });

    // Reproducibility: the full argv (the trainer prefix, then the structured arguments) and where it ran.
    const outputDir = path.join(server.resultsDir, 'tune', id);
    expect(job.command.slice(0, DEFAULT_TRAIN_CMD.length)).toEqual(DEFAULT_TRAIN_CMD);
    expect(job.command).toEqual(expect.arrayContaining(['--trials', '2', '--quick', '--output-dir', outputDir, '--seed', '7']));
    expect(job.cwd).toBe(PROJECT_ROOT);
    expect(job.outputDir).toBe(outputDir);
    // The commit of the working tree, recorded while the job started, and the metadata file ends with the final state.
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8' }).trim();
    expect(job.gitCommit).toMatch(new RegExp(`^${head}(-dirty)?$`));
    // (Written just after the row changes: the status can be seen a moment before the file has it.)
    const metadataFile = path.join(server.resultsDir, 'jobs', `${id}.json`);
    const metadata = await waitFor(async () => {
      const m = JSON.parse(await readFile(metadataFile, 'utf8'));
      return m.status === 'SUCCEEDED' ? m : undefined;
    }, 5_000, 'the metadata file to show the final state');
    expect(metadata).toMatchObject({ id, status: 'SUCCEEDED', exitCode: 0, gitCommit: job.gitCommit, command: job.command });

    const files = await readdir(outputDir);
    expect(files.filter((f) => /^trial_\d+\.json$/.test(f)).sort()).toEqual(['trial_0.json', 'trial_1.json']);

    const lines = await allLogLines(server.gql, id);
    expect(lines.length).toBeGreaterThan(20);
    expect(lines.map((l) => l.seq)).toEqual(range(lines.length));
    expect(job.lastSeq).toBe(lines.length);
    expect(lines.some((l) => l.stream === 'STDERR')).toBe(true);
    expect(new Set(lines.map((l) => l.level))).toEqual(new Set(['DEBUG', 'INFO', 'WARNING', 'ERROR'].filter((level) => lines.some((l) => l.level === level))));
    expect(lines.some((l) => l.level === 'WARNING')).toBe(true);

    const file = await logFileLines(server.resultsDir, id);
    expect(file.map((l) => [l.seq, l.stream, l.level, l.text])).toEqual(lines.map((l) => [l.seq, l.stream, l.level, l.text]));
    // Times are stored in UTC, whatever the database session's time zone.
    const times = await server.gql('query($id: ID!) { job(id: $id) { startedAt finishedAt } logs(jobId: $id, first: 1) { lines { time } } }', { id });
    const lineTime = Date.parse(times.data.logs.lines[0].time);
    expect(lineTime).toBeGreaterThanOrEqual(Date.parse(times.data.job.startedAt) - 1_000);
    expect(lineTime).toBeLessThanOrEqual(Date.parse(times.data.job.finishedAt) + 1_000);

    const metrics = await server.gql('query($id: ID!) { metrics(jobId: $id, name: "val_loss") { totalPoints points { seq value } } }', { id });
    expect(metrics.errors).toBeUndefined();
    expect(metrics.data.metrics.totalPoints).toBeGreaterThan(0);
    for (const point of metrics.data.metrics.points) expect(point.value).toBeGreaterThan(0);
  });

  it('records a failing trainer as FAILED with its exit code and its last ERROR line', async () => {
    useTrainer(server, trainer('fail.sh'));
    const id = await startJob(server.gql);
    const job = await waitForJob(server.gql, id);
    expect(job).toMatchObject({ status: 'FAILED', exitCode: 3 });
    expect(job.error).toMatch(/exited with code 3/);
    expect(job.error).toMatch(/the dataset shard 7 is corrupt/);
    const lines = await allLogLines(server.gql, id);
    expect(lines.find((l) => l.text.includes('shard 7'))).toMatchObject({ stream: 'STDERR', level: 'ERROR' });
  });

  it('records a job of a few milliseconds as ending after it started, with a duration of at least 0', async () => {
    useTrainer(server, ['sh', '-c', 'exit 0']);
    for (let i = 0; i < 3; i++) {
      const id = await startJob(server.gql);
      const job = await waitForJob(server.gql, id, TERMINAL, 30_000, 'status startedAt finishedAt durationSeconds');
      expect(job.status).toBe('SUCCEEDED');
      expect(Date.parse(job.finishedAt)).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
      expect(job.durationSeconds).toBeGreaterThanOrEqual(0);
      expect(job.durationSeconds).toBeLessThan(10);
    }
  });

  it('fails a job whose command does not exist with a clear error', async () => {
    useTrainer(server, ['/nonexistent/anana-trainer-xyz']);
    const id = await startJob(server.gql);
    const job = await waitForJob(server.gql, id);
    expect(job.status).toBe('FAILED');
    expect(job.exitCode).toBe(127);
    expect(job.error).toMatch(/could not start .*\/nonexistent\/anana-trainer-xyz.*ENOENT/);
  });

  it('ends a job whose launcher was SIGKILLed (so it wrote no exit record) as FAILED with the reason, and leaves nothing running', async () => {
    useTrainer(server, trainer('numbered.mjs', 1_000, 1, 10));
    const id = await startJob(server.gql);
    const running = await waitFor(async () => {
      const job = await getJob(server.gql, id);
      return job.status === 'RUNNING' && job.pid && job.lastSeq > 0 ? job : undefined;
    }, 10_000, 'the job to run');
    process.kill(running.pid, 'SIGKILL');
    const job = await waitForJob(server.gql, id, undefined, 10_000);
    expect(job).toMatchObject({ status: 'FAILED', signal: 'SIGKILL', exitCode: null });
    expect(job.error).toMatch(/launcher was killed by SIGKILL/);
    expect(processesOfJob(id)).toEqual([]);
  });

  it('rejects bad input with INVALID_INPUT and queues nothing', async () => {
    const before = (await server.gql('{ jobs { totalCount } }')).data.jobs.totalCount;
    for (const input of [{ trials: 0 }, { trials: 10_001 }, { flavor: '../etc' }, { maxRetries: 99 }]) {
      const res = await server.gql('mutation($input: StartJobInput!) { startJob(input: $input) { id } }', { input });
      expect(res.errors?.[0].extensions?.code, JSON.stringify(input)).toBe('INVALID_INPUT');
    }
    expect((await server.gql('{ jobs { totalCount } }')).data.jobs.totalCount).toBe(before);
  });
});

describe('the queue', () => {
  /** Runs three 1-second jobs under a concurrency limit; returns their [start, end] intervals and the most seen RUNNING at once. */
  async function runThree(limit: number) {
    server.app.services.config.maxConcurrentJobs = limit;
    useTrainer(server, trainer('numbered.mjs', 10, 1, 100));
    const ids = [await startJob(server.gql), await startJob(server.gql), await startJob(server.gql)];
    let maxRunning = 0;
    await waitFor(
      async () => {
        const jobs = await Promise.all(ids.map((id) => getJob(server.gql, id, 'status')));
        maxRunning = Math.max(maxRunning, jobs.filter((j) => j.status === 'RUNNING').length);
        return jobs.every((j) => j.status === 'SUCCEEDED') || jobs.find((j) => !['QUEUED', 'RUNNING', 'SUCCEEDED'].includes(j.status));
      },
      30_000,
      'three jobs to end',
    );
    const jobs = await Promise.all(ids.map((id) => getJob(server.gql, id, 'status startedAt finishedAt')));
    for (const job of jobs) expect(job.status).toBe('SUCCEEDED');
    const intervals = jobs.map((j) => [Date.parse(j.startedAt), Date.parse(j.finishedAt)]).sort((a, b) => a[0] - b[0]);
    return { intervals, maxRunning };
  }

  const overlaps = (a: number[], b: number[]) => a[0] < b[1] && b[0] < a[1];

  it('never runs more jobs at once than ANANA_MAX_CONCURRENT_JOBS=1', async () => {
    const { intervals, maxRunning } = await runThree(1);
    expect(maxRunning).toBe(1);
    expect(overlaps(intervals[0], intervals[1])).toBe(false);
    expect(overlaps(intervals[1], intervals[2])).toBe(false);
  });

  it('runs two at once with a limit of 2', async () => {
    const { intervals, maxRunning } = await runThree(2);
    expect(maxRunning).toBe(2);
    expect(overlaps(intervals[0], intervals[1])).toBe(true);
    // The third waits for a free slot.
    expect(intervals[2][0]).toBeGreaterThanOrEqual(Math.min(intervals[0][1], intervals[1][1]) - 50);
  });
});

describe('resource usage', () => {
  it('samples CPU and memory of the process tree while it runs, and keeps the peak', async () => {
    server.app.services.config.maxConcurrentJobs = 1;
    useTrainer(server, trainer('cpu-burn.mjs', 6000));
    const id = await startJob(server.gql);
    const sample = await waitFor(
      async () => {
        const job = await getJob(server.gql, id, 'status cpuPercent rssBytes peakRssBytes peakCpuPercent');
        return job.cpuPercent > 20 && Number(job.rssBytes) > 64 * 1024 * 1024 ? job : undefined;
      },
      15_000,
      'a usage sample',
    );
    expect(sample.status).toBe('RUNNING');
    expect(Number(sample.peakRssBytes)).toBeGreaterThanOrEqual(Number(sample.rssBytes));
    expect(sample.peakCpuPercent).toBeGreaterThan(0);
    const stopped = await server.gql('mutation($id: ID!) { stopJob(id: $id) { status } }', { id });
    expect(stopped.errors).toBeUndefined();
    const ended = await waitForJob(server.gql, id, undefined, 10_000, 'status cpuPercent peakRssBytes');
    expect(ended.status).toBe('STOPPED');
    expect(Number(ended.peakRssBytes)).toBeGreaterThan(64 * 1024 * 1024);
  });
});
