import type { Database } from '../db/database.ts';
import type { BusMessage, EventBus } from '../events/event-bus.ts';
import { KeyedSerializer } from '../keyed-serializer.ts';
import type { LogBatchEvent, LogEvent } from './log-record.ts';
import { readLogs, readMetricsBetween } from './log-store.ts';

/** Counts since start-up, for tests and diagnostics. */
export const remoteRelayStats = { relayed: 0, fallbacks: 0 };

/** A persisted range larger than this is left to the subscribers' own paged reads. */
const MAX_RELAYED_LINES = 20_000;

/**
 * On a replica that does not run a job, its subscribers hear only "lines up to N are persisted" from the replica
 * that does, and each would read that range from the database itself: a thousand subscribers, a thousand reads per
 * batch. The relay reads each announced range once, when this replica has subscribers of the job, and delivers it
 * as a live batch instead, which every subscriber here then shares (one execution, one serialisation). Messages of
 * one job keep their order; a range that cannot be read whole is delivered as the original notice (the
 * subscribers then read it themselves, as before).
 */
export function relayRemoteLogs(events: EventBus, db: Database): void {
  // One queue per job's topic: its messages keep their order.
  const queues = new KeyedSerializer();
  events.interceptRemote((message, deliver) => {
    if (!message.topic.startsWith('logs:')) return false;
    const event = message.payload as LogEvent;
    if (event.type !== 'persisted' && event.type !== 'end') return false;
    const run = async () => {
      if (event.type !== 'persisted' || events.listenerCount(message.topic) === 0) return deliver(message);
      deliver(await asBatch(db, message, event));
    };
    queues.run(message.topic, run).catch((error) => console.error(`[logs] relaying ${message.topic} failed:`, error));
    return true;
  });
}

async function asBatch(db: Database, message: BusMessage, event: Extract<LogEvent, { type: 'persisted' }>): Promise<BusMessage> {
  const count = event.toSeq - event.fromSeq;
  if (count <= 0 || count > MAX_RELAYED_LINES) {
    remoteRelayStats.fallbacks++;
    return message;
  }
  try {
    const [lines, metrics] = await Promise.all([
      readLogs(db, event.jobId, { afterSeq: event.fromSeq, beforeSeq: event.toSeq + 1, limit: count }),
      readMetricsBetween(db, event.jobId, event.fromSeq, event.toSeq),
    ]);
    // Every line of the range must be there (the notice comes after the commit); anything else is left to the readers.
    if (lines.length !== count || lines[0]?.seq !== event.fromSeq + 1 || lines[count - 1]?.seq !== event.toSeq) {
      remoteRelayStats.fallbacks++;
      return message;
    }
    const batch: LogBatchEvent = { type: 'batch', jobId: event.jobId, fromSeq: event.fromSeq, toSeq: event.toSeq, lines, metrics };
    remoteRelayStats.relayed++;
    return { topic: message.topic, payload: batch, remote: true };
  } catch (error) {
    console.error(`[logs] reading ${message.topic} (${event.fromSeq}, ${event.toSeq}] to relay it failed:`, error);
    remoteRelayStats.fallbacks++;
    return message;
  }
}
