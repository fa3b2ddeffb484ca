import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { getOperationAST, type DocumentNode } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { UnauthenticatedError } from '../errors/errors.ts';
import { maskError } from '../errors/mask-error.ts';
import { schema } from '../schema/index.ts';
import type { Services } from '../services.ts';
import { bearerToken, isAuthorized } from './auth.ts';
import { useSharedEventResults } from './shared-events.ts';

export interface ServerContext {
  connectionParams?: Record<string, unknown>;
}

/** Queries stay open; mutations and subscriptions need the token when one is configured. */
function requireTokenForWrites(): Plugin<Context> {
  const needsToken = (document: DocumentNode, operationName: string | null | undefined, ctx: Context) =>
    !ctx.authenticated && getOperationAST(document, operationName)?.operation !== 'query';
  return {
    onExecute({ args, setResultAndStopExecution }) {
      if (needsToken(args.document, args.operationName, args.contextValue)) setResultAndStopExecution({ errors: [new UnauthenticatedError()] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      if (needsToken(args.document, args.operationName, args.contextValue)) setResultAndStopExecution({ errors: [new UnauthenticatedError()] });
    },
  };
}

export function createYogaServer(services: Services) {
  const { config } = services;
  return createYoga<ServerContext, Context>({
    schema,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // The HTTP server bounds every body before yoga sees it (rejectOversizedBody: a POST needs a Content-Length,
    // which Node's parser holds the body to, within ANANA_MAX_BODY_BYTES or, for uploads, ANANA_MAX_UPLOAD_BYTES).
    // Yoga's own limit would be a second, fixed one (25 MB, refusing uploads an operator allowed) that pipes
    // every body through a web TransformStream.
    maxRequestBodySize: false,
    graphiql: { title: 'Anana Control Plane', subscriptionsProtocol: 'WS' },
    maskedErrors: { maskError },
    cors: config.corsOrigins ? { origin: config.corsOrigins, credentials: true, allowedHeaders: ['authorization', 'content-type'] } : false,
    logging: config.logLevel,
    context: ({ request, connectionParams }) => {
      const token = bearerToken(request?.headers.get('authorization') ?? undefined) ?? bearerToken(connectionParams);
      return {
        services,
        authenticated: isAuthorized(config.apiToken, token),
        actor: token ? 'token' : 'anonymous',
      } satisfies Context;
    },
    plugins: [
      EnvelopArmorPlugin({
        maxDepth: { n: config.queryDepthLimit, ignoreIntrospection: true, flattenFragments: true },
        costLimit: { maxCost: 20_000, ignoreIntrospection: true },
        maxAliases: { n: 30 },
        maxDirectives: { n: 50 },
        maxTokens: { n: 5_000 },
        blockFieldSuggestion: { enabled: false },
      }),
      requireTokenForWrites(),
      useSharedEventResults(),
    ],
  });
}

export type YogaServer = ReturnType<typeof createYogaServer>;
