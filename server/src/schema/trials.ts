import type { Trial } from '../generated/prisma/client.ts';
import type { Context } from '../context.ts';
import { TRIALS_TOPIC, trialsTopic, type LeaderboardPage, type LeaderboardQuery } from '../results/trial-service.ts';
import { builder } from './builder.ts';
import { JobRef } from './jobs.ts';
import { subscribeTopic } from './subscribe-topic.ts';

export const TrialSourceEnum = builder.enumType('TrialSource', {
  values: { LOCAL: { description: 'Produced on this installation.' }, HUB: { description: 'Pulled from the Hugging Face Hub repository.' } } as const,
});
export const MetricDirectionEnum = builder.enumType('MetricDirection', { values: ['MINIMIZE', 'MAXIMIZE'] as const });

export const TrialRef = builder.objectRef<Trial>('Trial');
TrialRef.implement({
  description: 'One hyper-parameter set a tuning job tried, indexed from its trial_<n>.json file.',
  fields: (t) => ({
    id: t.exposeID('id'),
    number: t.exposeInt('number'),
    params: t.expose('params', { type: 'JSON' }),
    score: t.exposeFloat('score', { nullable: true }),
    metric: t.exposeString('metric'),
    direction: t.expose('direction', { type: MetricDirectionEnum }),
    source: t.expose('source', { type: TrialSourceEnum }),
    jobId: t.exposeID('jobId', { nullable: true }),
    job: t.field({ type: JobRef, nullable: true, resolve: (trial, _args, ctx) => (trial.jobId ? ctx.services.jobs.get(trial.jobId) : null) }),
    filePath: t.exposeString('filePath', { description: 'Relative to the results directory.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why the file could not be ingested; retried when it changes.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
  }),
});

const Leaderboard = builder.objectRef<LeaderboardPage>('Leaderboard').implement({
  fields: (t) => ({
    rows: t.expose('rows', { type: [TrialRef] }),
    paramNames: t.exposeStringList('paramNames', { description: 'The hyper-parameters present on this page: the table columns.' }),
    metric: t.exposeString('metric', { nullable: true }),
    direction: t.expose('direction', { type: MetricDirectionEnum, nullable: true }),
    totalCount: t.int({ resolve: (page) => page.totalCount() }),
    hasMore: t.exposeBoolean('hasMore'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const TrialConnection = builder.objectRef<LeaderboardPage>('TrialConnection').implement({
  fields: (t) => ({
    nodes: t.expose('rows', { type: [TrialRef] }),
    totalCount: t.int({ resolve: (page) => page.totalCount() }),
    hasMore: t.exposeBoolean('hasMore'),
    endCursor: t.exposeString('endCursor', { nullable: true }),
  }),
});

const rankingArgs = (t: Parameters<Parameters<typeof builder.queryFields>[0]>[0]) => ({
  jobId: t.arg.id({ required: false }),
  source: t.arg({ type: TrialSourceEnum, required: false }),
  metric: t.arg.string({ required: false, description: 'Default: the metric most trials report.' }),
  first: t.arg.int({ required: false, defaultValue: 50 }),
  after: t.arg.string({ required: false }),
});

/** What `trials` and `leaderboard` both answer with. */
const ranking = (_root: unknown, args: Omit<LeaderboardQuery, 'jobId' | 'first'> & { jobId?: string | number | null; first?: number | null }, ctx: Context) =>
  ctx.services.trials.leaderboard({ jobId: args.jobId ? String(args.jobId) : null, source: args.source, metric: args.metric, first: args.first ?? 50, after: args.after });

builder.queryFields((t) => ({
  trial: t.field({ type: TrialRef, args: { id: t.arg.id({ required: true }) }, resolve: (_r, { id }, ctx) => ctx.services.trials.get(String(id)) }),
  trials: t.field({
    type: TrialConnection,
    description: 'Valid trials, best first for their metric direction.',
    args: rankingArgs(t),
    resolve: ranking,
  }),
  leaderboard: t.field({
    type: Leaderboard,
    description: 'The ranking across jobs and sources (local and Hub), best first, with params as columns.',
    args: rankingArgs(t),
    resolve: ranking,
  }),
  invalidTrials: t.field({
    type: [TrialRef],
    description: 'Trial files that could not be ingested, with the reason.',
    args: { jobId: t.arg.id({ required: false }) },
    resolve: (_r, args, ctx) => ctx.services.trials.invalid(args.jobId ? String(args.jobId) : null),
  }),
}));

builder.subscriptionFields((t) => ({
  trialAdded: t.field({
    type: TrialRef,
    description: 'A trial ingested or updated (of one job, or of any job): the live leaderboard feed.',
    args: { jobId: t.arg.id({ required: false }) },
    subscribe: async (_r, { jobId }, ctx) => {
      if (jobId) await ctx.services.jobs.get(String(jobId));
      return subscribeTopic<{ trialId: string }>(ctx.services.events, jobId ? trialsTopic(String(jobId)) : TRIALS_TOPIC);
    },
    resolve: (payload: { trialId: string }, _args, ctx) => ctx.services.trials.get(payload.trialId),
  }),
}));
