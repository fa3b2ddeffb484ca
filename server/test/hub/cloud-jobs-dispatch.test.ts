import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

let fake: FakeHub;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeHub();
  server = await startTestServer({ env: { HF_TOKEN: fake.token, HF_ENDPOINT: fake.url, ANANA_HUB_REPO: 'anana-tester/dispatch' } });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
});

const jobState = async (id: string) => (await server.gql(`{ job(id: "${id}") { status error } logs(jobId: "${id}") { lines { text } } }`)).data;

describe('startJob with executor HF_JOBS', () => {
  it('runs the job on Hugging Face Jobs and streams its log until SUCCEEDED', async () => {
    fake.jobs.setScript({ lines: ['cloud line 1', 'ANANA_METRICS {"step":1,"val_loss":0.5}', 'cloud line 3'], intervalMs: 10, outcome: 'COMPLETED' });
    const res = await server.gql('mutation { startJob(input: { executor: HF_JOBS, flavor: "cpu-basic", trials: 1, quick: true }) { id executor flavor } }');
    expect(res.errors).toBeUndefined();
    const id = res.data.startJob.id;
    const done = await waitFor(async () => {
      const state = await jobState(id);
      return state.job.status === 'SUCCEEDED' ? state : undefined;
    }, 30_000, 'cloud job to succeed');
    const texts = done.logs.lines.map((l: { text: string }) => l.text);
    expect(texts).toEqual(expect.arrayContaining(['cloud line 1', 'cloud line 3']));
    expect(texts.filter((t: string) => t === 'cloud line 1')).toHaveLength(1);
  });

  it('cancels the cloud job on stopJob and ends STOPPED', async () => {
    fake.jobs.setScript({ lines: Array.from({ length: 1000 }, (_, i) => `tick ${i}`), intervalMs: 50, outcome: 'COMPLETED' });
    const id = (await server.gql('mutation { startJob(input: { executor: HF_JOBS, flavor: "cpu-basic" }) { id } }')).data.startJob.id;
    await waitFor(async () => (await jobState(id)).logs.lines.length > 2, 30_000, 'cloud job to print');
    const stop = await server.gql(`mutation { stopJob(id: "${id}") { id } }`);
    expect(stop.errors).toBeUndefined();
    const stopped = await waitFor(async () => {
      const state = await jobState(id);
      return ['STOPPED', 'FAILED', 'SUCCEEDED'].includes(state.job.status) ? state : undefined;
    }, 30_000, 'cloud job to stop');
    expect(stopped.job.status).toBe('STOPPED');
  });

  it('refuses a flavor the Hub does not offer before queuing anything', async () => {
    const before = (await server.gql('{ jobs { totalCount } }')).data.jobs.totalCount;
    const res = await server.gql('mutation { startJob(input: { executor: HF_JOBS, flavor: "no-such-gpu" }) { id } }');
    expect(res.errors?.[0].extensions?.code).toBe('INVALID_INPUT');
    expect((await server.gql('{ jobs { totalCount } }')).data.jobs.totalCount).toBe(before);
  });
});
