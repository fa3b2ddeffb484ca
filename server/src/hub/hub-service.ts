import path from 'node:path';
import type { Services } from '../services.ts';
import { readHubConfig, requireHubTarget, type HubConfig } from './config.ts';
import { HubError } from './errors.ts';
import { FlavorCatalog, type FlavorList } from './flavor-catalog.ts';
import { createJobsClient, type JobsClient } from './jobs-client.ts';
import { getSyncStatus, syncResults, type SyncStatus } from './sync.ts';
import type { SyncDirection, SyncReport } from './sync-state.ts';

/** The image cloud jobs run in when `ANANA_HF_JOB_IMAGE` is not set. */
export const DEFAULT_JOB_IMAGE = 'node:20';

export interface HubSyncReport extends SyncReport {
  /** Trials added to or changed in the index from the pulled trial files. */
  ingestedTrials: number;
}

export interface HubSyncStatus extends SyncStatus {
  configured: boolean;
  /** Variables to set before sync can run. */
  missing: string[];
  /** Background sync period; 0 when it is off. */
  intervalMs: number;
}

/** What a cloud job needs from the server's Hub configuration. */
export interface CloudJobSettings {
  image: string;
  repo: string;
  hubUrl: string;
  token: string;
}

const ACTIVE = ['QUEUED', 'RUNNING'] as const;

/**
 * The Hugging Face side of the product: results sync (manual and in the background), the hardware flavors of
 * Hugging Face Jobs, and the jobs client cloud runs use. Nothing here is needed for the rest of the product: without
 * `HF_TOKEN` / `ANANA_HUB_REPO` every entry point answers NOT_CONFIGURED and the server runs on.
 */
export class HubService {
  readonly hubConfig: HubConfig;
  readonly #flavors: FlavorCatalog;
  #client: JobsClient | undefined;
  #timer: NodeJS.Timeout | undefined;
  #background: Promise<void> | undefined;
  #closed = false;

  constructor(readonly services: Services) {
    const { config } = services;
    this.hubConfig = readHubConfig({
      HF_TOKEN: config.hfToken,
      HF_ENDPOINT: config.hfEndpoint,
      ANANA_HUB_REPO: config.hubRepo,
      ANANA_HUB_JOBS_NAMESPACE: process.env.ANANA_HUB_JOBS_NAMESPACE,
    });
    this.#flavors = new FlavorCatalog(() => this.jobsClient());
  }

  get configured(): boolean {
    return this.hubConfig.configured;
  }

  /** Starts the background sync when a period is configured and the Hub is. */
  async start(): Promise<void> {
    if (this.configured && this.services.config.syncIntervalMs > 0) this.#schedule();
  }

  /** Stops the background sync, waiting for a round in progress so that it does not outlive the database. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#background;
  }

  /**
   * One sync under the project lock (so a sync and a promotion never interleave; CONFLICT while one holds it), then
   * ingestion of the pulled trial files with source HUB. Outputs of jobs still queued or running stay local until
   * they end. Throws NOT_CONFIGURED before anything is locked when the Hub is not configured.
   */
  async sync(direction: SyncDirection, actor: string): Promise<HubSyncReport> {
    const hub = requireHubTarget(this.hubConfig);
    return this.services.promotion.withLock('sync', actor, async () => {
      const report = await syncResults({ resultsDir: this.services.config.resultsDir, direction, hub, skip: await this.#activeOutputs() });
      const ingestedTrials = await this.services.trials.ingestPulled(report.pulledTrialFiles);
      return { ...report, ingestedTrials };
    });
  }

  /** Sync state without a request to the Hub; answers (configured: false, missing: [...]) when it is not configured. */
  async status(): Promise<HubSyncStatus> {
    const { repo, configured, missing } = this.hubConfig;
    const status = await getSyncStatus(this.services.config.resultsDir, { repo, skip: await this.#activeOutputs() });
    return { ...status, repo: repo ?? null, configured, missing, intervalMs: configured ? this.services.config.syncIntervalMs : 0 };
  }

  /** The local flavor and the Hub's, with prices; see {@link FlavorCatalog}. */
  hardwareFlavors(): Promise<FlavorList> {
    return this.#flavors.list();
  }

  /** The Hugging Face Jobs client; throws NOT_CONFIGURED without a token. */
  jobsClient(): JobsClient {
    this.#client ??= createJobsClient(this.hubConfig);
    return this.#client;
  }

  /**
   * What a cloud job needs, checked before one is queued: a token to run it and a repo its results come back
   * through. Throws NOT_CONFIGURED naming what is missing, INVALID_INPUT for a flavor the Hub does not offer (when
   * the Hub's list can be read; otherwise the Hub itself judges the flavor at launch).
   */
  async requireCloudJobs(flavor?: string): Promise<CloudJobSettings> {
    const target = (() => {
      try {
        return requireHubTarget(this.hubConfig);
      } catch (error) {
        if (error instanceof HubError && error.code === 'NOT_CONFIGURED') {
          throw new HubError('NOT_CONFIGURED', `Hugging Face Jobs are not configured: set ${this.hubConfig.missing.join(' and ')} (the token runs the job, the repo brings its results back)`, error.details);
        }
        throw error;
      }
    })();
    if (flavor !== undefined) {
      const names = await this.#flavors.hubFlavorNames();
      if (names && !names.includes(flavor)) {
        throw new HubError('INVALID_INPUT', `Hugging Face Jobs offer no flavor ${JSON.stringify(flavor)}; choose one of ${names.join(', ')}`, { field: 'flavor' });
      }
    }
    return { image: process.env.ANANA_HF_JOB_IMAGE || DEFAULT_JOB_IMAGE, repo: target.repo, hubUrl: target.url, token: target.token };
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#background = this.#backgroundRound().finally(() => {
        this.#background = undefined;
        this.#schedule();
      });
    }, this.services.config.syncIntervalMs);
    this.#timer.unref();
  }

  async #backgroundRound(): Promise<void> {
    try {
      const report = await this.sync('BOTH', `background sync on ${this.services.instanceId}`);
      if (report.errors.length) console.warn(`[hub] background sync finished with ${report.errors.length} error(s): ${report.errors.join('; ')}`);
    } catch (error) {
      const code = (error as { extensions?: { code?: string }; code?: string }).extensions?.code ?? (error as { code?: string }).code;
      // A promotion (or another replica's sync) holds the lock: this round is skipped, the next one catches up.
      if (code === 'CONFLICT') console.warn(`[hub] background sync skipped: ${(error as Error).message}`);
      else console.error('[hub] background sync failed:', (error as Error).message);
    }
  }

  /** Skips the outputs of jobs still queued or running: they are pushed, whole, once their job has ended. */
  async #activeOutputs(): Promise<(relPath: string) => boolean> {
    const { resultsDir } = this.services.config;
    const jobs = await this.services.db.prisma.job.findMany({ where: { status: { in: [...ACTIVE] } }, select: { outputDir: true } });
    const prefixes = jobs
      .map((j) => (j.outputDir ? path.relative(resultsDir, j.outputDir).split(path.sep).join('/') : ''))
      .filter((rel) => rel && !rel.startsWith('..') && !path.isAbsolute(rel))
      .map((rel) => `${rel}/`);
    return (relPath) => prefixes.some((prefix) => relPath.startsWith(prefix));
  }
}
