import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE, createScratchDatabase, startTestServer, waitFor, type GraphQLResponse, type TestServer } from '../support/test-server.ts';
import { badImages } from './support/bad-images.ts';
import { solidImage } from './support/images.ts';
import { writeClassifierModel } from './support/model.ts';

/** Small enough that the over-limit cases stay cheap; the HTTP layer allows this plus 64 KiB of multipart overhead. */
const UPLOAD_LIMIT = 512 * 1024;
const API_TOKEN = 'test-token';

const ANALYSIS = 'imageId predictions { label score } model { id path sha256 } faceMethod crop { x y size padded } fromCache timings { decodeMs preprocessMs inferenceMs totalMs }';
const ANALYZE = `mutation($image: File!, $modelId: ID) { analyzeImage(image: $image, modelId: $modelId) { ${ANALYSIS} } }`;
const ANALYZE_BY_ID = `mutation($imageId: ID!, $modelId: ID) { analyzeById(imageId: $imageId, modelId: $modelId) { ${ANALYSIS} } }`;
const VALIDATE = 'mutation($image: File!) { validateImage(image: $image) { ok checks { name ok message } format width height faceMethod } }';
const DIAGNOSTICS = `{ diagnostics { productionRunId
  models { id source isProduction path exists size sha256 firstBytesHex format description loads loadError inputs { name shape type } outputs { name shape type } }
  runtime { node onnxruntime sharp libvips } cacheDirectories { huggingFaceHub images } } }`;

let server: TestServer;
let resultsDir: string;
let database: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;

const start = (env: Record<string, string> = {}) =>
  startTestServer({ resultsDir, ...(database && { databaseUrl: database.url }), env: { ANANA_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT), ...env } });

beforeAll(async () => {
  resultsDir = await mkdtemp(path.join(tmpdir(), 'anana-graphql-inference-'));
  if (TEST_DATABASE === 'postgres') database = await createScratchDatabase();
  server = await start();
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
  await rm(resultsDir, { recursive: true, force: true });
});

/** A GraphQL multipart request (operations, map, then the file), as browsers and upload clients send it. */
async function upload(query: string, image: Uint8Array, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query, variables: { ...variables, image: null } }));
  form.set('map', JSON.stringify({ 0: ['variables.image'] }));
  form.set('0', new Blob([new Uint8Array(image)]), 'upload.bin');
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form, headers });
  return { status: res.status, body: (await res.json()) as GraphQLResponse };
}

const analyzeImage = async (image: Uint8Array, modelId?: string) => (await upload(ANALYZE, image, modelId ? { modelId } : {})).body;
const errorOf = (response: GraphQLResponse) => ({ code: response.errors?.[0]?.extensions?.code, message: response.errors?.[0]?.message ?? '' });
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A successful final run with a model in `train/<runId>/`, as promotion leaves it. */
async function createModelRun(labels = ['red', 'green', 'blue']): Promise<{ runId: string; modelPath: string; bytes: Uint8Array }> {
  const { prisma } = server.app.services.db;
  const trial = await prisma.trial.create({ data: { key: `test/${randomUUID()}`, number: 0, params: {}, metric: 'val_loss', filePath: 'tune/test/trial_0.json' } });
  const runId = randomUUID();
  const outputDir = path.join(server.resultsDir, 'train', runId);
  const model = await writeClassifierModel(outputDir, { labels });
  await prisma.run.create({ data: { id: runId, trialId: trial.id, outputDir, modelPath: model.modelPath, status: 'SUCCEEDED', config: {}, finishedAt: new Date() } });
  return { runId, modelPath: model.modelPath, bytes: model.bytes };
}

async function expectStillServing(): Promise<void> {
  expect((await server.gql('{ health { ok } }')).data.health.ok).toBe(true);
}

const red = () => solidImage(120, 80, { r: 230, g: 20, b: 20 }, 'jpeg');
let production: Awaited<ReturnType<typeof createModelRun>>;
let other: Awaited<ReturnType<typeof createModelRun>>;

