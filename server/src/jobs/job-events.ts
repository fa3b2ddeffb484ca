import type { EventBus } from '../events/event-bus.ts';
import { logTopic, type LogEvent } from '../logs/log-record.ts';

export const jobTopic = (jobId: string) => `job:${jobId}`;
export const JOBS_TOPIC = 'jobs';
/** Tells dispatchers (in every replica) that a job was queued or a slot freed. */
export const QUEUE_TOPIC = 'queue';

export function publishJobUpdated(events: EventBus, jobId: string): void {
  events.publish(jobTopic(jobId), { jobId });
  events.publish(JOBS_TOPIC, { jobId });
}

/**
 * Tells the job's log and metric subscribers (in every replica) that its log is complete, for a job that ended
 * without a log pipeline of its own closing it: stopped while queued, abandoned before it started, lost with its
 * worker. Published after the job's final state, so that a subscriber that sees the end also sees the job ended.
 */
export function publishLogEnded(events: EventBus, jobId: string, lastSeq: number): void {
  const end: LogEvent = { type: 'end', jobId, lastSeq };
  events.publish(logTopic(jobId), end);
}
