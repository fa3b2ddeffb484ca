// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { LeaderboardTable, rankRows, type LeaderboardRow } from '../../src/components/leaderboard-table.tsx';

afterEach(cleanup);

const row = (number: number, score: number | null, params: Record<string, unknown>, extra: Partial<LeaderboardRow> = {}): LeaderboardRow => ({
  id: `t${number}`,
  number,
  score,
  params,
  source: 'LOCAL',
  jobId: '11111111-2222-3333-4444-555555555555',
  createdAt: '2026-01-01T12:00:00.000Z',
  ...extra,
});

const ROWS = [
  row(0, 0.52, { learning_rate: 0.01, batch_size: 32 }),
  row(1, 0.31, { learning_rate: 0.003, batch_size: 64 }),
  row(2, 0.44, { learning_rate: 0.03, batch_size: 16, dropout: 0.2 }, { source: 'HUB' }),
  row(3, null, { learning_rate: 0.1, batch_size: 8 }, { error: 'invalid trial file' }),
];

const trialOrder = () => [...document.querySelectorAll('tbody tr')].map((tr) => Number(tr.getAttribute('data-trial')));
const headers = () => screen.getAllByRole('columnheader').map((th) => th.textContent?.replace(/[▲▼↕]/g, '').trim());

describe('LeaderboardTable', () => {
  it('ranks by score in the metric direction, best first, failed trials last and unranked', () => {
    render(<LeaderboardTable rows={ROWS} paramNames={['learning_rate', 'batch_size']} direction="MINIMIZE" metric="val_loss" />);
    expect(trialOrder()).toEqual([1, 2, 0, 3]);
    expect(rankRows(ROWS, 'MAXIMIZE').get('t0')).toBe(1);
    expect(document.querySelector('tr.best')?.getAttribute('data-trial')).toBe('1');
  });

  it('shows the params as columns: the named ones in order, then any other', () => {
    render(<LeaderboardTable rows={ROWS} paramNames={['learning_rate', 'batch_size']} direction="MINIMIZE" metric="val_loss" />);
    expect(headers()).toEqual(['Rank', 'Trial', 'Score: val_loss', 'learning_rate', 'batch_size', 'dropout', 'Source', 'Job', 'Created']);
    const trial2 = document.querySelector('tr[data-trial="2"]') as HTMLElement;
    expect(within(trial2).getByText('0.2')).toBeTruthy();
    expect(within(trial2).getByText('hub')).toBeTruthy();
    expect(within(document.querySelector('tr[data-trial="0"]') as HTMLElement).getAllByText('—').length).toBeGreaterThan(0);
  });

  it('sorts by any column, toggling the direction and saying so with aria-sort', () => {
    render(<LeaderboardTable rows={ROWS} paramNames={['learning_rate', 'batch_size']} direction="MINIMIZE" metric="val_loss" />);
    const batch = screen.getByRole('button', { name: /batch_size/ });
    fireEvent.click(batch);
    expect(trialOrder()).toEqual([3, 2, 0, 1]);
    expect(batch.closest('th')?.getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(batch);
    expect(trialOrder()).toEqual([1, 0, 2, 3]);
    expect(batch.closest('th')?.getAttribute('aria-sort')).toBe('descending');

    fireEvent.click(screen.getByRole('button', { name: /Score/ }));
    expect(trialOrder()).toEqual([1, 2, 0, 3]);
    fireEvent.click(screen.getByRole('button', { name: /Score/ }));
    // Missing scores stay last whichever way.
    expect(trialOrder()).toEqual([0, 2, 1, 3]);
  });

  it('sorts higher-is-better metrics descending first', () => {
    render(<LeaderboardTable rows={ROWS} direction="MAXIMIZE" metric="accuracy" />);
    fireEvent.click(screen.getByRole('button', { name: /Score/ }));
    expect(trialOrder()).toEqual([0, 2, 1, 3]);
  });

  it('promotes a scored trial; a failed one cannot be promoted', () => {
    const promoted: number[] = [];
    render(<LeaderboardTable rows={ROWS} direction="MINIMIZE" onPromote={(r) => promoted.push(r.number)} />);
    fireEvent.click(screen.getByRole('button', { name: 'Promote trial #1' }));
    expect(promoted).toEqual([1]);
    expect((screen.getByRole('button', { name: 'Promote trial #3' }) as HTMLButtonElement).disabled).toBe(true);
  });
});
