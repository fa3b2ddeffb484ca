import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError, type YogaServerOptions } from 'graphql-yoga';
import { AppError, ErrorCode, toAppError } from './errors.ts';

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>>['maskError'];

/** Exposes typed domain errors with their code; logs and masks everything unexpected. */
export const maskError: NonNullable<MaskError> = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) return error as Error;
  const typed = toAppError(original);
  if (typed) {
    // Keep the located error (path, locations) and give it the code: returning the same object also tells
    // yoga this is an expected error, not one to log.
    if (error instanceof GraphQLError) {
      Object.assign(error.extensions as Record<string, unknown>, typed.extensions);
      return error;
    }
    return typed;
  }
  // GraphQL's own errors (validation, variable coercion, which wraps the scalar's GraphQLError) are the client's.
  if (error instanceof GraphQLError && (!error.originalError || error.originalError instanceof GraphQLError)) {
    // Yoga codes parse and validation errors; a variable of the wrong type (or an unknown operation name) is
    // refused before execution with none, and gets the API's code for bad input.
    const extensions = error.extensions as Record<string, unknown>;
    if (extensions.code === undefined && !error.path) extensions.code = ErrorCode.InvalidInput;
    return error;
  }
  console.error('[graphql] unexpected error:', original);
  return yogaMaskError(error, message, isDev);
};
