import path from 'node:path';
import { InvalidInputError } from '../errors/errors.ts';

/**
 * Resolves a path inside the results root, refusing anything that would leave it
 * (`..`, absolute paths, NUL bytes) — every path derived from user or remote input goes through here.
 */
export function resolveInsideResults(resultsDir: string, relative: string): string {
  if (typeof relative !== 'string' || relative.length === 0 || relative.includes('\0')) throw new InvalidInputError('The path is empty or contains a NUL byte', { path: relative });
  if (path.isAbsolute(relative)) throw new InvalidInputError('Absolute paths are not accepted here', { path: relative });
  const root = path.resolve(resultsDir);
  const resolved = path.resolve(root, relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) throw new InvalidInputError(`The path ${JSON.stringify(relative)} leaves the results directory`, { path: relative });
  return resolved;
}

/** The results-relative form of an absolute path inside the root (stable across machines: the trial key). */
export function relativeToResults(resultsDir: string, absolute: string): string {
  const relative = path.relative(path.resolve(resultsDir), absolute);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new InvalidInputError(`${absolute} is outside the results directory`);
  return relative.split(path.sep).join('/');
}
