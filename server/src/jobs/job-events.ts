import type { EventBus } from '../events/event-bus.ts';

export const jobTopic = (jobId: string) => `job:${jobId}`;
export const JOBS_TOPIC = 'jobs';
/** Tells dispatchers (in every replica) that a job was queued or a slot freed. */
export const QUEUE_TOPIC = 'queue';

export function publishJobUpdated(events: EventBus, jobId: string): void {
  events.publish(jobTopic(jobId), { jobId });
  events.publish(JOBS_TOPIC, { jobId });
}
