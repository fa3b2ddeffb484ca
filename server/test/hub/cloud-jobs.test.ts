import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/generated/prisma/client.ts';
import { CloudRun, type CloudRunOutcome } from '../../src/hub/cloud-run.ts';
import { HubService } from '../../src/hub/hub-service.ts';
import { publishJobUpdated } from '../../src/jobs/job-events.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { collectSubscription, startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

const REPO = 'anana-tester/cloud-results';

let fake: FakeHub;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeHub();
  server = await startTestServer({ env: { HF_TOKEN: fake.token, HF_ENDPOINT: fake.url, ANANA_HUB_REPO: REPO } });
});

afterEach(() => fake.jobs.setScript({ lines: ['hello from the cloud'], intervalMs: 20, startDelayMs: 0, outcome: 'COMPLETED' }));

afterAll(async () => {
  await server?.close();
  await fake?.close();
});

const services = () => server.app.services;
const prisma = () => services().db.prisma;
const row = (id: string) => prisma().job.findUniqueOrThrow({ where: { id } });

/**
 * A RUNNING HF_JOBS job row owned by this server, as the dispatcher leaves it after claiming it. It is written
 * directly as RUNNING, so the dispatcher (which claims QUEUED HF_JOBS jobs itself) never races the test for it.
 */
async function claimedCloudJob(flavor = 'cpu-basic'): Promise<Job> {
  const id = crypto.randomUUID();
  const { config } = services();
  return prisma().job.create({
    data: {
      id,
      kind: 'TUNE',
      executor: 'HF_JOBS',
      flavor,
      trials: 2,
      quick: true,
      command: [...config.trainCmd, '--mode', 'tune', '--trials', '2', '--quick', '--output-dir', `${config.resultsDir}/tune/${id}`],
      outputDir: `${config.resultsDir}/tune/${id}`,
      logPath: `${config.resultsDir}/logs/${id}.log`,
      status: 'RUNNING',
      ownerId: services().instanceId,
      startedAt: new Date(),
      attempt: 1,
    },
  });
}

/** Records the end the way JobService does: final state first, then the pipeline's end for subscribers. */
async function finish(run: CloudRun, jobId: string, outcome: CloudRunOutcome): Promise<void> {
  if (outcome.kind !== 'exited') throw new Error(`unexpected outcome ${outcome.kind}`);
  await prisma().job.update({
    where: { id: jobId },
    data: { status: outcome.status, error: outcome.exit.error ?? null, exitCode: outcome.exit.exitCode, finishedAt: new Date() },
  });
  publishJobUpdated(services().events, jobId);
  await run.pipeline.close({ ended: true });
}

interface Line {
  seq: number;
  stream: string;
  level: string;
  text: string;
}

async function logsOf(jobId: string): Promise<Line[]> {
  const res = await server.gql(`query($jobId: ID!) { logs(jobId: $jobId, first: 1000) { lines { seq stream level text } } }`, { jobId });
  expect(res.errors).toBeUndefined();
  return res.data.logs.lines;
}

const stdout = (lines: Line[]) => lines.filter((l) => l.stream === 'STDOUT').map((l) => l.text);
const contiguous = (lines: Line[]) => lines.every((l, i) => l.seq === i + 1);
const script = (n: number) => Array.from({ length: n }, (_, i) => `epoch ${i} loss=${(1 / (i + 1)).toFixed(4)}`);

