import type { Server } from 'node:http';
import { CloseCode, handleProtocols, makeServer, type ServerOptions } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { bearerToken, isAuthorized } from './auth.ts';
import { foreignOriginMessage, isForeignOrigin } from './origin-check.ts';
import { keepSocketsAlive } from './keep-alive.ts';
import { readCached, writeCached } from '../object-cache.ts';
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
const CLOSING_BRACE = 0x7d;

/**
 * The last `next` message built for a shared result, as UTF-8, cached on the result: the message around the
 * payload, which names the subscription's id, is the same for every subscriber that picked the same id (clients
 * usually count from 1).
 */
const LAST_MESSAGE = Symbol('last next message of a shared result');

/**
 * A shared result's `next` message as bytes, written straight into one buffer: as a string, the message (a
 * concatenation around a JSON of up to a few hundred KB) would be flattened into a copy on the JS heap before
 * `ws` encoded it, for each socket. Sockets whose subscriptions have the same id get the same message and share
 * the buffer (`ws` neither masks nor modifies what a server sends).
 */
function sharedMessageBytes(result: object, json: string, head: string): Buffer {
  const last = readCached<{ head: string; bytes: Buffer }>(result, LAST_MESSAGE);
  if (last?.head === head) return last.bytes;
  const headBytes = Buffer.byteLength(head);
  const bytes = Buffer.allocUnsafeSlow(headBytes + Buffer.byteLength(json) + 1);
  bytes.write(head, 0);
  bytes.write(json, headBytes);
  bytes[bytes.length - 1] = CLOSING_BRACE;
  writeCached(result, LAST_MESSAGE, { head, bytes });
  return bytes;
}

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
  /** The shared result whose placeholder is in the message being serialised right now (stringify and send are one step). */
  let pendingResult: ExecutionResult | undefined;
  const sends = new SendScheduler();
  const server = makeServer<Record<string, unknown>, Extra>({
    ...options,
    // A shared result goes out as a stand-in whose JSON is the placeholder; send() puts the result's JSON in its
    // place. toJSON runs inside graphql-ws's stringify, which is followed at once (synchronously) by send().
    onNext: (_ctx, _id, _payload, _args, result) =>
      isSharedResult(result)
        ? ({
            toJSON() {
              pendingResult = result;
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
          let message: string | Buffer = data;
          if (pendingResult !== undefined) {
            const result = pendingResult;
            pendingResult = undefined;
            // graphql-ws writes the payload last; anything else means its message format changed under us.
            if (!data.endsWith(PLACEHOLDER_TAIL)) return Promise.reject(new Error('graphql-ws message without the shared payload placeholder at its end'));
            message = sharedMessageBytes(result, sharedResultJson(result), `${data.slice(0, -PLACEHOLDER_TAIL.length)}"payload":`);
          }
          return new Promise<void>((resolve, reject) =>
            sends.run(() => {
              if (socket.readyState !== socket.OPEN) return resolve();
              try {
                // A text frame, whether it is given as a string or as its UTF-8 bytes.
                socket.send(message, { binary: false }, (error) => (error ? reject(error) : resolve()));
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
export function attachWebSocket(httpServer: Server, yoga: YogaServer, apiToken: string | undefined, trustedOrigins?: readonly string[]) {
  const wss = new WebSocketServer({
    server: httpServer,
    path: yoga.graphqlEndpoint,
    maxPayload: 1_000_000,
    // A page of another site could otherwise open the socket and run mutations (see isForeignOrigin).
    verifyClient: (info: { req: IncomingMessage }, done: (ok: boolean, code?: number, message?: string) => void) => {
      if (!isForeignOrigin(info.req.headers, trustedOrigins)) return done(true);
      done(false, 403, foreignOriginMessage(info.req.headers.origin));
    },
  });
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
