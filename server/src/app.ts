import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { PROJECT_ROOT, type Config } from './config/config.ts';
import { openDatabase } from './db/database.ts';
import { EventBus } from './events/event-bus.ts';
import { PgNotifyTransport } from './events/pg-notify-transport.ts';
import { RedisTransport } from './events/redis-transport.ts';
import { InstanceRegistry } from './jobs/instance-registry.ts';
import { createHttpServer } from './http/http-server.ts';
import { attachWebSocket } from './http/websocket.ts';
import { createYogaServer } from './http/yoga.ts';
import { JobService } from './jobs/job-service.ts';
import { relayRemoteLogs } from './logs/remote-relay.ts';
import { PromotionService } from './results/promotion-service.ts';
import { TrialService } from './results/trial-service.ts';
import { InferenceService } from './inference/inference-service.ts';
import { HubService } from './hub/hub-service.ts';
import type { Services } from './services.ts';

const VERSION: string = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')).version;

export interface App {
  services: Services;
  /** Listens on `config.port` (0 picks a free port) and returns the base URL. */
  start(): Promise<string>;
  /** Stops accepting, closes sockets and subscriptions, then the database. Safe to call twice. */
  stop(): Promise<void>;
  url: string;
}

/** Wires the whole server: database (migrated), event bus, GraphQL over HTTP, WebSocket and SSE, console. */
export async function buildApp(config: Config): Promise<App> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, resultsDir: config.resultsDir });
  const services = {
    config,
    db,
    events: new EventBus(),
    instanceId: config.instanceId ?? `${config.hostName}-${process.pid}-${randomUUID().slice(0, 8)}`,
    startedAt: new Date(),
    version: VERSION,
  } as Services;
  services.jobs = new JobService(services);
  services.trials = new TrialService(services);
  services.promotion = new PromotionService(services);
  services.inference = new InferenceService(services);
  services.hub = new HubService(services);
  services.jobs.addHooks({
    onProgress: async (job) => void (await services.trials.scanJob(job)),
    onFinished: async (job) => {
      await services.trials.scanJob(job);
      await services.promotion.onTrainFinished(job);
    },
  });
  await attachSharedTransport(services);
  const registry = new InstanceRegistry(services, config.workerMode ? 'worker' : 'server');
  const yoga = createYogaServer(services);
  const webRoot = config.serveWeb && !config.workerMode ? path.join(PROJECT_ROOT, 'web', 'dist') : undefined;
  const httpServer = createHttpServer(services, config.workerMode ? undefined : yoga, webRoot);
  const ws = attachWebSocket(httpServer, yoga, config.apiToken, config.corsOrigins);
  let stopping: Promise<void> | undefined;

  const app: App = {
    services,
    url: '',
    async start() {
      await new Promise<void>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen(config.port, config.host, () => resolve());
      });
      await registry.start();
      // Trial files are the jobs' output: none of them may keep the server from starting.
      await services.trials.rescan().catch((error) => console.error('[trials] the start-up rescan failed:', error));
      await services.jobs.start();
      await services.promotion.reconcileLocks();
      await services.inference.start();
      await services.hub.start();
      const { port } = httpServer.address() as AddressInfo;
      app.url = `http://127.0.0.1:${port}`;
      return app.url;
    },
    stop() {
      stopping ??= (async () => {
        httpServer.close();
        await services.hub.close();
        await services.inference.close();
        await services.jobs.close();
        await registry.close();
        await ws.close();
        httpServer.closeAllConnections();
        await services.events.close();
        await db.close();
      })();
      return stopping;
    },
  };
  return app;
}

/**
 * Replicas share bus messages (job updates, stop requests, persisted-log notices) through Redis when
 * REDIS_URL is set, otherwise through PostgreSQL LISTEN/NOTIFY; the embedded database is single-process.
 */
async function attachSharedTransport(services: Services): Promise<void> {
  const { config, db } = services;
  const transport = config.redisUrl
    ? new RedisTransport(config.redisUrl, services.instanceId)
    : db.pool && config.databaseUrl
      ? new PgNotifyTransport(db.pool, config.databaseUrl, services.instanceId)
      : undefined;
  if (!transport) return;
  await transport.connect();
  services.events.attachTransport(transport);
  // Subscribers here of a job another replica runs share one read of each persisted range.
  relayRemoteLogs(services.events, db);
}
