// Summaries of each metric over blocks of its job's lines (table MetricBlock, see the schema): how many points, and
// the first, last, lowest and highest of them. They are written with the points, in the same transaction, and make
// a downsampled series of a million points a read of a few thousand rows.
import type { MetricRecord } from './log-record.ts';

/** Lines per block: block = floor(seq / BLOCK_LINES). The migration that created the table uses the same number. */
export const BLOCK_LINES = 256;
const blockOf = (seq: number) => Math.floor(seq / BLOCK_LINES);

/**
 * A point as a block keeps it, for array comparison in SQL: [seq, value, step, epoch, time in ms] for the first and
 * last, [value, seq, step, epoch, time in ms] for the lowest and highest (so that LEAST and GREATEST pick them;
 * ties on the value go to the earlier point for the lowest, the later for the highest). NaN stands for no step or epoch.
 */
export type BlockPoint = [number, number, number, number, number];

export interface BlockSummary {
  name: string;
  block: number;
  count: number;
  first: BlockPoint;
  last: BlockPoint;
  lo: BlockPoint;
  hi: BlockPoint;
}

const bySeq = (m: MetricRecord): BlockPoint => [m.seq, m.value, m.step ?? Number.NaN, m.epoch ?? Number.NaN, m.time.getTime()];
const byValue = (m: MetricRecord): BlockPoint => [m.value, m.seq, m.step ?? Number.NaN, m.epoch ?? Number.NaN, m.time.getTime()];

/** The blocks' summaries of just these points, to be merged into what is stored (see {@link UPSERT_BLOCK_DELTAS}). */
export function blockDeltas(metrics: readonly MetricRecord[]): BlockSummary[] {
  const byName = new Map<string, Map<number, { count: number; first: MetricRecord; last: MetricRecord; lo: MetricRecord; hi: MetricRecord }>>();
  for (const m of metrics) {
    let blocks = byName.get(m.name);
    if (!blocks) byName.set(m.name, (blocks = new Map()));
    const block = blockOf(m.seq);
    const b = blocks.get(block);
    if (!b) {
      blocks.set(block, { count: 1, first: m, last: m, lo: m, hi: m });
      continue;
    }
    b.count++;
    if (m.seq < b.first.seq) b.first = m;
    if (m.seq > b.last.seq) b.last = m;
    if (m.value < b.lo.value || (m.value === b.lo.value && m.seq < b.lo.seq)) b.lo = m;
    if (m.value > b.hi.value || (m.value === b.hi.value && m.seq > b.hi.seq)) b.hi = m;
  }
  const out: BlockSummary[] = [];
  for (const [name, blocks] of byName) {
    for (const [block, b] of blocks) out.push({ name, block, count: b.count, first: bySeq(b.first), last: bySeq(b.last), lo: byValue(b.lo), hi: byValue(b.hi) });
  }
  return out;
}

