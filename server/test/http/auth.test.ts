import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectSubscription, startTestServer, type TestServer } from '../support/test-server.ts';

const TOKEN = 'secret-token-for-tests';
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ env: { ANANA_API_TOKEN: TOKEN, ANANA_TRAIN_CMD: JSON.stringify(['true']) } });
});
afterAll(() => server?.close());

const START = 'mutation { startJob(input: { trials: 1 }) { id } }';

describe('API token', () => {
  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a malformed header', { authorization: TOKEN }],
  ])('refuses a mutation over HTTP with %s', async (_name, headers) => {
    const res = await server.gql(START, {}, headers);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.data?.startJob ?? null).toBeNull();
    const jobs = await server.gql('{ jobs { totalCount } }');
    expect(jobs.data.jobs.totalCount).toBe(0);
  });

  it('accepts a mutation over HTTP with the token', async () => {
    const res = await server.gql(START, {}, { authorization: `Bearer ${TOKEN}` });
    expect(res.errors).toBeUndefined();
    expect(res.data.startJob.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps queries open without the token', async () => {
    const res = await server.gql('{ health { ok } }');
    expect(res.data.health.ok).toBe(true);
  });

  it('closes a WebSocket whose connection_init lacks the token', async () => {
    const client = server.wsClient();
    await expect(collectSubscription(client, 'subscription { jobUpdated { id } }', {}, () => true, 5_000)).rejects.toMatchObject({ code: 4403 });
  });

  it('accepts a WebSocket whose connection_init carries the token', async () => {
    const client = server.wsClient({ Authorization: `Bearer ${TOKEN}` });
    let id = '';
    const got = collectSubscription<any>(client, 'subscription { jobUpdated { id status } }', {}, (items) => items.some((i) => i.jobUpdated.id === id), 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await server.gql(START, {}, { authorization: `Bearer ${TOKEN}` });
    id = res.data.startJob.id;
    const items = await got;
    expect(items.some((i) => i.jobUpdated.id === id)).toBe(true);
  });

  it('refuses a subscription over SSE without the token', async () => {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ query: 'subscription { jobUpdated { id } }' }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    expect(text).toContain('UNAUTHENTICATED');
  });
});
