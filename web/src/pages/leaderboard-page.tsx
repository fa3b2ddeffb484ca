import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../api/errors.ts';
import { useLiveSubscription } from '../api/live.tsx';
import { ConfirmDialog } from '../components/dialog.tsx';
import { ErrorBanner } from '../components/error-banner.tsx';
import { isMaximize, LeaderboardTable, type LeaderboardRow } from '../components/leaderboard-table.tsx';
import { graphql } from '../gql';
import type { LeaderboardTrialFragment, TrialSource } from '../gql/graphql.ts';
import { formatValue, shortId } from '../lib/format.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';

export const LeaderboardTrialFragmentDocument = graphql(`
  fragment LeaderboardTrial on Trial {
    id
    number
    params
    score
    metric
    direction
    source
    jobId
    error
    createdAt
  }
`);

const LeaderboardQuery = graphql(`
  query Leaderboard($jobId: ID, $source: TrialSource, $first: Int, $after: String) {
    leaderboard(jobId: $jobId, source: $source, first: $first, after: $after) {
      paramNames
      metric
      direction
      totalCount
      hasMore
      endCursor
      rows {
        ...LeaderboardTrial
      }
    }
  }
`);

const TrialAddedSubscription = graphql(`
  subscription TrialAdded($jobId: ID) {
    trialAdded(jobId: $jobId) {
      ...LeaderboardTrial
    }
  }
`);

const TuneJobsQuery = graphql(`
  query TuneJobs {
    jobs(kind: TUNE, first: 100) {
      nodes {
        id
        status
        createdAt
        trials
        trialsDone
      }
    }
  }
`);

const PromoteTrialMutation = graphql(`
  mutation PromoteTrial($trialId: ID!) {
    promoteTrial(trialId: $trialId) {
      id
      status
      job {
        id
      }
      trial {
        id
        number
      }
    }
  }
`);

const PAGE_SIZE = 200;
const SOURCES: { label: string; value: TrialSource | null }[] = [
  { label: 'All sources', value: null },
  { label: 'Local', value: 'LOCAL' },
  { label: 'Hub', value: 'HUB' },
];

