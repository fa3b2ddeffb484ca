import path from 'node:path';

export type Direction = 'MINIMIZE' | 'MAXIMIZE';

export interface ParsedTrial {
  number: number;
  params: Record<string, unknown>;
  score: number | null;
  metric: string;
  direction: Direction;
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`not valid JSON (${(error as Error).message}); the file may still be being written`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be a JSON object');
  const doc = value as Record<string, unknown>;
  if (!doc.params || typeof doc.params !== 'object' || Array.isArray(doc.params)) throw new Error('"params" must be an object of hyper-parameters');
  if (doc.score !== null && (typeof doc.score !== 'number' || !Number.isFinite(doc.score))) throw new Error('"score" must be a finite number (or null)');
  const metric = doc.metric === undefined ? 'score' : doc.metric;
  if (typeof metric !== 'string' || !/^[\w./-]{1,100}$/.test(metric)) throw new Error('"metric" must be a short name such as "val_loss"');
  const direction = parseDirection(doc.direction, metric);
  const fromName = trialNumberOf(fileName);
  const number = typeof doc.number === 'number' && Number.isInteger(doc.number) && doc.number >= 0 ? doc.number : fromName;
  if (number === undefined) throw new Error('no trial number: name the file trial_<n>.json or set "number"');
  return { number, params: doc.params as Record<string, unknown>, score: doc.score as number | null, metric, direction };
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