/** The distinct blocks these points fall in, as [names, blocks] (for {@link RECOMPUTE_BLOCKS}). */
export function touchedBlocks(metrics: readonly MetricRecord[]): [string[], number[]] {
  const seen = new Set<string>();
  const names: string[] = [];
  const blocks: number[] = [];
  for (const m of metrics) {
    const block = blockOf(m.seq);
    const key = `${block}:${m.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    names.push(m.name);
    blocks.push(block);
  }
  return [names, blocks];
}

const BLOCK_COLUMNS = `"jobId","name","block","count","first","last","lo","hi"`;

/**
 * Merges {@link blockDeltas} into the stored blocks: $2 names, $3 blocks, $4 counts, $5–$8 the first, last, lowest
 * and highest points, five numbers each, one after the other. Exact when the points were all new (COPY inserts every
 * row or fails).
 */
export const UPSERT_BLOCK_DELTAS = `INSERT INTO "MetricBlock" (${BLOCK_COLUMNS})
  SELECT $1::uuid, d.name, d.block, d.count,
    ($5::float8[])[d.i::int * 5 - 4 : d.i::int * 5], ($6::float8[])[d.i::int * 5 - 4 : d.i::int * 5],
    ($7::float8[])[d.i::int * 5 - 4 : d.i::int * 5], ($8::float8[])[d.i::int * 5 - 4 : d.i::int * 5]
  FROM unnest($2::text[], $3::int[], $4::int[]) WITH ORDINALITY AS d(name, block, count, i)
  ON CONFLICT ("jobId","name","block") DO UPDATE SET
    "count" = "MetricBlock"."count" + excluded."count",
    "first" = LEAST("MetricBlock"."first", excluded."first"), "last" = GREATEST("MetricBlock"."last", excluded."last"),
    "lo" = LEAST("MetricBlock"."lo", excluded."lo"), "hi" = GREATEST("MetricBlock"."hi", excluded."hi")`;

const POINT_BY_SEQ = `ARRAY[p.seq::float8, p.value, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8]`;
const POINT_BY_VALUE = `ARRAY[p.value, p.seq::float8, coalesce(p.step, 'NaN'), coalesce(p.epoch, 'NaN'), (extract(epoch FROM p.time) * 1000)::float8]`;

/**
 * Computes the blocks $2 (names) / $3 (block numbers) again from the stored points: after statements that skip points
 * that exist (whose count a delta would add twice).
 */
export const RECOMPUTE_BLOCKS = `INSERT INTO "MetricBlock" (${BLOCK_COLUMNS})
  SELECT $1::uuid, t.name, t.block, count(*)::int, min(${POINT_BY_SEQ}), max(${POINT_BY_SEQ}), min(${POINT_BY_VALUE}), max(${POINT_BY_VALUE})
  FROM unnest($2::text[], $3::int[]) AS t(name, block)
  JOIN "MetricPoint" p ON p."jobId" = $1::uuid AND p.name = t.name AND p.seq >= t.block * ${BLOCK_LINES} AND p.seq < (t.block + 1) * ${BLOCK_LINES}
  GROUP BY t.name, t.block
  ON CONFLICT ("jobId","name","block") DO UPDATE SET
    "count" = excluded."count", "first" = excluded."first", "last" = excluded."last", "lo" = excluded."lo", "hi" = excluded."hi"`;

/** A stored block as read back: the points' arrays as {@link BlockPoint}s. */
export interface StoredBlock {
  block: number;
  count: number;
  first: number[];
  last: number[];
  lo: number[];
  hi: number[];
}

const record = (name: string, seq: number, value: number, step: number, epoch: number, t: number): MetricRecord => ({
  seq,
  name,
  value,
  step: Number.isNaN(step) ? null : step,
  epoch: Number.isNaN(epoch) ? null : epoch,
  time: new Date(t),
});

/**
 * A series of at most 4 × `buckets` points from the blocks of one metric (in block order): M4 — per bucket the first,
 * last, lowest and highest point, which keeps a line chart's shape, spikes included. The buckets split the blocks'
 * seq range evenly; with fewer blocks than buckets, each block is a bucket.
 */
export function seriesFromBlocks(name: string, blocks: readonly StoredBlock[], buckets: number): MetricRecord[] {
  if (!blocks.length) return [];
  const minBlock = blocks[0].block;
  const span = blocks[blocks.length - 1].block - minBlock + 1;
  const picked = new Map<number, MetricRecord>();
  const take = (p: number[], valueFirst: boolean) => {
    const [seq, value] = valueFirst ? [p[1], p[0]] : [p[0], p[1]];
    if (!picked.has(seq)) picked.set(seq, record(name, seq, value, p[2], p[3], p[4]));
  };
  const flush = (g: { first: number[]; last: number[]; lo: number[]; hi: number[] }) => {
    take(g.first, false);
    take(g.last, false);
    take(g.lo, true);
    take(g.hi, true);
  };
  let group: { bucket: number; first: number[]; last: number[]; lo: number[]; hi: number[] } | undefined;
  for (const b of blocks) {
    const bucket = blocks.length <= buckets ? b.block : Math.floor(((b.block - minBlock) * buckets) / span);
    if (group && group.bucket === bucket) {
      // Blocks come in order: the group's first stays, its last is this block's.
      group.last = b.last;
      if (b.lo[0] < group.lo[0] || (b.lo[0] === group.lo[0] && b.lo[1] < group.lo[1])) group.lo = b.lo;
      if (b.hi[0] > group.hi[0] || (b.hi[0] === group.hi[0] && b.hi[1] > group.hi[1])) group.hi = b.hi;
      continue;
    }
    if (group) flush(group);
    group = { bucket, first: b.first, last: b.last, lo: b.lo, hi: b.hi };
  }
  if (group) flush(group);
  return [...picked.values()].sort((a, b) => a.seq - b.seq);
}
