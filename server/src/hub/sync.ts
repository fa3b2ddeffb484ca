import type { CommitOperation } from '@huggingface/hub';
import { hubLibrary } from './hub-library.ts';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireHubTarget, type HubConfig, type HubTarget } from './config.ts';
import { contentIdOf, sameAsRemote, type ContentId } from './content-id.ts';
import { HubError, hubStatus, isHubSide, toHubError } from './errors.ts';
import { scanLocalTree, type LocalFile } from './local-tree.ts';
import { ensureRepo, hubCallOptions, listRemoteTree, remoteHead, type RemoteFile } from './remote-tree.ts';
import { conflictCopyPath, isTrialFile, resolveInside } from './repo-paths.ts';
import {
  loadSyncState,
  saveSyncState,
  type SkipReason,
  type SyncBase,
  type SyncConflict,
  type SyncDirection,
  type SyncReport,
  type SyncState,
} from './sync-state.ts';

export type { SyncConflict, SyncDirection, SyncReport } from './sync-state.ts';

export interface SyncOptions {
  resultsDir: string;
  direction: SyncDirection;
  /** A configuration that is not `configured` makes the sync throw NOT_CONFIGURED before any request. */
  hub: HubConfig | HubTarget;
  /** Paths (relative) to leave out this time, e.g. the outputs of a run still being written. */
  skip?: (relPath: string) => boolean;
  /** Commits attempted while the head keeps moving under the push (default 5). */
  maxCommitAttempts?: number;
  /** Files per commit (default 200); a bigger push becomes a chain of commits, each recorded as it lands. */
  filesPerCommit?: number;
  fetch?: typeof fetch;
}

/** One decision of {@link planSync} for one path. */
export type SyncAction =
  | { kind: 'in-sync'; path: string; local: LocalFile; remote: RemoteFile }
  | { kind: 'push'; path: string; local: LocalFile }
  | { kind: 'pull'; path: string; remote: RemoteFile; local?: LocalFile }
  | { kind: 'conflict'; path: string; local: LocalFile; remote: RemoteFile }
  | { kind: 'skip'; path: string; reason: SkipReason }
  | { kind: 'forget'; path: string };

/**
 * Decides, per path, what reconciling the local tree with the remote one means, given the content both had when
 * they were last reconciled (`base`):
 * - same content on both sides → in sync, nothing moves;
 * - changed on one side only since the base (or new on one side) → that side's version is copied to the other;
 * - changed on both sides to different contents → conflict (see {@link syncResults} for the rule);
 * - deleted on one side after a sync → left alone: deletions do not propagate. The repo is an archive of results
 *   shared by a team; freeing disk space on a laptop must not erase them for everyone, and a file removed from the
 *   repo is not resurrected from a laptop either (unless it changed there since).
 */
export function planSync(local: Map<string, LocalFile>, remote: Map<string, RemoteFile>, base: Record<string, SyncBase>): SyncAction[] {
  const paths = new Set([...local.keys(), ...remote.keys(), ...Object.keys(base)]);
  return [...paths].sort().map((p): SyncAction => {
    const l = local.get(p);
    const r = remote.get(p);
    const b = base[p];
    if (l && r && sameAsRemote(l, r)) return { kind: 'in-sync', path: p, local: l, remote: r };
    const localChanged = l !== undefined && (b === undefined || b.sha256 !== l.sha256);
    const remoteChanged = r !== undefined && (b === undefined || !sameAsRemote(b, r));
    if (l && r) {
      if (localChanged && !remoteChanged) return { kind: 'push', path: p, local: l };
      if (remoteChanged && !localChanged) return { kind: 'pull', path: p, remote: r, local: l };
      return { kind: 'conflict', path: p, local: l, remote: r };
    }
    if (l) return localChanged ? { kind: 'push', path: p, local: l } : { kind: 'skip', path: p, reason: 'DELETED_REMOTELY' };
    if (r) return remoteChanged ? { kind: 'pull', path: p, remote: r } : { kind: 'skip', path: p, reason: 'DELETED_LOCALLY' };
    return { kind: 'forget', path: p };
  });
}

const running = new Set<string>();