describe('inference over GraphQL', () => {
  it('fails analyzeImage with MODEL_UNAVAILABLE when no model has been promoted, and keeps serving', async () => {
    const error = errorOf(await analyzeImage(await red()));
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.message).toMatch(/no model has been promoted yet; run promoteTrial/);
    expect((await server.gql(DIAGNOSTICS)).data.diagnostics).toMatchObject({ productionRunId: null, models: [] });
    await expectStillServing();
  });

  it('names each failed check in validateImage and passes a good image on every check', async () => {
    const good = (await upload(VALIDATE, await solidImage(64, 48, { r: 10, g: 200, b: 10 }))).body.data.validateImage;
    expect(good).toMatchObject({ ok: true, format: 'png', width: 64, height: 48, faceMethod: expect.any(String) });
    expect(good.checks.map((c: { name: string }) => c.name)).toEqual(['size', 'format', 'dimensions', 'pixels', 'decode', 'face', 'square_crop']);
    expect(good.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
  });

  it.each(badImages.filter((c) => !c.options && c.check))('names the failed $check check in validateImage for $name', async ({ bytes, check }) => {
    const result = (await upload(VALIDATE, await bytes())).body.data.validateImage;
    expect(result.ok).toBe(false);
    const failed = result.checks.filter((c: { ok: boolean }) => !c.ok);
    expect(failed.map((c: { name: string }) => c.name)).toEqual([check]);
    expect(failed[0].message.length).toBeGreaterThan(10);
  });

  it('analyzes an upload with the production model, then again by imageId with the same predictions', async () => {
    production = await createModelRun();
    await server.app.services.promotion.setProduction(production.runId, 'test');
    const image = await red();
    const first = await upload(ANALYZE.replace('fromCache', 'fromCache cropPngBase64'), image);
    expect(first.body.errors).toBeUndefined();
    const analysis = first.body.data.analyzeImage;
    expect(analysis).toMatchObject({
      imageId: sha256(image),
      model: { id: production.runId, path: production.modelPath, sha256: sha256(production.bytes) },
      crop: { size: 80, padded: false },
      fromCache: false,
    });
    expect(analysis.predictions[0].label).toBe('red');
    expect(analysis.predictions.reduce((sum: number, p: { score: number }) => sum + p.score, 0)).toBeCloseTo(1, 5);
    const crop = await sharp(Buffer.from(analysis.cropPngBase64, 'base64')).metadata();
    expect(crop.width).toBe(crop.height);

    const again = (await server.gql(ANALYZE_BY_ID, { imageId: analysis.imageId })).data.analyzeById;
    expect(again).toMatchObject({ imageId: analysis.imageId, model: analysis.model, crop: analysis.crop, fromCache: true });
    expect(again.predictions).toEqual(analysis.predictions);
  });

  it.each([
    { name: 'an unknown imageId', imageId: 'f'.repeat(64), code: 'NOT_FOUND', message: /not in the cache/ },
    { name: 'a malformed imageId', imageId: '../../etc/passwd', code: 'INVALID_INPUT', message: /64 lowercase hex/ },
  ])('refuses analyzeById of $name with $code', async ({ imageId, code, message }) => {
    const error = errorOf(await server.gql(ANALYZE_BY_ID, { imageId }));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });

  it.each(badImages.filter((c) => !c.options))('refuses analyzeImage of $name with $code naming the $check check', async ({ bytes, code, check }) => {
    const response = await analyzeImage(await bytes());
    expect(errorOf(response).code).toBe(code);
    expect(response.errors![0]!.extensions!.check).toBe(check);
  });

  it('refuses a file under the HTTP cap but over the upload limit with PAYLOAD_TOO_LARGE, in every mutation', async () => {
    const tooLarge = Buffer.concat([await red(), Buffer.alloc(UPLOAD_LIMIT)]);
    for (const query of [ANALYZE, VALIDATE]) {
      const { status, body } = await upload(query, tooLarge);
      expect(status).toBe(200);
      expect(errorOf(body).code).toBe('PAYLOAD_TOO_LARGE');
      expect(errorOf(body).message).toContain(`limit is ${UPLOAD_LIMIT}`);
    }
    await expectStillServing();
  });

  it('refuses a request body over the HTTP cap with 413 PAYLOAD_TOO_LARGE before reading it', async () => {
    const { status, body } = await upload(ANALYZE, new Uint8Array(UPLOAD_LIMIT + 200 * 1024));
    expect(status).toBe(413);
    expect(errorOf(body).code).toBe('PAYLOAD_TOO_LARGE');
    await expectStillServing();
  });

  it('refuses a value that is not an uploaded file with INVALID_INPUT', async () => {
    const error = errorOf(await server.gql(VALIDATE, { image: 'not a file' }));
    expect(error.code).toBe('INVALID_INPUT');
    expect(error.message).toMatch(/multipart upload/);
  });

  it('analyzes with the model of the run given as modelId', async () => {
    other = await createModelRun(['rouge', 'vert', 'bleu']);
    const analysis = (await analyzeImage(await red(), other.runId)).data.analyzeImage;
    expect(analysis.model.id).toBe(other.runId);
    expect(analysis.predictions[0].label).toBe('rouge');
    const again = (await server.gql(ANALYZE_BY_ID, { imageId: analysis.imageId, modelId: other.runId })).data.analyzeById;
    expect(again.predictions).toEqual(analysis.predictions);
  });

  it.each([
    { name: 'a malformed modelId', modelId: 'latest', code: 'INVALID_INPUT' },
    { name: 'an unknown run id', modelId: randomUUID(), code: 'NOT_FOUND' },
  ])('refuses $name with $code', async ({ modelId, code }) => {
    expect(errorOf(await analyzeImage(await red(), modelId)).code).toBe(code);
  });

  it('diagnoses every model, production first, with inputs, outputs, file facts and runtime versions', async () => {
    const diagnostics = (await server.gql(DIAGNOSTICS)).data.diagnostics;
    expect(diagnostics.productionRunId).toBe(production.runId);
    expect(diagnostics.models.map((m: { id: string }) => m.id)).toEqual([production.runId, other.runId]);
    const [model] = diagnostics.models;
    expect(model).toMatchObject({
      source: 'RUN',
      isProduction: true,
      path: production.modelPath,
      exists: true,
      size: production.bytes.byteLength,
      sha256: sha256(production.bytes),
      firstBytesHex: Buffer.from(production.bytes.subarray(0, 16)).toString('hex'),
      format: 'ONNX',
      loads: true,
      loadError: null,
      inputs: [{ name: 'input', type: 'float32', shape: ['1', '3', '16', '16'] }],
      outputs: [{ name: 'probabilities', type: 'float32', shape: ['1', '3'] }],
    });
    expect(model.description).toMatch(/valid ONNX model/);
    expect(diagnostics.runtime).toMatchObject({ node: process.versions.node, onnxruntime: expect.stringMatching(/^\d+\.\d+/), sharp: expect.stringMatching(/^\d+\.\d+/), libvips: expect.stringMatching(/^\d+\.\d+/) });
    expect(diagnostics.cacheDirectories.images).toBe(path.join(resultsDir, 'cache', 'images'));
    expect(diagnostics.cacheDirectories.huggingFaceHub).toMatch(/hub$/);
  });

  it('swaps production to the new model without failing a request meanwhile', async () => {
    const image = await red();
    const seen: GraphQLResponse[] = [];
    let swapped = false;
    const traffic = (async () => {
      while (!swapped) seen.push(await analyzeImage(image));
    })();
    const moved = await server.gql('mutation($runId: ID!) { setProductionModel(runId: $runId) { id isProduction } }', { runId: other.runId });
    expect(moved.data.setProductionModel).toEqual({ id: other.runId, isProduction: true });
    await waitFor(async () => (await analyzeImage(image)).data?.analyzeImage.model.id === other.runId, 10_000, 'the new production model');
    swapped = true;
    await traffic;
    expect(seen.flatMap((r) => r.errors ?? [])).toEqual([]);
    const latest = (await analyzeImage(image)).data.analyzeImage;
    expect(latest.model.id).toBe(other.runId);
    expect(latest.predictions[0].label).toBe('rouge');
  });

  it('fails MODEL_UNAVAILABLE naming the damage when the production model is truncated, and diagnostics describes it', async () => {
    await writeFile(other.modelPath, other.bytes.subarray(0, Math.floor(other.bytes.byteLength / 2)));
    const error = errorOf(await analyzeImage(await red()));
    expect(error.code).toBe('MODEL_UNAVAILABLE');
    expect(error.message).toMatch(/damaged ONNX model.*truncated/);

    const diagnosed = (await server.gql(DIAGNOSTICS)).data.diagnostics.models[0];
    expect(diagnosed).toMatchObject({ id: other.runId, isProduction: true, format: 'TRUNCATED_OR_CORRUPT', loads: false, size: (await stat(other.modelPath)).size });
    expect(diagnosed.description).toMatch(/truncated/);
    expect(diagnosed.loadError).toMatch(/truncated/);
    // Other models, and everything else, still answer.
    expect((await analyzeImage(await red(), production.runId)).data.analyzeImage.model.id).toBe(production.runId);
    await expectStillServing();
  });

  it('starts with a broken production model, reports it, and recovers once the file is fixed', async () => {
    await server.close();
    server = await start({ ANANA_API_TOKEN: API_TOKEN });
    const auth = { authorization: `Bearer ${API_TOKEN}` };
    expect(errorOf((await upload(ANALYZE, await red(), {}, {})).body).code).toBe('UNAUTHENTICATED');

    const broken = (await upload(ANALYZE, await red(), {}, auth)).body;
    expect(errorOf(broken).code).toBe('MODEL_UNAVAILABLE');
    expect(errorOf(broken).message).toMatch(/truncated/);
    expect((await server.gql(DIAGNOSTICS)).data.diagnostics.models[0]).toMatchObject({ id: other.runId, format: 'TRUNCATED_OR_CORRUPT' });

    await writeFile(other.modelPath, other.bytes);
    const fixed = (await upload(ANALYZE, await red(), {}, auth)).body;
    expect(fixed.data.analyzeImage.model.id).toBe(other.runId);
  });
});
