import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, STRUCTURED_METRICS_PREFIX } from '../../server/src/logs/parse-metrics.ts';
import { classifyLevel } from '../../server/src/logs/classify-level.ts';
import { LineSplitter } from '../../server/src/logs/line-splitter.ts';
import { parseTrainerArgs, UsageError } from '../trainer/cli-args.ts';
import { Random } from '../trainer/random.ts';
import { NORMALISATION } from '../trainer/synthetic-images.ts';
import { sampleHyperParameters } from '../trainer/tune.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const trainerArgs = ['--import', 'tsx', 'examples/trainer/main.ts'];

/** Runs the trainer as the server does: a subprocess with an argument array, cwd = repo root. */
function trainer(args: string[]) {
  return execa(process.execPath, [...trainerArgs, ...args], { cwd: repoRoot, reject: false, timeout: 30_000 });
}

/** Splits output the way the server does, so progress bars count as one line each. */
function lines(output: string): string[] {
  const splitter = new LineSplitter();
  return [...splitter.push(Buffer.from(output)), ...splitter.end()].map((l) => l.text);
}

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'anana-trainer-'));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('trainer tune mode', () => {
  let result: Awaited<ReturnType<typeof trainer>>;
  let outputDir: string;
  beforeAll(async () => {
    outputDir = path.join(workDir, 'tune');
    result = await trainer(['--mode', 'tune', '--trials', '2', '--quick', '--seed', '7', '--flavor', 't4-small', '--output-dir', outputDir]);
  });

  it('exits 0 and writes one trial file per trial, and nothing else', async () => {
    expect(result.exitCode, result.stderr).toBe(0);
    expect((await readdir(outputDir)).sort()).toEqual(['trial_0.json', 'trial_1.json']);
  });

  it.each([0, 1])('writes trial_%i.json with the documented fields', async (number) => {
    const trial = JSON.parse(await readFile(path.join(outputDir, `trial_${number}.json`), 'utf8'));
    expect(trial).toMatchObject({ number, metric: 'val_loss', direction: 'minimize', epochs: 5, seed: 7, flavor: 't4-small' });
    expect(Object.keys(trial.params).sort()).toEqual(['batch_size', 'dropout', 'hidden_units', 'learning_rate', 'weight_decay']);
    expect(trial.score).toBe(Math.min(...trial.history.map((h: { val_loss: number }) => h.val_loss)));
    expect(Date.parse(trial.finishedAt)).toBeGreaterThanOrEqual(Date.parse(trial.startedAt));
  });

  it('prints one structured metrics line per epoch that the server parses', () => {
    const structured = lines(result.stdout).filter((l) => l.startsWith(STRUCTURED_METRICS_PREFIX));
    expect(structured).toHaveLength(2 * 5);
    for (const line of structured) {
      const parsed = parseMetrics(line);
      expect(parsed?.epoch).toBeGreaterThanOrEqual(1);
      expect(parsed?.values).toHaveProperty('val_loss');
      expect(parsed?.values).toHaveProperty('learning_rate');
    }
  });

  it('prints every other supported format so that each parser is exercised', () => {
    const stdout = lines(result.stdout);
    const stderr = lines(result.stderr);
    const huggingFace = stdout.filter((l) => l.startsWith("{'loss'"));
    expect(huggingFace).toHaveLength(2 * 5 * 2);
    for (const line of huggingFace) expect(parseMetrics(line)?.values).toHaveProperty('grad_norm');
    expect(stdout).toContain('Epoch 1/5');
    const keras = stdout.find((l) => l.includes('ms/step - loss: '));
    expect(keras && parseMetrics(keras)?.values).toHaveProperty('val_accuracy');
    const progress = stderr.filter((l) => l.startsWith('Epoch 1: 100%|'));
    expect(progress).toHaveLength(2);
    expect(parseMetrics(progress[0])).toMatchObject({ epoch: 1, values: { loss: expect.any(Number) } });
    expect(result.stderr).toContain('\r');
    const levels = stderr.map((l) => classifyLevel(l, 'STDERR'));
    expect(levels).toEqual(expect.arrayContaining(['DEBUG', 'INFO', 'WARNING']));
  });
});