/**
 * Reconciles the results tree (`tune/`, `train/`, `jobs/` — see `SYNCED_FOLDERS`) with the Hub repo, under the
 * same relative paths, and returns what happened.
 *
 * - Idempotent: `<resultsDir>/sync/state.json` remembers, per path, the content both sides had at the last sync
 *   (sha256 and git blob id, compared with the tree listing's oid / LFS sha256), so a sync with nothing new lists
 *   the repo and transfers nothing.
 * - Concurrency: the remote is read at one commit (its head) and pushed with that commit as `parentCommit`; when
 *   another machine committed in between, the Hub rejects the commit and the whole reconciliation is redone on the
 *   new head (re-list, re-plan, re-push), up to `maxCommitAttempts` times, then CONFLICT.
 * - Conflict rule — KEEP_BOTH: a file changed on both sides since the last sync, to different contents, is never
 *   overwritten on either side. The local version stays at its path and is not pushed; when pulling, the remote
 *   version is saved beside it as `<name>.remote-<first 8 of its oid>` (never synced itself). The conflict is
 *   reported on every sync until someone resolves it: making both versions equal (e.g. copying one over the
 *   other) or deleting the local file (the remote version is then pulled).
 * - Remote paths are judged before use: traversal, absolute paths and paths outside the synced folders are
 *   reported in `errors` and never written. Downloads are checked against the listed oid before they replace
 *   anything, and written atomically.
 * - Throws NOT_CONFIGURED without token or repo, CONFLICT when a sync of the folder is already running or the head
 *   never stops moving, UPSTREAM when the Hub cannot be reached or refuses the token; the report of a failed sync
 *   is still recorded for `getSyncStatus`.
 */
export async function syncResults(opts: SyncOptions): Promise<SyncReport> {
  const target = requireHubTarget(opts.hub);
  const resultsDir = path.resolve(opts.resultsDir);
  if (running.has(resultsDir)) throw new HubError('CONFLICT', 'A sync of the results folder is already running; try again when it has finished');
  running.add(resultsDir);
  try {
    return await new SyncRun(resultsDir, target, opts).run();
  } finally {
    running.delete(resultsDir);
  }
}

/** Whether a sync of `resultsDir` is running in this process. */
export function isSyncRunning(resultsDir: string): boolean {
  return running.has(path.resolve(resultsDir));
}

class HeadMoved extends Error {}

class SyncRun {
  private state!: SyncState;
  private report: SyncReport;
  private readonly uploaded = new Set<string>();
  private readonly downloaded = new Set<string>();
  private readonly fixedErrors: string[] = [];
  private readonly pushing: boolean;
  private readonly pulling: boolean;
  private readonly call: ReturnType<typeof hubCallOptions>;

  constructor(
    private readonly resultsDir: string,
    private readonly target: HubTarget,
    private readonly opts: SyncOptions,
  ) {
    this.pushing = opts.direction !== 'PULL';
    this.pulling = opts.direction !== 'PUSH';
    this.call = hubCallOptions(target, opts.fetch);
    const now = new Date().toISOString();
    this.report = {
      direction: opts.direction,
      repo: target.repo,
      startedAt: now,
      finishedAt: now,
      uploaded: [],
      downloaded: [],
      pulledTrialFiles: [],
      conflicts: [],
      errors: [],
      skipped: [],
      pendingPush: [],
      pendingPull: [],
      commit: null,
      remoteHead: null,
      commitAttempts: 0,
    };
  }

