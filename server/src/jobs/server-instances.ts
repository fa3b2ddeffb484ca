import type { Services } from '../services.ts';

/**
 * The ids of the servers that are alive, from the ServerInstance rows the InstanceRegistry heartbeats.
 * A server on another machine is alive while its heartbeat is fresh; one on this machine is known dead at
 * once when its process is gone, so that a server restarted after a crash (kill -9) takes its jobs back
 * without waiting for the heartbeat to expire. (A reused pid, e.g. pid 1 in a restarted container, only
 * delays that until the heartbeat expires.)
 */
export async function liveServers(services: Services): Promise<Set<string>> {
  const { db, config, instanceId } = services;
  const staleBefore = new Date(Date.now() - config.heartbeatTimeoutMs);
  const rows = await db.prisma.serverInstance.findMany({ where: { heartbeatAt: { gte: staleBefore } }, select: { id: true, hostname: true, pid: true } });
  const live = new Set<string>([instanceId]);
  for (const row of rows) if (row.hostname !== config.hostName || processExists(row.pid)) live.add(row.id);
  return live;
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
