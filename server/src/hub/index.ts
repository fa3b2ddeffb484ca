export { DEFAULT_HF_ENDPOINT, readHubConfig, requireHubTarget, type HubConfig, type HubTarget } from './config.ts';
export { HubError, type HubErrorCode } from './errors.ts';
export {
  createJobsClient,
  isTerminal,
  mapJobStage,
  type CloudJobInfo,
  type CloudJobSpec,
  type CloudJobStatus,
  type CloudLogLine,
  type HardwareFlavor,
  type JobsClient,
  type JobsClientOptions,
  type JobsTarget,
  type StreamLogsOptions,
} from './jobs-client.ts';
export { conflictCopyPath, isConflictCopy, isTrialFile, SYNCED_FOLDERS } from './repo-paths.ts';
export { getSyncStatus, isSyncRunning, planSync, syncResults, type SyncOptions, type SyncStatus } from './sync.ts';
export type { SyncConflict, SyncDirection, SyncReport } from './sync-state.ts';
