// analyzeImage over GraphQL (a real server, multipart uploads over HTTP) against the same model and images
// analysed directly in one process with the domain's analyze() (sharp + onnxruntime-node, no HTTP, no GraphQL).
// Goals (issue 5): p50 latency ≤ 1.15× direct; throughput at concurrency 2 ≥ 0.9× direct.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { analyze, createInferenceContext, type AnalyzeResult } from '../../server/src/inference/index.ts';
import type { Services } from '../../server/src/services.ts';
import type { TestServer } from '../../server/test/support/test-server.ts';
import { writeClassifierModel } from '../../server/test/inference/support/model.ts';
import { fmt, log, newResult, round, runIfMain, startBenchServer, summarize, type BenchResult, type Verdict } from '../lib/common.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 240);
const WARMUP = 20;
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 160);
const CONCURRENCY = 2;
const LATENCY_GOAL = 1.15;
const THROUGHPUT_GOAL = 0.9;
/** A common classifier input size, so that resizing and normalisation cost what they do in practice. */
const INPUT_SIZE = 224;
/** Photo-like sizes, landscape, portrait and square. */
const IMAGE_SIZES: [number, number][] = [
  [640, 480],
  [800, 600],
  [1024, 768],
  [480, 640],
  [720, 720],
  [1280, 720],
  [600, 800],
  [960, 640],
];

const ANALYZE = 'mutation($image: File!) { analyzeImage(image: $image) { imageId predictions { label score } model { id } faceMethod timings { totalMs } } }';

/** A noisy photo-sized JPEG with a skin-toned patch where a face would be. */
async function photo(width: number, height: number, seed: number): Promise<Buffer> {
  const side = Math.round(Math.min(width, height) * 0.4);
  return sharp({ create: { width, height, channels: 3, background: { r: 40 + seed * 20, g: 90, b: 140 - seed * 10 }, noise: { type: 'gaussian', mean: 110, sigma: 30 } } })
    .composite([{ input: { create: { width: side, height: side, channels: 3, background: { r: 225, g: 170, b: 140 } } }, left: Math.round((width - side) * ((seed % 3) / 2)), top: Math.round((height - side) / 3) }])
    .jpeg({ quality: 85 })
    .toBuffer();
}

/** A successful final run with a model in `train/<runId>/`, made production, as a promotion leaves it. */
async function promoteModel(services: Services): Promise<{ runId: string; dir: string }> {
  const { prisma } = services.db;
  const trial = await prisma.trial.create({ data: { key: `bench/${randomUUID()}`, number: 0, params: {}, metric: 'val_loss', filePath: 'tune/bench/trial_0.json' } });
  const runId = randomUUID();
  const dir = path.join(services.config.resultsDir, 'train', runId);
  const model = await writeClassifierModel(dir, { inputSize: INPUT_SIZE });
  await prisma.run.create({ data: { id: runId, trialId: trial.id, outputDir: dir, modelPath: model.modelPath, status: 'SUCCEEDED', config: {}, finishedAt: new Date() } });
  await services.promotion.setProduction(runId, 'bench');
  return { runId, dir };
}

/** One analyzeImage call as an upload client makes it: a GraphQL multipart request (operations, map, file). */
async function analyzeOverGraphql(server: TestServer, image: Buffer): Promise<AnalyzeResult> {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: ANALYZE, variables: { image: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.image'] }));
  form.set('0', new Blob([new Uint8Array(image)], { type: 'image/jpeg' }), 'photo.jpg');
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
  const body = (await res.json()) as { data?: { analyzeImage: AnalyzeResult }; errors?: unknown[] };
  if (!body.data) throw new Error(`analyzeImage failed (HTTP ${res.status}): ${JSON.stringify(body.errors)}`);
  return body.data.analyzeImage;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** Latency per call, the variants interleaved (their order alternating) so that drift affects both alike. */
async function latencies(variants: Record<'direct' | 'graphql', (image: Buffer) => Promise<unknown>>, images: Buffer[]) {
  const samples = { direct: [] as number[], graphql: [] as number[] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    const image = images[i % images.length]!;
    const order = i % 2 === 0 ? (['direct', 'graphql'] as const) : (['graphql', 'direct'] as const);
    for (const name of order) {
      const ms = await timed(() => variants[name](image));
      if (i >= WARMUP) samples[name].push(ms);
    }
  }
  return { direct: summarize(samples.direct), graphql: summarize(samples.graphql) };
}

/** Requests per second with `CONCURRENCY` callers each taking the next image until `THROUGHPUT_REQUESTS` are done. */
async function throughput(call: (image: Buffer) => Promise<unknown>, images: Buffer[]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < THROUGHPUT_REQUESTS) await call(images[next++ % images.length]!);
    }),
  );
  return THROUGHPUT_REQUESTS / ((performance.now() - started) / 1000);
}

