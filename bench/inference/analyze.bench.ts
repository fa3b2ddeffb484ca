// analyzeImage over GraphQL (a real server, multipart uploads over HTTP from a client process of its own, as
// clients are) against the same model and images analysed directly in one process with the domain's analyze()
// (sharp + onnxruntime-node, no HTTP, no GraphQL). The two are measured alternately, call by call.
// Goals (issue 5): p50 latency ≤ 1.15× direct; throughput at concurrency 2 ≥ 0.9× direct.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { analyze, createInferenceContext } from '../../server/src/inference/index.ts';
import type { Services } from '../../server/src/services.ts';
import { writeClassifierModel } from '../../server/test/inference/support/model.ts';
import { cpuMsSince } from '../lib/cpu.ts';
import { fmt, log, newResult, round, runIfMain, startBenchServer, summarize, type BenchResult, type Verdict } from '../lib/common.ts';
import { UploadClient, type Transport } from './upload-client.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const WARMUP = 20;
const THROUGHPUT_REQUESTS = Number(process.env.BENCH_THROUGHPUT_REQUESTS ?? 120);
const THROUGHPUT_ROUNDS = Number(process.env.BENCH_THROUGHPUT_ROUNDS ?? 4);
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

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/** `graphql` is sent with undici's request, `graphqlFetch` with Node's fetch (see upload-client.ts); the verdicts use `graphql`. */
type Variant = 'direct' | 'graphql' | 'graphqlFetch';
const VARIANTS: Variant[] = ['direct', 'graphql', 'graphqlFetch'];

/** Latency per call (ms) of image `i`, the variants interleaved (their order rotating) so that drift affects all alike. */
async function latencies(call: Record<Variant, (image: number) => Promise<number>>, images: number) {
  const samples: Record<Variant, number[]> = { direct: [], graphql: [], graphqlFetch: [] };
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const name = VARIANTS[(i + k) % VARIANTS.length]!;
      const ms = await call[name](i % images);
      if (i >= WARMUP) samples[name].push(ms);
    }
  }
  return { direct: summarize(samples.direct), graphql: summarize(samples.graphql), graphqlFetch: summarize(samples.graphqlFetch) };
}

