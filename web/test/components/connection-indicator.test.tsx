// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionIndicator } from '../../src/components/connection-indicator.tsx';
import type { ConnectionStatus } from '../../src/api/live-transport.ts';

afterEach(cleanup);

const status = (patch: Partial<ConnectionStatus>): ConnectionStatus => ({ state: 'live', mode: 'websocket', fellBack: false, failures: 0, retryAt: null, detail: null, ...patch });

function renderIndicator(value: ConnectionStatus) {
  const calls = { retry: 0, token: 0 };
  render(<ConnectionIndicator status={value} onRetry={() => calls.retry++} onSetToken={() => calls.token++} />);
  return calls;
}

describe('ConnectionIndicator', () => {
  it.each([
    { value: status({}), label: 'Live', mode: 'WebSocket' },
    { value: status({ mode: 'sse', fellBack: true }), label: 'Live', mode: 'SSE (WebSocket unavailable)' },
    { value: status({ mode: 'sse' }), label: 'Live', mode: 'SSE' },
    { value: status({ state: 'idle' }), label: 'Idle', mode: 'WebSocket' },
    { value: status({ state: 'connecting' }), label: 'Connecting…', mode: 'WebSocket' },
  ])('says $label over $mode', ({ value, label, mode }) => {
    renderIndicator(value);
    const region = screen.getByRole('status');
    expect(region.getAttribute('aria-live')).toBe('polite');
    expect(region.textContent).toBe(`${label}${mode}`);
    expect(screen.queryByRole('button')).toBeNull();
  });

  it('counts down to the next attempt while reconnecting, and retries on demand', () => {
    const calls = renderIndicator(status({ state: 'reconnecting', failures: 2, retryAt: Date.now() + 4_200, detail: 'WebSocket closed (1006)' }));
    expect(screen.getByRole('status').textContent).toContain('Reconnecting in 5 s');
    expect(screen.getByText('WebSocket closed (1006)')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Retry now' }));
    expect(calls.retry).toBe(1);
  });

  it('says when the server cannot be reached at all', () => {
    renderIndicator(status({ state: 'offline', retryAt: Date.now() + 900 }));
    expect(screen.getByRole('status').textContent).toContain('Offline, retry in 1 s');
    expect(document.querySelector('.connection')?.className).toContain('tone-bad');
  });

  it('asks for a token when the server refuses the connection', () => {
    const calls = renderIndicator(status({ state: 'unauthorized', detail: 'Unauthenticated' }));
    expect(screen.getByRole('status').textContent).toContain('Token needed');
    fireEvent.click(screen.getByRole('button', { name: 'Set token' }));
    expect(calls.token).toBe(1);
  });
});
