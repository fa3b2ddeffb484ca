import { readableText } from './readable-text.ts';

/** What one log line reports. `step` and `epoch` are the position; `values` the metrics by canonical name. */
export interface ParsedMetrics {
  step?: number;
  epoch?: number;
  values: Record<string, number>;
}

/**
 * The documented structured form, recognised exactly: this prefix, then one JSON object up to the end of
 * the line, e.g. `ANANA_METRICS {"step":120,"epoch":2,"train_loss":0.41,"val_loss":0.52,"lr":0.001}`.
 */
export const STRUCTURED_METRICS_PREFIX = 'ANANA_METRICS ';

/**
 * Other spellings of the canonical names `loss`, `train_loss`, `val_loss`, `learning_rate`, `accuracy`,
 * `train_accuracy`, `val_accuracy`. Applied after {@link normalizeMetricName}, in every format, so the same
 * quantity charts as one series whichever framework printed it. Names not listed are kept as normalised.
 */
export const METRIC_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  lr: 'learning_rate',
  acc: 'accuracy',
  train_acc: 'train_accuracy',
  val_acc: 'val_accuracy',
  valid_acc: 'val_accuracy',
  valid_accuracy: 'val_accuracy',
  validation_accuracy: 'val_accuracy',
  eval_acc: 'val_accuracy',
  eval_accuracy: 'val_accuracy',
  valid_loss: 'val_loss',
  validation_loss: 'val_loss',
  eval_loss: 'val_loss',
});

/** Names that set the position rather than being a metric. */
const STEP_KEYS = new Set(['step', 'global_step']);
const EPOCH_KEY = 'epoch';

/** Numbers that are bookkeeping, not metrics (Lightning's `v_num` is the logger version). */
const IGNORED_KEYS = new Set(['v_num', 'eta', 'pid', 'port', 'rank', 'local_rank', 'node_rank', 'world_size']);
/**
 * `WARNING: 3 files skipped` or `ValueError: 3` is a message, not a metric named `warning`; metric names
 * such as `mean_absolute_error` are lower case and pass.
 */
const LEVEL_NAME = /^(?:debug|info|notice|warn|warning|error|critical|fatal|trace)$/i;
const EXCEPTION_CLASS = /^[A-Z]\w*(?:Error|Warning|Exception)$/;

const NUMBER = String.raw`[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?`;
const KEY = String.raw`[A-Za-z_][\w\-/]*`;
/**
 * `key=value` or `key: value`. The value must end at a boundary, which rejects versions (`2.1.0`),
 * clock times (`12:00:00`), durations (`0s`, `3ms/step`), percentages, fractions (`50/50`) and thousands
 * separators (`1,234`). A key may not start inside a word (`3ms/step`).
 */
const PAIR = new RegExp(String.raw`(?<![\w\-/.])(${KEY})(\s*=\s*|:\s+)(${NUMBER})(?=$|\s|,(?!\d)|[;|)\]}(])`, 'g');
/**
 * After a `key: value` the line must go on like a list of metrics (end, separator, ` - `, or the next
 * pair); otherwise it reads as prose (`Found: 3 files`).
 */
const AFTER_COLON_VALUE = new RegExp(String.raw`\s*(?:$|[,;|)\]}(]|-\s|${KEY}\s*(?:=|:\s))`, 'y');
/** What may precede a `key: value`: start, a separator or the previous value; not a word (`Total params: 3`). */
const BEFORE_COLON_KEY = /[\d,;|[\](){}:=\-]/;

/** `Epoch 3/10`, `Epoch 2:`, `epoch 3 step 120`, `Epoch [1/5], Step [100/600]`. */
const POSITION_WORD = /(?<![\w\-/.])(epoch|step)\s*:?\s*\[?\s*(\d+)(?:\s*\/\s*\d+)?\s*\]?(?=$|[\s,;:|)\]])/gi;

/** Hugging Face Trainer logs: `{'loss': 0.41, 'learning_rate': 5e-05, 'epoch': 1.0}`, values maybe wrapped. */
const HF_DICT_START = "{'";
const HF_PAIR = new RegExp(String.raw`'([^'\\]+)':\s*(?:[A-Za-z_][\w.]*\(\s*)?(${NUMBER})(?=\s*[,)}])`, 'g');

const HAS_DIGIT = /\d/;
const MAY_HOLD_PAIRS = /=|:\s|epoch|step/i;

/**
 * Extracts metrics from one log line, or returns null when it reports none.
 *
 * Recognised, in this order (the first form present decides):
 * 1. the structured form {@link STRUCTURED_METRICS_PREFIX}`{json}` (anywhere in the line, so a logging
 *    prefix is fine; invalid JSON → null; `step`/`epoch` are the position, other finite numbers metrics);
 * 2. Hugging Face Trainer dicts (`'epoch'` → epoch, `'step'`/`'global_step'` → step, `np.float64(x)` ok);
 * 3. everything else: Keras (`Epoch 3/10`, `- loss: 0.41 - accuracy: 0.81`), Lightning/tqdm postfixes
 *    (`Epoch 2: 100%|██| 50/50 [00:01<00:00, 40.1it/s, loss=0.41, v_num=0]`), plain `key=value` and
 *    `key: value` lists, and `epoch N` / `step N` words.
 *
 * Names are lower-cased, `-` and `/` become `_`, then {@link METRIC_ALIASES} apply; a name longer than
 * {@link MAX_METRIC_NAME_LENGTH} characters is dropped with its value.
 * Called on every line: a line without a digit returns before any regular expression runs on it.
 */
