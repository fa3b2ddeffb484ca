import { useEffect, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../../api/errors.ts';
import { useJobFeed } from '../../api/job-feed.tsx';
import { ConfirmDialog } from '../../components/dialog.tsx';
import { ErrorBanner } from '../../components/error-banner.tsx';
import { ProgressBar, StatusBadge } from '../../components/status-badge.tsx';
import { StartJobForm, type FlavorOption, type StartJobRequest } from '../../components/start-job-form.tsx';
import { graphql } from '../../gql';
import type { JobStatus, JobSummaryFragment } from '../../gql/graphql.ts';
import { formatBytes, formatDuration, formatPercent, formatRelative, shortId } from '../../lib/format.ts';
import { Link, navigate } from '../../lib/router.tsx';
import { useNow } from '../../lib/use-now.ts';
import { ACTIVE_STATUSES, liveDuration, StopJobMutation } from './job-fragments.ts';

const JobsQuery = graphql(`
  query Jobs($first: Int, $after: String, $status: [JobStatus!]) {
    jobs(first: $first, after: $after, status: $status) {
      totalCount
      hasMore
      endCursor
      nodes {
        ...JobSummary
      }
    }
  }
`);

const StartJobMutation = graphql(`
  mutation StartJob($input: StartJobInput!) {
    startJob(input: $input) {
      id
      status
    }
  }
`);

export const HardwareFlavorsQuery = graphql(`
  query HardwareFlavors {
    hardwareFlavors {
      name
      prettyName
      executor
      cpu
      ram
      accelerator
      pricePerHour
      error
    }
  }
`);

const PAGE_SIZE = 50;
const STATUS_FILTERS: { label: string; statuses: JobStatus[] | null }[] = [
  { label: 'All', statuses: null },
  { label: 'Active', statuses: ['QUEUED', 'RUNNING'] },
  { label: 'Succeeded', statuses: ['SUCCEEDED'] },
  { label: 'Failed', statuses: ['FAILED', 'LOST'] },
  { label: 'Stopped', statuses: ['STOPPED'] },
];

function useFlavorOptions(): { flavors?: FlavorOption[]; note?: string | null } {
  const [{ data }] = useQuery({ query: HardwareFlavorsQuery });
  if (!data) return {};
  return {
    flavors: data.hardwareFlavors.map((flavor) => ({
      name: flavor.name,
      executor: flavor.executor,
      label: [flavor.prettyName, flavor.accelerator ?? flavor.cpu, flavor.pricePerHour ? `$${flavor.pricePerHour.toFixed(2)}/h` : null].filter(Boolean).join(' · '),
    })),
    note: data.hardwareFlavors.find((flavor) => flavor.error)?.error ? `Hub flavors unavailable: ${data.hardwareFlavors.find((flavor) => flavor.error)!.error}` : null,
  };
}

export function JobsPage() {
  const [filter, setFilter] = useState(0);
  const statuses = STATUS_FILTERS[filter].statuses;
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, fetching, error }, refetch] = useQuery({ query: JobsQuery, variables: { first: PAGE_SIZE, after, status: statuses } });
  const [jobs, setJobs] = useState<JobSummaryFragment[]>([]);
  const [, startJob] = useMutation(StartJobMutation);
  const [stopState, stopJob] = useMutation(StopJobMutation);
  const [stopping, setStopping] = useState<JobSummaryFragment | null>(null);
  const [stopError, setStopError] = useState<ApiError>();
  const { flavors, note: flavorsNote } = useFlavorOptions();
  const now = useNow(1000, jobs.some((job) => job.status === 'RUNNING'));

  useEffect(() => {
    if (!data) return;
    setJobs((previous) => (after ? [...previous.filter((job) => !data.jobs.nodes.some((n) => n.id === job.id)), ...data.jobs.nodes] : data.jobs.nodes));
  }, [data, after]);

  useJobFeed(
    (job) =>
      setJobs((previous) => {
        const index = previous.findIndex((existing) => existing.id === job.id);
        if (index !== -1) return previous.map((existing) => (existing.id === job.id ? job : existing));
        return !statuses || statuses.includes(job.status) ? [job, ...previous] : previous;
      }),
    () => refetch({ requestPolicy: 'network-only' }),
  );

  const submit = async (request: StartJobRequest): Promise<ApiError | undefined> => {
    const result = await startJob({ input: request });
    const failure = fromCombinedError(result.error);
    if (failure) return failure;
    if (result.data) navigate(`/jobs/${result.data.startJob.id}`);
    return undefined;
  };

  const confirmStop = async () => {
    if (!stopping) return;
    const result = await stopJob({ id: stopping.id });
    setStopError(fromCombinedError(result.error));
    setStopping(null);
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Jobs</h1>
        <p className="muted">Hyper-parameter tuning and final training runs, live.</p>
      </header>

      <section className="card" aria-labelledby="start-heading">
        <h2 id="start-heading">Start a tuning job</h2>
        <StartJobForm onSubmit={submit} flavors={flavors} flavorsNote={flavorsNote} />
      </section>

      <section className="card" aria-labelledby="jobs-heading">
        <div className="card-header">
          <h2 id="jobs-heading">
            All jobs {data && <span className="muted">({data.jobs.totalCount})</span>}
          </h2>
          <div className="segmented" role="group" aria-label="Filter by status">
            {STATUS_FILTERS.map((option, index) => (
              <button
                key={option.label}
                type="button"
                aria-pressed={filter === index}
                onClick={() => {
                  setFilter(index);
                  setAfter(null);
                }}
              >
                {option.label}
              </button>
            ))}
          </div>
        </div>
        <ErrorBanner error={fromCombinedError(error)} />
        <ErrorBanner error={stopError} title="The job was not stopped" />
        <div className="table-scroll">
          <table className="data-table jobs-table">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Job</th>
                <th scope="col">Progress</th>
                <th scope="col" className="num">Duration</th>
                <th scope="col" className="num">CPU</th>
                <th scope="col" className="num">Memory</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.id} data-job={job.id}>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td>
                    <Link to={`/jobs/${job.id}`} className="mono">
                      {shortId(job.id)}
                    </Link>{' '}
                    <span className="muted small-text">
                      {job.kind.toLowerCase()} · {job.executor === 'HF_JOBS' ? 'HF Jobs' : 'local'} · {job.flavor}
                      {job.quick ? ' · quick' : ''}
                    </span>
                    {job.error && (
                      <div className="text-bad small-text truncate" title={job.error}>
                        {job.error}
                      </div>
                    )}
                  </td>
                  <td>{job.kind === 'TUNE' ? <ProgressBar done={job.trialsDone} total={job.trials} label={`Trials of job ${shortId(job.id)}`} /> : <span className="muted">final training</span>}</td>
                  <td className="num">{formatDuration(liveDuration(job, now))}</td>
                  <td className="num" title={job.peakCpuPercent != null ? `peak ${formatPercent(job.peakCpuPercent)}` : undefined}>
                    {ACTIVE_STATUSES.has(job.status) ? formatPercent(job.cpuPercent) : '—'}
                  </td>
                  <td className="num" title={job.peakRssBytes != null ? `peak ${formatBytes(job.peakRssBytes)}` : undefined}>
                    {ACTIVE_STATUSES.has(job.status) ? formatBytes(job.rssBytes) : job.peakRssBytes != null ? `peak ${formatBytes(job.peakRssBytes)}` : '—'}
                  </td>
                  <td title={job.createdAt}>{formatRelative(job.createdAt, now)}</td>
                  <td className="actions">
                    {ACTIVE_STATUSES.has(job.status) && (
                      <button type="button" className="small danger-outline" onClick={() => setStopping(job)} disabled={job.stopRequested} aria-label={`Stop job ${shortId(job.id)}`}>
                        {job.stopRequested ? 'Stopping…' : 'Stop'}
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {!fetching && !jobs.length && <p className="empty">No jobs yet. Start one above.</p>}
        </div>
        {data?.jobs.hasMore && (
          <button type="button" onClick={() => setAfter(data.jobs.endCursor ?? null)} disabled={fetching}>
            Load more
          </button>
        )}
      </section>

      {stopping && (
        <ConfirmDialog title={`Stop job ${shortId(stopping.id)}?`} confirmLabel="Stop job" danger busy={stopState.fetching} onConfirm={confirmStop} onCancel={() => setStopping(null)}>
          <p>
            {stopping.status === 'QUEUED'
              ? 'The job has not started; it is taken off the queue.'
              : 'Every process of the job gets SIGTERM, then SIGKILL after the grace period. Trials not finished yet are lost.'}
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
