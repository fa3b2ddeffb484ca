import type { Config } from './config/config.ts';
import type { Database } from './db/database.ts';
import type { EventBus } from './events/event-bus.ts';
import type { JobService } from './jobs/job-service.ts';
import type { InferenceService } from './inference/inference-service.ts';
import type { HubService } from './hub/hub-service.ts';
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
  inference: InferenceService;
  hub: HubService;
  instanceId: string;
  startedAt: Date;
  version: string;
}
