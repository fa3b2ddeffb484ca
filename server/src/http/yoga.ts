import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import { getOperationAST, GraphQLError, type DocumentNode } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { ErrorCode, UnauthenticatedError } from '../errors/errors.ts';
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

/**
 * graphql-armor's cost counts each selected field, and multiplies a list's by its `first` when that is written in
 * the query (not when it is a variable). The limit lets the largest page every field allows through with all its
 * fields: `logs(first: 10000)` with every LogLine field costs 192,500. The resolvers bound the page sizes themselves.
 */
export const MAX_QUERY_COST = 250_000;

/** graphql-armor's rejections carry no code: the same error, with a stable one. */
function typedRejection(_context: unknown, error: GraphQLError): void {
  (error.extensions as Record<string, unknown>).code = ErrorCode.QueryTooComplex;
}

const MULTIPART_MAP_HINT = '"map" must be a JSON object of arrays of paths, e.g. {"0": ["variables.image"]}';
const REQUEST_PARAMS = new Set(['query', 'variables', 'operationName', 'extensions']);

/**
 * Yoga's multipart parser trusts the shape of `map`: an array where an object belongs throws a TypeError (a 500),
 * and a string where an array belongs puts the file at paths made of its letters. Both are the client's mistake.
 */
function typedMultipartErrors(): Plugin<Context> {
  const refuse = (detail: string) =>
    new GraphQLError(`The multipart request is malformed: ${detail}`, { extensions: { code: ErrorCode.InvalidInput, http: { status: 400 } } });
  return {
    onRequestParse({ request, requestParser, setRequestParser }) {
      if (!requestParser || !(request.headers.get('content-type') ?? '').startsWith('multipart/form-data')) return;
      setRequestParser(async (req) => {
        let parsed: Awaited<ReturnType<typeof requestParser>>;
        try {
          parsed = await requestParser(req);
        } catch (error) {
          if (error instanceof GraphQLError) throw error;
          throw refuse(`${MULTIPART_MAP_HINT} (${(error as Error).message})`);
        }
        for (const params of Array.isArray(parsed) ? parsed : [parsed]) {
          const stray = params && typeof params === 'object' && !(params instanceof Response) ? Object.keys(params).find((k) => !REQUEST_PARAMS.has(k)) : undefined;
          if (stray !== undefined) throw refuse(`${MULTIPART_MAP_HINT}; it put a file at "${stray}"`);
        }
        return parsed;
      });
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
    // GraphiQL with its scripts, styles and editor workers inside the page (about 9 MB), loaded on the first visit:
    // yoga's default page takes them from unpkg.com, which a self-hosted or offline machine may not reach.
    renderGraphiQL: async (options) => (await import('@graphql-yoga/render-graphiql')).renderGraphiQL(options),
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
        maxDepth: { n: config.queryDepthLimit, ignoreIntrospection: true, flattenFragments: true, onReject: [typedRejection] },
        costLimit: { maxCost: MAX_QUERY_COST, ignoreIntrospection: true, onReject: [typedRejection] },
        maxAliases: { n: 30, onReject: [typedRejection] },
        maxDirectives: { n: 50, onReject: [typedRejection] },
        maxTokens: { n: 5_000, onReject: [typedRejection] },
        blockFieldSuggestion: { enabled: false },
      }),
      requireTokenForWrites(),
      typedMultipartErrors(),
      useSharedEventResults(),
    ],
  });
}

export type YogaServer = ReturnType<typeof createYogaServer>;
