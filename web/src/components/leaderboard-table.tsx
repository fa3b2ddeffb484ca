import { useMemo, useState } from 'react';
import { Link } from '../lib/router.tsx';
import { formatRelative, formatValue, shortId } from '../lib/format.ts';

export interface LeaderboardRow {
  id: string;
  number: number;
  params: unknown;
  score?: number | null;
  metric?: string | null;
  source: string;
  jobId?: string | null;
  error?: string | null;
  createdAt: string;
}

type SortKey = 'rank' | 'number' | 'score' | 'source' | 'createdAt' | `param:${string}`;
type SortDirection = 'asc' | 'desc';

function paramsOf(row: LeaderboardRow): Record<string, unknown> {
  return row.params && typeof row.params === 'object' && !Array.isArray(row.params) ? (row.params as Record<string, unknown>) : {};
}

export function isMaximize(direction: string | null | undefined): boolean {
  return /^max/i.test(direction ?? '');
}

/** Numbers before strings, missing values last whatever the direction. */
function compareValues(a: unknown, b: unknown): number {
  const missingA = a === null || a === undefined;
  const missingB = b === null || b === undefined;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return String(typeof a === 'object' ? JSON.stringify(a) : a).localeCompare(String(typeof b === 'object' ? JSON.stringify(b) : b), undefined, { numeric: true });
}

/** Rank 1 is the best score for the metric's direction; failed or unscored trials get no rank. */
export function rankRows(rows: readonly LeaderboardRow[], direction: string | null | undefined): Map<string, number> {
  const scored = rows.filter((row) => typeof row.score === 'number' && !row.error);
  scored.sort((a, b) => (isMaximize(direction) ? b.score! - a.score! : a.score! - b.score!));
  return new Map(scored.map((row, index) => [row.id, index + 1]));
}

interface LeaderboardTableProps {
  rows: readonly LeaderboardRow[];
  paramNames?: readonly string[];
  direction?: string | null;
  metric?: string | null;
  onPromote?(row: LeaderboardRow): void;
  /** Rows that just arrived live, shown highlighted. */
  freshIds?: ReadonlySet<string>;
  /** Leave out the job column (the table shows one job). */
  hideJob?: boolean;
}

export function LeaderboardTable({ rows, paramNames, direction, metric, onPromote, freshIds, hideJob }: LeaderboardTableProps) {
  const [sort, setSort] = useState<{ key: SortKey; direction: SortDirection }>({ key: 'rank', direction: 'asc' });
  const columns = useMemo(() => {
    const named = paramNames ?? [];
    const extra = [...new Set(rows.flatMap((row) => Object.keys(paramsOf(row))))].filter((name) => !named.includes(name)).sort();
    return [...named, ...extra];
  }, [paramNames, rows]);
  const ranks = useMemo(() => rankRows(rows, direction), [rows, direction]);

  const sorted = useMemo(() => {
    const valueOf = (row: LeaderboardRow): unknown => {
      if (sort.key === 'rank') return ranks.get(row.id);
      if (sort.key.startsWith('param:')) return paramsOf(row)[sort.key.slice(6)];
      return row[sort.key as 'number' | 'score' | 'source' | 'createdAt'];
    };
    const sign = sort.direction === 'asc' ? 1 : -1;
    return [...rows].sort((a, b) => {
      const va = valueOf(a);
      const vb = valueOf(b);
      if (va === null || va === undefined || vb === null || vb === undefined) return compareValues(va, vb);
      return sign * compareValues(va, vb) || a.number - b.number;
    });
  }, [rows, sort, ranks]);

  const header = (key: SortKey, label: string, className?: string) => {
    const active = sort.key === key;
    const ariaSort = active ? (sort.direction === 'asc' ? 'ascending' : 'descending') : 'none';
    const toggle = () => setSort(active ? { key, direction: sort.direction === 'asc' ? 'desc' : 'asc' } : { key, direction: key === 'score' && isMaximize(direction) ? 'desc' : 'asc' });
    return (
      <th key={key} scope="col" aria-sort={ariaSort} className={className}>
        <button type="button" className="sort-button" onClick={toggle}>
          {label}
          <span className="sort-mark" aria-hidden="true">
            {active ? (sort.direction === 'asc' ? '▲' : '▼') : '↕'}
          </span>
        </button>
      </th>
    );
  };

  return (
    <div className="table-scroll">
      <table className="data-table leaderboard">
        <thead>
          <tr>
            {header('rank', 'Rank', 'num')}
            {header('number', 'Trial', 'num')}
            {header('score', metric ? `Score: ${metric}` : 'Score', 'num')}
            {columns.map((name) => header(`param:${name}`, name, 'num'))}
            {header('source', 'Source')}
            {!hideJob && <th scope="col">Job</th>}
            {header('createdAt', 'Created')}
            {onPromote && <th scope="col"><span className="visually-hidden">Actions</span></th>}
          </tr>
        </thead>
        <tbody>
          {sorted.map((row) => {
            const params = paramsOf(row);
            const rank = ranks.get(row.id);
            return (
              <tr key={row.id} className={[rank === 1 ? 'best' : '', freshIds?.has(row.id) ? 'fresh' : '', row.error ? 'failed' : ''].join(' ').trim() || undefined} data-trial={row.number}>
                <td className="num">{rank ?? '—'}</td>
                <td className="num">#{row.number}</td>
                <td className="num strong" title={row.error ?? undefined}>
                  {row.error ? <span className="text-bad">failed</span> : formatValue(row.score)}
                </td>
                {columns.map((name) => (
                  <td key={name} className="num">
                    {formatValue(params[name])}
                  </td>
                ))}
                <td>
                  <span className={`badge source-${row.source.toLowerCase()}`}>{row.source === 'HUB' ? 'hub' : 'local'}</span>
                </td>
                {!hideJob && <td>{row.jobId ? <Link to={`/jobs/${row.jobId}`}>{shortId(row.jobId)}</Link> : '—'}</td>}
                <td title={row.createdAt}>{formatRelative(row.createdAt)}</td>
                {onPromote && (
                  <td>
                    <button type="button" className="small" onClick={() => onPromote(row)} disabled={!!row.error || typeof row.score !== 'number'} aria-label={`Promote trial #${row.number}`}>
                      Promote
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {!rows.length && <p className="empty">No trials yet. Trials appear here as tuning jobs write them.</p>}
    </div>
  );
}
