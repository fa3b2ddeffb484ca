import { useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../api/errors.ts';
import { ErrorBanner } from '../components/error-banner.tsx';
import { graphql } from '../gql';
import type { SyncDirection, SyncReportViewFragment } from '../gql/graphql.ts';
import { formatDateTime, formatDuration } from '../lib/format.ts';

export const SyncReportViewFragmentDocument = graphql(`
  fragment SyncReportView on SyncReport {
    direction
    repo
    uploaded
    downloaded
    errors
    pendingPush
    pendingPull
    commit
    commitAttempts
    startedAt
    finishedAt
    pulledTrials
    ingestedTrials
    conflicts {
      path
      rule
      remoteCopy
    }
    skipped {
      path
      reason
    }
  }
`);

const SyncStatusDocument = graphql(`
  query SyncStatus {
    syncStatus {
      configured
      missing
      repo
      remoteHead
      running
      intervalMs
      lastPushAt
      lastPullAt
      pendingPush
      errors
      conflicts {
        path
        rule
        localSha
        remoteOid
        remoteCopy
      }
      lastReports {
        ...SyncReportView
      }
    }
  }
`);

const SyncResultsDocument = graphql(`
  mutation SyncResults($direction: SyncDirection!) {
    syncResults(direction: $direction) {
      ...SyncReportView
    }
  }
`);

const DIRECTIONS: { direction: SyncDirection; label: string; help: string }[] = [
  { direction: 'BOTH', label: 'Sync both ways', help: 'Upload local changes and download the Hub’s in one reconciliation' },
  { direction: 'PUSH', label: 'Push only', help: 'Upload local changes to the Hub' },
  { direction: 'PULL', label: 'Pull only', help: 'Download the Hub’s changes' },
];

const RULES: Record<string, string> = {
  KEEP_BOTH: 'Both kept: the local file stays and is not pushed; the Hub’s version is saved beside it',
};

function FileList({ title, files }: { title: string; files: readonly string[] }) {
  if (!files.length) return null;
  return (
    <details className="file-list">
      <summary>{title}</summary>
      <ul className="mono small-text">
        {files.slice(0, 200).map((file) => (
          <li key={file}>{file}</li>
        ))}
        {files.length > 200 && <li className="muted">…and {files.length - 200} more</li>}
      </ul>
    </details>
  );
}

function SyncReportView({ report }: { report: SyncReportViewFragment }) {
  const seconds = (new Date(report.finishedAt).getTime() - new Date(report.startedAt).getTime()) / 1000;
  return (
    <div className="sync-report">
      <p>
        <strong>{report.direction.toLowerCase()}</strong> with <span className="mono">{report.repo}</span>, {formatDateTime(report.finishedAt)} ({formatDuration(seconds)}):{' '}
        {report.uploaded.length} uploaded, {report.downloaded.length} downloaded, {report.conflicts.length} conflicts, {report.errors.length} errors
        {report.ingestedTrials != null ? `, ${report.ingestedTrials} trials joined the leaderboard` : report.pulledTrials ? `, ${report.pulledTrials} trial files pulled` : ''}.
      </p>
      {report.commit && (
        <p className="muted small-text">
          Commit <span className="mono">{report.commit.slice(0, 12)}</span>
          {report.commitAttempts > 1 ? ` after ${report.commitAttempts} attempts (others pushed first)` : ''}
        </p>
      )}
      {report.errors.length > 0 && (
        <ul className="text-bad">
          {report.errors.map((message, index) => (
            <li key={index}>{message}</li>
          ))}
        </ul>
      )}
      <FileList title={`Uploaded: ${report.uploaded.length}`} files={report.uploaded} />
      <FileList title={`Downloaded: ${report.downloaded.length}`} files={report.downloaded} />
      <FileList title={`Not pushed (pull only): ${report.pendingPush.length}`} files={report.pendingPush} />
      <FileList title={`Not pulled (push only): ${report.pendingPull.length}`} files={report.pendingPull} />
      <FileList title={`Skipped, as deletions do not propagate: ${report.skipped.length}`} files={report.skipped.map((file) => `${file.path} (${file.reason.toLowerCase().replace('_', ' ')})`)} />
    </div>
  );
}

export function SyncPage() {
  const [{ data, error, fetching }, refetch] = useQuery({ query: SyncStatusDocument });
  const [syncState, sync] = useMutation(SyncResultsDocument);
  const [report, setReport] = useState<SyncReportViewFragment | null>(null);
  const [syncError, setSyncError] = useState<ApiError>();
  const status = data?.syncStatus;

  const start = async (direction: SyncDirection) => {
    setReport(null);
    setSyncError(undefined);
    const result = await sync({ direction });
    if (result.data) setReport(result.data.syncResults);
    setSyncError(fromCombinedError(result.error));
    refetch({ requestPolicy: 'network-only' });
  };

  return (
    <div className="page">
      <header className="page-header">
        <h1>Hub sync</h1>
        <p className="muted">The results folder and a Hugging Face Hub repository, reconciled both ways, so runs made in the cloud and on laptops meet in one leaderboard.</p>
      </header>
      <ErrorBanner error={fromCombinedError(error)} what="Sync" />
      {status && (
        <section className="card" aria-labelledby="sync-status-heading">
          <div className="card-header">
            <h2 id="sync-status-heading">Status</h2>
            <button type="button" className="small" onClick={() => refetch({ requestPolicy: 'network-only' })} disabled={fetching}>
              Refresh
            </button>
          </div>
          {!status.configured && (
            <div className="banner info">
              <strong>Not configured.</strong> Set {status.missing.map((name, index) => (
                <span key={name}>
                  {index > 0 && ' and '}
                  <code>{name}</code>
                </span>
              ))}{' '}
              on the server to sync with the Hub.
            </div>
          )}
          <dl className="kv">
            <dt>Repository</dt>
            <dd className="mono">{status.repo ?? '—'}</dd>
            <dt>Remote head</dt>
            <dd className="mono">{status.remoteHead?.slice(0, 12) ?? '—'}</dd>
            <dt>State</dt>
            <dd>
              {status.running ? <span className="badge status-running">syncing</span> : <span className="badge status-idle">idle</span>}
              <span className="muted"> · background sync {status.intervalMs ? `every ${formatDuration(status.intervalMs / 1000)}` : 'off'}</span>
            </dd>
            <dt>Last push / pull</dt>
            <dd>
              {formatDateTime(status.lastPushAt)} / {formatDateTime(status.lastPullAt)}
            </dd>
            <dt>Waiting to upload</dt>
            <dd>
              {status.pendingPush.length} files
              <FileList title="Show the files" files={status.pendingPush} />
            </dd>
          </dl>
          {status.errors.length > 0 && (
            <div className="banner error" role="alert">
              <strong>Errors</strong>
              <ul>
                {status.errors.map((message, index) => (
                  <li key={index}>{message}</li>
                ))}
              </ul>
            </div>
          )}
          <div className="button-row">
            {DIRECTIONS.map((option) => (
              <button
                key={option.direction}
                type="button"
                className={option.direction === 'BOTH' ? 'primary' : undefined}
                title={option.help}
                disabled={!status.configured || status.running || syncState.fetching}
                onClick={() => start(option.direction)}
              >
                {option.label}
              </button>
            ))}
            {syncState.fetching && (
              <span className="muted" role="status">
                Syncing…
              </span>
            )}
          </div>
        </section>
      )}
      <ErrorBanner error={syncError} title={syncError?.code === 'CONFLICT' ? 'Sync is busy' : 'Sync failed'} />
      {report && (
        <section className="card" aria-labelledby="report-heading">
          <h2 id="report-heading">This sync</h2>
          <SyncReportView report={report} />
        </section>
      )}
      {status && (
        <section className="card" aria-labelledby="conflicts-heading">
          <h2 id="conflicts-heading">Conflicts</h2>
          {status.conflicts.length ? (
            <div className="table-scroll">
              <table className="data-table">
                <thead>
                  <tr>
                    <th scope="col">File</th>
                    <th scope="col">Resolution</th>
                    <th scope="col">Hub’s version saved at</th>
                    <th scope="col">Versions</th>
                  </tr>
                </thead>
                <tbody>
                  {status.conflicts.map((conflict) => (
                    <tr key={conflict.path}>
                      <td className="mono">{conflict.path}</td>
                      <td>{RULES[conflict.rule] ?? conflict.rule}</td>
                      <td className="mono">{conflict.remoteCopy ?? 'not pulled yet'}</td>
                      <td className="mono small-text">
                        local {conflict.localSha.slice(0, 10)} · hub {conflict.remoteOid.slice(0, 10)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : (
            <p className="empty">No conflicts.</p>
          )}
        </section>
      )}
      {status && status.lastReports.length > 0 && (
        <section className="card" aria-labelledby="history-heading">
          <h2 id="history-heading">Last syncs</h2>
          {status.lastReports.map((last) => (
            <SyncReportView key={`${last.direction}-${last.finishedAt}`} report={last} />
          ))}
        </section>
      )}
    </div>
  );
}
