// Leaderboard at 100,000 trials: top-50 p95 through the service and through GraphQL over HTTP, against the
// equivalent raw SQL on the same database; then page 100 reached by cursor, against the same keyset SQL.
// Goal (issue 4): ≤ 2× the raw SQL.
import { randomUUID } from 'node:crypto';
import { TRIALS_TOPIC } from '../server/src/results/trial-service.ts';
import type { Services } from '../server/src/services.ts';
import { fmt, gql, httpRetries, log, newResult, round, runIfMain, startBenchServer, summarize, type BenchResult, type Verdict } from './lib/common.ts';

const TRIALS = Number(process.env.BENCH_TRIALS ?? 100_000);
const INVALID_EVERY = 100; // 1% malformed trial files: error set, no rank
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 150);
const WARMUP = 20;
const METRIC = 'val_loss';
const GOAL = 2;

const TOP_QUERY = `query($first: Int!, $metric: String, $after: String) {
  leaderboard(first: $first, metric: $metric, after: $after) {
    metric direction totalCount hasMore endCursor paramNames
    rows { id number score metric source params jobId createdAt }
  }
}`;

/** What a hand-written query for one page is: the same filter, order and LIMIT first+1, every column. */
const RAW_TOP = `SELECT * FROM "Trial" WHERE metric = $1 AND error IS NULL AND "rankScore" IS NOT NULL ORDER BY "rankScore", id LIMIT 51`;
const RAW_AFTER = `SELECT * FROM "Trial" WHERE metric = $1 AND error IS NULL AND "rankScore" IS NOT NULL AND ("rankScore", id) > ($2, $3::uuid) ORDER BY "rankScore", id LIMIT 51`;

/** The parts of the service's work, for the breakdown. */
const RAW_COUNT = `SELECT count(*) FROM "Trial" WHERE metric = $1 AND error IS NULL AND "rankScore" IS NOT NULL`;
const RAW_DEFAULT_METRIC = `SELECT metric, count(*) AS n FROM "Trial" WHERE error IS NULL AND "rankScore" IS NOT NULL GROUP BY metric ORDER BY n DESC LIMIT 1`;
/** The keyset condition as an OR of two comparisons (what the service wrote before it used the row comparison). */
const RAW_OR_AFTER = `SELECT * FROM "Trial" WHERE metric = $1 AND error IS NULL AND "rankScore" IS NOT NULL AND ("rankScore" > $2 OR ("rankScore" = $2 AND id > $3::uuid)) ORDER BY "rankScore", id LIMIT 51`;

async function generateTrials(services: Services): Promise<number> {
  const t0 = performance.now();
  const optimizers = ['adam', 'adamw', 'sgd', 'rmsprop'];
  const CHUNK = 10_000;
  for (let from = 0; from < TRIALS; from += CHUNK) {
    const ids: string[] = [];
    const keys: string[] = [];
    const numbers: number[] = [];
    const params: string[] = [];
    const scores: (number | null)[] = [];
    const errors: (string | null)[] = [];
    for (let n = from; n < Math.min(TRIALS, from + CHUNK); n++) {
      const invalid = n % INVALID_EVERY === INVALID_EVERY - 1;
      ids.push(randomUUID());
      keys.push(`tune/bench/trial_${n}.json`);
      numbers.push(n);
      params.push(
        JSON.stringify({
          learning_rate: Number((10 ** (-5 + Math.random() * 3)).toPrecision(3)),
          batch_size: 2 ** (4 + Math.floor(Math.random() * 4)),
          dropout: Number((Math.random() * 0.5).toFixed(2)),
          hidden: 32 * (1 + Math.floor(Math.random() * 8)),
          optimizer: optimizers[n % optimizers.length],
        }),
      );
      scores.push(invalid ? null : Number((0.2 + Math.random()).toFixed(6)));
      errors.push(invalid ? 'bench: malformed trial file' : null);
    }
    await services.db.prisma.$executeRawUnsafe(
      `INSERT INTO "Trial" (id, key, number, params, score, "rankScore", metric, direction, source, "filePath", error, "updatedAt")
       SELECT u.id, u.key, u.number, u.params::jsonb, u.score, u.score, $7, 'MINIMIZE', 'LOCAL', u.key, u.error, now()
       FROM unnest($1::uuid[], $2::text[], $3::int[], $4::text[], $5::float8[], $6::text[]) AS u(id, key, number, params, score, error)`,
      ids,
      keys,
      numbers,
      params,
      scores,
      errors,
      METRIC,
    );
  }
  await services.db.prisma.$executeRawUnsafe('ANALYZE "Trial"');
  return performance.now() - t0;
}

