import { createStore, type Store } from '../lib/store.ts';

/** How subscriptions reach the server: graphql-ws, or Server-Sent Events through graphql-yoga. */
export type TransportMode = 'websocket' | 'sse';

export type ConnectionState =
  /** No subscription is open. */
  | 'idle'
  | 'connecting'
  | 'live'
  /** The connection was lost; subscriptions are re-opened at retryAt, resuming where they left off. */
  | 'reconnecting'
  /** Not even plain HTTP reaches the server. */
  | 'offline'
  /** The server wants an API token (or a different one). */
  | 'unauthorized';

export interface ConnectionStatus {
  state: ConnectionState;
  mode: TransportMode;
  /** True when SSE is used because a WebSocket could not be opened. */
  fellBack: boolean;
  /** Consecutive failed attempts. */
  failures: number;
  /** When the next attempt starts (ms since the epoch). */
  retryAt: number | null;
  detail: string | null;
}

export interface LiveRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string | null;
}

export interface LiveError {
  message: string;
  extensions?: Record<string, unknown>;
}

export interface LiveResult {
  data?: unknown;
  errors?: readonly LiveError[];
}

export interface TransportFailure {
  /** The socket or stream never opened, as when a proxy refuses WebSockets. */
  neverOpened: boolean;
  unauthorized?: boolean;
  detail: string;
}

export interface BackendHandlers {
  opened(): void;
  next(result: LiveResult): void;
  complete(): void;
  fail(failure: TransportFailure): void;
}

/** One way of carrying subscriptions; reports results, normal ends and transport failures apart. */
export interface Backend {
  readonly mode: TransportMode;
  open(request: LiveRequest, handlers: BackendHandlers): () => void;
  dispose(): void;
}

export interface LiveObserver {
  next(result: LiveResult): void;
  complete?(): void;
}

export interface LiveOptions {
  /** The variables to re-subscribe with after a lost connection, e.g. `afterSeq` = the last seq received. */
  resume?(variables: Record<string, unknown>): Record<string, unknown>;
  /** Called on each re-subscription, for callers that refetch what they may have missed. */
  onResumed?(): void;
}

export interface LiveTransportOptions {
  createBackend(mode: TransportMode): Backend;
  /** Whether a plain HTTP request reaches the server: tells "WebSockets are blocked" from "server down". */
  probeHttp(): Promise<boolean>;
  mode?: TransportMode;
  retryDelay?(failures: number): number;
}

interface Subscription {
  request: LiveRequest;
  observer: LiveObserver;
  options: LiveOptions;
  close: (() => void) | null;
  /** Waiting for a retry, a token or a new backend. */
  parked: boolean;
}

