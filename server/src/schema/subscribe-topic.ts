import { BoundedQueue } from '../events/bounded-queue.ts';
import type { EventBus } from '../events/event-bus.ts';

/**
 * Subscribes to a bus topic as an async iterator with a bounded buffer. Notifications that only say
 * "X changed" are coalesced by key while the client is busy, so a slow client gets the latest state, not a backlog.
 */
export function subscribeTopic<T>(events: EventBus, topic: string, options: { coalesceBy?: (payload: T) => string; limit?: number } = {}): AsyncIterableIterator<T> {
  const queue = new BoundedQueue<T>(options.limit ?? 1_000);
  const queuedKeys = new Set<string>();
  const unsubscribe = events.subscribe(topic, (message) => {
    const payload = message.payload as T;
    if (options.coalesceBy) {
      const key = options.coalesceBy(payload);
      if (queuedKeys.has(key)) return;
      queuedKeys.add(key);
    }
    queue.push(payload);
  });
  queue.onClosed(unsubscribe);
  return {
    async next() {
      const result = await queue.next();
      if (!result.done && options.coalesceBy) queuedKeys.delete(options.coalesceBy(result.value));
      return result;
    },
    return: () => queue.return(),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
