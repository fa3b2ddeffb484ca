import { createClient } from 'graphql-ws';
import type { Backend, BackendHandlers, LiveError, LiveRequest } from './live-transport.ts';

export interface WebSocketBackendOptions {
  url: string;
  connectionParams: () => Record<string, unknown>;
  webSocketImpl?: unknown;
}

/** Close codes after which trying again with the same token cannot help. */
const UNAUTHORIZED_CODES = new Set([4401, 4403]);
/** Protocol-level refusals of one operation: reported to the caller, not retried. */
const FATAL_CODES = new Set([4400, 4406, 4409, 4429]);

function isCloseEvent(value: unknown): value is { code: number; reason?: string } {
  return !!value && typeof value === 'object' && typeof (value as { code?: unknown }).code === 'number';
}

/**
 * graphql-ws with its own retries off: a lost socket is reported as a failure, so that the
 * transport re-subscribes with resumed variables instead of replaying the original ones.
 */
export function createWebSocketBackend(options: WebSocketBackendOptions): Backend {
  let socketOpened = false;
  let acknowledged = false;
  const waitingForAck = new Set<() => void>();
  const client = createClient({
    url: options.url,
    lazy: true,
    lazyCloseTimeout: 5_000,
    retryAttempts: 0,
    keepAlive: 20_000,
    connectionParams: options.connectionParams,
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    on: {
      connecting: () => {
        socketOpened = false;
        acknowledged = false;
      },
      opened: () => {
        socketOpened = true;
      },
      connected: () => {
        acknowledged = true;
        for (const notify of [...waitingForAck]) notify();
        waitingForAck.clear();
      },
      closed: () => {
        acknowledged = false;
      },
    },
  });

  return {
    mode: 'websocket',
    open(request: LiveRequest, handlers: BackendHandlers) {
      const notifyOpened = () => handlers.opened();
      if (acknowledged) queueMicrotask(notifyOpened);
      else waitingForAck.add(notifyOpened);
      const unsubscribe = client.subscribe(
        { query: request.query, variables: request.variables ?? {}, operationName: request.operationName ?? undefined },
        {
          next: (result) => handlers.next(result as never),
          complete: () => {
            waitingForAck.delete(notifyOpened);
            handlers.complete();
          },
          error: (error: unknown) => {
            waitingForAck.delete(notifyOpened);
            if (Array.isArray(error)) {
              handlers.next({ errors: error as LiveError[] });
              handlers.complete();
            } else if (isCloseEvent(error) && UNAUTHORIZED_CODES.has(error.code)) {
              handlers.fail({ neverOpened: false, unauthorized: true, detail: error.reason || 'The server refused the API token' });
            } else if (isCloseEvent(error) && FATAL_CODES.has(error.code)) {
              handlers.next({ errors: [{ message: error.reason || `WebSocket closed with ${error.code}` }] });
              handlers.complete();
            } else {
              const detail = isCloseEvent(error) ? `WebSocket closed (${error.code}${error.reason ? `: ${error.reason}` : ''})` : error instanceof Error ? error.message : 'WebSocket error';
              handlers.fail({ neverOpened: !socketOpened, detail });
            }
          },
        },
      );
      return () => {
        waitingForAck.delete(notifyOpened);
        unsubscribe();
      };
    },
    dispose() {
      void client.dispose();
    },
  };
}
