import { useCallback, useEffect, useRef, useState } from 'react';
import { useClient } from 'urql';
import { useLiveSubscription } from '../../api/live.tsx';
import type { ChartPoint } from '../../components/metric-chart.tsx';
import { graphql } from '../../gql';

/** The metrics the job page charts; the example trainer and common frameworks report these names. */
export const CHARTED_METRICS = ['loss', 'train_loss', 'val_loss', 'learning_rate', 'accuracy', 'val_accuracy'] as const;
export type ChartedMetric = (typeof CHARTED_METRICS)[number];

const HISTORY_POINTS = 1_500;
/** Past this many live points a series is thinned to every other point, keeping charts fast on long jobs. */
const MAX_LIVE_POINTS = 20_000;

const JobSeqQuery = graphql(`
  query JobSeq($id: ID!) {
    job(id: $id) {
      id
      lastSeq
    }
  }
`);

export const ChartSeriesFragmentDocument = graphql(`
  fragment ChartSeries on MetricSeries {
    totalPoints
    downsampled
    points {
      seq
      value
    }
  }
`);

const MetricHistoryQuery = graphql(`
  query JobMetricHistory($jobId: ID!, $maxPoints: Int) {
    loss: metrics(jobId: $jobId, name: "loss", maxPoints: $maxPoints) {
      ...ChartSeries
    }
    train_loss: metrics(jobId: $jobId, name: "train_loss", maxPoints: $maxPoints) {
      ...ChartSeries
    }
    val_loss: metrics(jobId: $jobId, name: "val_loss", maxPoints: $maxPoints) {
      ...ChartSeries
    }
    learning_rate: metrics(jobId: $jobId, name: "learning_rate", maxPoints: $maxPoints) {
      ...ChartSeries
    }
    accuracy: metrics(jobId: $jobId, name: "accuracy", maxPoints: $maxPoints) {
      ...ChartSeries
    }
    val_accuracy: metrics(jobId: $jobId, name: "val_accuracy", maxPoints: $maxPoints) {
      ...ChartSeries
    }
  }
`);

const MetricStreamSubscription = graphql(`
  subscription JobMetricStream($jobId: ID!, $afterSeq: Int, $names: [String!]) {
    jobMetrics(jobId: $jobId, afterSeq: $afterSeq, names: $names) {
      lastSeq
      done
      points {
        seq
        name
        value
      }
    }
  }
`);

export interface MetricsState {
  series: Record<ChartedMetric, ChartPoint[]>;
  /** Points on the server per metric, when history was downsampled. */
  downsampledFrom: Partial<Record<ChartedMetric, number>>;
  version: number;
}

const emptySeries = () => Object.fromEntries(CHARTED_METRICS.map((name) => [name, [] as ChartPoint[]])) as Record<ChartedMetric, ChartPoint[]>;

function thin(points: ChartPoint[]): ChartPoint[] {
  return points.filter((_, index) => index % 2 === 0 || index === points.length - 1);
}

/**
 * Downsampled history (`metrics`), then live points (`jobMetrics`) from the log seq read before
 * the history was fetched; points at or before a series' last seq are skipped, so none is doubled.
 */
export function useJobMetrics(jobId: string): MetricsState {
  const client = useClient();
  const series = useRef(emptySeries());
  const lastSeq = useRef(0);
  const [downsampledFrom, setDownsampledFrom] = useState<MetricsState['downsampledFrom']>({});
  const [startAfter, setStartAfter] = useState<number | null>(null);
  const [version, setVersion] = useState(0);
  const frame = useRef<ReturnType<typeof setTimeout> | null>(null);

  const repaint = useCallback(() => {
    if (frame.current !== null) return;
    // Charts redraw at most four times a second; uPlot redraws the whole canvas each time.
    frame.current = setTimeout(() => {
      frame.current = null;
      setVersion((v) => v + 1);
    }, 250);
  }, []);
  useEffect(() => () => clearTimeout(frame.current ?? undefined), []);

  useEffect(() => {
    let cancelled = false;
    void (async () => {
      const seq = await client.query(JobSeqQuery, { id: jobId }, { requestPolicy: 'network-only' }).toPromise();
      if (cancelled || !seq.data) return;
      const history = await client.query(MetricHistoryQuery, { jobId, maxPoints: HISTORY_POINTS }, { requestPolicy: 'network-only' }).toPromise();
      if (cancelled || !history.data) return;
      const next = emptySeries();
      const downsampled: MetricsState['downsampledFrom'] = {};
      for (const name of CHARTED_METRICS) {
        const result = history.data[name];
        next[name] = result.points.map((point) => ({ x: point.seq, y: point.value }));
        if (result.downsampled) downsampled[name] = result.totalPoints;
      }
      series.current = next;
      lastSeq.current = seq.data.job.lastSeq;
      setDownsampledFrom(downsampled);
      setStartAfter(seq.data.job.lastSeq);
      setVersion((v) => v + 1);
    })();
    return () => {
      cancelled = true;
    };
  }, [client, jobId]);

  useLiveSubscription(MetricStreamSubscription, startAfter === null ? null : { jobId, afterSeq: startAfter, names: [...CHARTED_METRICS] }, {
    onData: ({ jobMetrics: batch }) => {
      for (const point of batch.points) {
        const target = series.current[point.name as ChartedMetric];
        if (!target) continue;
        const last = target[target.length - 1];
        if (last && point.seq <= last.x) continue;
        target.push({ x: point.seq, y: point.value });
        if (target.length > MAX_LIVE_POINTS) series.current[point.name as ChartedMetric] = thin(target);
      }
      lastSeq.current = Math.max(lastSeq.current, batch.lastSeq);
      if (batch.points.length) repaint();
    },
    resume: (variables) => ({ ...variables, afterSeq: lastSeq.current }),
  });

  return { series: series.current, downsampledFrom, version };
}
