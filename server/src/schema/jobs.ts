import type { Job as JobRow } from '../generated/prisma/client.ts';
import { builder } from './builder.ts';
import { JobStatusEnum, JobKindEnum, ExecutorEnum } from './enums.ts';
import { jobTopic, JOBS_TOPIC } from '../jobs/job-events.ts';
import { subscribeTopic } from './subscribe-topic.ts';
import { InvalidInputError } from '../errors/errors.ts';
import { UUID_PATTERN } from '../jobs/job-paths.ts';
import { isTerminal } from '../jobs/job-service.ts';

export const JobRef = builder.objectRef<JobRow>('Job');

JobRef.implement({
  description: 'A tuning (TUNE) or final training (TRAIN) run of the trainer command.',
  fields: (t) => ({
    id: t.exposeID('id'),
    kind: t.expose('kind', { type: JobKindEnum }),
    status: t.expose('status', { type: JobStatusEnum }),
    executor: t.expose('executor', { type: ExecutorEnum }),
    flavor: t.exposeString('flavor'),
    trials: t.exposeInt('trials', { nullable: true, description: 'Trials requested (TUNE).' }),
    trialsDone: t.exposeInt('trialsDone', { description: 'Trial files ingested so far.' }),
    quick: t.exposeBoolean('quick'),
    exitCode: t.exposeInt('exitCode', { nullable: true }),
    signal: t.exposeString('signal', { nullable: true }),
    error: t.exposeString('error', { nullable: true, description: 'Why the job failed, was stopped or was lost.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    startedAt: t.expose('startedAt', { type: 'DateTime', nullable: true }),
    finishedAt: t.expose('finishedAt', { type: 'DateTime', nullable: true }),
    updatedAt: t.expose('updatedAt', { type: 'DateTime' }),
    durationSeconds: t.float({
      nullable: true,
      resolve: (job) => (job.startedAt ? ((job.finishedAt ?? new Date()).getTime() - job.startedAt.getTime()) / 1000 : null),
    }),
    command: t.exposeStringList('command', { description: 'The full argv, exactly as run (no shell).' }),
    cwd: t.exposeString('cwd', { nullable: true }),
    gitCommit: t.exposeString('gitCommit', { nullable: true, description: 'Commit of the working tree; "-dirty" when it had changes.' }),
    args: t.expose('args', { type: 'JSON', description: 'The structured arguments of the request.' }),
    config: t.expose('config', { type: 'JSON', description: 'The resolved configuration the job ran with.' }),
    outputDir: t.exposeString('outputDir', { nullable: true }),
    logPath: t.exposeString('logPath', { nullable: true }),
    pid: t.exposeInt('pid', { nullable: true }),
    host: t.exposeString('host', { nullable: true }),
    attempt: t.exposeInt('attempt'),
    maxRetries: t.exposeInt('maxRetries'),
    stopRequested: t.exposeBoolean('stopRequested'),
    cpuPercent: t.exposeFloat('cpuPercent', { nullable: true, description: 'CPU of the whole process tree, last sample (100 = one core).' }),
    rssBytes: t.expose('rssBytes', { type: 'BigInt', nullable: true }),
    peakCpuPercent: t.exposeFloat('peakCpuPercent', { nullable: true }),
    peakRssBytes: t.expose('peakRssBytes', { type: 'BigInt', nullable: true }),
    lastSeq: t.exposeInt('lastSeq', { description: 'Sequence number of the last persisted log line.' }),
  }),
});

const StartJobInput = builder.inputType('StartJobInput', {
  fields: (t) => ({
    trials: t.int({ required: false, description: 'Hyper-parameter sets to try (default 4).' }),
    quick: t.boolean({ required: false, description: 'Short trials, for a demo or a smoke test.' }),
    flavor: t.string({ required: false, description: 'Hardware flavor, e.g. cpu, t4-small, a10g-large (default cpu).' }),
    executor: t.field({ type: ExecutorEnum, required: false }),
    seed: t.int({ required: false }),
    maxRetries: t.int({ required: false, description: 'Re-queue up to this many times when the machine running it is lost.' }),
  }),
});

const JobConnection = builder.objectRef<{ nodes: JobRow[]; totalCount: number; hasMore: boolean; endCursor: string | null }>('JobConnection').implement({
  fields: (t) => ({
    nodes: t.expose('nodes', { type: [JobRef] }),
    totalCount: t.exposeInt('totalCount'),
    hasMore: t.exposeBoolean('hasMore'),
    endCursor: t.exposeString('endCursor', { nullable: true, description: 'Pass as `after` for the next page.' }),
  }),
});

builder.queryFields((t) => ({
  job: t.field({
    type: JobRef,
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.jobs.get(String(id)),
  }),
  jobs: t.field({
    type: JobConnection,
    description: 'Jobs, newest first.',
    args: {
      status: t.arg({ type: [JobStatusEnum], required: false }),
      kind: t.arg({ type: JobKindEnum, required: false }),
      first: t.arg.int({ required: false, defaultValue: 50 }),
      after: t.arg.string({ required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const first = args.first ?? 50;
      if (first < 1 || first > 500) throw new InvalidInputError('first must be from 1 to 500', { field: 'first' });
      const where = { ...(args.status?.length && { status: { in: args.status } }), ...(args.kind && { kind: args.kind }) };
      const cursor = args.after ? decodeCursor(args.after) : undefined;
      const [rows, totalCount] = await Promise.all([
        ctx.services.db.prisma.job.findMany({
          where: { ...where, ...(cursor && { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] }) },
          orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
          take: first + 1,
        }),
        ctx.services.db.prisma.job.count({ where }),
      ]);
      const nodes = rows.slice(0, first);
      const lastNode = nodes[nodes.length - 1];
      return { nodes, totalCount, hasMore: rows.length > first, endCursor: lastNode ? encodeCursor(lastNode) : null };
    },
  }),
}));

function encodeCursor(job: JobRow): string {
  return Buffer.from(JSON.stringify([job.createdAt.toISOString(), job.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as [string, string];
    const date = new Date(createdAt);
    if (Number.isNaN(date.getTime()) || typeof id !== 'string' || !UUID_PATTERN.test(id)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw new InvalidInputError('after is not a cursor returned by jobs', { field: 'after' });
  }
}

builder.mutationFields((t) => ({
  startJob: t.field({
    type: JobRef,
    description: 'Queues a hyper-parameter tuning job.',
    args: { input: t.arg({ type: StartJobInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.jobs.startTune(input),
  }),
  stopJob: t.field({
    type: JobRef,
    description: 'Dequeues a queued job, or ends every process of a running one (SIGTERM, grace period, SIGKILL).',
    args: { id: t.arg.id({ required: true }) },
    resolve: (_root, { id }, ctx) => ctx.services.jobs.stop(String(id)),
  }),
}));

builder.subscriptionFields((t) => ({
  jobUpdated: t.field({
    type: JobRef,
    description:
      'Every job each time it changes (status, progress, resource usage); with an id, that job: its current state first, then each change, and the subscription completes once the job has ended.',
    args: { id: t.arg.id({ required: false }) },
    subscribe: async (_root, { id }, ctx) => {
      const coalesceBy = (p: { jobId: string }) => p.jobId;
      if (!id) return subscribeTopic(ctx.services.events, JOBS_TOPIC, { coalesceBy });
      const job = await ctx.services.jobs.get(String(id));
      // Subscribed before the current state is read: no change falls between the two.
      return currentThenChanges(ctx.services.jobs, job.id, subscribeTopic(ctx.services.events, jobTopic(job.id), { coalesceBy }));
    },
    resolve: (payload: { jobId: string } | JobRow, _args, ctx) => ('status' in payload ? payload : ctx.services.jobs.get(payload.jobId)),
  }),
}));

/** A job's state now, then after each change, until (and including) a terminal state. */
async function* currentThenChanges(jobs: { get(id: string): Promise<JobRow> }, jobId: string, changes: AsyncIterableIterator<unknown>): AsyncGenerator<JobRow> {
  try {
    let job = await jobs.get(jobId);
    yield job;
    while (!isTerminal(job.status)) {
      const next = await changes.next();
      if (next.done) return;
      job = await jobs.get(jobId);
      yield job;
    }
  } finally {
    await changes.return?.();
  }
}
