import path from 'node:path';
import { parseArgs } from 'node:util';

export type TrainerMode = 'tune' | 'train';

export interface TrainerOptions {
  mode: TrainerMode;
  trials: number;
  quick: boolean;
  flavor: string;
  outputDir: string;
  seed: number;
  /** Train mode: JSON file with the hyper-parameters (a plain object, or a trial file with `params`). */
  paramsFile: string | undefined;
  predict: boolean;
}

/** A command-line mistake: main prints it with the usage and exits 2, like argparse does. */
export class UsageError extends Error {}

export const USAGE = `usage: node --import tsx examples/trainer/main.ts --output-dir DIR [options]
  --mode tune|train   tune: try N hyper-parameter sets; train: final training of one set (default tune)
  --trials N          tune: number of trials (default 4)
  --quick             about 1-2 s per trial instead of about 10 s
  --flavor NAME       hardware flavor, recorded only (default cpu)
  --output-dir DIR    where trial_<n>.json or the model files are written (required)
  --seed N            makes trials, data and noise reproducible (default 0)
  --params FILE       train: JSON hyper-parameters (a trial file works too)
  --predict           train: also write predictions.json for a held-out set`;

/** Parses and validates the trainer's arguments. @throws UsageError on anything invalid. */
export function parseTrainerArgs(argv: string[]): TrainerOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        mode: { type: 'string', default: 'tune' },
        trials: { type: 'string', default: '4' },
        quick: { type: 'boolean', default: false },
        flavor: { type: 'string', default: 'cpu' },
        'output-dir': { type: 'string' },
        seed: { type: 'string', default: '0' },
        params: { type: 'string' },
        predict: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const mode = values.mode;
  if (mode !== 'tune' && mode !== 'train') throw new UsageError(`--mode must be tune or train, got ${JSON.stringify(mode)}`);
  if (!values['output-dir']) throw new UsageError('--output-dir is required');
  if (mode === 'train' && !values.params) throw new UsageError('--mode train needs --params FILE');
  return {
    mode,
    trials: integerOption('trials', values.trials, 1, 1000),
    quick: values.quick,
    flavor: values.flavor,
    outputDir: path.resolve(values['output-dir']),
    seed: integerOption('seed', values.seed, 0, 2 ** 32 - 1),
    paramsFile: values.params === undefined ? undefined : path.resolve(values.params),
    predict: values.predict,
  };
}

function integerOption(name: string, raw: string, min: number, max: number): number {
  const value = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
