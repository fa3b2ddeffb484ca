import type { Server } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { ExecutionArgs } from 'graphql';
import { bearerToken, isAuthorized } from './auth.ts';
import { keepSocketsAlive } from './keep-alive.ts';
import { SendScheduler } from './send-scheduler.ts';
import { isSharedResult, sharedResultJson } from './shared-events.ts';
import type { YogaServer } from './yoga.ts';

const KEEP_ALIVE_MS = 12_000;

/**
 * Stands in for a shared result's payload while graphql-ws serialises a `next` message; the socket's send puts
 * the result's JSON, serialised once for all sockets, in its place (graphql-ws writes the payload last).
 */
const PLACEHOLDER = '\u0000anana-shared-payload';
const PLACEHOLDER_TAIL = `"payload":${JSON.stringify(PLACEHOLDER)}}`;

interface Extra {
  socket: WebSocket;
  request: IncomingMessage;
}

/**
 * graphql-ws's server over `ws` sockets: what graphql-ws/use/ws does, plus one serialisation of a shared
 * subscription result for all sockets (stringifying a 1,000-line batch once per subscriber was most of the cost
 * of fan-out), and without its keep-alive (ours tolerates event-loop stalls).
 */
function serveGraphqlWs(wss: WebSocketServer, options: ServerOptions<Record<string, unknown>, Extra>) {
  /** The JSON for the placeholder of the message being serialised right now (stringify and send are one step). */
  let pendingJson: string | undefined;
  const sends = new SendScheduler();
  const server = makeServer<Record<string, unknown>, Extra>({
    ...options,
    // A shared result goes out as a stand-in whose JSON is the placeholder; send() puts the result's JSON in its
    // place. toJSON runs inside graphql-ws's stringify, which is followed at once (synchronously) by send().
    onNext: (_ctx, _id, _payload, _args, result) =>
      isSharedResult(result)
        ? ({
            toJSON() {
              pendingJson = sharedResultJson(result);
              return PLACEHOLDER;
            },
          } as never)
        : undefined,
  });
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => console.error('[ws] server error:', error));
  wss.on('connection', (socket, request) => {
    socket.once('error', (error) => {
      console.error('[ws] socket error:', error);
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send(data) {
          if (pendingJson !== undefined) {
            const json = pendingJson;
            pendingJson = undefined;
            // graphql-ws writes the payload last; anything else means its message format changed under us.
            if (!data.endsWith(PLACEHOLDER_TAIL)) return Promise.reject(new Error('graphql-ws message without the shared payload placeholder at its end'));
            data = `${data.slice(0, -PLACEHOLDER_TAIL.length)}"payload":${json}}`;
          }
          return new Promise<void>((resolve, reject) =>
            sends.run(() => {
              if (socket.readyState !== socket.OPEN) return resolve();
              try {
                socket.send(data, (error) => (error ? reject(error) : resolve()));
              } catch (error) {
                reject(error as Error);
              }
            }),
          );
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', async (message) => {
            try {
              await handle(String(message));
            } catch (error) {
              console.error('[ws] message handling failed:', error);
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            }
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => void closed(code, String(reason)));
  });
  return {
    async dispose() {
      for (const client of wss.clients) client.close(1001, 'Going away');
    },
  };
}

interface EnvelopedRoot {
  execute: (args: ExecutionArgs) => unknown;
  subscribe: (args: ExecutionArgs) => unknown;
}

/**
 * graphql-ws on the same path as HTTP, executed through yoga's envelop so that
 * plugins, masking and context are shared. With a token configured, connection_init must carry it.
 */
export function attachWebSocket(httpServer: Server, yoga: YogaServer, apiToken: string | undefined) {
  const wss = new WebSocketServer({ server: httpServer, path: yoga.graphqlEndpoint, maxPayload: 1_000_000 });
  const disposable = serveGraphqlWs(
    wss,
    {
      execute: (args) => (args.rootValue as EnvelopedRoot).execute(args) as never,
      subscribe: (args) => (args.rootValue as EnvelopedRoot).subscribe(args) as never,
      onConnect: (ctx) => {
        if (!isAuthorized(apiToken, bearerToken(ctx.connectionParams))) {
          ctx.extra.socket.close(CloseCode.Forbidden, 'Unauthenticated: connection_init must carry {"Authorization":"Bearer <token>"}');
          return false;
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
          ...ctx,
          req: ctx.extra.request,
          socket: ctx.extra.socket,
          params: payload,
          connectionParams: ctx.connectionParams,
        });
        let document;
        try {
          document = parse(payload.query);
        } catch (error) {
          return [error as never];
        }
        const args = {
          schema,
          operationName: payload.operationName,
          document,
          variableValues: payload.variables,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe },
        };
        const errors = validate(args.schema, args.document);
        if (errors.length) return errors;
        return args;
      },
    },
  );
  const stopKeepAlive = keepSocketsAlive(wss, KEEP_ALIVE_MS);
  return {
    wss,
    async close() {
      stopKeepAlive();
      for (const client of wss.clients) client.terminate();
      await disposable.dispose();
      wss.removeAllListeners();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
