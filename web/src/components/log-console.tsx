import { useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { formatClock } from '../lib/format.ts';

export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
export const LOG_LEVELS: readonly LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];

export interface ConsoleLine {
  seq: number;
  stream: 'STDOUT' | 'STDERR' | 'SYSTEM';
  level: LogLevel;
  text: string;
  time: string;
}

export const ROW_HEIGHT = 20;
/** Closer to the bottom than this counts as "at the bottom", so rounding never stops following. */
const BOTTOM_SLACK = ROW_HEIGHT * 1.5;

interface FilterCache {
  lines: readonly ConsoleLine[];
  key: string;
  firstSeq: number | undefined;
  processed: number;
  indices: number[];
  counts: Record<LogLevel, number>;
}

/**
 * Indices of the lines that pass the filter, extended incrementally as lines are appended
 * (a 100,000-line buffer is not rescanned for every live batch); rebuilt when the filter changes
 * or earlier lines are prepended.
 */
function useFilter(lines: readonly ConsoleLine[], version: unknown, levels: ReadonlySet<LogLevel>, search: string) {
  const cache = useRef<FilterCache | null>(null);
  const key = `${[...levels].sort().join(',')}|${search.toLowerCase()}`;
  return useMemo(() => {
    let current = cache.current;
    if (!current || current.lines !== lines || current.key !== key || current.firstSeq !== lines[0]?.seq || current.processed > lines.length) {
      current = { lines, key, firstSeq: lines[0]?.seq, processed: 0, indices: [], counts: { DEBUG: 0, INFO: 0, WARNING: 0, ERROR: 0 } };
    }
    const needle = search.toLowerCase();
    const indices = current.indices.slice();
    const counts = { ...current.counts };
    for (let i = current.processed; i < lines.length; i++) {
      const line = lines[i];
      counts[line.level]++;
      if (levels.has(line.level) && (!needle || line.text.toLowerCase().includes(needle))) indices.push(i);
    }
    cache.current = { ...current, processed: lines.length, indices, counts };
    return { indices, counts };
    // `version` stands for in-place appends to `lines`.
  }, [lines, version, key]);
}

function Highlighted({ text, needle }: { text: string; needle: string }) {
  if (!needle) return <>{text}</>;
  const lower = text.toLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    parts.push(text.slice(from, at), <mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return <>{parts}</>;
}

export interface LogConsoleProps {
  lines: readonly ConsoleLine[];
  /** Changes when `lines` grew in place. */
  version?: unknown;
  hasEarlier?: boolean;
  loadingEarlier?: boolean;
  onLoadEarlier?(): void;
  /** What the stream is doing ("following live", "job ended", ...). */
  status?: ReactNode;
  height?: number | string;
}

/**
 * A virtualised log viewer: level filter, case-insensitive search, stream colouring, and
 * auto-scroll that follows the tail until the user scrolls up, then offers "Jump to latest".
 */
export function LogConsole({ lines, version, hasEarlier, loadingEarlier, onLoadEarlier, status, height = 420 }: LogConsoleProps) {
  const [levels, setLevels] = useState<ReadonlySet<LogLevel>>(() => new Set(LOG_LEVELS));
  const [search, setSearch] = useState('');
  const [follow, setFollow] = useState(true);
  const [seenCount, setSeenCount] = useState(0);
  const viewport = useRef<HTMLDivElement>(null);
  const { indices, counts } = useFilter(lines, version, levels, search);
  const needle = search.toLowerCase();

  const virtualizer = useVirtualizer({
    count: indices.length,
    getScrollElement: () => viewport.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });

  const anchor = useRef({ firstSeq: lines[0]?.seq, filtered: indices.length });
  useLayoutEffect(() => {
    const element = viewport.current;
    const previous = anchor.current;
    anchor.current = { firstSeq: lines[0]?.seq, filtered: indices.length };
    if (!element) return;
    if (follow) {
      element.scrollTop = element.scrollHeight;
    } else if (previous.firstSeq !== undefined && lines[0] !== undefined && lines[0].seq < previous.firstSeq) {
      // Earlier lines were prepended: keep the same lines in view.
      element.scrollTop += (indices.length - previous.filtered) * ROW_HEIGHT;
    }
  }, [indices.length, follow, lines]);

  const onScroll = () => {
    const element = viewport.current;
    if (!element) return;
    const atBottom = element.scrollHeight - element.scrollTop - element.clientHeight <= BOTTOM_SLACK;
    if (atBottom !== follow) {
      setFollow(atBottom);
      if (!atBottom) setSeenCount(indices.length);
    }
  };

  const jumpToLatest = () => {
    setFollow(true);
    const element = viewport.current;
    if (element) element.scrollTop = element.scrollHeight;
  };

  const toggleLevel = (level: LogLevel) => {
    const next = new Set(levels);
    if (next.has(level)) next.delete(level);
    else next.add(level);
    setLevels(next);
  };

  const unseen = follow ? 0 : Math.max(0, indices.length - seenCount);

  return (
    <section className="log-console" aria-label="Log console">
      <div className="log-toolbar">
        <div className="level-filter" role="group" aria-label="Levels">
          {LOG_LEVELS.map((level) => (
            <button key={level} type="button" className={`level-toggle level-${level.toLowerCase()}`} aria-pressed={levels.has(level)} onClick={() => toggleLevel(level)}>
              {level} <span className="count">{counts[level]}</span>
            </button>
          ))}
        </div>
        <label className="log-search">
          <span className="visually-hidden">Search log lines</span>
          <input type="search" placeholder="Search lines…" value={search} onChange={(event) => setSearch(event.target.value)} />
        </label>
        {hasEarlier && (
          <button type="button" className="small" onClick={onLoadEarlier} disabled={loadingEarlier}>
            {loadingEarlier ? 'Loading…' : 'Load earlier lines'}
          </button>
        )}
        <span className="log-count">
          {indices.length === lines.length ? `${lines.length} lines` : `${indices.length} of ${lines.length} lines`}
        </span>
      </div>
      <div className="log-frame" style={{ height }}>
        <div ref={viewport} className="log-viewport" data-testid="log-viewport" tabIndex={0} role="region" aria-label="Log lines" onScroll={onScroll}>
          <div className="log-rows" style={{ height: virtualizer.getTotalSize() }}>
            {virtualizer.getVirtualItems().map((item) => {
              const line = lines[indices[item.index]];
              return (
                <div
                  key={line.seq}
                  className={`log-row stream-${line.stream.toLowerCase()} level-${line.level.toLowerCase()}`}
                  data-seq={line.seq}
                  style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                >
                  <span className="log-seq">{line.seq}</span>
                  <span className="log-time">{formatClock(line.time)}</span>
                  <span className="log-level">{line.level}</span>
                  <span className="log-text">
                    <Highlighted text={line.text} needle={needle} />
                  </span>
                </div>
              );
            })}
          </div>
          {!lines.length && <p className="log-empty">No lines yet.</p>}
          {lines.length > 0 && !indices.length && <p className="log-empty">No line matches the filter.</p>}
        </div>
        {!follow && (
          <button type="button" className="jump-latest" onClick={jumpToLatest}>
            Jump to latest{unseen ? ` (${unseen} new)` : ''}
          </button>
        )}
      </div>
      <div className="log-status">
        <span>{follow ? 'Following the latest lines' : 'Paused: scrolled up'}</span>
        {status && <span>{status}</span>}
      </div>
    </section>
  );
}
