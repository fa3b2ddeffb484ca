import { useMemo, useState } from 'react';
import { useMutation, useQuery } from 'urql';
import { fromCombinedError, type ApiError } from '../../api/errors.ts';
import { useJobFeed } from '../../api/job-feed.tsx';
import { ConfirmDialog } from '../../components/dialog.tsx';
import { ErrorBanner } from '../../components/error-banner.tsx';
import { LogConsole } from '../../components/log-console.tsx';
import { MetricChart, type ChartPoint, type ChartSeries } from '../../components/metric-chart.tsx';
import { ProgressBar, StatusBadge } from '../../components/status-badge.tsx';
import { graphql } from '../../gql';
import type { JobSummaryFragment } from '../../gql/graphql.ts';
import { formatBytes, formatDateTime, formatDuration, formatPercent, formatValue, shortId } from '../../lib/format.ts';
import { Link } from '../../lib/router.tsx';
import { useNow } from '../../lib/use-now.ts';
import { ACTIVE_STATUSES, liveDuration, StopJobMutation } from './job-fragments.ts';
import { useJobLogs } from './use-job-logs.ts';
import { useJobMetrics } from './use-job-metrics.ts';

const JobQuery = graphql(`
  query Job($id: ID!) {
    job(id: $id) {
      ...JobSummary
      command
      cwd
      gitCommit
      args
      config
      outputDir
      logPath
      pid
      host
      attempt
      maxRetries
    }
  }
`);

/** About an hour of the resource monitor's samples. */
const MAX_RESOURCE_SAMPLES = 3_600;

const COLORS = { loss: '#2f6fde', train_loss: '#7b4fd6', val_loss: '#e0662b', learning_rate: '#1c9a6c', accuracy: '#2f6fde', val_accuracy: '#e0662b', cpu: '#2f6fde', rss: '#c2477a' };

