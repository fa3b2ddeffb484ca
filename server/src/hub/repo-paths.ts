import path from 'node:path';
import { HubError } from './errors.ts';

/**
 * Top-level folders of the results tree that are mirrored to the Hub: trial files, final-run outputs and job
 * metadata. Not mirrored: `db/` (the embedded database, machine-local), `cache/` (re-creatable), `sync/` (this
 * module's own state) and `logs/` — log lines live in the database and a running job's log file changes on every
 * sync, which would mean a commit, or a conflict, every time for no result.
 */
export const SYNCED_FOLDERS = ['tune', 'train', 'jobs'] as const;

const CONFLICT_COPY = /\.remote-[0-9a-f]{8}$/;
const TEMPORARY = /(\.tmp|\.partial|\.incomplete|\.sync-tmp-[0-9a-f]+)$/;

/**
 * Where the remote version of a conflicting file is saved beside the local one. The marker goes after the whole
 * name (`trial_3.json.remote-1a2b3c4d`), so nothing that picks files by pattern (`trial_*.json`) mistakes the copy
 * for a result of its own.
 */
export function conflictCopyPath(relPath: string, remoteOid: string): string {
  return `${relPath}.remote-${remoteOid.slice(0, 8)}`;
}

/** Whether a path is a conflict copy made by {@link conflictCopyPath}; such files are never synced. */
export function isConflictCopy(relPath: string): boolean {
  return CONFLICT_COPY.test(relPath);
}

/** A trial result file: `tune/<jobId>/trial_*.json`. */
export function isTrialFile(relPath: string): boolean {
  return /^tune\/[^/]+\/trial_[^/]*\.json$/.test(relPath);
}

/**
 * Whether a local file name takes part in sync: dot files, files still being written (`.tmp`, `.partial`, …) and
 * conflict copies stay local.
 */
export function isSyncedName(name: string): boolean {
  return !name.startsWith('.') && !TEMPORARY.test(name) && !CONFLICT_COPY.test(name);
}

export type RemotePathVerdict = { kind: 'sync' } | { kind: 'ignore' } | { kind: 'refuse'; reason: string };

/**
 * Judges a path listed by the remote repo before anything is done with it. Repo metadata at the root (README.md,
 * .gitattributes) is ignored; anything that could land outside the results tree, or in a folder sync never writes
 * (`db/`, …), is refused and reported, never written.
 */
export function judgeRemotePath(relPath: string): RemotePathVerdict {
  const refuse = (reason: string): RemotePathVerdict => ({ kind: 'refuse', reason });
  if (relPath.length === 0 || relPath.length > 1024) return refuse('empty or too long');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\\]/.test(relPath)) return refuse('contains a backslash or a control character');
  if (relPath.startsWith('/') || /^[a-zA-Z]:/.test(relPath)) return refuse('is an absolute path');
  const segments = relPath.split('/');
  if (segments.some((s) => s === '..')) return refuse('climbs out with ".."');
  if (segments.some((s) => s === '' || s === '.')) return refuse('has an empty or "." segment');
  if (segments.length === 1) return { kind: 'ignore' };
  if (!(SYNCED_FOLDERS as readonly string[]).includes(segments[0])) return refuse(`is outside the synced folders (${SYNCED_FOLDERS.join(', ')})`);
  if (!segments.every(isSyncedName)) return { kind: 'ignore' };
  return { kind: 'sync' };
}

/**
 * The absolute path of `relPath` inside `root`, checked lexically as a last line of defence: whatever the caller
 * validated before, nothing resolves outside the results tree.
 */
export function resolveInside(root: string, relPath: string): string {
  const base = path.resolve(root);
  const abs = path.resolve(base, relPath);
  if (abs === base || !abs.startsWith(base + path.sep)) {
    throw new HubError('INVALID_INPUT', `path ${JSON.stringify(relPath)} resolves outside the results folder`);
  }
  return abs;
}