  async run(): Promise<SyncReport> {
    const loaded = await loadSyncState(this.resultsDir);
    this.state = loaded.state;
    if (loaded.problem) this.fixedErrors.push(loaded.problem);
    if (this.state.repo !== this.target.repo) {
      // Bases describe another repo's contents: starting from none is safe (equal files match, others conflict).
      Object.assign(this.state, { repo: this.target.repo, base: {}, conflicts: [], remoteHead: null });
    }
    const maxAttempts = this.opts.maxCommitAttempts ?? 5;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await this.reconcileOnce();
          break;
        } catch (error) {
          if (!(error instanceof HeadMoved)) throw error;
          if (attempt >= maxAttempts) {
            throw new HubError(
              'CONFLICT',
              `${this.target.repo} kept moving: ${attempt} commits were rejected because other commits landed first; sync again later`,
            );
          }
          await sleep(50 * attempt + Math.floor(Math.random() * 50));
        }
      }
    } catch (error) {
      // A local failure (disk full, permissions) is not the Hub's: it stays what it is for the API layer to mask.
      const failure = isHubSide(error) ? toHubError(`syncing ${this.target.repo}`, error) : error;
      this.report.errors.push(failure instanceof Error ? failure.message : String(failure));
      await this.finish().catch(() => undefined);
      throw failure;
    }
    return this.finish();
  }

  /** One full pass at one remote head; throws HeadMoved when its commit was rejected for a newer head. */
  private async reconcileOnce(): Promise<void> {
    const { target, resultsDir, state, report } = this;
    let head = await remoteHead(target, this.opts.fetch);
    if (!head) {
      if (!this.pushing) {
        report.errors = [...this.fixedErrors, `${target.repo} does not exist on the Hub yet: nothing to pull`];
        return;
      }
      await ensureRepo(target, this.opts.fetch);
      head = await remoteHead(target, this.opts.fetch);
      if (!head) throw new HubError('UPSTREAM', `${target.repo} was created but the Hub shows no commit on main`);
    }
    const remote = await listRemoteTree(target, head, this.opts.fetch);
    const scan = await scanLocalTree(resultsDir, state.hashCache, this.opts.skip);
    state.hashCache = scan.hashCache;
    report.errors = [...this.fixedErrors, ...remote.refused, ...scan.errors];
    report.conflicts = [];
    report.skipped = [];
    report.pendingPush = [];
    report.pendingPull = [];

    const pushes: LocalFile[] = [];
    const pulls: Array<() => Promise<void>> = [];
    for (const action of planSync(scan.files, remote.files, state.base)) {
      switch (action.kind) {
        case 'in-sync':
          state.base[action.path] = { ...pick(action.local), remoteOid: action.remote.lfsOid ?? action.remote.oid };
          break;
        case 'forget':
          delete state.base[action.path];
          break;
        case 'skip':
          report.skipped.push({ path: action.path, reason: action.reason });
          break;
        case 'push':
          if (this.pushing) pushes.push(action.local);
          else report.pendingPush.push(action.path);
          break;
        case 'pull':
          if (this.pulling) pulls.push(() => this.pull(head, action.remote, action.path, action.local));
          else report.pendingPull.push(action.path);
          break;
        case 'conflict': {
          const remoteOid = action.remote.lfsOid ?? action.remote.oid;
          const copy = conflictCopyPath(action.path, remoteOid);
          report.conflicts.push({ path: action.path, rule: 'KEEP_BOTH', localSha: action.local.sha256, remoteOid, remoteCopy: this.pulling ? copy : null });
          if (this.pulling) pulls.push(() => this.pull(head, action.remote, copy));
          break;
        }
      }
    }
    await runLimited(pulls, 4);
    state.conflicts = report.conflicts;
    state.remoteHead = report.remoteHead = head;
    await saveSyncState(resultsDir, state);
    if (pushes.length) report.remoteHead = await this.push(pushes, head);
  }

  /** Downloads `remote` (at `head`) to `destRel`, verified against the listing, replacing `expected` if given. */
  private async pull(head: string, remote: RemoteFile, destRel: string, expected?: LocalFile): Promise<void> {
    const isCopy = destRel !== remote.path;
    try {
      const abs = resolveInside(this.resultsDir, destRel);
      if (isCopy && (await alreadyHolds(abs, remote))) return;
      const bytes = remote.size === 0 ? Buffer.alloc(0) : await this.download(head, remote.path);
      const id = contentIdOf(bytes);
      if (!sameAsRemote(id, remote)) {
        throw new Error(`the download does not match the listed content (${bytes.length} of ${remote.size} bytes); not written`);
      }
      const st = await writeAtomically(abs, bytes, expected);
      if (!isCopy) {
        this.state.base[destRel] = { ...id, remoteOid: remote.lfsOid ?? remote.oid };
        this.state.hashCache[destRel] = { ...id, mtimeMs: st.mtimeMs, ino: st.ino };
      }
      this.downloaded.add(destRel);
    } catch (error) {
      this.report.errors.push(`cannot pull ${remote.path}${isCopy ? ` to ${destRel}` : ''}: ${(error as Error).message}`);
    }
  }

  private async download(head: string, relPath: string): Promise<Buffer> {
    try {
      const blob = await (await hubLibrary()).downloadFile({ ...this.call, repo: this.target.repo, path: relPath, revision: head, xet: false });
      if (!blob) throw new Error(`it is no longer in commit ${head}`);
      return Buffer.from(await blob.arrayBuffer());
    } catch (error) {
      throw toHubError('downloading', error);
    }
  }

  /** Commits `files` on top of `head`, in chunks; returns the new head. */
  private async push(files: LocalFile[], head: string): Promise<string> {
    let parent = head;
    const size = this.opts.filesPerCommit ?? 200;
    for (let i = 0; i < files.length; i += size) {
      const operations: CommitOperation[] = [];
      const pushed = new Map<string, { id: ContentId; mtimeMs: number; ino: number }>();
      for (const file of files.slice(i, i + size)) {
        try {
          // Stat before reading: a change after the stat shows up as a stat mismatch next time, never as lost.
          const st = await lstat(file.abs);
          const bytes = await readFile(file.abs);
          pushed.set(file.path, { id: contentIdOf(bytes), mtimeMs: st.mtimeMs, ino: st.ino });
          operations.push({ operation: 'addOrUpdate', path: file.path, content: new Blob([new Uint8Array(bytes)]) });
        } catch (error) {
          this.report.errors.push(`cannot read ${file.path}: ${(error as Error).message}`);
        }
      }
      if (!operations.length) continue;
      this.report.commitAttempts++;
      let oid: string;
      try {
        const out = await (await hubLibrary()).commit({
          ...this.call,
          repo: this.target.repo,
          title: `anana: sync ${operations.length} result file${operations.length === 1 ? '' : 's'}`,
          description: `Pushed by the Anana control plane from ${os.hostname()}.`,
          operations,
          parentCommit: parent,
          useXet: false,
        });
        oid = out!.commit.oid;
      } catch (error) {
        const status = hubStatus(error);
        if (status === 412 || status === 409) throw new HeadMoved();
        throw toHubError(`committing to ${this.target.repo}`, error);
      }
      parent = this.report.commit = this.state.remoteHead = oid;
      for (const [p, { id, mtimeMs, ino }] of pushed) {
        this.state.base[p] = { ...id, remoteOid: id.gitOid };
        this.state.hashCache[p] = { ...id, mtimeMs, ino };
        this.uploaded.add(p);
      }
      await saveSyncState(this.resultsDir, this.state);
    }
    return parent;
  }

  private async finish(): Promise<SyncReport> {
    const report = this.report;
    report.finishedAt = new Date().toISOString();
    report.uploaded = [...this.uploaded].sort();
    report.downloaded = [...this.downloaded].sort();
    report.pulledTrialFiles = report.downloaded.filter(isTrialFile);
    this.state.lastReports[report.direction] = report;
    await saveSyncState(this.resultsDir, this.state);
    return report;
  }
}

