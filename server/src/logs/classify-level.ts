export type LogLevel = 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR';
export type OutputStream = 'STDOUT' | 'STDERR';

/**
 * The level of a line no rule recognises. STDERR is INFO too, not WARNING: Python's `logging`, tqdm,
 * Lightning and Hugging Face all write ordinary progress and info output to stderr by default, so
 * treating stderr as a warning would flag nearly every line of a healthy run.
 */
export const DEFAULT_LEVEL_BY_STREAM: Readonly<Record<OutputStream, LogLevel>> = Object.freeze({
  STDOUT: 'INFO',
  STDERR: 'INFO',
});

const LEVEL_BY_TOKEN: Readonly<Record<string, LogLevel>> = {
  TRACE: 'DEBUG',
  DEBUG: 'DEBUG',
  INFO: 'INFO',
  NOTICE: 'INFO',
  SUCCESS: 'INFO',
  WARN: 'WARNING',
  WARNING: 'WARNING',
  ERROR: 'ERROR',
  CRITICAL: 'ERROR',
  FATAL: 'ERROR',
};
const TOKENS = Object.keys(LEVEL_BY_TOKEN).join('|');

/**
 * A level token at the start of the line: `DEBUG:root:msg`, `[INFO] msg`, `WARNING: msg`, `ERROR msg`,
 * `INFO - msg`. Upper case may be followed by any separator; capitalised or lower case (`Warning: x`,
 * `error: x`) only by a colon or inside brackets, so prose such as "Error handling is fine" stays INFO.
 */
const LEADING_UPPER = new RegExp(`^\\s*\\[?(${TOKENS})\\]?(?=$|[\\s:|\\-\\]])`);
const LEADING_ANY_CASE = new RegExp(`^\\s*(?:\\[(${TOKENS})\\]|(${TOKENS}):)`, 'i');

/**
 * A line that starts with a timestamp (`2024-01-01 12:00:00,123`, `[2024-01-01T12:00:00Z]`, `12:00:00`):
 * the level is then the first upper-case level token standing alone between separators, which covers
 * `%(asctime)s - %(name)s - %(levelname)s - %(message)s`, `%(asctime)s %(levelname)s ...` and loguru's
 * `... | INFO     | ...`, but not a word inside the message.
 */
const TIMESTAMP_PREFIX = /^\s*\[?(?:\d{4}-\d\d-\d\d[T ])?\d\d:\d\d:\d\d/;
const DELIMITED_TOKEN = new RegExp(`(?:^|[\\s\\[|(:])(${TOKENS})(?=$|[\\s\\]|):\\-])`);
/** How far into a timestamped line the level may appear (timestamp + logger name). */
const HEADER_CHARS = 100;

/** `name - LEVEL - msg` (Python's `%(name)s - %(levelname)s - %(message)s` without a time). */
const NAME_THEN_LEVEL = new RegExp(`^\\s*[\\w.]+ - (${TOKENS}) - `);

/** absl/glog, used by TensorFlow and JAX: `W0101 12:00:00.123456  1234 file.py:12] msg`. */
const GLOG_PREFIX = /^([IWEF])\d{4} \d\d:\d\d:\d\d/;
const GLOG_LEVEL: Readonly<Record<string, LogLevel>> = { I: 'INFO', W: 'WARNING', E: 'ERROR', F: 'ERROR' };

/** Python tracebacks: the header, the frames, and the final `SomeError: message` / `KeyboardInterrupt`. */
const TRACEBACK = /^(?:Traceback \(most recent call last\):|\s+File ".*", line \d+)/;
const EXCEPTION_LINE = /^(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*(?:Error|Exception|Interrupt)(?::|$)/;
const FATAL_SIGNAL = /^(?:Segmentation fault|Killed$|Aborted \(core dumped\)|Bus error)/;

/** Python `warnings` output: `path/file.py:12: UserWarning: msg`, or a bare `FutureWarning: msg`. */
const PYTHON_WARNING = /(?:^|:\d+: )(?:[A-Za-z_][\w.]*\.)?[A-Z]\w*Warning: /;

/**
 * Classifies one output line into a level, recognising level tokens only where logging formats put them
 * (start of line, after a timestamp, glog prefix), Python tracebacks and exception lines (ERROR), and
 * Python `warnings` output (WARNING). `CRITICAL`/`FATAL` map to ERROR, `WARN` to WARNING, `TRACE` to DEBUG.
 * A line nothing recognises gets {@link DEFAULT_LEVEL_BY_STREAM}.
 */
export function classifyLevel(text: string, stream: OutputStream): LogLevel {
  return levelFromLoggingPrefix(text) ?? levelFromPythonFailure(text) ?? DEFAULT_LEVEL_BY_STREAM[stream];
}

function levelFromLoggingPrefix(text: string): LogLevel | undefined {
  const leading = LEADING_UPPER.exec(text) ?? LEADING_ANY_CASE.exec(text);
  if (leading) return tokenLevel(leading[1] ?? leading[2]);
  if (TIMESTAMP_PREFIX.test(text)) {
    const token = DELIMITED_TOKEN.exec(text.slice(0, HEADER_CHARS));
    if (token) return tokenLevel(token[1]);
  }
  const glog = GLOG_PREFIX.exec(text);
  if (glog) return GLOG_LEVEL[glog[1]];
  const named = NAME_THEN_LEVEL.exec(text);
  return named ? tokenLevel(named[1]) : undefined;
}

function levelFromPythonFailure(text: string): LogLevel | undefined {
  if (TRACEBACK.test(text) || EXCEPTION_LINE.test(text) || FATAL_SIGNAL.test(text)) return 'ERROR';
  // The cheap substring test keeps the unanchored regex off the hot path of ordinary lines.
  if (text.includes('Warning: ') && PYTHON_WARNING.test(text)) return 'WARNING';
  return undefined;
}

function tokenLevel(token: string): LogLevel {
  return LEVEL_BY_TOKEN[token.toUpperCase()];
}