/** The lowest layer there is for a raw query: the pg pool, or PGlite itself. */
function rawQuery(services: Services): (sql: string, params: unknown[]) => Promise<unknown[]> {
  const { pool, pglite } = services.db;
  if (pool) return async (sql, params) => (await pool.query(sql, params)).rows;
  if (pglite) return async (sql, params) => (await pglite.query(sql, params)).rows;
  throw new Error('no raw database handle');
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Runs the variants interleaved (one of each per round), so that drift affects them alike; returns ms samples. */
async function measure(variants: Record<string, () => Promise<unknown>>, iterations: number): Promise<Record<string, ReturnType<typeof summarize>>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + iterations; i++) {
    for (const [name, fn] of Object.entries(variants)) {
      const ms = await time(fn);
      if (i >= WARMUP) samples[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)]));
}

export async function run(): Promise<BenchResult> {
  log(`leaderboard: ${fmt(TRIALS, 0)} trials, p95 of ${ITERATIONS} calls per variant`);
  const bench = await startBenchServer();
  try {
    const { services } = bench.server.app;
    const generateMs = await generateTrials(services);
    log(`  generated ${fmt(TRIALS, 0)} trials in ${fmt(generateMs / 1000)} s`);
    const raw = rawQuery(services);
    const query = (variables: Record<string, unknown>) => gql(bench.server, TOP_QUERY, variables);

    // Sanity: the service and the raw SQL return the same page.
    const servicePage = await services.trials.leaderboard({ metric: METRIC, first: 50 });
    const rawRows = (await raw(RAW_TOP, [METRIC])) as { id: string }[];
    if (servicePage.rows.map((r) => r.id).join() !== rawRows.slice(0, 50).map((r) => r.id).join()) throw new Error('the service and the raw SQL disagree on the top 50');

    const top = await measure(
      {
        raw: () => raw(RAW_TOP, [METRIC]),
        service: () => services.trials.leaderboard({ metric: METRIC, first: 50 }),
        serviceDefaultMetric: () => services.trials.leaderboard({ first: 50 }),
        graphql: () => query({ first: 50, metric: METRIC }),
        graphqlDefaultMetric: () => query({ first: 50 }),
        // Information, not a verdict: as if a trial had just been written (the count and default metric are recomputed).
        graphqlDefaultMetricAfterWrite: () => {
          services.events.publish(TRIALS_TOPIC, { trialId: 'bench' }, { shared: false });
          return query({ first: 50 });
        },
      },
      ITERATIONS,
    );

    // Page 100 by cursor: walk there through the service, timing each page.
    const walk: number[] = [];
    let after: string | null = null;
    let page = servicePage;
    for (let p = 1; p < 100; p++) {
      const cursor: string | null = page.endCursor;
      const t0 = performance.now();
      page = await services.trials.leaderboard({ metric: METRIC, first: 50, after: cursor });
      walk.push(performance.now() - t0);
      after = cursor;
    }
    // `after` is page 99's end cursor, i.e. (rankScore, id) of its last row: the raw keyset query starts there too.
    const [rank, id] = JSON.parse(Buffer.from(after as string, 'base64url').toString()) as [number, string];
    const rawPage = (await raw(RAW_AFTER, [METRIC, rank, id])) as { id: string }[];
    if (page.rows.map((r) => r.id).join() !== rawPage.slice(0, 50).map((r) => r.id).join()) throw new Error('the service and the raw SQL disagree on page 100');
    const page100 = await measure(
      {
        raw: () => raw(RAW_AFTER, [METRIC, rank, id]),
        service: () => services.trials.leaderboard({ metric: METRIC, first: 50, after }),
        graphql: () => query({ first: 50, metric: METRIC, after }),
      },
      ITERATIONS,
    );

    // Where the time goes: the parts of the service's work, each alone (not part of the verdicts).
    const breakdown = await measure(
      {
        rawCount: () => raw(RAW_COUNT, [METRIC]),
        rawDefaultMetric: () => raw(RAW_DEFAULT_METRIC, []),
        prismaFindManyTop: () =>
          services.db.prisma.trial.findMany({ where: { metric: METRIC, error: null, rankScore: { not: null } }, orderBy: [{ rankScore: { sort: 'asc', nulls: 'last' } }, { id: 'asc' }], take: 51 }),
        prismaCount: () => services.db.prisma.trial.count({ where: { metric: METRIC, error: null, rankScore: { not: null } } }),
        rawOrKeysetPage100: () => raw(RAW_OR_AFTER, [METRIC, rank, id]),
      },
      Math.ceil(ITERATIONS / 2),
    );

    const ratio = (a: number, b: number) => round(a / b, 2);
    const verdicts: Verdict[] = [
      { label: 'top-50 p95, service (metric given) / raw SQL', ratio: ratio(top.service.p95, top.raw.p95), goal: `≤ ${GOAL}×`, pass: top.service.p95 <= GOAL * top.raw.p95 },
      { label: 'top-50 p95, service (default metric) / raw SQL', ratio: ratio(top.serviceDefaultMetric.p95, top.raw.p95), goal: `≤ ${GOAL}×`, pass: top.serviceDefaultMetric.p95 <= GOAL * top.raw.p95 },
      { label: 'top-50 p95, GraphQL HTTP (metric given) / raw SQL', ratio: ratio(top.graphql.p95, top.raw.p95), goal: `≤ ${GOAL}×`, pass: top.graphql.p95 <= GOAL * top.raw.p95 },
      { label: 'top-50 p95, GraphQL HTTP (default metric) / raw SQL', ratio: ratio(top.graphqlDefaultMetric.p95, top.raw.p95), goal: `≤ ${GOAL}×`, pass: top.graphqlDefaultMetric.p95 <= GOAL * top.raw.p95 },
      { label: 'page-100 p95 (cursor), service / raw keyset SQL', ratio: ratio(page100.service.p95, page100.raw.p95), goal: `≤ ${GOAL}×`, pass: page100.service.p95 <= GOAL * page100.raw.p95 },
      { label: 'page-100 p95 (cursor), GraphQL HTTP / raw keyset SQL', ratio: ratio(page100.graphql.p95, page100.raw.p95), goal: `≤ ${GOAL}×`, pass: page100.graphql.p95 <= GOAL * page100.raw.p95 },
    ];
    const rows = (s: Record<string, ReturnType<typeof summarize>>) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { p50: round(v.p50, 3), p95: round(v.p95, 3), p99: round(v.p99, 3), mean: round(v.mean, 3) }]));
    log('  top-50 (ms):');
    for (const [k, v] of Object.entries(top)) log(`    ${k.padEnd(22)} p50 ${fmt(v.p50, 2).padStart(7)}  p95 ${fmt(v.p95, 2).padStart(7)}`);
    log('  page 100 (ms):');
    for (const [k, v] of Object.entries(page100)) log(`    ${k.padEnd(22)} p50 ${fmt(v.p50, 2).padStart(7)}  p95 ${fmt(v.p95, 2).padStart(7)}`);
    log('  breakdown (ms):');
    for (const [k, v] of Object.entries(breakdown)) log(`    ${k.padEnd(22)} p50 ${fmt(v.p50, 2).padStart(7)}  p95 ${fmt(v.p95, 2).padStart(7)}`);
    const walkStats = summarize(walk);
    log(`  walking pages 2..100 through the service: p50 ${fmt(walkStats.p50, 2)} ms, max ${fmt(walkStats.max, 2)} ms`);
    return newResult('leaderboard', verdicts, {
      trials: TRIALS,
      invalidTrials: Math.floor(TRIALS / INVALID_EVERY),
      iterations: ITERATIONS,
      generateMs: round(generateMs, 0),
      httpRetries: httpRetries.count,
      totalCount: await servicePage.totalCount(),
      top50Ms: rows(top),
      page100Ms: rows(page100),
      breakdownMs: rows(breakdown),
      walkPages2to100Ms: { p50: round(walkStats.p50, 3), p95: round(walkStats.p95, 3), max: round(walkStats.max, 3) },
    });
  } finally {
    await bench.close();
  }
}

runIfMain(import.meta.url, run);
