/** Codes the API layer maps one-to-one onto its GraphQL error codes. */
export type InferenceErrorCode = 'INVALID_INPUT' | 'PAYLOAD_TOO_LARGE' | 'MODEL_UNAVAILABLE' | 'NOT_FOUND' | 'UNSUPPORTED_MEDIA_TYPE';

/**
 * The one error type the inference domain throws on purpose. Anything else escaping it is a bug,
 * which the API layer masks instead of showing to the client.
 */
export class InferenceError extends Error {
  constructor(
    public code: InferenceErrorCode,
    message: string,
    public details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'InferenceError';
  }
}

/** The message of anything thrown, for reasons stored and shown to users. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
