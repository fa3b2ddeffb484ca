import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Job, Prisma, Trial } from '../generated/prisma/client.ts';
import { InvalidInputError, NotFoundError } from '../errors/errors.ts';
import type { Services } from '../services.ts';
import { UUID_PATTERN } from '../jobs/job-paths.ts';
import { publishJobUpdated } from '../jobs/job-events.ts';
import { parseTrialFile, rankScoreOf, TRIAL_FILE_PATTERN, trialNumberOf } from './trial-file.ts';
import { relativeToResults } from './results-paths.ts';
import { ScopeCache } from './scope-cache.ts';
import { readableText } from '../logs/readable-text.ts';

export type TrialSourceName = 'LOCAL' | 'HUB';
export const TRIALS_TOPIC = 'trials';
export const trialsTopic = (jobId: string) => `trials:${jobId}`;

/** Files larger than this are not trial files (and would be a memory risk to parse). */
const MAX_TRIAL_FILE_BYTES = 1_000_000;

/** A trial's row as a file makes it (its key and source are added when it is stored). */
type TrialData = Omit<Prisma.TrialUncheckedCreateInput, 'key' | 'source'>;

export interface LeaderboardQuery {
  jobId?: string | null;
  source?: TrialSourceName | null;
  metric?: string | null;
  first: number;
  after?: string | null;
  includeInvalid?: boolean;
}

export interface LeaderboardPage {
  rows: Trial[];
  metric: string | null;
  direction: 'MINIMIZE' | 'MAXIMIZE' | null;
  /** Counted only when asked for (it scans every trial in scope), then kept until a trial is written. */
  totalCount: () => Promise<number>;
  hasMore: boolean;
  endCursor: string | null;
  paramNames: string[];
}

/**
 * Trials are indexed from the trial files under the results root (the files are the truth):
 * ingested as they appear while a job runs, rescanned at start-up, re-read when a file changes.
 * A malformed file becomes a trial row carrying the reason, excluded from rankings until fixed.
 */
export class TrialService {
  /** path → "size:mtime" of the last version ingested, so unchanged files are skipped cheaply. */
  readonly #seen = new Map<string, string>();
  readonly #counts = new ScopeCache<number>();
  readonly #defaultMetrics = new ScopeCache<string | null>();

  constructor(private readonly services: Services) {
    // Every trial write, on this replica or another, publishes here.
    services.events.subscribe(TRIALS_TOPIC, () => {
      this.#counts.invalidate();
      this.#defaultMetrics.invalidate();
    });
  }

  /** Scans one tuning output directory; called while its job runs and when it ends. */
  async scanJob(job: Pick<Job, 'id' | 'outputDir' | 'kind'>): Promise<number> {
    if (job.kind !== 'TUNE' || !job.outputDir) return 0;
    const changed = await this.#scanDir(job.outputDir, job.id, 'LOCAL');
    if (changed) await this.#updateTrialsDone(job.id);
    return changed;
  }

