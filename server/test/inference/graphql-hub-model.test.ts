import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildClassifierOnnx } from '../../../examples/trainer/onnx-model.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { solidImage } from './support/images.ts';
import { COLOUR_MODEL } from './support/model.ts';

const REPO = 'anana-tester/colour-classifier';
const ANALYZE = 'mutation($image: File!, $modelId: ID) { analyzeImage(image: $image, modelId: $modelId) { predictions { label score } model { id path } } }';

let hub: FakeHub;
let server: TestServer;
let cacheDir: string;
const savedCache = process.env.HF_HUB_CACHE;

beforeAll(async () => {
  // @huggingface/hub announces every download on console.debug.
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  cacheDir = await mkdtemp(path.join(tmpdir(), 'anana-hf-cache-'));
  process.env.HF_HUB_CACHE = cacheDir;
  hub = await startFakeHub();
  hub.putFile(REPO, 'model.onnx', Buffer.from(buildClassifierOnnx(COLOUR_MODEL)), { lfs: true });
  hub.putFile(REPO, 'model.json', JSON.stringify({ ...COLOUR_MODEL, inputName: 'input', outputName: 'probabilities', layout: 'NCHW', format: 'onnx' }));
  server = await startTestServer({ env: { HF_ENDPOINT: hub.url, HF_TOKEN: hub.token } });
});
afterAll(async () => {
  await server?.close();
  await hub?.close();
  if (savedCache === undefined) delete process.env.HF_HUB_CACHE;
  else process.env.HF_HUB_CACHE = savedCache;
  await rm(cacheDir, { recursive: true, force: true });
});

async function analyzeWith(modelId: string) {
  const form = new FormData();
  form.set('operations', JSON.stringify({ query: ANALYZE, variables: { image: null, modelId } }));
  form.set('map', JSON.stringify({ 0: ['variables.image'] }));
  form.set('0', new Blob([new Uint8Array(await solidImage(40, 40, { r: 250, g: 10, b: 10 }))]), 'red.png');
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', body: form });
  return (await res.json()) as { data?: any; errors?: { message: string; extensions: { code: string } }[] };
}

describe('analyzeImage with a Hugging Face Hub model', () => {
  it('downloads the model once into the Hugging Face cache, then analyses from the cache with no request, by branch or by the commit it reported', async () => {
    const commit = hub.headCommit(REPO);
    const first = (await analyzeWith(`hub:${REPO}`)).data.analyzeImage;
    expect(first.model.id).toBe(`hub:${REPO}@${commit}`);
    expect(first.model.path).toBe(path.join(cacheDir, 'models--anana-tester--colour-classifier', 'snapshots', commit, 'model.onnx'));
    expect(first.predictions[0].label).toBe('red');
    expect(hub.requests.length).toBeGreaterThan(0);

    hub.clearRequests();
    for (const modelId of [`hub:${REPO}@main`, first.model.id]) {
      expect((await analyzeWith(modelId)).data.analyzeImage).toEqual(first);
    }
    expect(hub.requests).toEqual([]);
  });

  it('lists a Hub model it has used in diagnostics', async () => {
    const { models } = (await server.gql('{ diagnostics { models { id source isProduction format loads } } }')).data.diagnostics;
    expect(models).toEqual([{ id: `hub:${REPO}@${hub.headCommit(REPO)}`, source: 'HUB', isProduction: false, format: 'ONNX', loads: true }]);
  });

  it('fails MODEL_UNAVAILABLE with the Hub\'s answer for a repository that does not exist', async () => {
    const error = (await analyzeWith('hub:anana-tester/missing')).errors![0]!;
    expect(error.extensions.code).toBe('MODEL_UNAVAILABLE');
    expect(error.message).toContain(`cannot download anana-tester/missing@main from ${hub.url}`);
  });
});
