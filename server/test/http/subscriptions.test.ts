import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSubscription, startTestServer, type TestServer } from '../support/test-server.ts';

let server: TestServer;
beforeAll(async () => {
  // A trainer that prints a few lines slowly enough for a subscription to see them live.
  server = await startTestServer({
    env: { ANANA_TRAIN_CMD: JSON.stringify(['bash', '-c', 'for i in 1 2 3 4 5; do echo "line $i loss=0.$i"; sleep 0.1; done', 'trainer']) },
  });
});
afterAll(() => server?.close());

const JOB_LOGS = 'subscription($id: ID!) { jobLogs(jobId: $id) { lastSeq done lines { seq text stream level } } }';

async function startJob(): Promise<string> {
  const res = await server.gql('mutation { startJob(input: { trials: 1, quick: true }) { id } }');
  expect(res.errors).toBeUndefined();
  return res.data.startJob.id;
}

/** Reads an SSE response (graphql-yoga's distinct-connections mode) into `next` payloads until `complete`. */
async function readSse(url: string, query: string, variables: Record<string, unknown>, timeoutMs = 20_000): Promise<any[]> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const payloads: any[] = [];
  let buffer = '';
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(message)?.[1];
      const data = /^data: (.*)$/m.exec(message)?.[1];
      if (event === 'complete') return payloads;
      if (data) payloads.push(JSON.parse(data));
    }
  }
  return payloads;
}

describe('subscriptions end to end', () => {
  it('delivers every line of a job over graphql-ws and completes when the job ends', async () => {
    const id = await startJob();
    const batches = await collectSubscription<any>(server.wsClient(), JOB_LOGS, { id }, (items) => items.at(-1)?.jobLogs.done);
    const lines = batches.flatMap((b) => b.jobLogs.lines);
    expect(lines.map((l: any) => l.text)).toEqual([1, 2, 3, 4, 5].map((i) => `line ${i} loss=0.${i}`));
    expect(lines.map((l: any) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(batches.at(-1).jobLogs.done).toBe(true);
  });

  it('delivers the same lines over SSE', async () => {
    const id = await startJob();
    const payloads = await readSse(`${server.url}/graphql`, JOB_LOGS, { id });
    const lines = payloads.flatMap((p) => p.data.jobLogs.lines);
    expect(lines.map((l: any) => l.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(payloads.at(-1).data.jobLogs.done).toBe(true);
  });

  it('sends jobUpdated events as the job moves to SUCCEEDED', async () => {
    const client = server.wsClient();
    const updates = collectSubscription<any>(client, 'subscription { jobUpdated { id status } }', {}, (items) => items.some((i) => i.jobUpdated.status === 'SUCCEEDED'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const id = await startJob();
    const items = await updates;
    const statuses = items.filter((i) => i.jobUpdated.id === id).map((i) => i.jobUpdated.status);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
  });

  it('sends jobUpdated(id) the current state first, then each change, and completes once the job has ended', async () => {
    const id = await startJob();
    const JOB_UPDATED = 'subscription($id: ID!) { jobUpdated(id: $id) { id status } }';
    // Subscribed while the job runs: its first event is its state then, its last the end; then it completes.
    const live = await collectSubscription<any>(server.wsClient(), JOB_UPDATED, { id }, () => false, 30_000);
    const statuses = live.map((i) => i.jobUpdated.status);
    expect(['QUEUED', 'RUNNING', 'SUCCEEDED']).toContain(statuses[0]);
    expect(statuses.at(-1)).toBe('SUCCEEDED');
    expect(statuses.slice(0, -1).every((s) => s !== 'SUCCEEDED')).toBe(true);
    // Subscribed after the end: the final state, and complete.
    const late = await collectSubscription<any>(server.wsClient(), JOB_UPDATED, { id }, () => false, 5_000);
    expect(late).toEqual([{ jobUpdated: { id, status: 'SUCCEEDED' } }]);
  });

  it('answers a subscription to an unknown job with NOT_FOUND and keeps serving', async () => {
    const client = server.wsClient();
    await expect(collectSubscription(client, JOB_LOGS, { id: '00000000-0000-4000-8000-000000000000' }, () => false, 5_000)).rejects.toThrow(/NOT_FOUND/);
    const health = await server.gql('{ health { ok } }');
    expect(health.data.health.ok).toBe(true);
  });
});