export function JobPage({ id }: { id: string }) {
  const [{ data, error }, refetch] = useQuery({ query: JobQuery, variables: { id } });
  const [live, setLive] = useState<JobSummaryFragment | null>(null);
  const [stopOpen, setStopOpen] = useState(false);
  const [stopState, stopJob] = useMutation(StopJobMutation);
  const [stopError, setStopError] = useState<ApiError>();
  const [samples, setSamples] = useState<{ cpu: ChartPoint[]; rss: ChartPoint[] }>({ cpu: [], rss: [] });

  useJobFeed(
    (job) => {
      if (job.id !== id) return;
      setLive(job);
      // A sample of 0 bytes is the process already gone, not a measurement.
      if (job.status === 'RUNNING' && job.cpuPercent != null && Number(job.rssBytes ?? 0) > 0) {
        const x = Date.now() / 1000;
        setSamples((previous) => ({
          cpu: [...previous.cpu.slice(-MAX_RESOURCE_SAMPLES), { x, y: job.cpuPercent! }],
          rss: [...previous.rss.slice(-MAX_RESOURCE_SAMPLES), { x, y: Number(job.rssBytes ?? 0) }],
        }));
      }
    },
    () => refetch({ requestPolicy: 'network-only' }),
  );

  const job = data ? { ...data.job, ...(live && live.id === data.job.id ? live : {}) } : null;
  const now = useNow(1000, job?.status === 'RUNNING');

  if (error && !data) {
    return (
      <div className="page">
        <header className="page-header">
          <h1>Job {shortId(id)}</h1>
        </header>
        <ErrorBanner error={fromCombinedError(error)} />
        <Link to="/jobs">Back to jobs</Link>
      </div>
    );
  }

  const confirmStop = async () => {
    const result = await stopJob({ id });
    setStopError(fromCombinedError(result.error));
    setStopOpen(false);
  };

  return (
    <div className="page">
      <header className="page-header row">
        <div>
          <p className="breadcrumb">
            <Link to="/jobs">Jobs</Link> /
          </p>
          <h1>
            Job <span className="mono">{shortId(id)}</span> {job && <StatusBadge status={job.status} />}
          </h1>
          {job && (
            <p className="muted">
              {job.kind === 'TUNE' ? 'Tuning' : 'Final training'} · {job.executor === 'HF_JOBS' ? 'Hugging Face Jobs' : 'local process'} · {job.flavor}
              {job.quick ? ' · quick' : ''} · created {formatDateTime(job.createdAt)}
            </p>
          )}
        </div>
        <div className="header-actions">
          {job?.kind === 'TUNE' && <Link to={`/leaderboard?job=${id}`} className="button">Leaderboard</Link>}
          {job && ACTIVE_STATUSES.has(job.status) && (
            <button type="button" className="danger" onClick={() => setStopOpen(true)} disabled={job.stopRequested}>
              {job.stopRequested ? 'Stopping…' : 'Stop job'}
            </button>
          )}
        </div>
      </header>

      <ErrorBanner error={stopError} title="The job was not stopped" />
      {job?.error && (
        <div className={`banner ${job.status === 'STOPPED' ? 'info' : 'error'}`} role="status">
          <strong>{job.status === 'STOPPED' ? 'Stopped' : job.status === 'LOST' ? 'Lost' : 'Failed'}</strong> {job.error}
          {job.exitCode != null && <span className="muted"> (exit code {job.exitCode}{job.signal ? `, ${job.signal}` : ''})</span>}
        </div>
      )}

      {job && (
        <section className="stats" aria-label="Job state">
          <div className="stat">
            <span className="stat-label">Trials</span>
            {job.kind === 'TUNE' ? <ProgressBar done={job.trialsDone} total={job.trials} label="Trials done" /> : <span className="stat-value">—</span>}
          </div>
          <div className="stat">
            <span className="stat-label">Duration</span>
            <span className="stat-value">{formatDuration(liveDuration(job, now))}</span>
          </div>
          <div className="stat">
            <span className="stat-label">CPU</span>
            <span className="stat-value">{ACTIVE_STATUSES.has(job.status) ? formatPercent(job.cpuPercent) : '—'}</span>
            <span className="stat-sub">peak {formatPercent(job.peakCpuPercent)}</span>
          </div>
          <div className="stat">
            <span className="stat-label">Memory (RSS)</span>
            <span className="stat-value">{ACTIVE_STATUSES.has(job.status) ? formatBytes(job.rssBytes) : '—'}</span>
            <span className="stat-sub">peak {formatBytes(job.peakRssBytes)}</span>
          </div>
          <div className="stat">
            <span className="stat-label">Exit</span>
            <span className="stat-value">{job.exitCode ?? '—'}</span>
            {job.signal && <span className="stat-sub">{job.signal}</span>}
          </div>
        </section>
      )}

      <JobCharts jobId={id} resources={samples} />

      <section className="card" aria-labelledby="logs-heading">
        <h2 id="logs-heading">Logs</h2>
        <JobLogs jobId={id} />
      </section>

      {data && (
        <details className="card details">
          <summary>Run details</summary>
          <dl className="kv">
            <dt>Command</dt>
            <dd>
              <code className="wrap">{data.job.command.map((arg) => (/\s/.test(arg) ? JSON.stringify(arg) : arg)).join(' ')}</code>
            </dd>
            <dt>Working directory</dt>
            <dd className="mono">{data.job.cwd ?? '—'}</dd>
            <dt>Output directory</dt>
            <dd className="mono">{data.job.outputDir ?? '—'}</dd>
            <dt>Git commit</dt>
            <dd className="mono">{data.job.gitCommit ?? '—'}</dd>
            <dt>Host / PID</dt>
            <dd className="mono">
              {data.job.host ?? '—'} / {data.job.pid ?? '—'}
            </dd>
            <dt>Attempt</dt>
            <dd>
              {data.job.attempt} (max retries {data.job.maxRetries})
            </dd>
            <dt>Started / finished</dt>
            <dd>
              {formatDateTime(data.job.startedAt)} / {formatDateTime(data.job.finishedAt)}
            </dd>
            <dt>Arguments</dt>
            <dd>
              <code className="wrap">{formatValue(data.job.args)}</code>
            </dd>
          </dl>
        </details>
      )}

      {stopOpen && (
        <ConfirmDialog title={`Stop job ${shortId(id)}?`} confirmLabel="Stop job" danger busy={stopState.fetching} onConfirm={confirmStop} onCancel={() => setStopOpen(false)}>
          <p>Every process of the job gets SIGTERM, then SIGKILL after the grace period. Trials not finished yet are lost.</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function JobLogs({ jobId }: { jobId: string }) {
  const logs = useJobLogs(jobId);
  const status = { loading: 'Loading history…', live: 'Streaming live', ended: 'The job has ended: all lines shown', error: 'Stream failed' }[logs.state];
  return (
    <>
      <ErrorBanner error={logs.error} />
      <LogConsole
        lines={logs.lines}
        version={logs.version}
        hasEarlier={logs.hasEarlier}
        loadingEarlier={logs.loadingEarlier}
        onLoadEarlier={logs.loadEarlier}
        status={status}
        height="max(360px, calc(100vh - 220px))"
      />
    </>
  );
}

function JobCharts({ jobId, resources }: { jobId: string; resources: { cpu: ChartPoint[]; rss: ChartPoint[] } }) {
  const { series, downsampledFrom, version } = useJobMetrics(jobId);
  const pick = (names: (keyof typeof series)[]): ChartSeries[] =>
    names.filter((name) => series[name].length).map((name) => ({ label: name, color: COLORS[name], points: series[name] }));
  // Rebuilt only when points arrive, not on every render of the page.
  const charts = useMemo(
    () => ({
      loss: pick(['loss', 'train_loss', 'val_loss']),
      learningRate: pick(['learning_rate']),
      accuracy: pick(['accuracy', 'val_accuracy']),
    }),
    [series, version],
  );
  const resourceSeries = useMemo<ChartSeries[]>(
    () => [
      { label: 'CPU', color: COLORS.cpu, points: resources.cpu, scale: '%', format: formatPercent },
      { label: 'RSS', color: COLORS.rss, points: resources.rss, scale: 'bytes', format: (v) => `${(v / 2 ** 20).toFixed(1)} MiB` },
    ],
    [resources],
  );
  const sampledNote = Object.entries(downsampledFrom)
    .map(([name, total]) => `${name}: ${total} points`)
    .join(', ');
  return (
    <section className="charts" aria-label="Metrics">
      <MetricChart title="Loss" series={charts.loss} version={version} xLabel="log line" empty="No loss reported yet" />
      <MetricChart title="Learning rate" series={charts.learningRate} version={version} xLabel="log line" empty="No learning rate reported yet" />
      {charts.accuracy.length > 0 && <MetricChart title="Accuracy" series={charts.accuracy} version={version} xLabel="log line" />}
      <MetricChart title="CPU and memory" series={resourceSeries} timeAxis empty="Sampled while the job runs and this page is open" />
      {sampledNote && <p className="muted small-text chart-note">History downsampled (first, last, min and max per bucket) from {sampledNote}.</p>}
    </section>
  );
}
