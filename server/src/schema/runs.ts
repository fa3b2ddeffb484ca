import type { Run } from '../generated/prisma/client.ts';
import { InvalidInputError, NotFoundError } from '../errors/errors.ts';
import { UUID_PATTERN } from '../jobs/job-paths.ts';
import { MODELS_TOPIC, RUNS_TOPIC, type ModelEntry } from '../results/promotion-service.ts';
import { builder } from './builder.ts';
import { JobRef } from './jobs.ts';
import { subscribeTopic } from './subscribe-topic.ts';
import { TrialRef } from './trials.ts';

const RunStatusEnum = builder.enumType('RunStatus', { values: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED'] as const });

export const RunRef = builder.objectRef<Run>('Run');
RunRef.implement({
  description: 'A promoted trial trained for production: trial → final TRAIN job → model file.',
  fields: (t) => ({
    id: t.exposeID('id'),
    status: t.field({
      type: RunStatusEnum,
      // Until the job ends, the run's status is its job's.
      resolve: async (run, _a, ctx) => {
        if (run.status !== 'QUEUED' || !run.jobId) return run.status;
        const job = await ctx.services.jobs.get(run.jobId);
        return job.status === 'RUNNING' ? 'RUNNING' : run.status;
      },
    }),
    trial: t.field({ type: TrialRef, resolve: (run, _a, ctx) => ctx.services.trials.get(run.trialId) }),
    job: t.field({ type: JobRef, nullable: true, resolve: (run, _a, ctx) => (run.jobId ? ctx.services.jobs.get(run.jobId) : null) }),
    modelPath: t.exposeString('modelPath', { nullable: true }),
    outputDir: t.exposeString('outputDir'),
    config: t.expose('config', { type: 'JSON', description: 'The consolidated training configuration snapshot.' }),
    error: t.exposeString('error', { nullable: true }),
    promotedBy: t.exposeString('promotedBy', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    isProduction: t.boolean({ resolve: async (run, _a, ctx) => (await ctx.services.promotion.productionRunId()) === run.id }),
  }),
});

const ModelRef = builder.objectRef<ModelEntry>('Model').implement({
  description: 'A model file produced by a successful final run.',
  fields: (t) => ({
    id: t.id({ resolve: (m) => m.run.id, description: 'The run id; pass as modelId to analyzeImage.' }),
    runId: t.id({ resolve: (m) => m.run.id }),
    run: t.field({ type: RunRef, resolve: (m) => m.run }),
    path: t.exposeString('modelPath'),
    sizeBytes: t.float({ nullable: true, resolve: (m) => m.sizeBytes }),
    format: t.string({ resolve: () => 'onnx' }),
    isProduction: t.exposeBoolean('isProduction'),
    promotedAt: t.expose('promotedAt', { type: 'DateTime' }),
    trial: t.field({ type: TrialRef, resolve: (m, _a, ctx) => ctx.services.trials.get(m.run.trialId) }),
  }),
});

const ModelAliasEventRef = builder
  .objectRef<{ id: bigint; alias: string; runId: string; previousRunId: string | null; action: string; actor: string | null; createdAt: Date }>('ModelAliasEvent')
  .implement({
    fields: (t) => ({
      alias: t.exposeString('alias'),
      runId: t.exposeID('runId'),
      previousRunId: t.exposeID('previousRunId', { nullable: true }),
      action: t.exposeString('action', { description: 'promote, rollback or set.' }),
      actor: t.exposeString('actor', { nullable: true }),
      createdAt: t.expose('createdAt', { type: 'DateTime' }),
    }),
  });

async function getRun(id: string, ctx: { services: { db: { prisma: { run: { findUnique: (a: { where: { id: string } }) => Promise<Run | null> } } } } }): Promise<Run> {
  if (!UUID_PATTERN.test(id)) throw new InvalidInputError(`Run id ${JSON.stringify(id)} is not a valid id`, { field: 'id' });
  const run = await ctx.services.db.prisma.run.findUnique({ where: { id } });
  if (!run) throw new NotFoundError('Run', id);
  return run;
}

builder.queryFields((t) => ({
  run: t.field({ type: RunRef, args: { id: t.arg.id({ required: true }) }, resolve: (_r, { id }, ctx) => getRun(String(id), ctx) }),
  runs: t.field({
    type: [RunRef],
    description: 'Promotions, newest first.',
    args: { first: t.arg.int({ required: false, defaultValue: 50 }) },
    resolve: (_r, args, ctx) => ctx.services.db.prisma.run.findMany({ orderBy: { createdAt: 'desc' }, take: Math.min(Math.max(args.first ?? 50, 1), 500) }),
  }),
  models: t.field({ type: [ModelRef], description: 'Promoted models; one is production.', resolve: (_r, _a, ctx) => ctx.services.promotion.models() }),
  modelHistory: t.field({
    type: [ModelAliasEventRef],
    description: 'Every move of the production pointer: who, when, from which run.',
    resolve: (_r, _a, ctx) => ctx.services.promotion.history(),
  }),
}));

builder.mutationFields((t) => ({
  promoteTrial: t.field({
    type: RunRef,
    description: 'Writes the trial\'s hyper-parameters into the training configuration and queues the final training run. One at a time per project (CONFLICT otherwise).',
    args: { trialId: t.arg.id({ required: true }) },
    resolve: (_r, { trialId }, ctx) => ctx.services.promotion.promote(String(trialId), ctx.actor),
  }),
  setProductionModel: t.field({
    type: ModelRef,
    description: 'Points production at another successful run (a rollback when it is an older one).',
    args: { runId: t.arg.id({ required: true }) },
    resolve: async (_r, { runId }, ctx) => {
      await ctx.services.promotion.setProduction(String(runId), ctx.actor, 'rollback');
      const model = (await ctx.services.promotion.models()).find((m) => m.run.id === String(runId));
      if (!model) throw new NotFoundError('Model', String(runId));
      return model;
    },
  }),
}));

builder.subscriptionFields((t) => ({
  runUpdated: t.field({
    type: RunRef,
    description: 'A run was created or finished.',
    subscribe: (_r, _a, ctx) => subscribeTopic<{ runId: string }>(ctx.services.events, RUNS_TOPIC),
    resolve: (payload: { runId: string }, _a, ctx) => getRun(payload.runId, ctx),
  }),
  productionModelChanged: t.field({
    type: ModelRef,
    nullable: true,
    subscribe: (_r, _a, ctx) => subscribeTopic<{ runId: string }>(ctx.services.events, MODELS_TOPIC),
    resolve: async (payload: { runId: string }, _a, ctx) => (await ctx.services.promotion.models()).find((m) => m.run.id === payload.runId) ?? null,
  }),
}));
