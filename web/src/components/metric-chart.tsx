import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  label: string;
  color: string;
  points: readonly ChartPoint[];
  /** Series on another scale get their own axis on the right. */
  scale?: string;
  format?(value: number): string;
}

/** uPlot wants one shared x array; series without a point at some x get null there (and span the gap). */
export function alignSeries(series: readonly ChartSeries[]): uPlot.AlignedData {
  const xs = [...new Set(series.flatMap((s) => s.points.map((p) => p.x)))].sort((a, b) => a - b);
  const position = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((s) => {
    const column: (number | null)[] = new Array(xs.length).fill(null);
    for (const point of s.points) column[position.get(point.x)!] = point.y;
    return column;
  });
  return [xs, ...columns] as uPlot.AlignedData;
}

interface MetricChartProps {
  title: string;
  series: readonly ChartSeries[];
  /** Changes when points were appended in place. */
  version?: unknown;
  xLabel?: string;
  /** X values are unix seconds. */
  timeAxis?: boolean;
  height?: number;
  empty?: string;
}

const AXIS_FONT = '11px system-ui, sans-serif';

function clock(seconds: number): string {
  const date = new Date(seconds * 1000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

function compact(value: number): string {
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude >= 1e4 || magnitude < 1e-3 ? value.toExponential(1) : Number(value.toPrecision(3)).toString();
}

/** A live line chart on canvas; new points only call setData, so thousands of updates stay cheap. */
export function MetricChart({ title, series, version, xLabel, timeAxis = false, height = 150, empty = 'Waiting for data…' }: MetricChartProps) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const data = useMemo(() => alignSeries(series), [series, version]);
  const latest = useRef(data);
  latest.current = data;
  const pointCount = series.reduce((sum, s) => sum + s.points.length, 0);
  const structure = series.map((s) => `${s.label}:${s.scale ?? 'y'}:${s.color}`).join('|');

  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const scales = [...new Set(series.map((s) => s.scale ?? 'y'))];
    const options: uPlot.Options = {
      width: Math.max(160, element.clientWidth),
      height,
      legend: { show: false },
      cursor: { drag: { x: true, y: false }, points: { size: 6 } },
      scales: { x: { time: timeAxis } },
      axes: [
        {
          font: AXIS_FONT,
          size: 28,
          stroke: '#5b6472',
          grid: { stroke: '#eef0f3' },
          ticks: { size: 4 },
          values: timeAxis ? (_u: uPlot, values: number[]) => values.map(clock) : undefined,
        },
        ...scales.map((scale, i) => {
          const owner = series.find((s) => (s.scale ?? 'y') === scale);
          return {
            scale,
            side: i === 0 ? 3 : 1,
            size: 52,
            font: AXIS_FONT,
            stroke: scales.length > 1 ? owner?.color : '#5b6472',
            grid: { show: i === 0, stroke: '#eef0f3' },
            ticks: { size: 4 },
            values: (_u: uPlot, values: number[]) => values.map((v) => (owner?.format ? owner.format(v) : compact(v))),
          } satisfies uPlot.Axis;
        }),
      ],
      series: [
        { label: xLabel ?? 'x' },
        ...series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, scale: s.scale ?? 'y', spanGaps: true, points: { show: false } })),
      ],
    };
    const chart = new uPlot(options, latest.current, element);
    plot.current = chart;
    const observer = typeof ResizeObserver === 'undefined' ? undefined : new ResizeObserver(() => chart.setSize({ width: Math.max(160, element.clientWidth), height }));
    observer?.observe(element);
    return () => {
      observer?.disconnect();
      chart.destroy();
      plot.current = null;
    };
    // The chart is rebuilt only when its series change; points go through setData below.
  }, [structure, timeAxis, height, xLabel]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  return (
    <figure className="chart" data-testid={`chart-${title}`} data-points={pointCount}>
      <figcaption>
        <span className="chart-title">{title}</span>
        {series.map((s) => {
          const last = s.points[s.points.length - 1];
          return (
            <span key={s.label} className="chart-legend">
              <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
              {s.label} <span className="chart-last">{last ? (s.format ? s.format(last.y) : compact(last.y)) : '—'}</span>
            </span>
          );
        })}
      </figcaption>
      <div className="chart-body" style={{ minHeight: height }}>
        <div className="chart-canvas" ref={container} />
        {pointCount === 0 && <p className="chart-empty">{empty}</p>}
      </div>
      {xLabel && pointCount > 0 && <div className="chart-x-label">{xLabel}</div>}
    </figure>
  );
}