const pick = ({ sha256, gitOid, size }: ContentId): ContentId => ({ sha256, gitOid, size });

async function runLimited(tasks: Array<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) await tasks[next++]();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}

/** Whether `abs` already holds exactly the remote content (a conflict copy saved by an earlier sync). */
async function alreadyHolds(abs: string, remote: RemoteFile): Promise<boolean> {
  try {
    return sameAsRemote(contentIdOf(await readFile(abs)), remote);
  } catch {
    return false;
  }
}

/**
 * Writes through a temporary file and a rename, so a reader never sees half a file. Refuses to replace a file that
 * is not the one the plan was made with (`expected`), or any file at all when none was expected: a change made
 * while the sync ran is kept and reconciled next time.
 */
async function writeAtomically(abs: string, bytes: Buffer, expected?: LocalFile) {
  await mkdir(path.dirname(abs), { recursive: true });
  const tmp = `${abs}.sync-tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, bytes);
  try {
    const current = await lstat(abs).catch(() => undefined);
    if (current && (!expected || !current.isFile() || current.mtimeMs !== expected.mtimeMs || current.size !== expected.size)) {
      throw new Error('the local file changed while the sync ran (or was not expected); kept as is');
    }
    await rename(tmp, abs);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
  return lstat(abs);
}

export interface SyncStatus {
  repo: string | null;
  remoteHead: string | null;
  running: boolean;
  /** The last report of each direction asked for. */
  lastSync: Partial<Record<SyncDirection, SyncReport>>;
  /** When changes last went up (PUSH or BOTH) and came down (PULL or BOTH). */
  lastPushAt: string | null;
  lastPullAt: string | null;
  /** Local files new or changed since they were last synced (conflicting ones are under `conflicts`). */
  pendingPush: string[];
  conflicts: SyncConflict[];
  /** Errors of the most recent sync. */
  errors: string[];
}

/**
 * What `syncStatus` shows, from the sync state and a look at the local tree (no request to the Hub). With `repo`,
 * a state recorded for another repo counts as no sync at all.
 */
export async function getSyncStatus(resultsDir: string, opts: { repo?: string; skip?: (relPath: string) => boolean } = {}): Promise<SyncStatus> {
  const { state, problem } = await loadSyncState(resultsDir);
  const sameRepo = !opts.repo || state.repo === opts.repo;
  const base = sameRepo ? state.base : {};
  const conflicts = sameRepo ? state.conflicts : [];
  const scan = await scanLocalTree(resultsDir, state.hashCache, opts.skip);
  const conflicted = new Set(conflicts.map((c) => c.path));
  const pendingPush = [...scan.files.values()]
    .filter((f) => !conflicted.has(f.path) && base[f.path]?.sha256 !== f.sha256)
    .map((f) => f.path)
    .sort();
  const reports = sameRepo ? state.lastReports : {};
  const latest = (directions: SyncDirection[]) =>
    directions
      .map((d) => reports[d]?.finishedAt)
      .filter((t): t is string => t !== undefined)
      .sort()
      .pop() ?? null;
  const mostRecent = Object.values(reports).sort((a, b) => a.finishedAt.localeCompare(b.finishedAt)).pop();
  return {
    repo: state.repo,
    remoteHead: sameRepo ? state.remoteHead : null,
    running: isSyncRunning(resultsDir),
    lastSync: reports,
    lastPushAt: latest(['PUSH', 'BOTH']),
    lastPullAt: latest(['PULL', 'BOTH']),
    pendingPush,
    conflicts,
    errors: [...(problem ? [problem] : []), ...scan.errors, ...(mostRecent?.errors ?? [])],
  };
}
