import { graphql } from '../../gql';

/** What lists, the job feed and the job page share: everything that changes while a job runs. */
export const JobSummaryFragment = graphql(`
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