describe('trainer train mode', () => {
  let outputDir: string;
  let exitCode: number | undefined;
  beforeAll(async () => {
    outputDir = path.join(workDir, 'train');
    const paramsFile = path.join(workDir, 'params.json');
    await writeFile(paramsFile, JSON.stringify({ number: 3, params: { learning_rate: 0.05, batch_size: 32, weight_decay: 1e-4, dropout: 0.1 } }));
    ({ exitCode } = await trainer(['--mode', 'train', '--quick', '--predict', '--params', paramsFile, '--output-dir', outputDir]));
  });

  it('exits 0 and writes the model files atomically', async () => {
    expect(exitCode).toBe(0);
    expect((await readdir(outputDir)).sort()).toEqual(['metrics.json', 'model.json', 'model.onnx', 'predictions.json']);
  });

  it('writes a model that onnxruntime loads and whose probabilities sum to 1', async () => {
    const session = await ort.InferenceSession.create(path.join(outputDir, 'model.onnx'));
    const sidecar = JSON.parse(await readFile(path.join(outputDir, 'model.json'), 'utf8'));
    const size = sidecar.inputSize;
    // A clearly red image, normalised as the sidecar says.
    const pixel = [0.9, 0.15, 0.15].map((v, c) => (v - sidecar.mean[c]) / sidecar.std[c]);
    const data = new Float32Array(3 * size * size);
    pixel.forEach((v, c) => data.fill(v, c * size * size, (c + 1) * size * size));
    const outputs = await session.run({ [sidecar.inputName]: new ort.Tensor('float32', data, [1, 3, size, size]) });
    await session.release();
    const probabilities = Array.from(outputs[sidecar.outputName].data as Float32Array);
    expect(probabilities).toHaveLength(sidecar.labels.length);
    expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(sidecar.labels[probabilities.indexOf(Math.max(...probabilities))]).toBe('red');
  });

  it('writes the documented sidecar, metrics and predictions', async () => {
    const read = async (name: string) => JSON.parse(await readFile(path.join(outputDir, name), 'utf8'));
    const [sidecar, metrics, predictions] = await Promise.all([read('model.json'), read('metrics.json'), read('predictions.json')]);
    expect(sidecar).toMatchObject({
      labels: ['red', 'green', 'blue'],
      inputName: 'input',
      outputName: 'probabilities',
      inputSize: 64,
      layout: 'NCHW',
      mean: [...NORMALISATION.mean],
      std: [...NORMALISATION.std],
      format: 'onnx',
      params: { learning_rate: 0.05, batch_size: 32, epochs: 10 },
    });
    expect(sidecar.metrics.val_loss).toBe(metrics.val_loss);
    expect(metrics.history).toHaveLength(10);
    expect(predictions.count).toBe(predictions.predictions.length);
    // The classes overlap a little by design; a working classifier still gets most of them right.
    expect(predictions.accuracy).toBeGreaterThan(0.8);
  });
});

describe('trainer process', () => {
  it('ends with 143 promptly after SIGTERM and leaves no temp file', async () => {
    const outputDir = path.join(workDir, 'stopped');
    const child = trainer(['--trials', '3', '--output-dir', outputDir]);
    // The first line proves the handler is installed (it is, before any output).
    await new Promise((resolve) => child.stderr!.once('data', resolve));
    const sentAt = performance.now();
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(143);
    // Typically ~50 ms; the bound only allows for a loaded CI machine.
    expect(performance.now() - sentAt).toBeLessThan(2_000);
    expect(result.stderr).toContain('received SIGTERM');
    expect((await readdir(outputDir)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('exits 2 with the usage on a bad argument', async () => {
    const result = await trainer(['--trials', 'many', '--output-dir', path.join(workDir, 'bad')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--trials must be an integer[\s\S]*usage:/);
  });

  it('exits 2 when the params file holds an invalid value', async () => {
    const paramsFile = path.join(workDir, 'bad-params.json');
    await writeFile(paramsFile, JSON.stringify({ learning_rate: -1 }));
    const result = await trainer(['--mode', 'train', '--params', paramsFile, '--output-dir', path.join(workDir, 'bad-train')]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('ERROR:anana.trainer:params.learning_rate is out of range');
  });
});

describe('parseTrainerArgs', () => {
  it('applies the documented defaults', () => {
    expect(parseTrainerArgs(['--output-dir', 'out'])).toEqual({
      mode: 'tune',
      trials: 4,
      quick: false,
      flavor: 'cpu',
      outputDir: path.resolve('out'),
      seed: 0,
      paramsFile: undefined,
      predict: false,
    });
  });

  it.each([
    ['no --output-dir', []],
    ['an unknown mode', ['--mode', 'eval', '--output-dir', 'o']],
    ['a non-numeric trial count', ['--trials', 'x', '--output-dir', 'o']],
    ['zero trials', ['--trials', '0', '--output-dir', 'o']],
    ['a negative seed', ['--seed', '-1', '--output-dir', 'o']],
    ['train without params', ['--mode', 'train', '--output-dir', 'o']],
    ['an unknown option', ['--epochs', '3', '--output-dir', 'o']],
  ])('rejects %s', (_name, argv) => {
    expect(() => parseTrainerArgs(argv)).toThrow(UsageError);
  });
});

describe('sampleHyperParameters', () => {
  it('draws the same parameters for the same seed and trial, and different ones otherwise', () => {
    const draw = (seed: number, trial: number) => sampleHyperParameters(Random.derive(seed, trial));
    expect(draw(0, 1)).toEqual(draw(0, 1));
    expect(draw(0, 1)).not.toEqual(draw(0, 2));
    expect(draw(0, 1)).not.toEqual(draw(1, 1));
  });

  it('stays inside the search space', () => {
    for (let trial = 0; trial < 200; trial++) {
      const p = sampleHyperParameters(Random.derive(0, trial));
      expect(p.learning_rate).toBeGreaterThanOrEqual(1e-4);
      expect(p.learning_rate).toBeLessThanOrEqual(1e-1);
      expect([16, 32, 64]).toContain(p.batch_size);
      expect(p.dropout).toBeGreaterThanOrEqual(0);
      expect(p.dropout).toBeLessThanOrEqual(0.5);
    }
  });
});
