import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { JobSummaryFragment } from '../gql/graphql.ts';
import { ACTIVE_STATUSES } from '../pages/jobs/job-fragments.ts';
import { useLiveSubscription } from './live.tsx';

const JobFeedSubscription = graphql(`
  subscription JobFeed {
    jobUpdated {
      ...JobSummary
    }
  }
`);

const ActiveJobsQuery = graphql(`
  query ActiveJobs {
    jobs(status: [QUEUED, RUNNING], first: 500) {
      totalCount
      nodes {
        id
        status
      }
    }
  }
`);

type Listener = { onJob(job: JobSummaryFragment): void; onResync?(): void };

interface JobFeed {
  listen(listener: Listener): () => void;
  activeCount: number;
}

const FeedContext = createContext<JobFeed | null>(null);

/**
 * One subscription to every job's updates for the whole console (SSE allows few connections per
 * host), fanned out to the pages; after a reconnect, pages are told to refetch what they show.
 */
export function JobFeedProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [active, setActive] = useState<ReadonlyMap<string, string>>(new Map());
  const [{ data }, refetchActive] = useQuery({ query: ActiveJobsQuery, requestPolicy: 'network-only' });

  useEffect(() => {
    if (data) setActive(new Map(data.jobs.nodes.map((job) => [job.id, job.status])));
  }, [data]);

  useLiveSubscription(JobFeedSubscription, {}, {
    onData: ({ jobUpdated: job }) => {
      setActive((previous) => {
        const isActive = ACTIVE_STATUSES.has(job.status);
        if (isActive === previous.has(job.id)) return previous;
        const next = new Map(previous);
        if (isActive) next.set(job.id, job.status);
        else next.delete(job.id);
        return next;
      });
      for (const listener of listeners.current) listener.onJob(job);
    },
    onResumed: () => {
      refetchActive({ requestPolicy: 'network-only' });
      for (const listener of listeners.current) listener.onResync?.();
    },
  });

  const listen = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  const feed = useMemo<JobFeed>(() => ({ listen, activeCount: active.size }), [listen, active]);
  return <FeedContext.Provider value={feed}>{children}</FeedContext.Provider>;
}

export function useActiveJobCount(): number {
  return useContext(FeedContext)?.activeCount ?? 0;
}

/** Calls `onJob` for every job update; handlers may change on each render. */
export function useJobFeed(onJob: (job: JobSummaryFragment) => void, onResync?: () => void): void {
  const feed = useContext(FeedContext);
  const handlers = useRef({ onJob, onResync });
  handlers.current = { onJob, onResync };
  const listen = feed?.listen;
  useEffect(() => listen?.({ onJob: (job) => handlers.current.onJob(job), onResync: () => handlers.current.onResync?.() }), [listen]);
}
