import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, waitFor, type TestServer } from '../support/test-server.ts';

let server: TestServer;
let tuneJobId: string;

beforeAll(async () => {
  server = await startTestServer();
  const res = await server.gql('mutation { startJob(input: { trials: 3, quick: true, seed: 7 }) { id } }');
  tuneJobId = res.data.startJob.id;
  await waitFor(async () => (await server.gql(`{ job(id: "${tuneJobId}") { status } }`)).data.job.status === 'SUCCEEDED', 60_000, 'tuning job');
}, 90_000);
afterAll(() => server?.close());

const LEADERBOARD = `query($jobId: ID) { leaderboard(jobId: $jobId) { metric direction totalCount paramNames rows { id number score source params } } }`;

async function waitForRun(runId: string) {
  return waitFor(async () => {
    const run = (await server.gql(`{ run(id: "${runId}") { id status modelPath error isProduction job { status } } }`)).data.run;
    return ['SUCCEEDED', 'FAILED', 'STOPPED'].includes(run.status) ? run : undefined;
  }, 60_000, 'final run');
}

describe('trials, leaderboard and promotion end to end', () => {
  it('ranks the tuning trials best first with their params as columns', async () => {
    const board = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard;
    expect(board.totalCount).toBe(3);
    expect(board.metric).toBe('val_loss');
    expect(board.direction).toBe('MINIMIZE');
    const scores = board.rows.map((r: any) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    expect(board.paramNames).toContain('learning_rate');
    expect(board.rows.every((r: any) => r.source === 'LOCAL')).toBe(true);
    const job = (await server.gql(`{ job(id: "${tuneJobId}") { trialsDone trials } }`)).data.job;
    expect(job).toEqual({ trialsDone: 3, trials: 3 });
  });

  it('promotes the best trial: config written, final run trains a loadable model, production moves', async () => {
    const best = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard.rows[0];
    const res = await server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id status outputDir trial { id } } }`, { id: best.id });
    expect(res.errors).toBeUndefined();
    const runId = res.data.promoteTrial.id;
    expect(res.data.promoteTrial.outputDir).toBe(path.join(server.resultsDir, 'train', runId));
    const config = JSON.parse(await readFile(path.join(server.resultsDir, 'config', 'training.json'), 'utf8'));
    expect(config.params).toEqual(best.params);
    expect(config.source.trialId).toBe(best.id);

    const run = await waitForRun(runId);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.isProduction).toBe(true);
    const session = await ort.InferenceSession.create(run.modelPath);
    expect(session.inputNames).toEqual(['input']);
    for (const file of ['config.json', 'params.json', 'model.json', 'predictions.json', 'metrics.json', 'train.log']) {
      expect((await stat(path.join(server.resultsDir, 'train', runId, file))).size).toBeGreaterThan(0);
    }
    const models = (await server.gql('{ models { id isProduction path } modelHistory { runId action } }')).data;
    expect(models.models.find((m: any) => m.isProduction).id).toBe(runId);
    expect(models.modelHistory[0]).toMatchObject({ runId, action: 'promote' });
  }, 90_000);

  it('lets exactly one of 100 concurrent promotions through; the others get CONFLICT naming it', async () => {
    const rows = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard.rows;
    const before = (await server.gql('{ runs(first: 500) { id } }')).data.runs.length;
    // A long job ahead in the queue (one slot) keeps the final run queued, so the promotion stays in
    // progress for the whole burst however slow the machine is.
    const blocker = (await server.gql('mutation { startJob(input: { trials: 50 }) { id } }')).data.startJob.id;
    await waitFor(async () => (await server.gql(`{ job(id: "${blocker}") { status } }`)).data.job.status === 'RUNNING', 30_000, 'blocking job');
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id } }`, { id: rows[i % rows.length].id })),
    );
    const ok = results.filter((r) => r.data?.promoteTrial);
    const conflicts = results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT');
    expect(ok).toHaveLength(1);
    expect(conflicts).toHaveLength(99);
    expect(conflicts[0].errors![0].message).toContain(ok[0].data.promoteTrial.id);
    const after = (await server.gql('{ runs(first: 500) { id } }')).data.runs.length;
    expect(after - before).toBe(1);
    await server.gql(`mutation { stopJob(id: "${blocker}") { id } }`);
    await waitForRun(ok[0].data.promoteTrial.id);
  }, 90_000);

  it('rolls production back to an older run and records who and when', async () => {
    const models = (await server.gql('{ models { id isProduction } }')).data.models;
    expect(models.length).toBeGreaterThanOrEqual(2);
    const older = models.find((m: any) => !m.isProduction);
    const res = await server.gql(`mutation($id: ID!) { setProductionModel(runId: $id) { id isProduction } }`, { id: older.id });
    expect(res.data.setProductionModel).toEqual({ id: older.id, isProduction: true });
    const history = (await server.gql('{ modelHistory { runId previousRunId action } }')).data.modelHistory;
    expect(history[0]).toMatchObject({ runId: older.id, action: 'rollback' });
  });

  it('fails a final run whose model.onnx is not a model, and leaves production where it was', async () => {
    const productionBefore = (await server.gql('{ models { id isProduction } }')).data.models.find((m: any) => m.isProduction).id;
    const { config } = server.app.services;
    const trainCmd = config.trainCmd;
    // A trainer whose final run writes text where the model should be, and exits 0.
    config.trainCmd = ['bash', '-c', 'while [ $# -gt 0 ]; do [ "$1" = --output-dir ] && out=$2; shift; done; printf "this is not an onnx model at all" > "$out/model.onnx"', 'trainer'];
    try {
      const best = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard.rows[0];
      const res = await server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id } }`, { id: best.id });
      expect(res.errors).toBeUndefined();
      const run = await waitForRun(res.data.promoteTrial.id);
      expect(run).toMatchObject({ status: 'FAILED', isProduction: false, job: { status: 'SUCCEEDED' } });
      expect(run.error).toMatch(/not a usable ONNX model/);
    } finally {
      config.trainCmd = trainCmd;
    }
    expect((await server.gql('{ models { id isProduction } }')).data.models.find((m: any) => m.isProduction).id).toBe(productionBefore);
  });

  it('answers a promotion of a trial whose file has become malformed with INVALID_INPUT, and can promote again', async () => {
    const dir = path.join(server.resultsDir, 'tune', 'changed-later');
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, 'trial_0.json');
    await writeFile(file, JSON.stringify({ params: { learning_rate: 0.01 }, score: 0.5, metric: 'val_loss' }));
    expect(await server.app.services.trials.ingestFile(file, null, 'LOCAL')).toBe(true);
    const trial = await server.app.services.db.prisma.trial.findFirstOrThrow({ where: { filePath: { contains: 'changed-later' } } });
    await writeFile(file, '{garbage');
    const res = await server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id } }`, { id: trial.id });
    expect(res.errors?.[0].extensions?.code).toBe('INVALID_INPUT');
    expect(res.errors?.[0].message).toMatch(/is no longer a valid trial file \(not valid JSON/);
    // The promotion lock was given back.
    const best = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard.rows[0];
    const again = await server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id } }`, { id: best.id });
    expect(again.errors).toBeUndefined();
    expect((await waitForRun(again.data.promoteTrial.id)).status).toBe('SUCCEEDED');
  }, 90_000);

  it.each([
    ['a path traversal', '../../etc/passwd', 'INVALID_INPUT'],
    ['a non-UUID', 'trial_1.json', 'INVALID_INPUT'],
    ['an unknown id', '00000000-0000-4000-8000-000000000000', 'NOT_FOUND'],
  ])('refuses %s as trialId with %s and writes nothing', async (_name, id, code) => {
    const configBefore = await readFile(path.join(server.resultsDir, 'config', 'training.json'), 'utf8');
    const runsBefore = (await server.gql('{ runs(first: 500) { id } }')).data.runs.length;
    const res = await server.gql(`mutation($id: ID!) { promoteTrial(trialId: $id) { id } }`, { id });
    expect(res.errors?.[0].extensions?.code).toBe(code);
    expect(await readFile(path.join(server.resultsDir, 'config', 'training.json'), 'utf8')).toBe(configBefore);
    expect((await server.gql('{ runs(first: 500) { id } }')).data.runs.length).toBe(runsBefore);
  });
});

describe('malformed trial files', () => {
  it('records a malformed file with its reason, keeps ingesting the others, and retries it when it changes', async () => {
    const dir = path.join(server.resultsDir, 'tune', tuneJobId);
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'trial_90.json'), '{"params": {"learning_rate": 0.1}, "score": ');
    await writeFile(path.join(dir, 'trial_91.json'), JSON.stringify({ params: 'not an object', score: 1 }));
    await writeFile(path.join(dir, 'trial_92.json'), JSON.stringify({ params: { learning_rate: 0.2 }, score: 0.001, metric: 'val_loss', direction: 'minimize' }));
    await server.app.services.trials.scanJob({ id: tuneJobId, outputDir: dir, kind: 'TUNE' });
    const invalid = (await server.gql(`{ invalidTrials(jobId: "${tuneJobId}") { number error } }`)).data.invalidTrials;
    expect(invalid.map((t: any) => t.number).sort()).toEqual([90, 91]);
    expect(invalid.find((t: any) => t.number === 90).error).toMatch(/JSON/);
    expect(invalid.find((t: any) => t.number === 91).error).toMatch(/params/);
    const board = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard;
    expect(board.rows[0].number).toBe(92);

    await writeFile(path.join(dir, 'trial_90.json'), JSON.stringify({ params: { learning_rate: 0.3 }, score: 0.0001, metric: 'val_loss' }));
    await server.app.services.trials.scanJob({ id: tuneJobId, outputDir: dir, kind: 'TUNE' });
    const fixed = (await server.gql(LEADERBOARD, { jobId: tuneJobId })).data.leaderboard.rows[0];
    expect(fixed.number).toBe(90);
    expect((await server.gql(`{ invalidTrials(jobId: "${tuneJobId}") { number } }`)).data.invalidTrials.map((t: any) => t.number)).toEqual([91]);
  });
});
