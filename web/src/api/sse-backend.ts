import type { Backend, BackendHandlers, LiveRequest, LiveResult } from './live-transport.ts';

export interface SseBackendOptions {
  url: string;
  headers: () => Record<string, string>;
  fetch?: typeof fetch;
}

/** Splits a text/event-stream into events; comments (yoga's keep-alive pings) are dropped. */
export function parseEventBlock(block: string): { event: string; data: string } | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (!line || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return data.length || event !== 'message' ? { event, data: data.join('\n') } : undefined;
}

/**
 * Subscriptions as graphql-yoga serves them over SSE ("distinct connections" mode):
 * one POST per subscription with `accept: text/event-stream`, `next` events, then `complete`.
 */
export function createSseBackend(options: SseBackendOptions): Backend {
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  return {
    mode: 'sse',
    open(request: LiveRequest, handlers: BackendHandlers) {
      const controller = new AbortController();
      void stream(fetchImpl, options, request, handlers, controller.signal);
      return () => controller.abort();
    },
    dispose() {},
  };
}

async function stream(fetchImpl: typeof fetch, options: SseBackendOptions, request: LiveRequest, handlers: BackendHandlers, signal: AbortSignal): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...options.headers() },
      body: JSON.stringify({ query: request.query, variables: request.variables ?? {}, operationName: request.operationName ?? undefined }),
      signal,
    });
  } catch (error) {
    if (!signal.aborted) handlers.fail({ neverOpened: true, detail: `SSE request failed: ${(error as Error).message}` });
    return;
  }
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.includes('text/event-stream')) {
    const body = await response.json().catch(() => undefined) as LiveResult | undefined;
    if (signal.aborted) return;
    if (response.status === 401 || response.status === 403) handlers.fail({ neverOpened: false, unauthorized: true, detail: body?.errors?.[0]?.message ?? `HTTP ${response.status}` });
    else if (body?.errors?.length) {
      handlers.next(body);
      handlers.complete();
    } else handlers.fail({ neverOpened: true, detail: `SSE answered HTTP ${response.status}` });
    return;
  }
  handlers.opened();
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let boundary: RegExpExecArray | null;
      while ((boundary = /\r?\n\r?\n/.exec(buffer))) {
        const block = buffer.slice(0, boundary.index);
        buffer = buffer.slice(boundary.index + boundary[0].length);
        const message = parseEventBlock(block);
        if (!message) continue;
        if (message.event === 'complete') {
          handlers.complete();
          return;
        }
        if (message.event === 'next' || message.event === 'message') handlers.next(JSON.parse(message.data) as LiveResult);
      }
    }
  } catch (error) {
    if (signal.aborted) return;
    handlers.fail({ neverOpened: false, detail: `SSE stream broke: ${(error as Error).message}` });
    return;
  }
  if (!signal.aborted) handlers.fail({ neverOpened: false, detail: 'SSE stream ended early' });
}