export async function run(): Promise<BenchResult> {
  log(`inference: analyzeImage over GraphQL vs analyze() in process; ${ITERATIONS} calls per variant, then ${THROUGHPUT_REQUESTS} at concurrency ${CONCURRENCY}`);
  const bench = await startBenchServer();
  const directResults = await mkdtemp(path.join(tmpdir(), 'anana-bench-direct-'));
  const direct = createInferenceContext({ resultsDir: directResults, limits: { maxBytes: bench.server.config.maxUploadBytes } });
  try {
    const { services } = bench.server.app;
    const model = await promoteModel(services);
    const images = await Promise.all(IMAGE_SIZES.map(([w, h], i) => photo(w, h, i)));
    log(`  ${images.length} JPEGs, ${fmt(Math.min(...images.map((b) => b.length)) / 1024, 0)}–${fmt(Math.max(...images.map((b) => b.length)) / 1024, 0)} KiB; model input ${INPUT_SIZE}×${INPUT_SIZE}`);

    const variants = {
      direct: (image: Buffer) => analyze({ bytes: image, model: { id: model.runId, dir: model.dir } }, direct),
      graphql: (image: Buffer) => analyzeOverGraphql(bench.server, image),
    };
    // Both paths must give the same answer for the comparison to mean anything.
    for (const image of images) {
      const [a, b] = await Promise.all([variants.direct(image), variants.graphql(image)]);
      if (b.model.id !== model.runId || JSON.stringify(a.predictions) !== JSON.stringify(b.predictions)) throw new Error('the direct and GraphQL paths disagree');
    }

    const latency = await latencies(variants, images);
    // Two rounds each, alternating, so that neither variant always runs on a warmer or a busier machine.
    const rounds = { direct: [] as number[], graphql: [] as number[] };
    for (let round = 0; round < 2; round++) {
      rounds.direct.push(await throughput(variants.direct, images));
      rounds.graphql.push(await throughput(variants.graphql, images));
    }
    const rps = { direct: rounds.direct.reduce((a, b) => a + b) / rounds.direct.length, graphql: rounds.graphql.reduce((a, b) => a + b) / rounds.graphql.length };

    const latencyRatio = round(latency.graphql.p50 / latency.direct.p50, 3);
    const throughputRatio = round(rps.graphql / rps.direct, 3);
    const verdicts: Verdict[] = [
      { label: 'p50 latency, GraphQL multipart / direct', ratio: latencyRatio, goal: `≤ ${LATENCY_GOAL}×`, pass: latencyRatio <= LATENCY_GOAL },
      { label: `throughput at concurrency ${CONCURRENCY}, GraphQL / direct`, ratio: throughputRatio, goal: `≥ ${THROUGHPUT_GOAL}×`, pass: throughputRatio >= THROUGHPUT_GOAL },
    ];
    log('                 p50 ms    p95 ms    p99 ms   req/s (c=2)');
    for (const name of ['direct', 'graphql'] as const) {
      const s = latency[name];
      log(`    ${name.padEnd(10)} ${fmt(s.p50, 2).padStart(8)}  ${fmt(s.p95, 2).padStart(8)}  ${fmt(s.p99, 2).padStart(8)}  ${fmt(rps[name], 1).padStart(10)}`);
    }
    log(`  GraphQL overhead at p50: ${fmt(latency.graphql.p50 - latency.direct.p50, 2)} ms; ratios: latency ${latencyRatio}, throughput ${throughputRatio}`);
    const stats = (s: ReturnType<typeof summarize>) => ({ n: s.n, p50: round(s.p50, 3), p95: round(s.p95, 3), p99: round(s.p99, 3), mean: round(s.mean, 3), min: round(s.min, 3), max: round(s.max, 3) });
    return newResult('inference', verdicts, {
      iterations: ITERATIONS,
      warmup: WARMUP,
      throughputRequests: THROUGHPUT_REQUESTS,
      concurrency: CONCURRENCY,
      modelInputSize: INPUT_SIZE,
      images: IMAGE_SIZES.map(([width, height], i) => ({ width, height, bytes: images[i]!.length })),
      latencyMs: { direct: stats(latency.direct), graphql: stats(latency.graphql) },
      latencyRatioP50: latencyRatio,
      throughputRps: { direct: round(rps.direct, 2), graphql: round(rps.graphql, 2), rounds: { direct: rounds.direct.map((r) => round(r, 2)), graphql: rounds.graphql.map((r) => round(r, 2)) } },
      throughputRatio,
    });
  } finally {
    direct.sessions.close();
    await bench.close();
    await rm(directResults, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
