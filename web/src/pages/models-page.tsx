import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../api/errors.ts';
import { useLiveSubscription } from '../api/live.tsx';
import { ConfirmDialog } from '../components/dialog.tsx';
import { ErrorBanner } from '../components/error-banner.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { graphql } from '../gql';
import type { ModelsQuery } from '../gql/graphql.ts';
import { formatBytes, formatDateTime, formatRelative, formatValue, shortId } from '../lib/format.ts';
import { Link } from '../lib/router.tsx';

const ModelsQueryDocument = graphql(`
  query Models {
    models {
      id
      runId
      path
      sizeBytes
      format
      isProduction
      promotedAt
      trial {
        id
        number
        score
        metric
      }
      run {
        id
        promotedBy
        job {
          id
        }
      }
    }
  }
`);

const RunsQuery = graphql(`
  query Runs($first: Int) {
    runs(first: $first) {
      id
      status
      modelPath
      outputDir
      createdAt
      finishedAt
      error
      isProduction
      promotedBy
      trial {
        id
        number
        score
      }
      job {
        id
        status
      }
    }
  }
`);

const ModelHistoryQuery = graphql(`
  query ModelHistory {
    modelHistory {
      runId
      previousRunId
      action
      actor
      createdAt
    }
  }
`);

const RunUpdatedSubscription = graphql(`
  subscription RunUpdated {
    runUpdated {
      id
      status
    }
  }
`);

const ProductionModelChangedSubscription = graphql(`
  subscription ProductionModelChanged {
    productionModelChanged {
      id
    }
  }
`);

const SetProductionModelMutation = graphql(`
  mutation SetProductionModel($runId: ID!) {
    setProductionModel(runId: $runId) {
      id
      runId
      isProduction
    }
  }
`);

type Model = ModelsQuery['models'][number];

