import type { FlavorOption } from '../hub/flavor-catalog.ts';
import type { HubSyncReport, HubSyncStatus } from '../hub/hub-service.ts';
import type { SyncConflict, SyncReport } from '../hub/sync-state.ts';
import { builder } from './builder.ts';
import { ExecutorEnum } from './enums.ts';

const SyncDirectionEnum = builder.enumType('SyncDirection', {
  values: {
    PUSH: { description: 'Local changes up to the Hub repo.' },
    PULL: { description: 'Remote changes down into the results folder.' },
    BOTH: { description: 'Both ways in one reconciliation.' },
  } as const,
});

const SyncConflictRuleEnum = builder.enumType('SyncConflictRule', {
  values: {
    KEEP_BOTH: {
      description:
        'The local version stays at its path and is not pushed; the remote one is saved beside it as <name>.remote-<oid8>. Reported until both are made equal or the local file is deleted.',
    },
  } as const,
});

const SyncSkipReasonEnum = builder.enumType('SyncSkipReason', {
  values: {
    DELETED_LOCALLY: { description: 'Removed here after a sync; deletions do not propagate, the Hub keeps it.' },
    DELETED_REMOTELY: { description: 'Removed from the Hub after a sync; deletions do not propagate, this copy stays.' },
  } as const,
});

const SyncConflictRef = builder.objectRef<SyncConflict>('SyncConflict').implement({
  description: 'A file changed on both sides since the last sync, to different contents.',
  fields: (t) => ({
    path: t.exposeString('path', { description: 'Relative to the results folder; the local version stays here.' }),
    rule: t.expose('rule', { type: SyncConflictRuleEnum }),
    localSha: t.exposeString('localSha', { description: 'sha256 of the local version.' }),
    remoteOid: t.exposeString('remoteOid', { description: 'The remote version as the repo lists it (LFS sha256 or git blob id).' }),
    remoteCopy: t.exposeString('remoteCopy', { nullable: true, description: 'Where the remote version was saved; null when the sync did not pull.' }),
  }),
});

const SyncSkippedFileRef = builder.objectRef<SyncReport['skipped'][number]>('SyncSkippedFile').implement({
  fields: (t) => ({
    path: t.exposeString('path'),
    reason: t.expose('reason', { type: SyncSkipReasonEnum }),
  }),
});

const SyncReportRef = builder.objectRef<SyncReport & { ingestedTrials?: number }>('SyncReport').implement({
  description: 'What one sync did. Paths are relative to the results folder.',
  fields: (t) => ({
    direction: t.expose('direction', { type: SyncDirectionEnum }),
    repo: t.exposeString('repo'),
    uploaded: t.exposeStringList('uploaded', { description: 'Committed to the Hub.' }),
    downloaded: t.exposeStringList('downloaded', { description: 'Written here from the Hub, conflict copies included.' }),
    conflicts: t.expose('conflicts', { type: [SyncConflictRef] }),
    errors: t.exposeStringList('errors', { description: 'One line per problem (a file that could not be read, written or trusted).' }),
    skipped: t.expose('skipped', { type: [SyncSkippedFileRef] }),
    pendingPush: t.exposeStringList('pendingPush', { description: 'Local changes this sync did not push (direction PULL).' }),
    pendingPull: t.exposeStringList('pendingPull', { description: 'Remote changes this sync did not pull (direction PUSH).' }),
    commit: t.exposeString('commit', { nullable: true, description: 'Last commit this sync created; null when it committed nothing.' }),
    remoteHead: t.exposeString('remoteHead', { nullable: true }),
    commitAttempts: t.exposeInt('commitAttempts', { description: 'More than one when other commits landed first and the push was redone on the new head.' }),
    startedAt: t.expose('startedAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime' }),
    pulledTrials: t.int({ description: 'Trial files pulled from the Hub.', resolve: (report) => report.pulledTrialFiles.length }),
    pulledTrialFiles: t.exposeStringList('pulledTrialFiles'),
    ingestedTrials: t.int({
      nullable: true,
      description: 'Trials added to or changed in the leaderboard (source HUB) by this sync; null on reports read back from the sync state.',
      resolve: (report) => report.ingestedTrials ?? null,
    }),
  }),
});

