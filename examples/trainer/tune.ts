import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeJsonAtomic } from './atomic-write.ts';
import type { TrainerOptions } from './cli-args.ts';
import { Random } from './random.ts';
import * as report from './report.ts';

export interface HyperParameters {
  learning_rate: number;
  batch_size: number;
  hidden_units: number;
  weight_decay: number;
  dropout: number;
}

/** What `trial_<n>.json` holds. */
export interface TrialFile {
  number: number;
  params: HyperParameters;
  /** Best validation loss over the trial's epochs. */
  score: number;
  metric: 'val_loss';
  direction: 'minimize';
  epochs: number;
  bestEpoch: number;
  startedAt: string;
  finishedAt: string;
  seed: number;
  flavor: string;
  quick: boolean;
  history: EpochRecord[];
}

export interface EpochRecord {
  epoch: number;
  train_loss: number;
  val_loss: number;
  val_accuracy: number;
}

interface Pace {
  epochs: number;
  stepsPerEpoch: number;
  stepMs: number;
}

/** Pace of a simulated trial: quick ≈ 5 × 8 × 30 ms ≈ 1.2 s, full ≈ 10 × 20 × 50 ms = 10 s. */
const PACE: Readonly<Record<'quick' | 'full', Pace>> = {
  quick: { epochs: 5, stepsPerEpoch: 8, stepMs: 30 },
  full: { epochs: 10, stepsPerEpoch: 20, stepMs: 50 },
};

/** How often a trial logs a (harmless) ERROR line, so that the console shows one now and then. */
const NON_FATAL_ERROR_RATE = 0.35;

/** Draws one hyper-parameter set from the search space. */
export function sampleHyperParameters(rng: Random): HyperParameters {
  return {
    learning_rate: report.round(rng.logUniform(1e-4, 1e-1)),
    batch_size: rng.choice([16, 32, 64] as const),
    hidden_units: rng.choice([32, 64, 128, 256] as const),
    weight_decay: report.round(rng.logUniform(1e-6, 1e-2)),
    dropout: report.round(rng.uniform(0, 0.5), 3),
  };
}

/**
 * A plausible training curve for a hyper-parameter set: losses decay towards a floor that is lowest
 * near learning_rate 3e-3, batch 32, 128 units, dropout 0.15, weight decay 1e-4; a low learning rate
 * converges slowly, little dropout over-fits late, and every value carries noise.
 */
export class SimulatedCurve {
  readonly floor: number;
  readonly speed: number;

  constructor(
    private readonly params: HyperParameters,
    private readonly rng: Random,
  ) {
    this.floor = 0.22 + distanceFromOptimum(params);
    this.speed = 0.25 + 0.5 * Math.min(1, Math.sqrt(params.learning_rate / 3e-3));
  }

  /** Loss of one batch at fractional epoch `t`. */
  batchLoss(t: number): number {
    const expected = 0.85 * this.floor + (1.1 - 0.85 * this.floor) * Math.exp(-this.speed * t);
    return Math.max(0.01, expected + 0.04 * this.rng.normal());
  }

  validationLoss(epoch: number): number {
    const overfit = Math.max(0, epoch - 6) * 0.012 * Math.max(0, 1 - 1.6 * this.params.dropout);
    const expected = this.floor + (1.15 - this.floor) * Math.exp(-this.speed * epoch) + overfit;
    return Math.max(0.01, expected + 0.012 * this.rng.normal());
  }
}

/** Accuracy that goes with a loss on this three-class problem. */
export function accuracyFor(loss: number): number {
  return Math.min(0.99, Math.max(1 / 3, 1.02 - 0.45 * loss));
}

/** Runs `options.trials` simulated trials one after the other, writing `trial_<n>.json` after each. */
export async function runTuning(options: TrainerOptions): Promise<TrialFile[]> {
  const pace = options.quick ? PACE.quick : PACE.full;
  report.logWithTime('INFO', `tuning ${options.trials} trials on flavor ${options.flavor} (seed ${options.seed}, quick ${options.quick})`);
  report.pythonWarning('UserWarning', 'training on synthetic data: scores are not comparable with real datasets');
  const results: TrialFile[] = [];
  for (let number = 0; number < options.trials; number++) results.push(await runTrial(number, options, pace));
  const best = results.reduce((a, b) => (b.score < a.score ? b : a));
  report.log('INFO', `tuning finished: best trial ${best.number} with val_loss ${best.score}`);
  return results;
}

