/**
 * The example trainer: runs offline with the project's own dependencies and follows the trainer contract
 * (see examples/README.md). `--mode tune` simulates a hyper-parameter search; `--mode train` really
 * trains a small colour classifier and exports it as ONNX.
 */
import { mkdir } from 'node:fs/promises';
import { removePendingTempFiles } from './atomic-write.ts';
import { parseTrainerArgs, USAGE, UsageError } from './cli-args.ts';
import * as report from './report.ts';
import { ParamsError, runTraining } from './train.ts';
import { runTuning } from './tune.ts';

/** Shell convention: 128 + signal number. */
const EXIT_ON_SIGNAL = { SIGTERM: 143, SIGINT: 130 } as const;
const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;

function installSignalHandlers(): void {
  for (const [signal, code] of Object.entries(EXIT_ON_SIGNAL)) {
    process.once(signal, () => {
      removePendingTempFiles();
      // The leading newline ends a progress bar that may be half drawn on stderr.
      process.stderr.write('\n');
      report.log('WARNING', `received ${signal}, stopping now; the unfinished trial is discarded`);
      process.exit(code);
    });
  }
}

async function main(argv: string[]): Promise<number> {
  installSignalHandlers();
  try {
    const options = parseTrainerArgs(argv);
    await mkdir(options.outputDir, { recursive: true });
    if (options.mode === 'tune') await runTuning(options);
    else await runTraining(options);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`error: ${error.message}\n${USAGE}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ParamsError) {
      report.log('ERROR', error.message);
      return EXIT_USAGE;
    }
    report.log('ERROR', `trainer failed: ${(error as Error).stack ?? String(error)}`);
    return EXIT_FAILURE;
  }
}

process.exitCode = await main(process.argv.slice(2));