export function LeaderboardPage() {
  const { query } = useLocation();
  const jobId = query.get('job') || null;
  const source = (query.get('source') as TrialSource | null) || null;
  const [after, setAfter] = useState<string | null>(null);
  const [{ data, error, fetching }, refetch] = useQuery({ query: LeaderboardQuery, variables: { jobId, source, first: PAGE_SIZE, after } });
  const [{ data: jobsData }] = useQuery({ query: TuneJobsQuery });
  const [rows, setRows] = useState<LeaderboardTrialFragment[]>([]);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [promoting, setPromoting] = useState<LeaderboardRow | null>(null);
  const [promoteState, promote] = useMutation(PromoteTrialMutation);
  const [promoteError, setPromoteError] = useState<ApiError>();
  const [promoted, setPromoted] = useState<{ runId: string; jobId?: string; trialNumber: number } | null>(null);

  useEffect(() => setAfter(null), [jobId, source]);
  useEffect(() => {
    if (!data) return;
    setRows((previous) => (after ? [...previous, ...data.leaderboard.rows.filter((row) => !previous.some((p) => p.id === row.id))] : data.leaderboard.rows));
  }, [data, after]);

  // A live trial shows at once; the ranking, counts and columns are then refreshed from the server.
  const refresh = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(refresh.current), []);
  const refreshSoon = () => {
    if (after) return;
    clearTimeout(refresh.current);
    refresh.current = setTimeout(() => refetch({ requestPolicy: 'network-only' }), 1_500);
  };

  useLiveSubscription(TrialAddedSubscription, { jobId }, {
    onData: ({ trialAdded: trial }) => {
      refreshSoon();
      if (source && trial.source !== source) return;
      setRows((previous) => (previous.some((row) => row.id === trial.id) ? previous.map((row) => (row.id === trial.id ? trial : row)) : [...previous, trial]));
      setFresh((previous) => new Set(previous).add(trial.id));
      setTimeout(() => setFresh((previous) => {
        const next = new Set(previous);
        next.delete(trial.id);
        return next;
      }), 4_000);
    },
    onResumed: () => refetch({ requestPolicy: 'network-only' }),
  });

  const setFilter = (key: 'job' | 'source', value: string | null) => {
    const next = new URLSearchParams(query);
    if (value) next.set(key, value);
    else next.delete(key);
    const search = next.toString();
    navigate(`/leaderboard${search ? `?${search}` : ''}`, { replace: true });
  };

  const confirmPromote = async () => {
    if (!promoting) return;
    const result = await promote({ trialId: promoting.id });
    const failure = fromCombinedError(result.error);
    setPromoteError(failure);
    if (result.data) setPromoted({ runId: result.data.promoteTrial.id, jobId: result.data.promoteTrial.job?.id, trialNumber: promoting.number });
    setPromoting(null);
  };

  const board = data?.leaderboard;
  const metric = board?.metric ?? rows[0]?.metric;
  const direction = board?.direction ?? rows[0]?.direction;
  return (
    <div className="page">
      <header className="page-header">
        <h1>Leaderboard</h1>
        <p className="muted">Every trial, local and from the Hub; new trials appear as jobs write them.</p>
      </header>
      <section className="card">
        <div className="card-header">
          <div className="filters">
            <label className="field inline">
              <span>Job</span>
              <select value={jobId ?? ''} onChange={(event) => setFilter('job', event.target.value || null)}>
                <option value="">All jobs</option>
                {jobId && !jobsData?.jobs.nodes.some((job) => job.id === jobId) && <option value={jobId}>{shortId(jobId)}</option>}
                {jobsData?.jobs.nodes.map((job) => (
                  <option key={job.id} value={job.id}>
                    {shortId(job.id)} · {job.status.toLowerCase()} · {job.trialsDone}/{job.trials ?? '?'} trials
                  </option>
                ))}
              </select>
            </label>
            <label className="field inline">
              <span>Source</span>
              <select value={source ?? ''} onChange={(event) => setFilter('source', event.target.value || null)}>
                {SOURCES.map((option) => (
                  <option key={option.label} value={option.value ?? ''}>
                    {option.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {board && (
            <span className="muted">
              {Math.max(board.totalCount, rows.length)} trials{metric ? ` · ranked by ${metric}, ${isMaximize(direction) ? 'higher' : 'lower'} is better` : ''}
            </span>
          )}
        </div>
        {promoteError && (
          <ErrorBanner error={promoteError} title={promoteError.code === 'CONFLICT' ? 'Another promotion is in progress' : 'The trial was not promoted'} />
        )}
        {promoted && (
          <div className="banner success" role="status">
            <strong>Promotion started.</strong> Trial #{promoted.trialNumber} is training as run <Link to="/models">{shortId(promoted.runId)}</Link>
            {promoted.jobId && (
              <>
                {' '}
                (job <Link to={`/jobs/${promoted.jobId}`}>{shortId(promoted.jobId)}</Link>)
              </>
            )}
            .
          </div>
        )}
        <ErrorBanner error={fromCombinedError(error)} what="The leaderboard" />
        {(board || rows.length > 0) && <LeaderboardTable rows={rows} paramNames={board?.paramNames} direction={direction} metric={metric} onPromote={setPromoting} freshIds={fresh} hideJob={!!jobId} />}
        {board?.hasMore && (
          <button type="button" onClick={() => setAfter(board.endCursor ?? null)} disabled={fetching}>
            Load more
          </button>
        )}
      </section>

      {promoting && (
        <ConfirmDialog title={`Promote trial #${promoting.number}?`} confirmLabel="Promote" busy={promoteState.fetching} onConfirm={confirmPromote} onCancel={() => setPromoting(null)}>
          <p>
            A final training run starts with these hyper-parameters and writes a model. Only one promotion runs at a time.
          </p>
          <dl className="kv compact">
            <dt>Score</dt>
            <dd>{formatValue(promoting.score)}</dd>
            {Object.entries((promoting.params ?? {}) as Record<string, unknown>).map(([name, value]) => (
              <div key={name} className="kv-row">
                <dt>{name}</dt>
                <dd>{formatValue(value)}</dd>
              </div>
            ))}
          </dl>
        </ConfirmDialog>
      )}
    </div>
  );
}