const SyncStatusRef = builder.objectRef<HubSyncStatus>('SyncStatus').implement({
  description: 'Where results sync stands, read without a request to the Hub.',
  fields: (t) => ({
    configured: t.exposeBoolean('configured'),
    missing: t.exposeStringList('missing', { description: 'Variables to set before sync can run (HF_TOKEN, ANANA_HUB_REPO).' }),
    repo: t.exposeString('repo', { nullable: true }),
    remoteHead: t.exposeString('remoteHead', { nullable: true, description: 'The repo commit the last sync saw or made.' }),
    running: t.exposeBoolean('running', { description: 'A sync of the results folder is running in this server.' }),
    intervalMs: t.exposeInt('intervalMs', { description: 'Background sync period (ANANA_SYNC_INTERVAL_MS); 0 when off.' }),
    lastPushAt: t.expose('lastPushAt', { type: 'DateTime', nullable: true }),
    lastPullAt: t.expose('lastPullAt', { type: 'DateTime', nullable: true }),
    pendingPush: t.exposeStringList('pendingPush', { description: 'Local files new or changed since they were last synced.' }),
    conflicts: t.expose('conflicts', { type: [SyncConflictRef] }),
    errors: t.exposeStringList('errors', { description: 'Errors of the most recent sync, and of reading the local tree now.' }),
    lastReports: t.field({
      type: [SyncReportRef],
      description: 'The last report of each direction, newest first.',
      resolve: (status) => Object.values(status.lastSync).sort((a, b) => b.finishedAt.localeCompare(a.finishedAt)),
    }),
  }),
});

const HardwareFlavorRef = builder.objectRef<FlavorOption & { error: string | null }>('HardwareFlavor').implement({
  description: 'Hardware a job can run on: this machine (executor LOCAL) or a Hugging Face Jobs flavor (executor HF_JOBS).',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Pass as startJob(input: { flavor }).' }),
    prettyName: t.exposeString('prettyName'),
    executor: t.expose('executor', { type: ExecutorEnum }),
    cpu: t.exposeString('cpu'),
    ram: t.exposeString('ram'),
    accelerator: t.exposeString('accelerator', { nullable: true, description: 'e.g. "1x Nvidia A10G (24 GB)"; null for CPU-only hardware.' }),
    pricePerHour: t.exposeFloat('pricePerHour', { description: 'USD per hour; 0 for this machine.' }),
    unitLabel: t.exposeString('unitLabel', { description: 'The unit the Hub bills in (minute).' }),
    unitCostUsd: t.exposeFloat('unitCostUsd', { description: 'USD per billing unit.' }),
    error: t.exposeString('error', {
      nullable: true,
      description: 'Set on the local entry when the Hub flavors could not be listed (not configured, unreachable): why. The list is then the local entry alone.',
    }),
  }),
});

builder.queryFields((t) => ({
  syncStatus: t.field({
    type: SyncStatusRef,
    description: 'Results sync with the Hugging Face Hub: last sync per direction, files pending, conflicts, errors.',
    resolve: (_root, _args, ctx) => ctx.services.hub.status(),
  }),
  hardwareFlavors: t.field({
    type: [HardwareFlavorRef],
    description: 'This machine first, then what Hugging Face Jobs offer, with prices. Never fails: see HardwareFlavor.error.',
    args: { executor: t.arg({ type: ExecutorEnum, required: false }) },
    resolve: async (_root, args, ctx) => {
      const { flavors, error } = await ctx.services.hub.hardwareFlavors();
      return flavors
        .map((flavor) => ({ ...flavor, error: flavor.executor === 'LOCAL' ? error : null }))
        .filter((flavor) => !args.executor || flavor.executor === args.executor);
    },
  }),
}));

builder.mutationFields((t) => ({
  syncResults: t.field({
    type: SyncReportRef,
    description:
      'Reconciles the results folder (trial files, final-run outputs and models, job metadata) with the Hub repo; pulled trials join the leaderboard with source HUB. NOT_CONFIGURED without HF_TOKEN and ANANA_HUB_REPO, CONFLICT while a promotion or another sync holds the project lock.',
    args: { direction: t.arg({ type: SyncDirectionEnum, required: true }) },
    resolve: (_root, { direction }, ctx): Promise<HubSyncReport> => ctx.services.hub.sync(direction, ctx.actor),
  }),
}));