describe('cloud runs on Hugging Face Jobs', () => {
  it('launches the job on its flavor and streams its log into logs, jobLogs and metrics, then pulls its results', async () => {
    const lines = ['Loading data', 'ANANA_METRICS {"step":1,"epoch":0,"train_loss":0.5}', 'WARNING: learning rate is high', 'ANANA_METRICS {"step":2,"epoch":1,"train_loss":0.25}', 'done'];
    fake.jobs.setScript({ lines, intervalMs: 15, outcome: 'COMPLETED' });
    const job = await claimedCloudJob();
    const client = server.wsClient();
    const subscribed = collectSubscription<{ jobLogs: { lines: Line[]; done: boolean } }>(
      client,
      `subscription($jobId: ID!) { jobLogs(jobId: $jobId) { lines { seq stream level text } done } }`,
      { jobId: job.id },
      (items) => items.some((i) => i.jobLogs.done),
    );
    const run = new CloudRun(services(), job);

    await run.launch();
    // What the trainer does at its end in the cloud: its trial file lands in the repo, under its job's folder.
    fake.putFile(REPO, `tune/${job.id}/trial_0.json`, JSON.stringify({ number: 0, params: { learning_rate: 0.01 }, score: 0.42, metric: 'val_loss' }));
    const outcome = await run.run();
    await finish(run, job.id, outcome);

    const externalId = (await row(job.id)).externalId!;
    expect(externalId).toBe(run.externalId);
    expect(fake.jobs.get(externalId)).toMatchObject({
      flavor: 'cpu-basic',
      dockerImage: 'node:20',
      command: ['node', ...job.command.slice(1)],
      environment: { ANANA_JOB_ID: job.id, ANANA_HUB_REPO: REPO, ANANA_HUB_PATH: `tune/${job.id}`, HF_ENDPOINT: fake.url },
      secrets: { HF_TOKEN: fake.token },
    });
    expect(outcome).toMatchObject({ kind: 'exited', status: 'SUCCEEDED', exit: { exitCode: 0 } });

    const logs = await logsOf(job.id);
    expect(stdout(logs)).toEqual(lines);
    expect(contiguous(logs)).toBe(true);
    expect(logs[0]).toMatchObject({ stream: 'SYSTEM', text: `Started on Hugging Face Jobs as ${externalId} (flavor cpu-basic, image node:20)` });
    expect(logs.find((l) => l.text.startsWith('WARNING'))?.level).toBe('WARNING');
    expect(logs.at(-1)).toMatchObject({ stream: 'SYSTEM', text: expect.stringMatching(/^Pulled 1 file\(s\) from anana-tester\/cloud-results; 1 trial\(s\) indexed/) });
    expect((await row(job.id)).stdoutOffset).toBe(BigInt(lines.length));

    const live = (await subscribed).flatMap((batch) => batch.jobLogs.lines);
    expect(live).toEqual(logs);

    const metrics = await server.gql(`query($jobId: ID!) { metrics(jobId: $jobId, name: "train_loss") { points { step value } } }`, { jobId: job.id });
    expect(metrics.data.metrics.points).toEqual([{ step: 1, value: 0.5 }, { step: 2, value: 0.25 }]);

    const board = await server.gql(`query($jobId: ID) { leaderboard(jobId: $jobId) { rows { source score jobId } } }`, { jobId: job.id });
    expect(board.data.leaderboard.rows).toEqual([{ source: 'HUB', score: 0.42, jobId: job.id }]);
  });

  it('resumes a dropped log stream with no line missing or repeated', async () => {
    const lines = script(12);
    fake.jobs.setScript({ lines, intervalMs: 15, outcome: 'COMPLETED' });
    const job = await claimedCloudJob();
    // The first connection is cut after the banner and 3 lines, the second after 7 (counted from its replay).
    fake.jobs.dropLogStreamAfter(4);
    fake.jobs.dropLogStreamAfter(8);
    const run = new CloudRun(services(), job, { pullResults: false });

    await run.launch();
    const outcome = await run.run();
    await finish(run, job.id, outcome);

    const logs = await logsOf(job.id);
    expect(stdout(logs)).toEqual(lines);
    expect(contiguous(logs)).toBe(true);
    expect(fake.jobs.get(run.externalId!)!.logConnections).toBeGreaterThanOrEqual(3);
  });

  it('re-attaches after a server restart and goes on from the persisted position, without gap or duplicate', async () => {
    const lines = script(24);
    fake.jobs.setScript({ lines, intervalMs: 25, outcome: 'COMPLETED' });
    const job = await claimedCloudJob('t4-small');
    const first = new CloudRun(services(), job, { pullResults: false });
    await first.launch();
    const firstOutcome = first.run();

    await waitFor(async () => (await row(job.id)).stdoutOffset >= 5n, 10_000, 'five persisted lines');
    await first.detach();
    expect(await firstOutcome).toEqual({ kind: 'detached' });
    const persisted = await row(job.id);
    expect(persisted.stdoutOffset).toBeLessThan(BigInt(lines.length));

    // A new server finds the job RUNNING with its Hugging Face id and log position.
    const second = new CloudRun(services(), persisted, { pullResults: false });
    await second.attach();
    const outcome = await second.run();
    await finish(second, job.id, outcome);

    expect(outcome).toMatchObject({ status: 'SUCCEEDED' });
    const logs = await logsOf(job.id);
    expect(stdout(logs)).toEqual(lines);
    expect(contiguous(logs)).toBe(true);
    expect((await row(job.id)).stdoutOffset).toBe(BigInt(lines.length));
  });

  it('cancels the cloud job on stop, which then ends STOPPED', async () => {
    fake.jobs.setScript({ lines: script(500), intervalMs: 20, outcome: 'COMPLETED' });
    const job = await claimedCloudJob();
    const run = new CloudRun(services(), job, { pullResults: false });
    await run.launch();
    const running = run.run();
    await waitFor(() => run.pipeline.lastSeq >= 3, 10_000, 'first lines');

    // What stopJob does: record the request, then have the run stop.
    await prisma().job.update({ where: { id: job.id }, data: { stopRequested: true } });
    await run.stop(services().config.stopGraceMs);
    const outcome = await running;
    await finish(run, job.id, outcome);

    expect(outcome).toMatchObject({ kind: 'exited', status: 'STOPPED', exit: { error: 'stopped by request' } });
    expect(fake.jobs.get(run.externalId!)!.stage).toBe('CANCELED');
    const logs = await logsOf(job.id);
    expect(stdout(logs).length).toBeLessThan(500);
    expect(stdout(logs)).toEqual(script(500).slice(0, stdout(logs).length));
  });

  it('ends FAILED with the Hub reason and exit code when the cloud job fails', async () => {
    fake.jobs.setScript({ lines: ['Traceback (most recent call last):', 'ValueError: boom'], intervalMs: 10, outcome: 'ERROR' });
    const job = await claimedCloudJob();
    const run = new CloudRun(services(), job, { pullResults: false });
    await run.launch();

    const outcome = await run.run();
    await finish(run, job.id, outcome);

    expect(outcome).toMatchObject({ kind: 'exited', status: 'FAILED', exit: { exitCode: 1, error: expect.stringMatching(/failed on Hugging Face \(ERROR: Job failed with exit code: 1\)/) } });
    expect((await logsOf(job.id)).find((l) => l.text === 'ValueError: boom')?.level).toBe('ERROR');
  });

  it('refuses a launch with NOT_CONFIGURED when the Hub is not configured, and an unknown flavor with INVALID_INPUT', async () => {
    const job = await claimedCloudJob();
    const bare = { ...services(), config: { ...services().config, hfToken: undefined, hubRepo: undefined } };
    bare.hub = new HubService(bare);

    await expect(new CloudRun(bare, job).launch()).rejects.toMatchObject({ code: 'NOT_CONFIGURED', message: expect.stringMatching(/HF_TOKEN and ANANA_HUB_REPO/) });
    await expect(services().hub.requireCloudJobs('quantum-xl')).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/cpu-basic/) });
    await expect(services().hub.requireCloudJobs('a10g-small')).resolves.toMatchObject({ image: 'node:20', repo: REPO });
    expect(fake.jobs.list().some((j) => j.environment.ANANA_JOB_ID === job.id)).toBe(false);
  });
});
