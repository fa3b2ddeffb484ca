import { useEffect, useMemo } from 'react';
import { Provider as UrqlProvider } from 'urql';
import { createApiClient, createLiveTransport } from './api/client.ts';
import { JobFeedProvider, useActiveJobCount } from './api/job-feed.tsx';
import { TransportProvider, useConnectionStatus, useTransport } from './api/live.tsx';
import type { LiveTransport } from './api/live-transport.ts';
import { tokenStore } from './api/token.ts';
import { ConnectionIndicator } from './components/connection-indicator.tsx';
import { openTokenDialog, TokenDialog } from './components/token-dialog.tsx';
import { useStore } from './lib/store.ts';
import { Link, matchPath, navigate, useLocation } from './lib/router.tsx';
import { AnalyzePage } from './pages/analyze-page.tsx';
import { DiagnosticsPage } from './pages/diagnostics-page.tsx';
import { JobPage } from './pages/jobs/job-page.tsx';
import { JobsPage } from './pages/jobs/jobs-page.tsx';
import { LeaderboardPage } from './pages/leaderboard-page.tsx';
import { ModelsPage } from './pages/models-page.tsx';
import { SyncPage } from './pages/sync-page.tsx';

const NAV = [
  { to: '/jobs', label: 'Jobs' },
  { to: '/leaderboard', label: 'Leaderboard' },
  { to: '/models', label: 'Models & runs' },
  { to: '/analyze', label: 'Analyze' },
  { to: '/sync', label: 'Hub sync' },
  { to: '/diagnostics', label: 'Diagnostics' },
];

function Routes() {
  const { path } = useLocation();
  useEffect(() => {
    if (path === '/' || path === '') navigate('/jobs', { replace: true });
  }, [path]);
  const job = matchPath('/jobs/:id', path);
  if (job) return <JobPage key={job.id} id={job.id} />;
  switch (path) {
    case '/':
    case '/jobs':
      return <JobsPage />;
    case '/leaderboard':
      return <LeaderboardPage />;
    case '/models':
      return <ModelsPage />;
    case '/analyze':
      return <AnalyzePage />;
    case '/sync':
      return <SyncPage />;
    case '/diagnostics':
      return <DiagnosticsPage />;
    default:
      return (
        <div className="page">
          <h1>Not found</h1>
          <p>
            Nothing lives at <code>{path}</code>. <Link to="/jobs">Go to jobs</Link>.
          </p>
        </div>
      );
  }
}

function Sidebar() {
  const { path } = useLocation();
  const active = useActiveJobCount();
  const transport = useTransport();
  const status = useConnectionStatus();
  const token = useStore(tokenStore);
  return (
    <nav className="sidebar" aria-label="Main">
      <Link to="/jobs" className="brand">
        <span className="brand-mark" aria-hidden="true">◆</span> Anana
        <span className="brand-sub">control plane</span>
      </Link>
      <ul className="nav-list">
        {NAV.map((item) => {
          const current = path === item.to || path.startsWith(`${item.to}/`);
          return (
            <li key={item.to}>
              <Link to={item.to} aria-current={current ? 'page' : undefined} className="nav-link">
                {item.label}
                {item.to === '/jobs' && active > 0 && (
                  <span className="nav-count" title={`${active} queued or running`}>
                    {active}
                  </span>
                )}
              </Link>
            </li>
          );
        })}
      </ul>
      <div className="sidebar-footer">
        <ConnectionIndicator status={status} onRetry={() => transport.retryNow()} onSetToken={openTokenDialog} />
        <button type="button" className="token-button" onClick={openTokenDialog}>
          {token ? 'API token: set' : 'Set API token'}
        </button>
        <a href="/graphql" target="_blank" rel="noreferrer" className="muted small-text">
          GraphiQL ↗
        </a>
      </div>
    </nav>
  );
}

export function App({ transport }: { transport?: LiveTransport }) {
  const live = useMemo(() => transport ?? createLiveTransport(), [transport]);
  const client = useMemo(() => createApiClient(live), [live]);
  return (
    <TransportProvider transport={live}>
      <UrqlProvider value={client}>
        <JobFeedProvider>
          <a href="#main" className="skip-link">
            Skip to content
          </a>
          <div className="shell">
            <Sidebar />
            <main id="main" tabIndex={-1}>
              <Routes />
            </main>
          </div>
          <TokenDialog />
        </JobFeedProvider>
      </UrqlProvider>
    </TransportProvider>
  );
}
