import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeFileAtomic, writeJsonAtomic } from './atomic-write.ts';
import type { TrainerOptions } from './cli-args.ts';
import { buildClassifierOnnx, ONNX_INPUT_NAME, ONNX_OUTPUT_NAME } from './onnx-model.ts';
import { Random } from './random.ts';
import * as report from './report.ts';
import { argmax, SoftmaxClassifier, type Evaluation } from './softmax-classifier.ts';
import { CLASS_LABELS, generateDataset, NORMALISATION, SYNTHETIC_IMAGE_SIZE, type Dataset } from './synthetic-images.ts';

/** The input size written into the model: larger than the training images because real photos get resized to it. */
export const MODEL_INPUT_SIZE = 64;
const TRAIN_IMAGES = 600;
const HELD_OUT_IMAGES = 150;
/** Independent random streams, so that changing one data set leaves the others as they were. */
const STREAM = { train: 1_000, heldOut: 1_001, shuffle: 1_002 } as const;

/** The hyper-parameters the real training uses; the others of a trial (dropout, width) are recorded only. */
export interface TrainingSettings {
  learning_rate: number;
  batch_size: number;
  weight_decay: number;
  epochs: number;
}

/** Bad content in the `--params` file: main reports it and exits 2. */
export class ParamsError extends Error {}

interface EpochMetrics {
  epoch: number;
  train_loss: number;
  accuracy: number;
  val_loss: number;
  val_accuracy: number;
}

/** Trains the classifier with the promoted hyper-parameters and writes the model files. */
export async function runTraining(options: TrainerOptions): Promise<void> {
  const params = await readParams(options.paramsFile!);
  const settings = trainingSettings(params, options.quick);
  report.logWithTime('INFO', `final training on flavor ${options.flavor} with ${JSON.stringify(settings)}`);
  const train = generateDataset(Random.derive(options.seed, STREAM.train), TRAIN_IMAGES);
  const heldOut = generateDataset(Random.derive(options.seed, STREAM.heldOut), HELD_OUT_IMAGES);
  report.log('DEBUG', `synthetic data: ${TRAIN_IMAGES} training and ${HELD_OUT_IMAGES} held-out images of ${SYNTHETIC_IMAGE_SIZE}x${SYNTHETIC_IMAGE_SIZE}`);

  const model = new SoftmaxClassifier(CLASS_LABELS.length, 3);
  const shuffler = Random.derive(options.seed, STREAM.shuffle);
  const history: EpochMetrics[] = [];
  for (let epoch = 1; epoch <= settings.epochs; epoch++) {
    const metrics = trainEpoch(model, train, heldOut, settings, epoch, shuffler);
    warnIfValidationWorsened(history, metrics);
    history.push(metrics);
    // Yielding between epochs keeps SIGTERM prompt; the pause makes a full run watchable live.
    await sleep(options.quick ? 40 : 300);
  }

  const final = history[history.length - 1];
  await writeModelFiles(options, model, params, settings, final, history);
  if (options.predict) await writePredictions(options.outputDir, model, heldOut);
  report.log('INFO', `final training finished: val_loss ${final.val_loss}, val_accuracy ${final.val_accuracy}`);
}

/** Reads `--params`: a plain object of hyper-parameters, or a trial file whose `params` holds them. */
export async function readParams(file: string): Promise<Record<string, unknown>> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new ParamsError(`cannot read --params ${file}: ${(error as Error).message}`);
  }
  if (!isPlainObject(json)) throw new ParamsError(`--params ${file} must hold a JSON object`);
  return isPlainObject(json.params) ? json.params : json;
}

/** Picks and validates the settings training uses, with defaults for those the params leave out. */
export function trainingSettings(params: Record<string, unknown>, quick: boolean): TrainingSettings {
  return {
    learning_rate: numberParam(params, 'learning_rate', 0.01, (v) => v > 0 && v <= 10),
    batch_size: numberParam(params, 'batch_size', 32, (v) => Number.isInteger(v) && v >= 1 && v <= 4096),
    weight_decay: numberParam(params, 'weight_decay', 0, (v) => v >= 0 && v < 1),
    epochs: numberParam(params, 'epochs', quick ? 10 : 30, (v) => Number.isInteger(v) && v >= 1 && v <= 1000),
  };
}

function numberParam(params: Record<string, unknown>, name: string, fallback: number, valid: (v: number) => boolean): number {
  const value = params[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    throw new ParamsError(`params.${name} is out of range: ${JSON.stringify(value)}`);
  }
  return value;
}

