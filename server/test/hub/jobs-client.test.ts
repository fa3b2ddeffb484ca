import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readHubConfig } from '../../src/hub/config.ts';
import { createJobsClient, mapJobStage, type CloudLogLine, type JobsClient } from '../../src/hub/jobs-client.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';

let fake: FakeHub;
let client: JobsClient;

beforeAll(async () => {
  fake = await startFakeHub({ namespace: 'team' });
  client = createJobsClient({ url: fake.url, token: fake.token, namespace: 'team' }, { reconnectDelayMs: 10, idleCheckMs: 200 });
});

afterEach(() => fake.jobs.holdLogStreamsOpen(false));
afterAll(() => fake.close());

const lines = (n: number, prefix = 'epoch') => Array.from({ length: n }, (_, i) => `${prefix} ${i} loss=${(1 / (i + 1)).toFixed(3)}`);
const spec = { flavor: 'cpu-basic', image: 'python:3.12', command: ['python', 'train.py', '--trials', '2'] };

async function collect(iterable: AsyncIterable<CloudLogLine>): Promise<CloudLogLine[]> {
  const out: CloudLogLine[] = [];
  for await (const line of iterable) out.push(line);
  return out;
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('jobs client', () => {
  it('starts a job with the flavor, image, command, environment and secrets', async () => {
    fake.jobs.setScript({ lines: lines(2), intervalMs: 10, outcome: 'COMPLETED' });

    const { id } = await client.runCloudJob({ ...spec, flavor: 'a10g-small', env: { ANANA_QUICK: '1' }, secrets: { HF_TOKEN: 'hf_job_secret' } });

    expect(fake.jobs.get(id)).toMatchObject({
      namespace: 'team',
      flavor: 'a10g-small',
      dockerImage: 'python:3.12',
      command: spec.command,
      environment: { ANANA_QUICK: '1' },
      secrets: { HF_TOKEN: 'hf_job_secret' },
    });
    expect((await client.cloudJobStatus(id)).status).toBe('RUNNING');
    expect((await waitFor(() => client.cloudJobStatus(id), (s) => s.status !== 'RUNNING')).status).toBe('SUCCEEDED');
  });

  it('streams every line in order, without the Hub banner, and ends when the job completes', async () => {
    const script = lines(5);
    fake.jobs.setScript({ lines: script, intervalMs: 10, outcome: 'COMPLETED' });
    const { id } = await client.runCloudJob(spec);

    const got = await collect(client.streamCloudJobLogs(id));

    expect(got.map((l) => l.text)).toEqual(script);
    expect(got.map((l) => l.index)).toEqual([0, 1, 2, 3, 4]);
    expect(got.every((l) => l.time instanceof Date && !Number.isNaN(l.time.getTime()))).toBe(true);
    expect((await client.cloudJobStatus(id)).status).toBe('SUCCEEDED');
  });

  it('resumes dropped streams without gaps or duplicates', async () => {
    const script = lines(12);
    fake.jobs.setScript({ lines: script, intervalMs: 15, outcome: 'COMPLETED' });
    const { id } = await client.runCloudJob(spec);
    // Cut the first connection after 4 data lines and the second after 7, both mid-job.
    fake.jobs.dropLogStreamAfter(4);
    fake.jobs.dropLogStreamAfter(7);

    const got = await collect(client.streamCloudJobLogs(id));

    expect(got.map((l) => l.text)).toEqual(script);
    expect(got.map((l) => l.index)).toEqual(script.map((_, i) => i));
    expect(fake.jobs.get(id)!.logConnections).toBeGreaterThanOrEqual(3);
  });

  it('ends when the job has finished even if the Hub keeps the log stream open', async () => {
    const script = lines(4);
    fake.jobs.setScript({ lines: script, intervalMs: 10, outcome: 'COMPLETED' });
    fake.jobs.holdLogStreamsOpen(true);
    const { id } = await client.runCloudJob(spec);

    const got = await collect(client.streamCloudJobLogs(id));

    expect(got.map((l) => l.text)).toEqual(script);
    expect((await client.cloudJobStatus(id)).status).toBe('SUCCEEDED');
  });

  it('delivers only the lines after afterIndex', async () => {
    const script = lines(6);
    fake.jobs.setScript({ lines: script, intervalMs: 5, outcome: 'COMPLETED' });
    const { id } = await client.runCloudJob(spec);
    await waitFor(() => client.cloudJobStatus(id), (s) => s.status === 'SUCCEEDED');

    const got = await collect(client.streamCloudJobLogs(id, { afterIndex: 2 }));

    expect(got.map((l) => l.index)).toEqual([3, 4, 5]);
    expect(got.map((l) => l.text)).toEqual(script.slice(3));
  });

  it('cancels a running job, which ends its log stream with status STOPPED', async () => {
    fake.jobs.setScript({ lines: lines(500), intervalMs: 20, outcome: 'COMPLETED' });
    const { id } = await client.runCloudJob(spec);
    const got: CloudLogLine[] = [];

    for await (const line of client.streamCloudJobLogs(id)) {
      got.push(line);
      if (got.length === 2) expect((await client.cancelCloudJob(id)).status).toBe('STOPPED');
    }

    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.length).toBeLessThan(500);
    expect(fake.jobs.get(id)!.stage).toBe('CANCELED');
    expect(await client.cloudJobStatus(id)).toMatchObject({ status: 'STOPPED', stage: 'CANCELED' });
  });

  it('reports a job that failed on the Hub as FAILED with its message', async () => {
    fake.jobs.setScript({ lines: ['Traceback (most recent call last):'], intervalMs: 5, outcome: 'ERROR' });
    const { id } = await client.runCloudJob(spec);

    const got = await collect(client.streamCloudJobLogs(id));

    expect(got.map((l) => l.text)).toEqual(['Traceback (most recent call last):']);
    expect(await client.cloudJobStatus(id)).toMatchObject({ status: 'FAILED', message: expect.stringMatching(/exit code/) });
  });

  it('stops streaming when the caller aborts', async () => {
    fake.jobs.setScript({ lines: lines(500), intervalMs: 10, outcome: 'COMPLETED' });
    const { id } = await client.runCloudJob(spec);
    const controller = new AbortController();
    const got: CloudLogLine[] = [];

    for await (const line of client.streamCloudJobLogs(id, { signal: controller.signal })) {
      got.push(line);
      if (got.length === 3) controller.abort();
    }

    expect(got.map((l) => l.index)).toEqual([0, 1, 2]);
    await client.cancelCloudJob(id);
  });

  it('lists the hardware flavors with hourly prices', async () => {
    const flavors = await client.listHardwareFlavors();

    expect(flavors.find((f) => f.name === 'cpu-basic')).toMatchObject({ prettyName: 'CPU Basic', accelerator: null, pricePerHour: 0.01, unitLabel: 'minute' });
    expect(flavors.find((f) => f.name === 'a10g-small')).toMatchObject({ accelerator: '1x Nvidia A10G (24 GB)', pricePerHour: 1 });
    expect(flavors.map((f) => f.name)).toEqual(expect.arrayContaining(['t4-small', 'a10g-large']));
  });

  it('rejects a flavor the Hub does not offer with INVALID_INPUT', async () => {
    await expect(client.runCloudJob({ ...spec, flavor: 'quantum-xl' })).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/quantum-xl/) });
  });

  it('throws NOT_FOUND for a job the Hub does not know', async () => {
    await expect(client.cloudJobStatus('000000000000000000000000')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(collect(client.streamCloudJobLogs('000000000000000000000000'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('asks the Hub whose token it is when no namespace is configured', async () => {
    const anonymous = createJobsClient({ url: fake.url, token: fake.token });

    const { id } = await anonymous.runCloudJob(spec);

    expect(fake.requests.some((r) => r.path === '/api/whoami-v2')).toBe(true);
    expect(fake.jobs.get(id)!.namespace).toBe('team');
    await anonymous.cancelCloudJob(id);
  });

  it('throws NOT_CONFIGURED without a token', () => {
    expect(() => createJobsClient(readHubConfig({ HF_ENDPOINT: fake.url }))).toThrow(expect.objectContaining({ code: 'NOT_CONFIGURED' }));
  });

  it('maps every Hub stage onto a job state', () => {
    expect(
      Object.fromEntries(['RUNNING', 'UPDATING', 'COMPLETED', 'ERROR', 'CANCELED', 'DELETED', 'QUEUED', 'SOMETHING_NEW'].map((s) => [s, mapJobStage(s)])),
    ).toEqual({
      RUNNING: 'RUNNING',
      UPDATING: 'RUNNING',
      COMPLETED: 'SUCCEEDED',
      ERROR: 'FAILED',
      CANCELED: 'STOPPED',
      DELETED: 'STOPPED',
      QUEUED: 'QUEUED',
      SOMETHING_NEW: 'RUNNING',
    });
  });
});
