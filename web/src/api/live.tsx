import { createContext, useContext, useEffect, useRef, type ReactNode } from 'react';
import { stringifyDocument, type TypedDocumentNode } from 'urql';
import { useStore } from '../lib/store.ts';
import { fromGraphQLErrors, type ApiError } from './errors.ts';
import type { ConnectionStatus, LiveTransport } from './live-transport.ts';

const TransportContext = createContext<LiveTransport | null>(null);

export function TransportProvider({ transport, children }: { transport: LiveTransport; children: ReactNode }) {
  return <TransportContext.Provider value={transport}>{children}</TransportContext.Provider>;
}

export function useTransport(): LiveTransport {
  const transport = useContext(TransportContext);
  if (!transport) throw new Error('useTransport needs a TransportProvider');
  return transport;
}

export function useConnectionStatus(): ConnectionStatus {
  return useStore(useTransport().status);
}

export interface LiveHandlers<TData, TVariables> {
  onData(data: TData): void;
  onError?(error: ApiError): void;
  onComplete?(): void;
  /** Variables for the re-subscription after a lost connection (by default the same ones). */
  resume?(variables: TVariables): TVariables;
  /** A re-subscription happened: refetch what a stateless subscription may have missed. */
  onResumed?(): void;
}

/**
 * Subscribes while `variables` is not null; re-subscribes when they change (compared as JSON).
 * Handlers may change on every render without re-subscribing.
 */
export function useLiveSubscription<TData, TVariables extends Record<string, unknown>>(
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables | null,
  handlers: LiveHandlers<TData, TVariables>,
): void {
  const transport = useTransport();
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;
  const key = variables === null ? null : JSON.stringify(variables);
  useEffect(() => {
    if (key === null) return;
    const query = stringifyDocument(document);
    return transport.subscribe(
      { query, variables: JSON.parse(key) as Record<string, unknown> },
      {
        next: (result) => {
          const error = fromGraphQLErrors(result.errors);
          if (error) handlersRef.current.onError?.(error);
          if (result.data) handlersRef.current.onData(result.data as TData);
        },
        complete: () => handlersRef.current.onComplete?.(),
      },
      {
        resume: (previous) => (handlersRef.current.resume ? handlersRef.current.resume(previous as TVariables) : previous),
        onResumed: () => handlersRef.current.onResumed?.(),
      },
    );
  }, [transport, document, key]);
}
