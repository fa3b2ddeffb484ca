import { loadedHubLibrary } from './hub-library.ts';

export type HubErrorCode = 'NOT_CONFIGURED' | 'CONFLICT' | 'UPSTREAM' | 'NOT_FOUND' | 'INVALID_INPUT';

/**
 * The one error type the hub domain throws on purpose; the API layer maps `code` onto its error codes and shows
 * `message` as is, so messages are written for the person who has to fix the situation.
 */
export class HubError extends Error {
  constructor(
    readonly code: HubErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }
}

/** The HTTP status of an error the Hub answered with, if that is what `error` is. */
export function hubStatus(error: unknown): number | undefined {
  const hub = loadedHubLibrary();
  return hub && error instanceof hub.HubApiError ? error.statusCode : undefined;
}

/**
 * Turns whatever @huggingface/hub or fetch threw while doing `action` into a {@link HubError}: the Hub's own
 * refusals keep their meaning (bad input, missing, conflict), the rest is UPSTREAM.
 */
export function toHubError(action: string, error: unknown): HubError {
  if (error instanceof HubError) return error;
  const status = hubStatus(error);
  const reason = error instanceof Error ? error.message : String(error);
  if (status === 401 || status === 403) {
    return new HubError('UPSTREAM', `${action}: the Hub refused the token (HTTP ${status}); check HF_TOKEN and its permissions. ${reason}`, { status }, { cause: error });
  }
  if (status === 404) return new HubError('NOT_FOUND', `${action}: not found on the Hub. ${reason}`, { status }, { cause: error });
  if (status === 409 || status === 412) return new HubError('CONFLICT', `${action}: ${reason}`, { status }, { cause: error });
  if (status === 400 || status === 422) return new HubError('INVALID_INPUT', `${action}: the Hub rejected the request. ${reason}`, { status }, { cause: error });
  if (status !== undefined) return new HubError('UPSTREAM', `${action}: the Hub answered HTTP ${status}. ${reason}`, { status }, { cause: error });
  if (isNetworkError(error)) {
    // fetch hides the network reason (refused, DNS, reset) in `cause`.
    const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return new HubError('UPSTREAM', `${action}: cannot reach the Hub: ${reason}${cause}`, undefined, { cause: error });
  }
  return new HubError('UPSTREAM', `${action}: ${reason}`, undefined, { cause: error });
}

/** Whether fetch failed to talk to the Hub at all, or lost the connection mid-answer (undici's wording). */
export function isNetworkError(error: unknown): boolean {
  return error instanceof TypeError && (error.message === 'fetch failed' || error.message === 'terminated');
}

/** Whether an error comes from talking to the Hub (as opposed to, say, the local disk). */
export function isHubSide(error: unknown): boolean {
  return error instanceof HubError || hubStatus(error) !== undefined || isNetworkError(error);
}
