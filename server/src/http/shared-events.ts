import type { Plugin } from 'graphql-yoga';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FieldNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { Context } from '../context.ts';
import { mapIterator } from '../events/map-iterator.ts';
import { LruMap } from '../lru-map.ts';
import { cached, readCached, writeCached } from '../object-cache.ts';

/**
 * Subscription fields whose resolver returns the event unchanged and ignores its arguments: the result of one
 * event depends only on the event, the selection set and the variables used inside it.
 */
export const SHARED_EVENT_FIELDS = new Set(['jobLogs', 'jobMetrics']);

/** Results computed once per (event object, operation), cached on the event: a thousand subscribers of one job share one execution. */
const RESULTS = Symbol('shared results by operation');
/** Marks the results that came from that cache; their JSON is computed once too (see `sharedResultJson`), and cached on them. */
const SHARED = Symbol('shared result');
const JSON_OF_RESULT = Symbol('JSON of a shared result');

/** Counts since start-up: events executed, and deliveries served from another subscriber's execution. */
export const sharedEventStats = { executed: 0, reused: 0, serialised: 0 };

/** Whether `result` is a shared subscription result, the same object for every subscriber of the event. */
export function isSharedResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && readCached(result, SHARED) === true;
}

/** JSON of a shared result, serialised on first use and reused for every other socket. */
export function sharedResultJson(result: ExecutionResult): string {
  return cached(result, JSON_OF_RESULT, () => {
    sharedEventStats.serialised++;
    return JSON.stringify(result);
  });
}

function countVariables(node: ASTNode, counts: Map<string, number>) {
  visit(node, {
    VariableDefinition: () => false,
    Variable(variable) {
      counts.set(variable.name.value, (counts.get(variable.name.value) ?? 0) + 1);
    },
  });
}

/**
 * The key under which subscribers may share results, or undefined when the operation is not one of the shared
 * fields alone. Variables used only in the root field's arguments (jobId, afterSeq, levels: consumed when the
 * stream is set up) are left out; any other variable (an @include, say) is part of the key.
 */
export function shareKey(document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown> | null | undefined, authenticated: boolean): string | undefined {
  const operation = getOperationAST(document, operationName);
  if (operation?.operation !== 'subscription' || operation.selectionSet.selections.length !== 1) return undefined;
  const root = operation.selectionSet.selections[0] as FieldNode;
  if (root.kind !== Kind.FIELD || root.directives?.length || !SHARED_EVENT_FIELDS.has(root.name.value)) return undefined;
  const all = new Map<string, number>();
  countVariables(document, all);
  const inRootArguments = new Map<string, number>();
  for (const argument of root.arguments ?? []) countVariables(argument, inRootArguments);
  const used: Record<string, unknown> = {};
  for (const [name, count] of [...all].sort(([a], [b]) => a.localeCompare(b))) {
    // An absent variable (its default applies) and an explicit null are different inputs.
    if (count > (inRootArguments.get(name) ?? 0)) used[name] = variables && name in variables ? { value: variables[name] } : 'absent';
  }
  return `${authenticated ? 'a' : 'n'}\u0000${operationName ?? ''}\u0000${JSON.stringify(used)}\u0000${print(document)}`;
}

type EventExecutor = ((args: ExecutionArgs, event: unknown) => ExecutionResult | Promise<ExecutionResult>) & { compiled: boolean };

/** Compiled executors by operation (document and name), the 200 used most recently. */
const executors = new LruMap<string, EventExecutor>(200);

/**
 * Executes one event of a shared subscription against the operation's selection, as graphql-js's
 * `execute({ ...args, rootValue: event })` does, through a graphql-jit compilation of the operation: a 2,000-line
 * LogBatch takes ~0.85 ms instead of ~14 ms, which is what a subscriber catching up (history, merged runs) or
 * a flood costs per message. Operations graphql-jit cannot compile run through graphql-js.
 */
export function eventExecutor(document: DocumentNode, operationName: string | null | undefined, schema: ExecutionArgs['schema']): EventExecutor {
  const key = `${operationName ?? ''}\u0000${print(document)}`;
  let executor = executors.get(key);
  if (executor) return executor;
  let compiled: CompiledQuery | undefined;
  try {
    const result = compileQuery(schema, document, operationName ?? undefined);
    if (isCompiledQuery(result)) compiled = result;
  } catch {
    compiled = undefined;
  }
  executor = Object.assign(
    compiled
      ? (args: ExecutionArgs, event: unknown) => (compiled as CompiledQuery).query(event, args.contextValue, (args.variableValues ?? {}) as Record<string, unknown>) as ExecutionResult | Promise<ExecutionResult>
      : (args: ExecutionArgs, event: unknown) => execute({ ...args, rootValue: event }),
    { compiled: !!compiled },
  );
  executors.set(key, executor);
  return executor;
}

async function sharedSubscribe(args: ExecutionArgs, key: string, fallback: (args: ExecutionArgs) => unknown) {
  const stream = await createSourceEventStream(args);
  // Errors (bad variables, an unknown job) are reported by the regular path, with its codes, exactly as before.
  if (!(Symbol.asyncIterator in stream)) return fallback(args);
  const source = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const executeEvent = eventExecutor(args.document, args.operationName, args.schema);
  const located = (error: unknown) =>
    error instanceof GraphQLError ? error : new GraphQLError(error instanceof Error ? error.message : String(error), { originalError: error instanceof Error ? error : undefined, nodes: args.document.definitions });
  return mapIterator(
    source,
    (event): ExecutionResult | Promise<ExecutionResult> => {
      if (typeof event !== 'object' || event === null) return executeEvent(args, event);
      const results = cached(event, RESULTS, () => new Map<string, ExecutionResult | Promise<ExecutionResult>>());
      let result = results.get(key);
      if (result) sharedEventStats.reused++;
      else {
        sharedEventStats.executed++;
        const remember = (r: ExecutionResult) => {
          // A result with errors is neither shared nor kept: the next subscriber executes the event itself.
          if (r.errors) results.delete(key);
          else writeCached(r, SHARED, true);
          return r;
        };
        const executed = executeEvent(args, event);
        result = executed instanceof Promise ? executed.then(remember) : remember(executed);
        results.set(key, result);
      }
      return result;
    },
    located,
  );
}

/**
 * Executes each event of `jobLogs`/`jobMetrics` once for all subscribers that receive the same event object with
 * the same operation (followSequence hands every caught-up subscriber of a live batch the same chunk). Without it
 * every subscriber executes, and every socket serialises, the same batch: at 1,000 subscribers that is the
 * server's whole CPU. History, catch-up and merged chunks are per subscriber and execute per subscriber as before.
 */
export function useSharedEventResults(): Plugin<Context> {
  return {
    onSubscribe({ args, setSubscribeFn, subscribeFn }) {
      const key = shareKey(args.document, args.operationName, args.variableValues as Record<string, unknown> | undefined, !!args.contextValue?.authenticated);
      if (key === undefined) return;
      setSubscribeFn(((subscribeArgs: ExecutionArgs) => sharedSubscribe(subscribeArgs, key, subscribeFn as (a: ExecutionArgs) => unknown)) as never);
    },
  };
}