export function ModelsPage() {
  const [models, refetchModels] = useQuery({ query: ModelsQueryDocument });
  const [runs, refetchRuns] = useQuery({ query: RunsQuery, variables: { first: 50 } });
  const [history, refetchHistory] = useQuery({ query: ModelHistoryQuery });
  const [choice, setChoice] = useState<Model | null>(null);
  const [setState, setProduction] = useMutation(SetProductionModelMutation);
  const [setError, setSetError] = useState<ApiError>();

  const refetchAll = () => {
    const policy = { requestPolicy: 'network-only' as const };
    refetchModels(policy);
    refetchRuns(policy);
    refetchHistory(policy);
  };
  // A run that changes state may have produced a model; the pointer may move from another console.
  useLiveSubscription(RunUpdatedSubscription, {}, { onData: refetchAll, onResumed: refetchAll });
  useLiveSubscription(ProductionModelChangedSubscription, {}, { onData: refetchAll });

  const production = models.data?.models.find((model) => model.isProduction);

  const confirm = async () => {
    if (!choice) return;
    const result = await setProduction({ runId: choice.runId });
    setSetError(fromCombinedError(result.error));
    setChoice(null);
    if (!result.error) refetchAll();
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Models and runs</h1>
        <p className="muted">Final training runs of promoted trials, the models they wrote, and which one serves analyses.</p>
      </header>

      <section className="card production" aria-labelledby="production-heading">
        <h2 id="production-heading">Production model</h2>
        <ErrorBanner error={fromCombinedError(models.error)} what="The model list" />
        {production ? (
          <dl className="kv">
            <dt>Run</dt>
            <dd className="mono">{production.runId}</dd>
            <dt>File</dt>
            <dd className="mono">
              {production.path} <span className="muted">({formatBytes(production.sizeBytes)}{production.format ? `, ${production.format}` : ''})</span>
            </dd>
            <dt>Trial</dt>
            <dd>
              #{production.trial.number}, {production.trial.metric} {formatValue(production.trial.score)}
              {production.run.job && (
                <>
                  {' '}
                  · trained by job <Link to={`/jobs/${production.run.job.id}`}>{shortId(production.run.job.id)}</Link>
                </>
              )}
            </dd>
            <dt>Since</dt>
            <dd>{formatDateTime(production.promotedAt)}</dd>
          </dl>
        ) : (
          models.data && <p className="empty">No production model yet: promote a trial on the leaderboard, then make its model the production one.</p>
        )}
      </section>

      <ErrorBanner error={setError} title="The production model was not changed" />

      <section className="card" aria-labelledby="models-heading">
        <h2 id="models-heading">Models</h2>
        {models.data && !models.data.models.length && <p className="empty">No models yet.</p>}
        {models.data && models.data.models.length > 0 && (
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Model</th>
                  <th scope="col">Trial</th>
                  <th scope="col" className="num">Size</th>
                  <th scope="col">Format</th>
                  <th scope="col">Promoted</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {models.data.models.map((model) => (
                  <tr key={model.id} className={model.isProduction ? 'best' : undefined}>
                    <td>
                      <span className="mono">{shortId(model.runId)}</span> {model.isProduction && <span className="badge status-succeeded">production</span>}
                      <div className="muted small-text mono truncate" title={model.path}>
                        {model.path}
                      </div>
                    </td>
                    <td>
                      #{model.trial.number} ({formatValue(model.trial.score)})
                    </td>
                    <td className="num">{formatBytes(model.sizeBytes)}</td>
                    <td>{model.format ?? '—'}</td>
                    <td>{formatRelative(model.promotedAt)}</td>
                    <td className="actions">
                      {!model.isProduction && (
                        <button type="button" className="small" onClick={() => setChoice(model)}>
                          {production && model.promotedAt && production.promotedAt && model.promotedAt < production.promotedAt ? 'Roll back to this' : 'Make production'}
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="runs-heading">
        <h2 id="runs-heading">Runs</h2>
        <ErrorBanner error={fromCombinedError(runs.error)} what="The run list" />
        {runs.data && !runs.data.runs.length && <p className="empty">No runs yet: promote a trial on the leaderboard.</p>}
        {runs.data && runs.data.runs.length > 0 && (
          <div className="table-scroll">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Status</th>
                  <th scope="col">Run</th>
                  <th scope="col">Trial</th>
                  <th scope="col">Job</th>
                  <th scope="col">Model file</th>
                  <th scope="col">Finished</th>
                </tr>
              </thead>
              <tbody>
                {runs.data.runs.map((run) => (
                  <tr key={run.id}>
                    <td>
                      <StatusBadge status={run.status} /> {run.isProduction && <span className="badge status-succeeded">production</span>}
                    </td>
                    <td className="mono">{shortId(run.id)}</td>
                    <td>
                      #{run.trial.number} ({formatValue(run.trial.score)}){run.promotedBy && <span className="muted small-text"> by {run.promotedBy}</span>}
                    </td>
                    <td>{run.job ? <Link to={`/jobs/${run.job.id}`}>{shortId(run.job.id)}</Link> : '—'}</td>
                    <td className="mono small-text truncate narrow" title={run.error ?? run.modelPath ?? undefined}>
                      {run.error ? <span className="text-bad">{run.error}</span> : (run.modelPath ?? '—')}
                    </td>
                    <td title={`created ${formatDateTime(run.createdAt)}`}>{run.finishedAt ? formatRelative(run.finishedAt) : <span className="muted">started {formatRelative(run.createdAt)}</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="history-heading">
        <h2 id="history-heading">Production history</h2>
        <ErrorBanner error={fromCombinedError(history.error)} what="The production history" />
        {history.data && (
          <ol className="timeline">
            {history.data.modelHistory.map((event, index) => (
              <li key={`${event.createdAt}-${index}`}>
                <span className="timeline-time">{formatDateTime(event.createdAt)}</span>
                <span>
                  <strong>{event.action.toLowerCase().replace(/_/g, ' ')}</strong> run <span className="mono">{shortId(event.runId)}</span>
                  {event.previousRunId && (
                    <>
                      {' '}
                      (was <span className="mono">{shortId(event.previousRunId)}</span>)
                    </>
                  )}
                  {event.actor && <span className="muted"> by {event.actor}</span>}
                </span>
              </li>
            ))}
            {!history.data.modelHistory.length && <p className="empty">The production pointer has never moved.</p>}
          </ol>
        )}
      </section>

      {choice && (
        <ConfirmDialog title={`Serve model ${shortId(choice.runId)}?`} confirmLabel="Make production" busy={setState.fetching} onConfirm={confirm} onCancel={() => setChoice(null)}>
          <p>
            Analyses use this model from now on{production ? `, instead of ${shortId(production.runId)}` : ''}. The change is recorded in the history and can be
            undone the same way.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
