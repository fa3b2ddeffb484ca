import { Client, cacheExchange, fetchExchange, subscriptionExchange } from 'urql';
import { LiveTransport, type TransportMode } from './live-transport.ts';
import { createSseBackend } from './sse-backend.ts';
import { authorization, tokenStore } from './token.ts';
import { createWebSocketBackend } from './ws-backend.ts';

export const GRAPHQL_PATH = '/graphql';
const TRANSPORT_KEY = 'anana.transport';

function authHeaders(): Record<string, string> {
  const value = authorization();
  return value ? { Authorization: value } : {};
}

/** `localStorage['anana.transport'] = 'sse'` forces SSE, for proxies that break WebSockets without refusing them. */
function preferredMode(): TransportMode {
  try {
    return localStorage.getItem(TRANSPORT_KEY) === 'sse' ? 'sse' : 'websocket';
  } catch {
    return 'websocket';
  }
}

export function createLiveTransport(): LiveTransport {
  const httpUrl = new URL(GRAPHQL_PATH, location.href).toString();
  const wsUrl = httpUrl.replace(/^http/, 'ws');
  const transport = new LiveTransport({
    mode: preferredMode(),
    createBackend: (mode) =>
      mode === 'sse'
        ? createSseBackend({ url: httpUrl, headers: authHeaders })
        : createWebSocketBackend({ url: wsUrl, connectionParams: authHeaders }),
    probeHttp: async () => {
      const response = await fetch(httpUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      return response.ok;
    },
  });
  tokenStore.subscribe(() => transport.restart());
  return transport;
}

/**
 * Queries and mutations (file uploads included: urql sends GraphQL multipart requests for File
 * variables) go over HTTP with the token; subscriptions go through the resuming transport.
 */
export function createApiClient(transport: LiveTransport): Client {
  return new Client({
    url: GRAPHQL_PATH,
    requestPolicy: 'cache-and-network',
    fetchOptions: () => ({ headers: authHeaders() }),
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: transport.subscribe(
              { query: request.query ?? '', variables: request.variables as Record<string, unknown>, operationName: request.operationName },
              { next: (result) => sink.next(result as never), complete: () => sink.complete() },
            ),
          }),
        }),
      }),
    ],
  });
}
