import { describe, expect, it } from 'vitest';
import type { BackendHandlers, LiveResult, TransportFailure } from '../../src/api/live-transport.ts';
import { createSseBackend, parseEventBlock } from '../../src/api/sse-backend.ts';

function streamOf(chunks: string[], { end = true } = {}): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      if (end) controller.close();
    },
  });
}

function run(response: Response | Error) {
  const events: string[] = [];
  const results: LiveResult[] = [];
  let failure: TransportFailure | undefined;
  let request: RequestInit | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const handlers: BackendHandlers = {
    opened: () => events.push('opened'),
    next: (result) => {
      events.push('next');
      results.push(result);
    },
    complete: () => {
      events.push('complete');
      resolveDone();
    },
    fail: (f) => {
      events.push('fail');
      failure = f;
      resolveDone();
    },
  };
  const backend = createSseBackend({
    url: 'http://server/graphql',
    headers: () => ({ Authorization: 'Bearer secret' }),
    fetch: async (_url, init) => {
      request = init;
      if (response instanceof Error) throw response;
      return response;
    },
  });
  const close = backend.open({ query: 'subscription { jobUpdated { id } }', variables: { id: '1' } }, handlers);
  return { events, results, done, close, get failure() {
    return failure;
  }, get request() {
    return request;
  } };
}

const eventStream = (body: ReadableStream<Uint8Array>) => new Response(body, { headers: { 'content-type': 'text/event-stream' } });

describe('SSE backend', () => {
  it('parses events split across chunks, skipping keep-alive comments', async () => {
    const t = run(eventStream(streamOf([':\n\n', 'event: next\ndata: {"data":{"a"', ':1}}\n\nevent: next\r\ndata: {"data":{"a":2}}\r\n\r\n', 'event: complete\ndata:\n\n'])));
    await t.done;
    expect(t.events).toEqual(['opened', 'next', 'next', 'complete']);
    expect(t.results).toEqual([{ data: { a: 1 } }, { data: { a: 2 } }]);
    expect(t.request?.method).toBe('POST');
    expect(t.request?.headers).toMatchObject({ accept: 'text/event-stream', Authorization: 'Bearer secret' });
    expect(JSON.parse(String(t.request?.body))).toMatchObject({ variables: { id: '1' } });
  });

  it('reports a stream that ends without complete as a transport failure, to be resumed', async () => {
    const t = run(eventStream(streamOf(['event: next\ndata: {"data":{}}\n\n'])));
    await t.done;
    expect(t.events).toEqual(['opened', 'next', 'fail']);
    expect(t.failure).toMatchObject({ neverOpened: false });
  });

  it('reports a request that never reached the server as never opened', async () => {
    const t = run(new TypeError('fetch failed'));
    await t.done;
    expect(t.failure).toMatchObject({ neverOpened: true, detail: 'SSE request failed: fetch failed' });
  });

  it('passes a JSON error answer on as a result, and 401 as unauthorized', async () => {
    const invalid = run(new Response(JSON.stringify({ errors: [{ message: 'Cannot query field "x"', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] }), { status: 400, headers: { 'content-type': 'application/json' } }));
    await invalid.done;
    expect(invalid.events).toEqual(['next', 'complete']);
    const refused = run(new Response(JSON.stringify({ errors: [{ message: 'A valid bearer token is required' }] }), { status: 401, headers: { 'content-type': 'application/json' } }));
    await refused.done;
    expect(refused.failure).toMatchObject({ unauthorized: true, detail: 'A valid bearer token is required' });
  });

  it('stops quietly when closed', async () => {
    const t = run(eventStream(streamOf(['event: next\ndata: {"data":{}}\n\n'], { end: false })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    t.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(t.events).toEqual(['opened', 'next']);
  });

  it.each([
    { block: 'event: next\ndata: {"x":1}', parsed: { event: 'next', data: '{"x":1}' } },
    { block: 'data: a\ndata: b', parsed: { event: 'message', data: 'a\nb' } },
    { block: 'event: complete\ndata:', parsed: { event: 'complete', data: '' } },
    { block: ': ping', parsed: undefined },
  ])('parses the block $block', ({ block, parsed }) => {
    expect(parseEventBlock(block)).toEqual(parsed);
  });
});
