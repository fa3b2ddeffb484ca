import type { Services } from '../services.ts';
import { publishJobUpdated, publishLogEnded, QUEUE_TOPIC } from './job-events.ts';

/**
 * Every server and worker process heartbeats a row in ServerInstance. Any of them notices a peer
 * whose heartbeat stopped (kill -9, power loss) and settles that peer's RUNNING jobs: re-queued when
 * the job asked for retries, otherwise LOST with the reason — never left RUNNING.
 */
export class InstanceRegistry {
  #timer: NodeJS.Timeout | undefined;
  /** The heartbeat in progress, which close() lets finish before the database goes. */
  #ticking: Promise<void> | undefined;

  constructor(
    private readonly services: Services,
    private readonly role: 'server' | 'worker',
  ) {}

  async start(): Promise<void> {
    await this.#beat();
    this.#timer = setInterval(() => {
      this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    }, this.services.config.heartbeatMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#ticking;
    await this.services.db.prisma.serverInstance.deleteMany({ where: { id: this.services.instanceId } }).catch(() => {});
  }

  async #tick(): Promise<void> {
    try {
      await this.#beat();
      await this.reapLostPeers();
    } catch (error) {
      console.error('[instances] heartbeat failed:', (error as Error).message);
    }
  }

  async #beat(): Promise<void> {
    const { config, instanceId } = this.services;
    const data = { hostname: config.hostName, pid: process.pid, role: this.role, flavors: config.workerFlavors ?? [], heartbeatAt: new Date() };
    await this.services.db.prisma.serverInstance.upsert({ where: { id: instanceId }, create: { id: instanceId, ...data }, update: data });
    // Jobs this process runs share its heartbeat.
    await this.services.db.prisma.job.updateMany({ where: { ownerId: instanceId, status: 'RUNNING' }, data: { heartbeatAt: new Date() } });
  }

  /** Settles the RUNNING jobs of peers on other machines that stopped heartbeating. */
  async reapLostPeers(): Promise<number> {
    const { prisma } = this.services.db;
    const { heartbeatTimeoutMs } = this.services.config;
    const staleBefore = new Date(Date.now() - heartbeatTimeoutMs);
    const live = new Set((await prisma.serverInstance.findMany({ where: { heartbeatAt: { gte: staleBefore } }, select: { id: true } })).map((i) => i.id));
    const candidates = await prisma.job.findMany({
      where: { status: 'RUNNING', executor: 'LOCAL', OR: [{ heartbeatAt: { lt: staleBefore } }, { heartbeatAt: null }] },
      select: { id: true, ownerId: true, host: true, attempt: true, maxRetries: true, heartbeatAt: true, lastSeq: true },
    });
    let settled = 0;
    const myHost = this.services.config.hostName;
    for (const job of candidates) {
      if (job.ownerId && live.has(job.ownerId)) continue;
      // Jobs of this machine are re-attached by the local recovery, which can still see their processes.
      if (job.host === myHost) {
        await this.services.jobs.recover();
        continue;
      }
      const lostSince = job.heartbeatAt?.toISOString() ?? 'its start';
      const retry = job.attempt <= job.maxRetries;
      const result = await prisma.job.updateMany({
        where: { id: job.id, status: 'RUNNING', ownerId: job.ownerId },
        data: retry
          ? { status: 'QUEUED', ownerId: null, pid: null, pgid: null, error: `re-queued (attempt ${job.attempt + 1} of ${job.maxRetries + 1}): worker ${job.ownerId} on ${job.host} stopped heartbeating at ${lostSince}` }
          : { status: 'LOST', finishedAt: new Date(), error: `worker ${job.ownerId} on ${job.host} stopped heartbeating at ${lostSince} (no heartbeat for ${heartbeatTimeoutMs} ms)` },
      });
      if (result.count === 1) {
        settled++;
        publishJobUpdated(this.services.events, job.id);
        // Its log ends here: the worker whose pipeline would have said so is gone.
        if (retry) this.services.events.publish(QUEUE_TOPIC, { jobId: job.id });
        else publishLogEnded(this.services.events, job.id, job.lastSeq);
      }
    }
    await prisma.serverInstance.deleteMany({ where: { heartbeatAt: { lt: new Date(Date.now() - 10 * heartbeatTimeoutMs) } } });
    return settled;
  }
}
