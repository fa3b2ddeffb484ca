import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentId } from './content-id.ts';

export type SyncDirection = 'PUSH' | 'PULL' | 'BOTH';

/** The rule applied to a file changed on both sides; see `syncResults`. */
export type ConflictRule = 'KEEP_BOTH';

export interface SyncConflict {
  /** Path relative to the results folder; the local version stays here. */
  path: string;
  rule: ConflictRule;
  localSha: string;
  /** The remote version's id as the tree lists it (sha256 for LFS files, git blob id otherwise). */
  remoteOid: string;
  /** Where the remote version was saved beside the local one; null when the sync did not pull (direction PUSH). */
  remoteCopy: string | null;
}

export type SkipReason = 'DELETED_LOCALLY' | 'DELETED_REMOTELY';

export interface SyncReport {
  direction: SyncDirection;
  repo: string;
  startedAt: string;
  finishedAt: string;
  /** Paths (relative to the results folder) committed to the Hub. */
  uploaded: string[];
  /** Paths written locally from the Hub, conflict copies included. */
  downloaded: string[];
  /** Trial files among `downloaded`, for ingestion with source HUB. */
  pulledTrialFiles: string[];
  conflicts: SyncConflict[];
  /** One line per problem; a refused remote path, a file that could not be read or written, or a fatal error. */
  errors: string[];
  /** Files deleted on one side after a sync: deletions do not propagate, so they are left alone on the other. */
  skipped: Array<{ path: string; reason: SkipReason }>;
  /** Local changes this sync did not push (direction PULL). */
  pendingPush: string[];
  /** Remote changes this sync did not pull (direction PUSH). */
  pendingPull: string[];
  /** Last commit this sync created, null when it committed nothing. */
  commit: string | null;
  /** Remote head after the sync. */
  remoteHead: string | null;
  /** Commit attempts; more than one when the head moved and the push was redone on the new head. */
  commitAttempts: number;
}

/** Content both sides had when a path was last reconciled. */
export interface SyncBase extends ContentId {
  remoteOid: string;
}

/** Stat fingerprint → hashes, so unchanged local files are not read again on every sync. */
export interface HashCacheEntry extends ContentId {
  mtimeMs: number;
  ino: number;
}

export interface SyncState {
  version: 1;
  /** Repo the bases refer to; bases of another repo mean nothing and are dropped. */
  repo: string | null;
  remoteHead: string | null;
  base: Record<string, SyncBase>;
  hashCache: Record<string, HashCacheEntry>;
  conflicts: SyncConflict[];
  lastReports: Partial<Record<SyncDirection, SyncReport>>;
}

/** `<resultsDir>/sync/state.json`. */
export function syncStatePath(resultsDir: string): string {
  return path.join(resultsDir, 'sync', 'state.json');
}

/** The state before any sync: no base, so the first sync compares contents only. */
export function emptySyncState(): SyncState {
  return { version: 1, repo: null, remoteHead: null, base: {}, hashCache: {}, conflicts: [], lastReports: {} };
}

/**
 * Loads the state, or an empty one. An unreadable state is not fatal: without bases, files equal on both sides are
 * simply recognised again, and files that differ become conflicts — nothing is overwritten; `problem` says so.
 */
export async function loadSyncState(resultsDir: string): Promise<{ state: SyncState; problem?: string }> {
  let text: string;
  try {
    text = await readFile(syncStatePath(resultsDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptySyncState() };
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as SyncState;
    if (parsed?.version !== 1 || typeof parsed.base !== 'object') throw new Error('unknown format');
    return { state: { ...emptySyncState(), ...parsed } };
  } catch (error) {
    return { state: emptySyncState(), problem: `sync state ${syncStatePath(resultsDir)} was unreadable (${(error as Error).message}); it was rebuilt` };
  }
}

/** Writes the state atomically (temp file + rename), so a crash mid-write leaves the previous state intact. */
export async function saveSyncState(resultsDir: string, state: SyncState): Promise<void> {
  const file = syncStatePath(resultsDir);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(state, null, 1));
  await rename(tmp, file);
}
