import type { ConnectionStatus } from '../api/live-transport.ts';
import { useNow } from '../lib/use-now.ts';

interface ConnectionIndicatorProps {
  status: ConnectionStatus;
  onRetry(): void;
  onSetToken(): void;
}

function describe(status: ConnectionStatus, now: number): { tone: string; label: string } {
  const wait = status.retryAt ? Math.max(0, Math.ceil((status.retryAt - now) / 1000)) : null;
  switch (status.state) {
    case 'live':
      return { tone: 'ok', label: 'Live' };
    case 'idle':
      return { tone: 'idle', label: 'Idle' };
    case 'connecting':
      return { tone: 'warn', label: 'Connecting…' };
    case 'reconnecting':
      return { tone: 'warn', label: wait === null ? 'Reconnecting…' : `Reconnecting in ${wait} s` };
    case 'offline':
      return { tone: 'bad', label: wait === null ? 'Offline' : `Offline, retry in ${wait} s` };
    case 'unauthorized':
      return { tone: 'bad', label: 'Token needed' };
  }
}

/** Says whether live updates flow, over what, and offers the way out when they do not. */
export function ConnectionIndicator({ status, onRetry, onSetToken }: ConnectionIndicatorProps) {
  const now = useNow(1000, status.retryAt !== null);
  const { tone, label } = describe(status, now);
  const mode = status.mode === 'sse' ? (status.fellBack ? 'SSE (WebSocket unavailable)' : 'SSE') : 'WebSocket';
  return (
    <div className={`connection tone-${tone}`} data-state={status.state} data-mode={status.mode}>
      <div role="status" aria-live="polite" title={status.detail ?? undefined} className="connection-text">
        <span className="dot" aria-hidden="true" />
        <span className="connection-label">{label}</span>
        <span className="connection-mode">{mode}</span>
      </div>
      {(status.state === 'reconnecting' || status.state === 'offline') && (
        <button type="button" className="small" onClick={onRetry}>
          Retry now
        </button>
      )}
      {status.state === 'unauthorized' && (
        <button type="button" className="small" onClick={onSetToken}>
          Set token
        </button>
      )}
      {status.detail && status.state !== 'live' && <p className="connection-detail">{status.detail}</p>}
    </div>
  );
}
