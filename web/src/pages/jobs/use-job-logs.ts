import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { fromCombinedError, type ApiError } from '../../api/errors.ts';
import { useLiveSubscription } from '../../api/live.tsx';
import type { ConsoleLine } from '../../components/log-console.tsx';
import { graphql } from '../../gql';

const LogTailQuery = graphql(`
  query JobLogTail($jobId: ID!, $beforeSeq: Int, $first: Int) {
    logs(jobId: $jobId, beforeSeq: $beforeSeq, first: $first, tail: true) {
      hasMore
      firstSeq
      lastSeq
      lines {
        seq
        stream
        level
        text
        time
      }
    }
  }
`);

const LogStreamSubscription = graphql(`
  subscription JobLogStream($jobId: ID!, $afterSeq: Int) {
    jobLogs(jobId: $jobId, afterSeq: $afterSeq) {
      lastSeq
      done
      lines {
        seq
        stream
        level
        text
        time
      }
    }
  }
`);

const PAGE_LINES = 2_000;
/** Lines kept in the browser; older ones are dropped and can be loaded again. */
export const MAX_BUFFERED_LINES = 200_000;

export type LogStreamState = 'loading' | 'live' | 'ended' | 'error';

/**
 * The lines of a job: the tail from `logs` on open, then `jobLogs` from the last seq seen, which
 * is also where a reconnect resumes, so no line is missed or shown twice.
 */
export function useJobLogs(jobId: string) {
  const client = useClient();
  const buffer = useRef<ConsoleLine[]>([]);
  const lastSeq = useRef(0);
  const [version, setVersion] = useState(0);
  const [startAfter, setStartAfter] = useState<number | null>(null);
  const [hasEarlier, setHasEarlier] = useState(false);
  const [loadingEarlier, setLoadingEarlier] = useState(false);
  const [state, setState] = useState<LogStreamState>('loading');
  const [error, setError] = useState<ApiError>();
  const frame = useRef<ReturnType<typeof setTimeout> | null>(null);

  // One render per animation frame at most, however many batches arrive.
  const repaint = useCallback(() => {
    if (frame.current !== null) return;
    frame.current = setTimeout(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    }, 16);
  }, []);
  useEffect(() => () => clearTimeout(frame.current ?? undefined), []);

  useEffect(() => {
    let cancelled = false;
    void client
      .query(LogTailQuery, { jobId, first: PAGE_LINES }, { requestPolicy: 'network-only' })
      .toPromise()
      .then((result) => {
        if (cancelled) return;
        if (!result.data) {
          setError(fromCombinedError(result.error));
          setState('error');
          return;
        }
        buffer.current = [...result.data.logs.lines];
        lastSeq.current = result.data.logs.lastSeq ?? 0;
        setHasEarlier(result.data.logs.hasMore);
        setStartAfter(lastSeq.current);
        setVersion((v) => v + 1);
      });
    return () => {
      cancelled = true;
    };
  }, [client, jobId]);

  useLiveSubscription(LogStreamSubscription, startAfter === null ? null : { jobId, afterSeq: startAfter }, {
    onData: ({ jobLogs: batch }) => {
      const fresh = batch.lines.filter((line) => line.seq > lastSeq.current);
      if (fresh.length) {
        buffer.current.push(...fresh);
        if (buffer.current.length > MAX_BUFFERED_LINES) {
          buffer.current = buffer.current.slice(buffer.current.length - MAX_BUFFERED_LINES);
          setHasEarlier(true);
        }
        repaint();
      }
      lastSeq.current = Math.max(lastSeq.current, batch.lastSeq);
      setState(batch.done ? 'ended' : 'live');
    },
    onError: (failure) => {
      setError(failure);
      setState('error');
    },
    onComplete: () => setState((current) => (current === 'error' ? current : 'ended')),
    resume: (variables) => ({ ...variables, afterSeq: lastSeq.current }),
  });

  const loadEarlier = useCallback(async () => {
    const first = buffer.current[0];
    if (!first) return;
    setLoadingEarlier(true);
    const result = await client.query(LogTailQuery, { jobId, beforeSeq: first.seq, first: PAGE_LINES }, { requestPolicy: 'network-only' }).toPromise();
    setLoadingEarlier(false);
    if (!result.data) return setError(fromCombinedError(result.error));
    buffer.current = [...result.data.logs.lines, ...buffer.current];
    setHasEarlier(result.data.logs.hasMore);
    setVersion((v) => v + 1);
  }, [client, jobId]);

  return { lines: buffer.current, version, hasEarlier, loadingEarlier, loadEarlier, state, error };
}
