import { Redis } from 'ioredis';
import type { BusMessage, BusTransport } from './event-bus.ts';

const CHANNEL = 'anana:events';

/** The same bus sharing over Redis pub/sub, for deployments that run Redis anyway (REDIS_URL). */
export class RedisTransport implements BusTransport {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  #handler: ((message: BusMessage) => void) | undefined;

  constructor(
    url: string,
    private readonly originId: string,
  ) {
    this.#publisher = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2 });
    this.#subscriber = new Redis(url, { lazyConnect: true });
    for (const client of [this.#publisher, this.#subscriber]) client.on('error', (error) => console.error(`[events] redis: ${error.message}`));
    this.#subscriber.on('message', (_channel, raw) => {
      try {
        const { o, t, p } = JSON.parse(raw) as { o: string; t: string; p: unknown };
        if (o !== this.originId) this.#handler?.({ topic: t, payload: p });
      } catch {
        // not one of ours
      }
    });
  }

  async connect(): Promise<void> {
    await Promise.all([this.#publisher.connect(), this.#subscriber.connect()]);
    await this.#subscriber.subscribe(CHANNEL);
  }

  send(message: BusMessage): void {
    this.#publisher.publish(CHANNEL, JSON.stringify({ o: this.originId, t: message.topic, p: message.payload })).catch((error) => console.error(`[events] publish failed: ${error.message}`));
  }

  onReceive(handler: (message: BusMessage) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#publisher.disconnect();
    this.#subscriber.disconnect();
  }
}
