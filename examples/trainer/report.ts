/**
 * The output formats the trainer prints. Each imitates what a real framework writes, so that one run
 * exercises every parser of the control plane: the structured ANANA_METRICS line, Hugging Face Trainer
 * dicts, Keras epoch lines, tqdm/Lightning progress bars with carriage returns, Python logging and
 * Python warnings. Metrics go to stdout, logging and progress to stderr, as in Python.
 */

export type PythonLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';

const LOGGER = 'anana.trainer';
export const STRUCTURED_PREFIX = 'ANANA_METRICS ';

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function err(text: string): void {
  process.stderr.write(text);
}

/** `logging.basicConfig()`'s default format: `LEVEL:logger:message`. */
export function log(level: PythonLevel, message: string): void {
  err(`${level}:${LOGGER}:${message}\n`);
}

/** The common `%(asctime)s - %(name)s - %(levelname)s - %(message)s` format. */
export function logWithTime(level: PythonLevel, message: string, now = new Date()): void {
  err(`${pythonAsctime(now)} - ${LOGGER} - ${level} - ${message}\n`);
}

/** What `warnings.warn(message, category)` prints: `file:line: Category: message`. */
export function pythonWarning(category: string, message: string): void {
  err(`examples/trainer/main.ts:1: ${category}: ${message}\n`);
}

/** The documented structured form: the prefix, then one JSON object on the same line. */
export function structuredMetrics(values: Record<string, number>): void {
  out(STRUCTURED_PREFIX + JSON.stringify(values));
}

/** Hugging Face Trainer's log dict: a Python dict repr with single quotes and Python float repr. */
export function huggingFaceDict(values: Record<string, number>): void {
  const pairs = Object.entries(values).map(([key, value]) => `'${key}': ${pythonFloat(value)}`);
  out(`{${pairs.join(', ')}}`);
}

/** Keras `fit(verbose=1)`: `Epoch 3/10`, printed before the epoch's progress. */
export function kerasEpochHeader(epoch: number, epochs: number): void {
  out(`Epoch ${epoch}/${epochs}`);
}

/** Keras' final progress line of an epoch: `8/8 [=====] - 0s 30ms/step - loss: 0.4100 - ...`. */
export function kerasEpochSummary(steps: number, elapsedMs: number, values: Record<string, number>): void {
  const bar = '='.repeat(30);
  const perStep = Math.max(1, Math.round(elapsedMs / steps));
  const metrics = Object.entries(values).map(([key, value]) => ` - ${key}: ${value.toFixed(4)}`);
  out(`${steps}/${steps} [${bar}] - ${Math.round(elapsedMs / 1000)}s ${perStep}ms/step${metrics.join('')}`);
}

/**
 * A tqdm bar as PyTorch Lightning draws it on stderr: each update starts with `\r` and redraws the
 * whole line; `close` ends it with `\n`, so the final state is what a log keeps.
 */
export class ProgressBar {
  readonly #started = performance.now();
  #drawn = false;

  constructor(
    private readonly description: string,
    private readonly total: number,
  ) {}

  update(done: number, postfix: Record<string, number>): void {
    const elapsed = (performance.now() - this.#started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const remaining = rate > 0 ? (this.total - done) / rate : 0;
    const fraction = done / this.total;
    const filled = Math.round(fraction * 10);
    const bar = '█'.repeat(filled) + ' '.repeat(10 - filled);
    const fields = Object.entries(postfix).map(([key, value]) => `${key}=${formatPostfix(value)}`);
    const percent = String(Math.round(fraction * 100)).padStart(3);
    const timing = `${clock(elapsed)}<${clock(remaining)}, ${rate.toFixed(2)}it/s`;
    err(`\r${this.description}: ${percent}%|${bar}| ${done}/${this.total} [${[timing, ...fields].join(', ')}]`);
    this.#drawn = true;
  }

  close(): void {
    if (this.#drawn) err('\n');
    this.#drawn = false;
  }
}

/** Python's `repr(float)`: `1.0` for integers, `5e-05` for small numbers. */
export function pythonFloat(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return value.toFixed(1);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-4 || magnitude >= 1e16)) {
    const [mantissa, exponent] = value.toExponential().split('e');
    const sign = exponent.startsWith('-') ? '-' : '+';
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, '').padStart(2, '0')}`;
  }
  return String(value);
}

/** Rounds for display the way training logs usually do, keeping small learning rates readable. */
export function round(value: number, digits = 4): number {
  return Number(value.toPrecision(digits));
}

function formatPostfix(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(2) : value.toPrecision(3);
}

function clock(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(whole / 60)).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}`;
}

/** Python logging's `asctime`: `2024-01-01 12:00:00,123` (local time). */
function pythonAsctime(date: Date): string {
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return `${day} ${time},${pad(date.getMilliseconds(), 3)}`;
}