/** Exponential back-off with jitter, capped at 15 s. */
export function defaultRetryDelay(failures: number): number {
  const base = Math.min(15_000, 500 * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function isUnauthenticated(result: LiveResult): boolean {
  return !!result.errors?.some((error) => error.extensions?.code === 'UNAUTHENTICATED');
}

/**
 * Keeps subscriptions alive across lost connections: each one is re-opened with the variables its
 * `resume` gives (so a log stream continues after the last line it received, with no gap and no
 * duplicate), and falls back from WebSocket to SSE when a WebSocket cannot be opened while HTTP works.
 */
export class LiveTransport {
  readonly status: Store<ConnectionStatus>;
  readonly #options: LiveTransportOptions;
  #backend: Backend;
  readonly #subscriptions = new Set<Subscription>();
  #recovering = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the current backend has ever opened, which rules out "this transport cannot work here". */
  #everOpened = false;

  constructor(options: LiveTransportOptions) {
    this.#options = options;
    const mode = options.mode ?? 'websocket';
    this.#backend = options.createBackend(mode);
    this.status = createStore<ConnectionStatus>({ state: 'idle', mode, fellBack: false, failures: 0, retryAt: null, detail: null });
  }

  subscribe(request: LiveRequest, observer: LiveObserver, options: LiveOptions = {}): () => void {
    const subscription: Subscription = { request, observer, options, close: null, parked: false };
    this.#subscriptions.add(subscription);
    if (this.#recovering || this.status.get().state === 'unauthorized') subscription.parked = true;
    else this.#start(subscription);
    return () => {
      if (!this.#subscriptions.delete(subscription)) return;
      subscription.close?.();
      subscription.close = null;
      this.#idleWhenEmpty();
    };
  }

  /** Re-opens every subscription now, e.g. after the token changed. */
  restart(): void {
    clearTimeout(this.#timer);
    this.#recovering = false;
    for (const subscription of this.#subscriptions) {
      subscription.close?.();
      subscription.close = null;
      subscription.parked = true;
    }
    this.#backend.dispose();
    this.#backend = this.#options.createBackend(this.status.get().mode);
    this.#everOpened = false;
    this.#update({ state: this.#subscriptions.size ? 'connecting' : 'idle', failures: 0, retryAt: null, detail: null });
    this.#resumeParked();
  }

  /** Skips the back-off wait. */
  retryNow(): void {
    if (!this.#recovering || this.#timer === undefined) return;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#recovering = false;
    this.#resumeParked();
  }

  dispose(): void {
    clearTimeout(this.#timer);
    for (const subscription of this.#subscriptions) subscription.close?.();
    this.#subscriptions.clear();
    this.#backend.dispose();
  }

  #update(patch: Partial<ConnectionStatus>): void {
    this.status.set({ ...this.status.get(), ...patch });
  }

  #idleWhenEmpty(): void {
    const { state } = this.status.get();
    if (!this.#subscriptions.size && (state === 'live' || state === 'connecting')) this.#update({ state: 'idle' });
  }

  #start(subscription: Subscription): void {
    subscription.parked = false;
    if (this.status.get().state === 'idle') this.#update({ state: 'connecting' });
    let finished = false;
    const finish = () => {
      finished = true;
      subscription.close = null;
    };
    const close = this.#backend.open(subscription.request, {
      opened: () => {
        if (finished) return;
        this.#everOpened = true;
        if (this.status.get().state !== 'live') this.#update({ state: 'live', failures: 0, retryAt: null, detail: null });
      },
      next: (result) => {
        if (finished) return;
        if (isUnauthenticated(result)) {
          subscription.close?.();
          finish();
          subscription.parked = true;
          this.#update({ state: 'unauthorized', detail: result.errors?.[0]?.message ?? null });
          return;
        }
        subscription.observer.next(result);
      },
      complete: () => {
        if (finished) return;
        finish();
        this.#subscriptions.delete(subscription);
        subscription.observer.complete?.();
        this.#idleWhenEmpty();
      },
      fail: (failure) => {
        if (finished) return;
        finish();
        subscription.parked = true;
        if (failure.unauthorized) this.#update({ state: 'unauthorized', detail: failure.detail });
        else void this.#recover(failure);
      },
    });
    if (!finished) subscription.close = close;
  }

  /** One recovery for all the subscriptions that failed together. */
  async #recover(failure: TransportFailure): Promise<void> {
    if (this.#recovering) return;
    this.#recovering = true;
    const failures = this.status.get().failures + 1;
    this.#update({ state: 'reconnecting', failures, detail: failure.detail });
    const httpWorks = await this.#options.probeHttp().catch(() => false);
    if (!this.#recovering) return;
    if (httpWorks && this.#backend.mode === 'websocket' && failure.neverOpened && (!this.#everOpened || failures >= 3)) {
      this.#backend.dispose();
      this.#backend = this.#options.createBackend('sse');
      this.#everOpened = false;
      this.#recovering = false;
      this.#update({ mode: 'sse', fellBack: true, state: 'connecting', failures: 0, retryAt: null, detail: `WebSocket unavailable (${failure.detail}); using SSE` });
      this.#resumeParked();
      return;
    }
    const delay = (this.#options.retryDelay ?? defaultRetryDelay)(failures);
    this.#update({ state: httpWorks ? 'reconnecting' : 'offline', retryAt: Date.now() + delay });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#recovering = false;
      this.#resumeParked();
    }, delay);
  }

  #resumeParked(): void {
    for (const subscription of [...this.#subscriptions]) {
      if (!subscription.parked || !this.#subscriptions.has(subscription)) continue;
      const { resume, onResumed } = subscription.options;
      if (resume) subscription.request = { ...subscription.request, variables: resume(subscription.request.variables ?? {}) };
      this.#start(subscription);
      onResumed?.();
    }
  }
}