/** Calls per second in process with `CONCURRENCY` callers each taking the next image until `THROUGHPUT_REQUESTS` are done. */
async function directThroughput(call: (image: Buffer) => Promise<unknown>, images: Buffer[]): Promise<number> {
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
  log(`inference: analyzeImage over GraphQL vs analyze() in process; ${ITERATIONS} calls per variant, then ${THROUGHPUT_ROUNDS} rounds of ${THROUGHPUT_REQUESTS} at concurrency ${CONCURRENCY}`);
  const loadBefore = round(loadavg()[0]!, 2);
  const bench = await startBenchServer();
  const scratch = await mkdtemp(path.join(tmpdir(), 'anana-bench-inference-'));
  const direct = createInferenceContext({ resultsDir: path.join(scratch, 'direct'), limits: { maxBytes: bench.server.config.maxUploadBytes } });
  let client: UploadClient | undefined;
  try {
    const { services } = bench.server.app;
    const model = await promoteModel(services);
    const images = await Promise.all(IMAGE_SIZES.map(([w, h], i) => photo(w, h, i)));
    const imageFiles = images.map((_, i) => path.join(scratch, 'images', `${i}.jpg`));
    await mkdir(path.join(scratch, 'images'));
    await Promise.all(images.map((image, i) => writeFile(imageFiles[i]!, image)));
    log(`  ${images.length} JPEGs, ${fmt(Math.min(...images.map((b) => b.length)) / 1024, 0)}–${fmt(Math.max(...images.map((b) => b.length)) / 1024, 0)} KiB; model input ${INPUT_SIZE}×${INPUT_SIZE}`);
    client = new UploadClient(bench.server.url, imageFiles);
    const graphqlClient = client;

    const analyzeDirect = (image: Buffer) => analyze({ bytes: image, model: { id: model.runId, dir: model.dir } }, direct);
    // Both paths must give the same answer for the comparison to mean anything.
    for (const [i, image] of images.entries()) {
      const a = await analyzeDirect(image);
      for (const transport of ['undici', 'fetch'] as const) {
        const b = (await graphqlClient.analyze(i, transport)).analysis;
        if (b.model.id !== model.runId || JSON.stringify(a.predictions) !== JSON.stringify(b.predictions)) throw new Error(`the direct and GraphQL (${transport}) paths disagree`);
      }
    }

    // What analyze() itself took inside the server, to tell the cost of HTTP and GraphQL from the rest.
    const serverAnalyzeMs: number[] = [];
    const latency = await latencies(
      {
        direct: (i) => timed(() => analyzeDirect(images[i]!)),
        graphql: async (i) => {
          const { ms, analysis } = await graphqlClient.analyze(i, 'undici');
          serverAnalyzeMs.push(analysis.timings.totalMs);
          return ms;
        },
        graphqlFetch: async (i) => (await graphqlClient.analyze(i, 'fetch')).ms,
      },
      images.length,
    );
    const insideServer = summarize(serverAnalyzeMs.slice(WARMUP));
    // THROUGHPUT_ROUNDS rounds each, the variants' order rotating from round to round, so that none always runs on a
    // warmer or a busier machine; one round is a couple of seconds, and this machine's speed drifts by more than the
    // effect from one to the next. CPU per call tells a CPU-bound machine's throughput apart from the latency: the
    // server's process (this one) and the client's.
    const rounds: Record<Variant, number[]> = { direct: [], graphql: [], graphqlFetch: [] };
    const cpuMs = { direct: 0, graphqlServer: 0, graphqlClient: 0, graphqlFetchServer: 0, graphqlFetchClient: 0 };
    const burst = (variant: 'graphql' | 'graphqlFetch', transport: Transport) => async () => {
      const cpu = process.cpuUsage();
      const result = await graphqlClient.burst(THROUGHPUT_REQUESTS, CONCURRENCY, transport);
      cpuMs[`${variant}Server`] += cpuMsSince(cpu);
      cpuMs[`${variant}Client`] += result.cpuMs;
      rounds[variant].push(result.perSecond);
    };
    const measure: Record<Variant, () => Promise<void>> = {
      direct: async () => {
        const cpu = process.cpuUsage();
        rounds.direct.push(await directThroughput(analyzeDirect, images));
        cpuMs.direct += cpuMsSince(cpu);
      },
      graphql: burst('graphql', 'undici'),
      graphqlFetch: burst('graphqlFetch', 'fetch'),
    };
    for (let r = 0; r < THROUGHPUT_ROUNDS; r++) {
      for (let k = 0; k < VARIANTS.length; k++) await measure[VARIANTS[(r + k) % VARIANTS.length]!]();
    }
    const mean = (values: number[]) => values.reduce((a, b) => a + b) / values.length;
    const rps = { direct: mean(rounds.direct), graphql: mean(rounds.graphql), graphqlFetch: mean(rounds.graphqlFetch) };
    const perCall = (ms: number) => round(ms / (THROUGHPUT_ROUNDS * THROUGHPUT_REQUESTS), 2);
    const cpuPerCall = {
      direct: perCall(cpuMs.direct),
      graphqlServer: perCall(cpuMs.graphqlServer),
      graphqlClient: perCall(cpuMs.graphqlClient),
      graphqlFetchServer: perCall(cpuMs.graphqlFetchServer),
      graphqlFetchClient: perCall(cpuMs.graphqlFetchClient),
    };

    const latencyRatio = round(latency.graphql.p50 / latency.direct.p50, 3);
    const throughputRatio = round(rps.graphql / rps.direct, 3);
    const fetchLatencyRatio = round(latency.graphqlFetch.p50 / latency.direct.p50, 3);
    const fetchThroughputRatio = round(rps.graphqlFetch / rps.direct, 3);
    const verdicts: Verdict[] = [
      { label: 'p50 latency, GraphQL multipart / direct', ratio: latencyRatio, goal: `≤ ${LATENCY_GOAL}×`, pass: latencyRatio <= LATENCY_GOAL },
      { label: `throughput at concurrency ${CONCURRENCY}, GraphQL / direct`, ratio: throughputRatio, goal: `≥ ${THROUGHPUT_GOAL}×`, pass: throughputRatio >= THROUGHPUT_GOAL },
      { label: 'p50 latency, client on Node fetch / direct', ratio: fetchLatencyRatio, goal: 'none (information)', pass: null },
      { label: `throughput at c=${CONCURRENCY}, client on Node fetch / direct`, ratio: fetchThroughputRatio, goal: 'none (information)', pass: null },
    ];
    log('                 p50 ms    p95 ms    p99 ms   req/s (c=2)');
    for (const name of VARIANTS) {
      const s = latency[name];
      log(`    ${name.padEnd(12)} ${fmt(s.p50, 2).padStart(8)}  ${fmt(s.p95, 2).padStart(8)}  ${fmt(s.p99, 2).padStart(8)}  ${fmt(rps[name], 1).padStart(10)}`);
    }
    log(`  inside the server, analyze() took p50 ${fmt(insideServer.p50, 2)} ms; HTTP + multipart + GraphQL add ${fmt(latency.graphql.p50 - latency.direct.p50, 2)} ms at p50`);
    log(`  CPU per call: direct ${fmt(cpuPerCall.direct, 1)} ms; GraphQL ${fmt(cpuPerCall.graphqlServer, 1)} ms in the server + ${fmt(cpuPerCall.graphqlClient, 1)} ms in the client (with fetch: ${fmt(cpuPerCall.graphqlFetchServer, 1)} + ${fmt(cpuPerCall.graphqlFetchClient, 1)} ms)`);
    log(`  ratios: latency ${latencyRatio}, throughput ${throughputRatio}; with fetch ${fetchLatencyRatio}, ${fetchThroughputRatio} (1-minute load average ${fmt(loadavg()[0]!, 2)} on ${cpus().length} CPUs)`);
    const stats = (s: ReturnType<typeof summarize>) => ({ n: s.n, p50: round(s.p50, 3), p95: round(s.p95, 3), p99: round(s.p99, 3), mean: round(s.mean, 3), min: round(s.min, 3), max: round(s.max, 3) });
    return newResult('inference', verdicts, {
      iterations: ITERATIONS,
      warmup: WARMUP,
      throughputRequests: THROUGHPUT_REQUESTS,
      throughputRounds: THROUGHPUT_ROUNDS,
      concurrency: CONCURRENCY,
      modelInputSize: INPUT_SIZE,
      images: IMAGE_SIZES.map(([width, height], i) => ({ width, height, bytes: images[i]!.length })),
      latencyMs: { direct: stats(latency.direct), graphql: stats(latency.graphql), graphqlFetch: stats(latency.graphqlFetch), analyzeInsideServer: stats(insideServer) },
      latencyRatioP50: latencyRatio,
      throughputRps: {
        direct: round(rps.direct, 2),
        graphql: round(rps.graphql, 2),
        graphqlFetch: round(rps.graphqlFetch, 2),
        rounds: { direct: rounds.direct.map((r) => round(r, 2)), graphql: rounds.graphql.map((r) => round(r, 2)), graphqlFetch: rounds.graphqlFetch.map((r) => round(r, 2)) },
      },
      throughputRatio,
      fetch: { latencyRatioP50: fetchLatencyRatio, throughputRatio: fetchThroughputRatio },
      cpuMsPerCall: cpuPerCall,
      loadAverage1mBefore: loadBefore,
    });
  } finally {
    client?.close();
    direct.sessions.close();
    await bench.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

runIfMain(import.meta.url, run);
