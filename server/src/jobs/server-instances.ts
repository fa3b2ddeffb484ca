import { hostname } from 'node:os';
import type { Services } from '../services.ts';

/**
 * The registry of running servers (ServerInstance rows with a heartbeat). Recovery uses it to tell a job
 * whose server is alive (hands off) from one whose server died (taken over).
 */
export class ServerRegistry {
  readonly host = hostname();
  #timer: NodeJS.Timeout | undefined;

  constructor(private readonly services: Services) {}

  /** Registers this server and keeps its heartbeat fresh; `onBeat` runs after each beat. */
  async register(onBeat: () => void): Promise<void> {
    const { db, config, instanceId } = this.services;
    const row = { hostname: this.host, pid: process.pid, role: config.workerMode ? 'worker' : 'server', flavors: config.workerFlavors ?? [], heartbeatAt: new Date() };
    await db.prisma.serverInstance.upsert({ where: { id: instanceId }, create: { id: instanceId, ...row }, update: row });
    await this.#forgetDeadNeighbours();
    this.#timer = setInterval(() => {
      void db.prisma.serverInstance
        .update({ where: { id: instanceId }, data: { heartbeatAt: new Date() }, select: { id: true } })
        .then(onBeat, (error) => console.error('[jobs] heartbeat failed:', (error as Error).message));
    }, config.heartbeatMs);
    this.#timer.unref();
  }

  async deregister(): Promise<void> {
    clearInterval(this.#timer);
    await this.services.db.prisma.serverInstance.delete({ where: { id: this.services.instanceId } }).catch(() => {});
  }

  /**
   * The ids of servers that are alive. A server on another machine is alive while its heartbeat is fresh;
   * one on this machine is known dead at once when its process is gone, so that a server restarted after a
   * crash takes its jobs back without waiting for the heartbeat to expire. (A reused pid, e.g. pid 1 in a
   * restarted container, only delays that until the heartbeat expires.)
   */
  async liveInstances(): Promise<Set<string>> {
    const { db, config, instanceId } = this.services;
    const staleBefore = new Date(Date.now() - config.heartbeatTimeoutMs);
    const rows = await db.prisma.serverInstance.findMany({ where: { heartbeatAt: { gte: staleBefore } }, select: { id: true, hostname: true, pid: true } });
    const live = new Set<string>();
    for (const row of rows) {
      if (row.id === instanceId || row.hostname !== this.host || processExists(row.pid)) live.add(row.id);
    }
    return live;
  }

  /** Rows of servers of this machine whose process is gone, and rows silent for a day, are dropped. */
  async #forgetDeadNeighbours(): Promise<void> {
    const { db, instanceId } = this.services;
    const rows = await db.prisma.serverInstance.findMany({ where: { hostname: this.host, id: { not: instanceId } }, select: { id: true, pid: true } });
    const dead = rows.filter((r) => !processExists(r.pid)).map((r) => r.id);
    await db.prisma.serverInstance.deleteMany({ where: { OR: [{ id: { in: dead } }, { heartbeatAt: { lt: new Date(Date.now() - 86_400_000) } }] } });
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
