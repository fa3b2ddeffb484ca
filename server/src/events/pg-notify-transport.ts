import pg from 'pg';
import type { BusMessage, BusTransport } from './event-bus.ts';

const CHANNEL = 'anana_events';
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; bus messages are small notices, never log lines. */
const MAX_PAYLOAD = 7_900;

/**
 * Shares bus messages between replicas through PostgreSQL LISTEN/NOTIFY: no extra service to run,
 * and the database every replica already needs is the one place they all reach.
 */
export class PgNotifyTransport implements BusTransport {
  #listener: pg.Client | undefined;
  #handler: ((message: BusMessage) => void) | undefined;
  #closed = false;
  #reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly originId: string,
  ) {}

  async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (n) => {
      if (!n.payload) return;
      try {
        const { o, t, p } = JSON.parse(n.payload) as { o: string; t: string; p: unknown };
        if (o !== this.originId) this.#handler?.({ topic: t, payload: p });
      } catch {
        // not one of ours
      }
    });
    client.on('error', (error) => {
      console.error(`[events] LISTEN connection lost: ${error.message}; reconnecting`);
      this.#scheduleReconnect();
    });
    await client.connect();
    await client.query(`LISTEN ${CHANNEL}`);
    this.#listener = client;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer) return;
    void this.#listener?.end().catch(() => {});
    this.#listener = undefined;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.connect().catch(() => this.#scheduleReconnect());
    }, 1_000);
  }

  send(message: BusMessage): void {
    const payload = JSON.stringify({ o: this.originId, t: message.topic, p: message.payload });
    if (payload.length > MAX_PAYLOAD) {
      console.error(`[events] message on ${message.topic} is too large to share (${payload.length} bytes)`);
      return;
    }
    this.pool.query('SELECT pg_notify($1, $2)', [CHANNEL, payload]).catch((error) => console.error(`[events] NOTIFY failed: ${error.message}`));
  }

  onReceive(handler: (message: BusMessage) => void): void {
    this.#handler = handler;
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    await this.#listener?.end().catch(() => {});
  }
}
