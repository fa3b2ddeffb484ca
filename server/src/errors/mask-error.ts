import { GraphQLError } from 'graphql';
import { maskError as yogaMaskError, type YogaServerOptions } from 'graphql-yoga';
import { AppError, toAppError } from './errors.ts';

type MaskError = NonNullable<Exclude<YogaServerOptions<object, object>['maskedErrors'], boolean | undefined>>['maskError'];

/** Exposes typed domain errors with their code; logs and masks everything unexpected. */
export const maskError: NonNullable<MaskError> = (error, message, isDev) => {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) return error as Error;
  const typed = toAppError(original);
  if (typed) {
    if (error instanceof GraphQLError && error.path) return new GraphQLError(typed.message, { ...typed, path: error.path, nodes: error.nodes, extensions: typed.extensions });
    return typed;
  }
  if (error instanceof GraphQLError && !error.originalError) return error;
  console.error('[graphql] unexpected error:', original);
  return yogaMaskError(error, message, isDev);
};