function trainEpoch(
  model: SoftmaxClassifier,
  train: Dataset,
  heldOut: Dataset,
  settings: TrainingSettings,
  epoch: number,
  shuffler: Random,
): EpochMetrics {
  const started = performance.now();
  const order = shuffler.shuffle(train.labels.map((_, i) => i));
  const batches = Math.ceil(order.length / settings.batch_size);
  report.kerasEpochHeader(epoch, settings.epochs);
  const bar = new report.ProgressBar(`Epoch ${epoch}`, batches);
  for (let b = 0; b < batches; b++) {
    const indices = order.slice(b * settings.batch_size, (b + 1) * settings.batch_size);
    const loss = model.trainBatch(
      indices.map((i) => train.features[i]),
      indices.map((i) => train.labels[i]),
      settings.learning_rate,
      settings.weight_decay,
    );
    bar.update(b + 1, { loss: report.round(loss, 3), v_num: 0 });
  }
  bar.close();

  const metrics = epochMetrics(epoch, model.evaluate(train.features, train.labels), model.evaluate(heldOut.features, heldOut.labels));
  report.huggingFaceDict({ loss: metrics.train_loss, learning_rate: settings.learning_rate, epoch });
  report.kerasEpochSummary(batches, performance.now() - started, {
    loss: metrics.train_loss,
    accuracy: metrics.accuracy,
    val_loss: metrics.val_loss,
    val_accuracy: metrics.val_accuracy,
  });
  report.structuredMetrics({ step: epoch * batches, ...metrics, learning_rate: settings.learning_rate });
  return metrics;
}

function epochMetrics(epoch: number, train: Evaluation, heldOut: Evaluation): EpochMetrics {
  return {
    epoch,
    train_loss: report.round(train.loss),
    accuracy: report.round(train.accuracy),
    val_loss: report.round(heldOut.loss),
    val_accuracy: report.round(heldOut.accuracy),
  };
}

function warnIfValidationWorsened(history: EpochMetrics[], current: EpochMetrics): void {
  const previous = history[history.length - 1];
  if (previous && current.val_loss > previous.val_loss) {
    report.log('WARNING', `val_loss rose from ${previous.val_loss} to ${current.val_loss} in epoch ${current.epoch}`);
  }
}

/** `model.onnx` first, then its sidecar, so whoever sees `model.json` finds the model complete. */
async function writeModelFiles(
  options: TrainerOptions,
  model: SoftmaxClassifier,
  params: Record<string, unknown>,
  settings: TrainingSettings,
  final: EpochMetrics,
  history: EpochMetrics[],
): Promise<void> {
  const labels = [...CLASS_LABELS];
  const normalisation = { mean: [...NORMALISATION.mean], std: [...NORMALISATION.std] };
  const onnxBytes = buildClassifierOnnx({ weights: model.weights, bias: model.bias, labels, inputSize: MODEL_INPUT_SIZE, ...normalisation });
  const { epoch: _epoch, ...finalValues } = final;
  await writeFileAtomic(path.join(options.outputDir, 'model.onnx'), onnxBytes);
  await writeJsonAtomic(path.join(options.outputDir, 'model.json'), {
    labels,
    inputName: ONNX_INPUT_NAME,
    outputName: ONNX_OUTPUT_NAME,
    inputSize: MODEL_INPUT_SIZE,
    layout: 'NCHW',
    ...normalisation,
    format: 'onnx',
    params: { ...params, ...settings },
    metrics: finalValues,
    seed: options.seed,
    flavor: options.flavor,
    createdAt: new Date().toISOString(),
  });
  await writeJsonAtomic(path.join(options.outputDir, 'metrics.json'), {
    ...finalValues,
    metric: 'val_loss',
    direction: 'minimize',
    score: final.val_loss,
    epochs: settings.epochs,
    history,
  });
  report.log('INFO', `saved model.onnx (${onnxBytes.length} bytes) and model.json`);
}

async function writePredictions(outputDir: string, model: SoftmaxClassifier, heldOut: Dataset): Promise<void> {
  const predictions = heldOut.features.map((features, index) => {
    const probabilities = model.probabilities(features);
    const predicted = argmax(probabilities);
    return {
      index,
      label: CLASS_LABELS[heldOut.labels[index]],
      predicted: CLASS_LABELS[predicted],
      correct: predicted === heldOut.labels[index],
      confidence: report.round(probabilities[predicted]),
      probabilities: Object.fromEntries(CLASS_LABELS.map((label, k) => [label, report.round(probabilities[k])])),
    };
  });
  const correct = predictions.filter((p) => p.correct).length;
  await writeJsonAtomic(path.join(outputDir, 'predictions.json'), {
    labels: [...CLASS_LABELS],
    count: predictions.length,
    accuracy: report.round(correct / predictions.length),
    predictions,
  });
  report.log('INFO', `wrote predictions.json: ${correct}/${predictions.length} held-out images correct`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
