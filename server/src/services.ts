import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { EventBus } from './events/event-bus.ts';
import type { JobService } from './jobs/job-service.ts';
import type { PromotionService } from './results/promotion-service.ts';
import type { TrialService } from './results/trial-service.ts';

/** Everything a request handler may reach; built once by `buildApp`. */
export interface Services {
  config: Config;
  db: Database;
  events: EventBus;
  jobs: JobService;
  trials: TrialService;
  promotion: PromotionService;
  instanceId: string;
  startedAt: Date;
  version: string;
}