  /** Start-up rescan of `<results>/tune/*`: picks up files written while no server ran. */
  async rescan(): Promise<number> {
    const tuneDir = path.join(this.services.config.resultsDir, 'tune');
    const entries = await readdir(tuneDir, { withFileTypes: true }).catch(() => []);
    let changed = 0;
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const jobId = UUID_PATTERN.test(entry.name) ? entry.name : null;
      const exists = jobId ? await this.services.db.prisma.job.findUnique({ where: { id: jobId }, select: { id: true } }) : null;
      const n = await this.#scanDir(path.join(tuneDir, entry.name), exists ? jobId : null, 'LOCAL');
      if (n && exists && jobId) await this.#updateTrialsDone(jobId);
      changed += n;
    }
    return changed;
  }

  /** Ingests files that arrived from the Hub (sync): the same relative path is the same trial. */
  async ingestPulled(relativePaths: string[]): Promise<number> {
    let changed = 0;
    for (const relative of relativePaths) {
      const file = path.join(this.services.config.resultsDir, relative);
      if (!TRIAL_FILE_PATTERN.test(path.basename(file))) continue;
      const dirName = path.basename(path.dirname(file));
      const job = UUID_PATTERN.test(dirName) ? await this.services.db.prisma.job.findUnique({ where: { id: dirName }, select: { id: true } }) : null;
      if (await this.#ingestOrLog(file, job?.id ?? null, 'HUB')) {
        changed++;
        if (job) await this.#updateTrialsDone(job.id);
      }
    }
    return changed;
  }

  async #scanDir(dir: string, jobId: string | null, source: TrialSourceName): Promise<number> {
    const names = await readdir(dir).catch(() => [] as string[]);
    let changed = 0;
    for (const name of names) {
      if (!TRIAL_FILE_PATTERN.test(name)) continue;
      if (await this.#ingestOrLog(path.join(dir, name), jobId, source)) changed++;
    }
    return changed;
  }

  /** {@link ingestFile}, where one file that fails (it is tried again at the next scan) does not stop the others. */
  async #ingestOrLog(file: string, jobId: string | null, source: TrialSourceName): Promise<boolean> {
    try {
      return await this.ingestFile(file, jobId, source);
    } catch (error) {
      console.error(`[trials] could not ingest ${file}:`, error);
      return false;
    }
  }

  /** Writes a trial's row: `existing` is updated, or one is created (or updated, when another replica just made it). */
  #store(key: string, existing: Trial | null, data: TrialData, source: TrialSourceName): Promise<Trial> {
    const { prisma } = this.services.db;
    // A trial seen locally stays LOCAL when the Hub brings the same file back.
    if (existing) return prisma.trial.update({ where: { key }, data: { ...data, source: existing.source === 'LOCAL' ? 'LOCAL' : source } });
    return prisma.trial.create({ data: { ...data, key, source } }).catch(async (error: { code?: string }) => {
      // Another replica ingested the same file at the same moment.
      if (error.code === 'P2002') return prisma.trial.update({ where: { key }, data });
      throw error;
    });
  }

  /** Ingests one trial file if it changed since last time; returns whether the index changed. */
  async ingestFile(file: string, jobId: string | null, source: TrialSourceName): Promise<boolean> {
    // Not followed: a link would let a trial file show what it points to (its first bytes, in the reason).
    const info = await lstat(file).catch(() => undefined);
    if (!info || !(info.isFile() || info.isSymbolicLink())) return false;
    const fingerprint = `${info.size}:${info.mtimeMs}`;
    if (this.#seen.get(file) === fingerprint) return false;
    const key = relativeToResults(this.services.config.resultsDir, file);
    let data: TrialData;
    let sha: string;
    /** The row of a file that is not a valid trial: its reason, and nothing to rank. */
    const invalid = (error: string): TrialData => ({ jobId, number: trialNumberOf(file) ?? 0, params: {}, score: null, rankScore: null, metric: '', filePath: key, fileSha256: sha, error });
    if (info.isSymbolicLink()) {
      sha = `link:${info.mtimeMs}`;
      data = invalid('is a symbolic link; trial files must be regular files');
    } else if (info.size > MAX_TRIAL_FILE_BYTES) {
      sha = `size:${info.size}`;
      data = invalid(`file is ${info.size} bytes; trial files are limited to ${MAX_TRIAL_FILE_BYTES}`);
    } else {
      const bytes = await readFile(file);
      sha = createHash('sha256').update(bytes).digest('hex');
      try {
        const trial = parseTrialFile(bytes.toString('utf8'), file);
        data = {
          jobId,
          number: trial.number,
          params: trial.params as Prisma.InputJsonValue,
          score: trial.score,
          rankScore: rankScoreOf(trial.score, trial.direction),
          metric: trial.metric,
          direction: trial.direction,
          filePath: key,
          fileSha256: sha,
          error: null,
          raw: trial.raw as Prisma.InputJsonValue,
        };
      } catch (error) {
        data = invalid((error as Error).message);
      }
    }
    const existing = await this.services.db.prisma.trial.findUnique({ where: { key } });
    if (existing && existing.fileSha256 === sha) {
      this.#seen.set(file, fingerprint);
      return false;
    }
    let row: Trial;
    try {
      row = await this.#store(key, existing, data, source);
    } catch (error) {
      // What the parser let through and the database still refuses is an invalid trial too, with the database's reason.
      console.warn(`[trials] ${key} could not be stored as it is: ${(error as Error).message.trim().split('\n').at(-1)}`);
      row = await this.#store(key, existing, invalid('holds a value the database cannot store'), source);
    }
    this.#seen.set(file, fingerprint);
    this.services.events.publish(TRIALS_TOPIC, { trialId: row.id });
    if (row.jobId) this.services.events.publish(trialsTopic(row.jobId), { trialId: row.id });
    return true;
  }

  async #updateTrialsDone(jobId: string): Promise<void> {
    const trialsDone = await this.services.db.prisma.trial.count({ where: { jobId, error: null } });
    await this.services.db.prisma.job.update({ where: { id: jobId }, data: { trialsDone }, select: { id: true } });
    publishJobUpdated(this.services.events, jobId);
  }

  async get(id: string): Promise<Trial> {
    if (!UUID_PATTERN.test(id)) throw new InvalidInputError(`Trial id ${JSON.stringify(id)} is not a valid id`, { field: 'trialId' });
    const trial = await this.services.db.prisma.trial.findUnique({ where: { id } });
    if (!trial) throw new NotFoundError('Trial', id);
    return trial;
  }

  /** Trial files that could not be ingested, with the reason (of one job, or of all), the latest first. */
  invalid(jobId?: string | null): Promise<Trial[]> {
    checkJobId(jobId);
    return this.services.db.prisma.trial.findMany({ where: { error: { not: null }, ...(jobId && { jobId }) }, orderBy: { updatedAt: 'desc' }, take: 200 });
  }

  /**
   * Best first for the metric's direction (scores stored as rankScore make that one ascending index),
   * keyset pagination on (rankScore, id), so page N costs the same as page 1.
   */
  async leaderboard(query: LeaderboardQuery): Promise<LeaderboardPage> {
    const { prisma } = this.services.db;
    checkJobId(query.jobId);
    if (!Number.isInteger(query.first) || query.first < 1 || query.first > 500) throw new InvalidInputError('first must be from 1 to 500', { field: 'first' });
    // Stored names hold U+FFFD where a NUL was (which PostgreSQL refuses): one asked for with a NUL finds them.
    const metric = query.metric != null ? readableText(query.metric) : await this.#defaultMetric(query);
    if (!metric) return { rows: [], metric: null, direction: null, totalCount: async () => 0, hasMore: false, endCursor: null, paramNames: [] };
    const cursor = query.after ? decodeCursor(query.after) : undefined;
    const rows = await this.#page(query, metric, cursor);
    const counted = new TrialFilter(query, metric);
    const totalCount = () =>
      this.#counts.get(counted.key, async () => (await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM "Trial" WHERE ${counted.where}`, ...counted.params))[0]!.n);
    const page = rows.slice(0, query.first);
    const last = page.at(-1);
    const paramNames = [...new Set(page.flatMap((t) => Object.keys((t.params ?? {}) as object)))].sort();
    return {
      rows: page,
      metric,
      direction: page[0]?.direction ?? null,
      totalCount,
      hasMore: rows.length > query.first,
      endCursor: last ? encodeCursor(last) : null,
      paramNames,
    };
  }

  /**
   * One page in rank order. Hand-written rather than `findMany`: the row comparison `("rankScore", id) > (r, i)`
   * starts the index range at the cursor, and the query builder's own overhead was as large as the query's.
   * The rows come back exactly as `findMany` would return them (same adapter deserialisation).
   */
  #page(query: LeaderboardQuery, metric: string, cursor: { rank: number; id: string } | undefined): Promise<Trial[]> {
    const filter = new TrialFilter(query, metric);
    if (cursor) filter.and(`("rankScore", id) > (${filter.param(cursor.rank, '::float8')}, ${filter.param(cursor.id, '::uuid')})`);
    const sql = `SELECT * FROM "Trial" WHERE ${filter.where} ORDER BY "rankScore" ASC NULLS LAST, id ASC LIMIT ${filter.param(query.first + 1, '::int')}`;
    return this.services.db.prisma.$queryRawUnsafe<Trial[]>(sql, ...filter.params);
  }

  /** The metric most trials in scope report (usually the only one). */
  #defaultMetric(query: LeaderboardQuery): Promise<string | null> {
    const filter = new TrialFilter(query);
    return this.#defaultMetrics.get(filter.key, async () => {
      const sql = `SELECT metric FROM "Trial" WHERE ${filter.where} GROUP BY metric ORDER BY count(*) DESC LIMIT 1`;
      const rows = await this.services.db.prisma.$queryRawUnsafe<{ metric: string }[]>(sql, ...filter.params);
      return rows[0]?.metric ?? null;
    });
  }
}