async function runTrial(number: number, options: TrainerOptions, pace: Pace): Promise<TrialFile> {
  const startedAt = new Date().toISOString();
  const rng = Random.derive(options.seed, number);
  const params = sampleHyperParameters(rng);
  const curve = new SimulatedCurve(params, rng);
  const failingEpoch = rng.next() < NON_FATAL_ERROR_RATE ? 1 + Math.floor(rng.next() * pace.epochs) : -1;
  report.log('INFO', `trial ${number} started with params ${JSON.stringify(params)}`);
  report.logWithTime('DEBUG', `trial ${number} random stream derived from seed ${options.seed}`);

  const history: EpochRecord[] = [];
  let best = { loss: Infinity, epoch: 0 };
  for (let epoch = 1; epoch <= pace.epochs; epoch++) {
    const record = await runEpoch(epoch, params, curve, pace, number);
    history.push(record);
    if (record.val_loss < best.loss) {
      best = { loss: record.val_loss, epoch };
      report.log('DEBUG', `new best val_loss ${record.val_loss} in trial ${number}`);
    } else if (epoch - best.epoch >= 2) {
      report.log('WARNING', `val_loss has not improved for ${epoch - best.epoch} epochs (best ${best.loss})`);
    }
    if (epoch === failingEpoch) {
      report.log('ERROR', 'could not upload the checkpoint preview (simulated, non-fatal); training continues');
    }
  }

  const trial: TrialFile = {
    number,
    params,
    score: best.loss,
    metric: 'val_loss',
    direction: 'minimize',
    epochs: pace.epochs,
    bestEpoch: best.epoch,
    startedAt,
    finishedAt: new Date().toISOString(),
    seed: options.seed,
    flavor: options.flavor,
    quick: options.quick,
    history,
  };
  await writeJsonAtomic(path.join(options.outputDir, `trial_${number}.json`), trial);
  report.log('INFO', `trial ${number} finished: best val_loss ${best.loss} at epoch ${best.epoch}, wrote trial_${number}.json`);
  return trial;
}

async function runEpoch(
  epoch: number,
  params: HyperParameters,
  curve: SimulatedCurve,
  pace: Pace,
  trial: number,
): Promise<EpochRecord> {
  const started = performance.now();
  const learningRate = cosineLearningRate(params.learning_rate, epoch - 1, pace.epochs);
  report.kerasEpochHeader(epoch, pace.epochs);
  const bar = new report.ProgressBar(`Epoch ${epoch}`, pace.stepsPerEpoch);
  let lossSum = 0;
  for (let step = 1; step <= pace.stepsPerEpoch; step++) {
    await sleep(pace.stepMs);
    const loss = curve.batchLoss(epoch - 1 + step / pace.stepsPerEpoch);
    lossSum += loss;
    bar.update(step, { loss: report.round(loss, 3), v_num: 0 });
    if (step === pace.stepsPerEpoch / 2 || step === pace.stepsPerEpoch) {
      report.huggingFaceDict({
        loss: report.round(loss),
        grad_norm: report.round(Math.abs(0.4 + 1.5 * loss + 0.1 * curve.batchLoss(epoch))),
        learning_rate: report.round(learningRate),
        epoch: report.round(epoch - 1 + step / pace.stepsPerEpoch, 3),
      });
    }
  }
  bar.close();

  const trainLoss = report.round(lossSum / pace.stepsPerEpoch);
  const valLoss = report.round(curve.validationLoss(epoch));
  const valAccuracy = report.round(accuracyFor(valLoss));
  report.kerasEpochSummary(pace.stepsPerEpoch, performance.now() - started, {
    loss: trainLoss,
    accuracy: accuracyFor(trainLoss),
    val_loss: valLoss,
    val_accuracy: valAccuracy,
  });
  report.structuredMetrics({
    trial,
    step: epoch * pace.stepsPerEpoch,
    epoch,
    train_loss: trainLoss,
    val_loss: valLoss,
    val_accuracy: valAccuracy,
    learning_rate: report.round(learningRate),
  });
  return { epoch, train_loss: trainLoss, val_loss: valLoss, val_accuracy: valAccuracy };
}

/** Cosine decay from the base rate to a tenth of it, as most schedulers would. */
export function cosineLearningRate(base: number, epochIndex: number, epochs: number): number {
  const progress = epochs <= 1 ? 0 : epochIndex / (epochs - 1);
  return base * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progress)));
}

function distanceFromOptimum(p: HyperParameters): number {
  return (
    0.12 * Math.log10(p.learning_rate / 3e-3) ** 2 +
    0.03 * Math.abs(Math.log2(p.batch_size / 32)) +
    0.025 * Math.abs(Math.log2(p.hidden_units / 128)) +
    0.4 * (p.dropout - 0.15) ** 2 +
    0.015 * Math.abs(Math.log10(p.weight_decay) + 4)
  );
}