export function parseMetrics(text: string): ParsedMetrics | null {
  if (!HAS_DIGIT.test(text)) return null;
  const structuredAt = text.indexOf(STRUCTURED_METRICS_PREFIX);
  if (structuredAt !== -1) return parseStructured(text.slice(structuredAt + STRUCTURED_METRICS_PREFIX.length));
  const dictAt = text.indexOf(HF_DICT_START);
  if (dictAt !== -1 && text.trimEnd().endsWith('}')) return parseHfDict(text.slice(dictAt));
  if (!MAY_HOLD_PAIRS.test(text)) return null;
  return parseFreeForm(text);
}

/** Names seen recently and what they normalise to: a trainer prints the same few names on every line. */
const normalizedNames = new Map<string, string>();
const MAX_REMEMBERED_NAMES = 1_024;

/**
 * Longer names are not metrics (a stray `key=value` in a dump, a malformed structured line), and a name must fit
 * in a database index entry (PostgreSQL's B-tree takes about 2.7 KB): such values are dropped.
 */
export const MAX_METRIC_NAME_LENGTH = 200;

/** Lower case, `-` and `/` as `_`, then the alias table; NUL and lone surrogates (from JSON escapes) as U+FFFD. */
export function normalizeMetricName(name: string): string {
  let result = normalizedNames.get(name);
  if (result === undefined) {
    const normalized = readableText(name).trim().toLowerCase().replace(/[-/\s]+/g, '_');
    result = METRIC_ALIASES[normalized] ?? normalized;
    if (normalizedNames.size >= MAX_REMEMBERED_NAMES) normalizedNames.clear();
    normalizedNames.set(name, result);
  }
  return result;
}

function parseStructured(json: string): ParsedMetrics | null {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const collector = new MetricCollector(false);
  for (const [key, value] of Object.entries(data)) {
    if (typeof value === 'number') collector.add(key, value);
  }
  return collector.result();
}

/**
 * Calls `each` for every match of a global `pattern` in `text`, as `matchAll` would, without its copy of the
 * regular expression and its iterator (this runs on every line that may hold metrics).
 */
function forEachMatch(pattern: RegExp, text: string, each: (match: RegExpExecArray) => void): void {
  pattern.lastIndex = 0;
  try {
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (match[0] === '') pattern.lastIndex++;
      each(match);
    }
  } finally {
    pattern.lastIndex = 0;
  }
}

function parseHfDict(dict: string): ParsedMetrics | null {
  const collector = new MetricCollector(true);
  forEachMatch(HF_PAIR, dict, (match) => collector.add(match[1], Number(match[2])));
  return collector.result();
}

function parseFreeForm(text: string): ParsedMetrics | null {
  const collector = new MetricCollector(true);
  forEachMatch(POSITION_WORD, text, (match) => collector.add(match[1], Number(match[2])));
  forEachMatch(PAIR, text, (match) => {
    const isColonForm = match[2].startsWith(':');
    if (isColonForm && !colonPairStandsAlone(text, match.index, match.index + match[0].length)) return;
    collector.add(match[1], Number(match[3]));
  });
  return collector.result();
}

function colonPairStandsAlone(text: string, start: number, end: number): boolean {
  let before = start - 1;
  while (before >= 0 && (text[before] === ' ' || text[before] === '\t')) before--;
  if (before >= 0 && !BEFORE_COLON_KEY.test(text[before])) return false;
  AFTER_COLON_VALUE.lastIndex = end;
  return AFTER_COLON_VALUE.test(text);
}

/**
 * Sorts named numbers into position and metrics; the first value seen for a name wins.
 * Heuristic formats pass `heuristic` so that bookkeeping numbers and message labels are dropped; the
 * structured form is taken as written (a metric may well be called `error` there).
 */
class MetricCollector {
  step: number | undefined;
  epoch: number | undefined;
  values: Record<string, number> = {};
  #hasValues = false;

  constructor(private readonly heuristic: boolean) {}

  add(rawName: string, value: number): void {
    if (!Number.isFinite(value) || rawName.length > MAX_METRIC_NAME_LENGTH) return;
    const name = normalizeMetricName(rawName);
    if (name === EPOCH_KEY) {
      this.epoch ??= value;
    } else if (STEP_KEYS.has(name)) {
      this.step ??= value;
    } else if (this.#accepts(rawName, name)) {
      this.values[name] = value;
      this.#hasValues = true;
    }
  }

  result(): ParsedMetrics | null {
    if (!this.#hasValues && this.step === undefined && this.epoch === undefined) return null;
    const parsed: ParsedMetrics = { values: this.values };
    if (this.step !== undefined) parsed.step = this.step;
    if (this.epoch !== undefined) parsed.epoch = this.epoch;
    return parsed;
  }

  #accepts(rawName: string, name: string): boolean {
    // `__proto__` would not become an own property of a plain object.
    if (name === '' || name === '__proto__' || Object.hasOwn(this.values, name)) return false;
    if (!this.heuristic) return true;
    return !IGNORED_KEYS.has(name) && !LEVEL_NAME.test(name) && !EXCEPTION_CLASS.test(rawName);
  }
}
