import { mkdtemp, writeFile } from 'node:fs/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { randomUUID } from 'node:crypto';
import { analyze, createInferenceContext } from '../../server/src/inference/index.ts';
import { writeClassifierModel } from '../../server/test/inference/support/model.ts';
import { startBenchServer, summarize } from '../lib/common.ts';
import { UploadClient } from './upload-client.ts';

const bench = await startBenchServer();
const { services } = bench.server.app;
const { prisma } = services.db;
const trial = await prisma.trial.create({ data: { key: `bench/${randomUUID()}`, number: 0, params: {}, metric: 'val_loss', filePath: 'tune/bench/trial_0.json' } });
const runId = randomUUID();
const dir = path.join(services.config.resultsDir, 'train', runId);
const model = await writeClassifierModel(dir, { inputSize: 224 });
await prisma.run.create({ data: { id: runId, trialId: trial.id, outputDir: dir, modelPath: model.modelPath, status: 'SUCCEEDED', config: {}, finishedAt: new Date() } });
await services.promotion.setProduction(runId, 'bench');
const image = await sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 60, g: 90, b: 130 }, noise: { type: 'gaussian', mean: 110, sigma: 30 } } }).jpeg({ quality: 85 }).toBuffer();
const scratch = await mkdtemp(path.join(tmpdir(), 'exp-'));
await writeFile(path.join(scratch, 'i.jpg'), image);
const direct = createInferenceContext({ resultsDir: scratch, limits: { maxBytes: 20e6 } });
const client = new UploadClient(bench.server.url, [path.join(scratch, 'i.jpg')]);
const gcs: { start: number; end: number; kind: number }[] = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration, kind: (e as any).detail?.kind }); }).observe({ entryTypes: ['gc'] });
const overlap = (a: number, b: number) => gcs.reduce((n, g) => n + Math.max(0, Math.min(b, g.end) - Math.max(a, g.start)), 0);
const inf = services.inference as any;
const orig = inf.analyzeUpload.bind(inf);
let win: [number, number] = [0, 0];
inf.analyzeUpload = async (f: any, id: any) => { const a = performance.now(); const r = await orig(f, id); win = [a, performance.now()]; return r; };
const res: Record<string, { ms: number[]; gc: number[] }> = { direct: { ms: [], gc: [] }, server: { ms: [], gc: [] } };
for (let i = 0; i < 120; i++) {
  for (const name of i % 2 ? ['direct', 'server'] : ['server', 'direct']) {
    if (name === 'direct') { const a = performance.now(); await analyze({ bytes: image, model: { id: runId, dir } }, direct); const b = performance.now(); await new Promise((r) => setTimeout(r, 5)); if (i >= 20) { res.direct.ms.push(b - a); res.direct.gc.push(overlap(a, b)); } }
    else { await client.analyze(0); await new Promise((r) => setTimeout(r, 5)); if (i >= 20) { res.server.ms.push(win[1] - win[0]); res.server.gc.push(overlap(win[0], win[1])); } }
  }
}
for (const [k, v] of Object.entries(res)) console.log(k, 'analyze p50', summarize(v.ms).p50.toFixed(2), 'mean', summarize(v.ms).mean.toFixed(2), 'gc-in-window mean', (v.gc.reduce((a, b) => a + b, 0) / v.gc.length).toFixed(2));
client.close(); await bench.close(); process.exit(0);
