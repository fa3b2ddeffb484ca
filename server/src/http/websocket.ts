import type { Server } from 'node:http';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { ExecutionArgs } from 'graphql';
import { bearerToken, isAuthorized } from './auth.ts';
import { keepSocketsAlive } from './keep-alive.ts';
import type { YogaServer } from './yoga.ts';

const KEEP_ALIVE_MS = 12_000;

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
  const disposable = useServer(
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
    wss,
    // graphql-ws's keep-alive would drop healthy clients whenever the event loop stalls: ours replaces it.
    0,
  );
  const stopKeepAlive = keepSocketsAlive(wss, KEEP_ALIVE_MS);
  return {
    wss,
    async close() {
      stopKeepAlive();
      for (const client of wss.clients) client.terminate();
      await disposable.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
