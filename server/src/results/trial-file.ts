import path from 'node:path';
import { isReadableText } from '../logs/readable-text.ts';

export type Direction = 'MINIMIZE' | 'MAXIMIZE';

export interface ParsedTrial {
  number: number;
  params: Record<string, unknown>;
  score: number | null;
  metric: string;
  direction: Direction;
  /** The whole document, as parsed. */
  raw: Record<string, unknown>;
}

export const TRIAL_FILE_PATTERN = /^trial_(\d{1,9})\.json$/;

/** Metrics where bigger is better when a trial file does not say. */
const MAXIMIZED = /(acc|accuracy|f1|auc|precision|recall|map|bleu|rouge|r2|score)$/i;

/** The trial number encoded in a file name such as `trial_12.json`, or undefined for any other name. */
export function trialNumberOf(file: string): number | undefined {
  const match = TRIAL_FILE_PATTERN.exec(path.basename(file));
  return match ? Number(match[1]) : undefined;
}

/**
 * Validates the content of a trial file: `params` (an object) and `score` (a finite number, or null for a
 * trial that produced none) are required; `metric` defaults to "score"; `direction` is minimize|maximize
 * (or min|max), inferred from the metric's name when absent. Throws an Error whose message is the reason.
 */
export function parseTrialFile(text: string, fileName: string): ParsedTrial {
  return parseTrialDocument(parseTrialJson(text), fileName);
}

/** Deeper than this, a trial file is not hyper-parameters (and would overflow the stack of what stores it). */
export const MAX_TRIAL_JSON_DEPTH = 64;
const MAX_INT32 = 2 ** 31 - 1;

/**
 * The JSON of a trial file, as the database can store it (a leading byte-order mark is allowed): no NUL and no
 * unpaired surrogate in any string or key (PostgreSQL's jsonb refuses both), nested at most
 * {@link MAX_TRIAL_JSON_DEPTH} deep. Throws an Error whose message is the reason.
 */
export function parseTrialJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text.startsWith('\uFEFF') ? text.slice(1) : text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message}); the file may still be being written`);
  }
  checkStorable(value, 0);
  return value;
}

function checkStorable(value: unknown, depth: number): void {
  if (typeof value === 'string') {
    if (!isReadableText(value)) throw new Error('holds a NUL character or an unpaired surrogate (\\u0000, \\ud800), which cannot be stored');
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (depth >= MAX_TRIAL_JSON_DEPTH) throw new Error(`is nested more than ${MAX_TRIAL_JSON_DEPTH} levels deep`);
  if (Array.isArray(value)) {
    for (const item of value) checkStorable(item, depth + 1);
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    checkStorable(key, depth + 1);
    checkStorable(item, depth + 1);
  }
}

function parseTrialDocument(value: unknown, fileName: string): ParsedTrial {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be a JSON object');
  const doc = value as Record<string, unknown>;
  if (!doc.params || typeof doc.params !== 'object' || Array.isArray(doc.params)) throw new Error('"params" must be an object of hyper-parameters');
  if (doc.score !== null && (typeof doc.score !== 'number' || !Number.isFinite(doc.score))) throw new Error('"score" must be a finite number (or null)');
  const metric = doc.metric === undefined ? 'score' : doc.metric;
  if (typeof metric !== 'string' || !/^[\w./-]{1,100}$/.test(metric)) throw new Error('"metric" must be a short name such as "val_loss"');
  const direction = parseDirection(doc.direction, metric);
  const fromName = trialNumberOf(fileName);
  // A number the index cannot hold (beyond 32 bits) counts as none, like a negative or fractional one.
  const number = typeof doc.number === 'number' && Number.isInteger(doc.number) && doc.number >= 0 && doc.number <= MAX_INT32 ? doc.number : fromName;
  if (number === undefined) throw new Error('no trial number: name the file trial_<n>.json or set "number"');
  return { number, params: doc.params as Record<string, unknown>, score: doc.score as number | null, metric, direction, raw: doc };
}

function parseDirection(raw: unknown, metric: string): Direction {
  if (raw === undefined || raw === null) return MAXIMIZED.test(metric) && !/loss|error/i.test(metric) ? 'MAXIMIZE' : 'MINIMIZE';
  const normalized = String(raw).toLowerCase();
  if (normalized === 'minimize' || normalized === 'min') return 'MINIMIZE';
  if (normalized === 'maximize' || normalized === 'max') return 'MAXIMIZE';
  throw new Error('"direction" must be "minimize" or "maximize"');
}

/** The value the leaderboard sorts ascending on, whatever the direction. */
export const rankScoreOf = (score: number | null, direction: Direction) => (score === null ? null : direction === 'MINIMIZE' ? score : -score);
