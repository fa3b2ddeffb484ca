import type { Services } from '../services.ts';

export interface HealthReport {
  ok: boolean;
  version: string;
  uptimeSeconds: number;
  instanceId: string;
  database: { ok: boolean; kind: string; latencyMs: number | null; error: string | null };
}

/** Pings the database with a bounded wait so a hung database makes health fail rather than hang. */
export async function checkHealth(services: Services, timeoutMs = 2_000): Promise<HealthReport> {
  const started = performance.now();
  let database: HealthReport['database'];
  try {
    await Promise.race([
      services.db.prisma.$queryRawUnsafe('SELECT 1'),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);
    database = { ok: true, kind: services.db.kind, latencyMs: performance.now() - started, error: null };
  } catch (error) {
    database = { ok: false, kind: services.db.kind, latencyMs: null, error: (error as Error).message };
  }
  return {
    ok: database.ok,
    version: services.version,
    uptimeSeconds: (Date.now() - services.startedAt.getTime()) / 1000,
    instanceId: services.instanceId,
    database,
  };
}
