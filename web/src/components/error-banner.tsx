import type { ApiError } from '../api/errors.ts';
import { isMissingApi } from '../api/errors.ts';
import { openTokenDialog } from './token-dialog.tsx';

const TITLES: Record<string, string> = {
  NOT_FOUND: 'Not found',
  INVALID_INPUT: 'Invalid input',
  CONFLICT: 'Conflict',
  UNAUTHENTICATED: 'API token required',
  MODEL_UNAVAILABLE: 'Model unavailable',
  PAYLOAD_TOO_LARGE: 'File too large',
  NOT_CONFIGURED: 'Not configured',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported file type',
  NETWORK: 'Server unreachable',
};

/** An API error with its code as a title, and what to do where the console knows. */
export function ErrorBanner({ error, title, what }: { error: ApiError | undefined; title?: string; what?: string }) {
  if (!error) return null;
  if (isMissingApi(error)) {
    return (
      <div className="banner info" role="status">
        <strong>Not available on this server yet.</strong> {what ? `${what} needs` : 'This page needs'} a part of the API the server does not provide
        yet. <span className="muted">({error.message})</span>
      </div>
    );
  }
  return (
    <div className="banner error" role="alert">
      <strong>{title ?? TITLES[error.code ?? ''] ?? 'Error'}</strong>
      {error.code && <code className="code-tag">{error.code}</code>} {error.message}
      {error.code === 'UNAUTHENTICATED' && (
        <button type="button" className="link-button" onClick={openTokenDialog}>
          Set API token
        </button>
      )}
    </div>
  );
}
