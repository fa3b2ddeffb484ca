import { describe, expect, it, vi } from 'vitest';
import { LiveTransport, type Backend, type BackendHandlers, type LiveRequest, type LiveResult, type TransportMode } from '../../src/api/live-transport.ts';

interface Opened {
  request: LiveRequest;
  handlers: BackendHandlers;
  closed: boolean;
}

class FakeBackend implements Backend {
  readonly opened: Opened[] = [];
  disposed = false;
  constructor(readonly mode: TransportMode) {}
  open(request: LiveRequest, handlers: BackendHandlers) {
    const entry: Opened = { request, handlers, closed: false };
    this.opened.push(entry);
    return () => {
      entry.closed = true;
    };
  }
  dispose() {
    this.disposed = true;
  }
  get last(): Opened {
    return this.opened[this.opened.length - 1];
  }
}

function setup(options: { httpWorks?: boolean; mode?: TransportMode } = {}) {
  const backends: FakeBackend[] = [];
  const transport = new LiveTransport({
    mode: options.mode,
    createBackend: (mode) => {
      const backend = new FakeBackend(mode);
      backends.push(backend);
      return backend;
    },
    probeHttp: async () => options.httpWorks ?? true,
    retryDelay: () => 1_000,
  });
  const results: LiveResult[] = [];
  let completed = 0;
  let resumed = 0;
  let lastSeq = 0;
  const unsubscribe = transport.subscribe(
    { query: 'subscription { jobLogs(jobId: "j", afterSeq: $afterSeq) { lastSeq } }', variables: { jobId: 'j', afterSeq: 0 } },
    {
      next: (result) => {
        results.push(result);
        lastSeq = (result.data as { lastSeq?: number } | undefined)?.lastSeq ?? lastSeq;
      },
      complete: () => completed++,
    },
    { resume: (variables) => ({ ...variables, afterSeq: lastSeq }), onResumed: () => resumed++ },
  );
  return {
    transport,
    backends,
    results,
    unsubscribe,
    get completed() {
      return completed;
    },
    get resumed() {
      return resumed;
    },
    get backend() {
      return backends[backends.length - 1];
    },
  };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('LiveTransport', () => {
  it('is live once the backend opens, and passes results on', () => {
    const t = setup();
    expect(t.transport.status.get().state).toBe('connecting');
    t.backend.last.handlers.opened();
    t.backend.last.handlers.next({ data: { lastSeq: 5 } });
    expect(t.transport.status.get()).toMatchObject({ state: 'live', mode: 'websocket' });
    expect(t.results).toEqual([{ data: { lastSeq: 5 } }]);
  });

  it('re-subscribes after a lost connection with the variables resume gives, after the back-off', async () => {
    vi.useFakeTimers();
    try {
      const t = setup();
      t.backend.last.handlers.opened();
      t.backend.last.handlers.next({ data: { lastSeq: 42 } });
      t.backend.last.handlers.fail({ neverOpened: false, detail: 'WebSocket closed (1006)' });
      await vi.advanceTimersByTimeAsync(0);
      expect(t.transport.status.get()).toMatchObject({ state: 'reconnecting', failures: 1, detail: 'WebSocket closed (1006)' });
      expect(t.backend.opened).toHaveLength(1);

      await vi.advanceTimersByTimeAsync(1_000);
      expect(t.backend.opened).toHaveLength(2);
      expect(t.backend.last.request.variables).toEqual({ jobId: 'j', afterSeq: 42 });
      expect(t.resumed).toBe(1);
      t.backend.last.handlers.opened();
      expect(t.transport.status.get()).toMatchObject({ state: 'live', failures: 0, retryAt: null });
    } finally {
      vi.useRealTimers();
    }
  });

  it('retries at once when asked', async () => {
    const t = setup();
    t.backend.last.handlers.fail({ neverOpened: false, detail: 'gone' });
    await flush();
    t.transport.retryNow();
    expect(t.backend.opened).toHaveLength(2);
  });

  it('falls back to SSE when the WebSocket never opens but HTTP answers', async () => {
    const t = setup({ httpWorks: true });
    const ws = t.backend;
    ws.last.handlers.fail({ neverOpened: true, detail: 'WebSocket error' });
    await flush();
    expect(ws.disposed).toBe(true);
    expect(t.backend.mode).toBe('sse');
    expect(t.backend.opened).toHaveLength(1);
    expect(t.transport.status.get()).toMatchObject({ mode: 'sse', fellBack: true, state: 'connecting' });
    t.backend.last.handlers.opened();
    expect(t.transport.status.get().state).toBe('live');
  });

  it('stays on WebSocket, offline, when HTTP does not answer either', async () => {
    const t = setup({ httpWorks: false });
    t.backend.last.handlers.fail({ neverOpened: true, detail: 'WebSocket error' });
    await flush();
    expect(t.backends).toHaveLength(1);
    expect(t.transport.status.get()).toMatchObject({ state: 'offline', mode: 'websocket' });
    expect(t.transport.status.get().retryAt).toBeGreaterThan(Date.now());
  });

  it('keeps a WebSocket that once worked through a few failures before falling back', async () => {
    const t = setup({ httpWorks: true });
    t.backend.last.handlers.opened();
    for (let failure = 1; failure <= 2; failure++) {
      t.backend.last.handlers.fail({ neverOpened: true, detail: 'refused' });
      await flush();
      expect(t.transport.status.get()).toMatchObject({ state: 'reconnecting', mode: 'websocket', failures: failure });
      t.transport.retryNow();
    }
    t.backend.last.handlers.fail({ neverOpened: true, detail: 'refused' });
    await flush();
    expect(t.transport.status.get()).toMatchObject({ mode: 'sse', fellBack: true });
  });

  it('waits for a token when the server refuses the connection, and resumes once it is set', async () => {
    const t = setup();
    t.backend.last.handlers.next({ data: { lastSeq: 7 } });
    t.backend.last.handlers.fail({ neverOpened: false, unauthorized: true, detail: 'Unauthenticated' });
    await flush();
    expect(t.transport.status.get()).toMatchObject({ state: 'unauthorized', detail: 'Unauthenticated' });
    expect(t.backend.opened).toHaveLength(1);

    t.transport.restart();
    expect(t.backends).toHaveLength(2);
    expect(t.backend.last.request.variables).toEqual({ jobId: 'j', afterSeq: 7 });
  });

  it('treats an UNAUTHENTICATED result (SSE) like a refused connection', () => {
    const t = setup({ mode: 'sse' });
    t.backend.last.handlers.next({ errors: [{ message: 'A valid bearer token is required', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(t.transport.status.get().state).toBe('unauthorized');
    expect(t.backend.last.closed).toBe(true);
    expect(t.results).toEqual([]);
  });

  it('passes other errors on and ends normally; idle without subscriptions', () => {
    const t = setup();
    t.backend.last.handlers.opened();
    t.backend.last.handlers.next({ errors: [{ message: 'Job "x" does not exist', extensions: { code: 'NOT_FOUND' } }] });
    t.backend.last.handlers.complete();
    expect(t.results[0].errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect(t.completed).toBe(1);
    expect(t.transport.status.get().state).toBe('idle');
  });

  it('closes the backend subscription on unsubscribe and ignores what arrives after', () => {
    const t = setup();
    const opened = t.backend.last;
    t.unsubscribe();
    expect(opened.closed).toBe(true);
    expect(t.transport.status.get().state).toBe('idle');
  });

  it('re-opens subscriptions parked during a recovery on the next attempt', async () => {
    const t = setup();
    t.backend.last.handlers.fail({ neverOpened: false, detail: 'gone' });
    await flush();
    const seen: LiveResult[] = [];
    t.transport.subscribe({ query: 'subscription { jobUpdated { id } }' }, { next: (result) => seen.push(result) });
    expect(t.backend.opened).toHaveLength(1);
    t.transport.retryNow();
    expect(t.backend.opened.map((entry) => entry.request.query)).toEqual([
      'subscription { jobLogs(jobId: "j", afterSeq: $afterSeq) { lastSeq } }',
      'subscription { jobLogs(jobId: "j", afterSeq: $afterSeq) { lastSeq } }',
      'subscription { jobUpdated { id } }',
    ]);
  });
});
