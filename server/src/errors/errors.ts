import { GraphQLError } from 'graphql';

/** Stable codes a client can branch on; they appear as `extensions.code`. */
export enum ErrorCode {
  NotFound = 'NOT_FOUND',
  InvalidInput = 'INVALID_INPUT',
  Conflict = 'CONFLICT',
  Unauthenticated = 'UNAUTHENTICATED',
  ModelUnavailable = 'MODEL_UNAVAILABLE',
  PayloadTooLarge = 'PAYLOAD_TOO_LARGE',
  UnsupportedMediaType = 'UNSUPPORTED_MEDIA_TYPE',
  NotConfigured = 'NOT_CONFIGURED',
  Upstream = 'UPSTREAM',
  Unavailable = 'UNAVAILABLE',
  /** The operation is larger than the server's limits allow (depth, cost, aliases, directives, tokens). */
  QueryTooComplex = 'QUERY_TOO_COMPLEX',
}

const EXPOSED_CODES = new Set<string>(Object.values(ErrorCode));

/** Base of the typed API errors: the message and code reach the client unmasked. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message, { extensions: { ...details, code } });
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string) {
    super(ErrorCode.NotFound, `${what} ${JSON.stringify(id)} does not exist`, { what, id });
  }
}

export class InvalidInputError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.InvalidInput, message, details);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super(ErrorCode.Conflict, message, details);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'A valid bearer token is required: send "Authorization: Bearer <ANANA_API_TOKEN>"') {
    super(ErrorCode.Unauthenticated, message, { http: { status: 401 } });
  }
}

/**
 * Domain modules know nothing of GraphQL: they throw plain errors carrying a `code` from {@link ErrorCode}.
 * This turns such an error into the typed API error; anything else stays masked.
 */
export function toAppError(error: unknown): AppError | undefined {
  if (error instanceof AppError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (error instanceof Error && typeof code === 'string' && EXPOSED_CODES.has(code)) {
    const { code, details } = error as Error & { code: ErrorCode; details?: Record<string, unknown> };
    return new AppError(code, error.message, details ?? {});
  }
  return undefined;
}
