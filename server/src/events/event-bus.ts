/** Something that happened, published on a topic such as `job:<id>` or `jobs`. */
export interface BusMessage {
  topic: string;
  payload: unknown;
  /** Set when the message came from another replica through the shared transport. */
  remote?: boolean;
}

type Listener = (message: BusMessage) => void;

/** Carries messages between replicas; in-process delivery never waits on it. */
export interface BusTransport {
  send(message: BusMessage): void;
  onReceive(handler: (message: BusMessage) => void): void;
  close(): Promise<void>;
}

/**
 * In-process publish/subscribe with an optional cross-replica transport.
 * Listeners are called synchronously, so a slow subscriber must buffer (boundedly) on its own side.
 */
export class EventBus {
  readonly #listeners = new Map<string, Set<Listener>>();
  #transport: BusTransport | undefined;
  readonly #interceptors: ((message: BusMessage, deliver: (message: BusMessage) => void) => boolean)[] = [];

  attachTransport(transport: BusTransport): void {
    this.#transport = transport;
    transport.onReceive((message) => {
      const remote = { ...message, remote: true };
      for (const intercept of this.#interceptors) if (intercept(remote, (m) => this.#deliver(m))) return;
      this.#deliver(remote);
    });
  }

  /**
   * Lets `handler` take over delivering a message from another replica (to transform it, or to deliver it later):
   * when it returns true, it has taken the message and calls `deliver` itself.
   */
  interceptRemote(handler: (message: BusMessage, deliver: (message: BusMessage) => void) => boolean): void {
    this.#interceptors.push(handler);
  }

  /**
   * Publishes to local listeners (unless `local` is false) and to other replicas (unless `shared` is false)
   * when a transport is attached.
   */
  publish(topic: string, payload: unknown, options: { shared?: boolean; local?: boolean } = {}): void {
    const message = { topic, payload };
    if (options.local !== false) this.#deliver(message);
    if (options.shared !== false) this.#transport?.send(message);
  }

  subscribe(topic: string, listener: Listener): () => void {
    let set = this.#listeners.get(topic);
    if (!set) this.#listeners.set(topic, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(topic);
    };
  }

  listenerCount(topic?: string): number {
    if (topic) return this.#listeners.get(topic)?.size ?? 0;
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    await this.#transport?.close();
  }

  #deliver(message: BusMessage): void {
    const set = this.#listeners.get(message.topic);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(message);
      } catch (error) {
        console.error(`[events] listener of ${message.topic} failed:`, error);
      }
    }
  }
}
