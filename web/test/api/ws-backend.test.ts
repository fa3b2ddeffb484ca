import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../../server/test/support/test-server.ts';
import type { BackendHandlers, LiveResult, TransportFailure } from '../../src/api/live-transport.ts';
import { createWebSocketBackend } from '../../src/api/ws-backend.ts';

const TOKEN = 'console-test-token';

function observe() {
  const events: string[] = [];
  const results: LiveResult[] = [];
  let failure: TransportFailure | undefined;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const handlers: BackendHandlers = {
    opened: () => {
      events.push('opened');
      settle();
    },
    next: (result) => {
      events.push('next');
      results.push(result);
      settle();
    },
    complete: () => {
      events.push('complete');
      settle();
    },
    fail: (f) => {
      events.push('fail');
      failure = f;
      settle();
    },
  };
  return { events, results, handlers, settled, get failure() {
    return failure;
  } };
}

describe('WebSocket backend against the server', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { ANANA_API_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const backend = (token?: string, url = `${server.url.replace('http', 'ws')}/graphql`) =>
    createWebSocketBackend({ url, connectionParams: () => (token ? { Authorization: `Bearer ${token}` } : {}), webSocketImpl: WebSocket });

  it('sends the token in the connection params and opens', async () => {
    const ws = backend(TOKEN);
    const seen = observe();
    const close = ws.open({ query: 'subscription { jobUpdated { id status } }' }, seen.handlers);
    await seen.settled;
    expect(seen.events).toEqual(['opened']);
    close();
    ws.dispose();
  });

  it('reports a refused token as unauthorized, not as a network failure', async () => {
    const ws = backend('wrong-token');
    const seen = observe();
    ws.open({ query: 'subscription { jobUpdated { id } }' }, seen.handlers);
    await seen.settled;
    expect(seen.events).toEqual(['fail']);
    expect(seen.failure).toMatchObject({ unauthorized: true });
    ws.dispose();
  });

  it('reports a socket that could not open as never opened', async () => {
    const ws = backend(TOKEN, 'ws://127.0.0.1:9/graphql');
    const seen = observe();
    ws.open({ query: 'subscription { jobUpdated { id } }' }, seen.handlers);
    await seen.settled;
    expect(seen.failure).toMatchObject({ neverOpened: true });
    ws.dispose();
  });

  it('passes an operation error on as a result and completes', async () => {
    const ws = backend(TOKEN);
    const seen = observe();
    ws.open({ query: 'subscription { jobLogs(jobId: "00000000-0000-4000-8000-000000000000") { lastSeq } }' }, seen.handlers);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (seen.events.includes('complete')) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    expect(seen.results[0].errors?.[0].extensions?.code).toBe('NOT_FOUND');
    ws.dispose();
  });
});