/**
 * The trials a leaderboard query covers, as SQL conditions with positional parameters: the one definition that
 * the page, the count and the default metric share (and the key their cached answers are kept under).
 */
class TrialFilter {
  readonly params: unknown[] = [];
  readonly #clauses: string[] = [];

  constructor(query: Pick<LeaderboardQuery, 'jobId' | 'source' | 'includeInvalid'>, metric?: string) {
    if (metric !== undefined) this.and(`metric = ${this.param(metric)}`);
    if (query.jobId) this.and(`"jobId" = ${this.param(query.jobId, '::uuid')}`);
    if (query.source) this.and(`source = ${this.param(query.source, '::"TrialSource"')}`);
    if (!query.includeInvalid) this.and('error IS NULL').and('"rankScore" IS NOT NULL');
  }

  /** The placeholder of a new parameter, with an optional cast. */
  param(value: unknown, cast = ''): string {
    return `$${this.params.push(value)}${cast}`;
  }

  and(clause: string): this {
    this.#clauses.push(clause);
    return this;
  }

  get where(): string {
    return this.#clauses.length ? this.#clauses.join(' AND ') : 'TRUE';
  }

  get key(): string {
    return JSON.stringify([this.where, this.params]);
  }
}

function encodeCursor(trial: Trial): string {
  return Buffer.from(JSON.stringify([trial.rankScore, trial.id])).toString('base64url');
}

function checkJobId(jobId: string | null | undefined): void {
  if (jobId && !UUID_PATTERN.test(jobId)) throw new InvalidInputError('jobId is not a valid id', { field: 'jobId' });
}

function decodeCursor(cursor: string): { rank: number; id: string } {
  try {
    const [rank, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [number, string];
    if (typeof rank !== 'number' || !UUID_PATTERN.test(id)) throw new Error('bad cursor');
    return { rank, id };
  } catch {
    throw new InvalidInputError('after is not a cursor returned by this query', { field: 'after' });
  }
}
