import { graphql } from '../../gql';
import type { JobSummaryFragment } from '../../gql/graphql.ts';

/** What lists, the job feed and the job page share: everything that changes while a job runs. */
export const JobSummaryFragmentDocument = graphql(`
  fragment JobSummary on Job {
    id
    kind
    status
    executor
    flavor
    trials
    trialsDone
    quick
    durationSeconds
    cpuPercent
    rssBytes
    peakCpuPercent
    peakRssBytes
    lastSeq
    createdAt
    startedAt
    finishedAt
    exitCode
    signal
    error
    stopRequested
  }
`);

export const StopJobMutation = graphql(`
  mutation StopJob($id: ID!) {
    stopJob(id: $id) {
      ...JobSummary
    }
  }
`);

export const ACTIVE_STATUSES = new Set(['QUEUED', 'RUNNING']);

/** Seconds a job has run: counted here while it runs, so the figure moves without a server round trip. */
export function liveDuration(job: Pick<JobSummaryFragment, 'status' | 'startedAt' | 'durationSeconds'>, now: number): number | null {
  if (job.status === 'RUNNING' && job.startedAt) return Math.max(0, (now - new Date(job.startedAt).getTime()) / 1000);
  return job.durationSeconds ?? null;
}
