import type { CombinedError } from 'urql';
import type { LiveError } from './live-transport.ts';

export type ErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'MODEL_UNAVAILABLE'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_CONFIGURED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UPSTREAM'
  | 'UNAVAILABLE'
  | 'GRAPHQL_VALIDATION_FAILED'
  | 'NETWORK'
  | (string & {});

/** What the console needs of any API error, from urql or from a subscription. */
export interface ApiError {
  code: ErrorCode | undefined;
  message: string;
  extensions: Record<string, unknown>;
  /** The field this error names (INVALID_INPUT carries `field`). */
  field?: string;
}

export function fromGraphQLErrors(errors: readonly LiveError[] | undefined): ApiError | undefined {
  const first = errors?.[0];
  if (!first) return undefined;
  const extensions = first.extensions ?? {};
  return {
    code: extensions.code as ErrorCode | undefined,
    message: first.message,
    extensions,
    field: typeof extensions.field === 'string' ? extensions.field : undefined,
  };
}

export function fromCombinedError(error: CombinedError | undefined): ApiError | undefined {
  if (!error) return undefined;
  if (error.graphQLErrors.length) return fromGraphQLErrors(error.graphQLErrors as readonly LiveError[]);
  const status = (error.response as Response | undefined)?.status;
  return {
    code: status === 401 ? 'UNAUTHENTICATED' : status === 413 ? 'PAYLOAD_TOO_LARGE' : 'NETWORK',
    message: error.networkError?.message ?? error.message,
    extensions: {},
  };
}

/** True when the server simply does not have this part of the API (yet). */
export function isMissingApi(error: ApiError | undefined): boolean {
  return error?.code === 'GRAPHQL_VALIDATION_FAILED' && /Cannot query field|Unknown type|Unknown argument/.test(error.message);
}
