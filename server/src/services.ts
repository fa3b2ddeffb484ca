import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { EventBus } from './events/event-bus.ts';
import type { JobService } from './jobs/job-service.ts';

/** Everything a request handler may reach; built once by `buildApp`. */
export interface Services {
  config: Config;
  db: Database;
  events: EventBus;
  jobs: JobService;
  instanceId: string;
  startedAt: Date;
  version: string;
}
