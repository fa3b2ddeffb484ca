import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { analyze } from '../../src/inference/analyze.ts';
import { ensureHubModel, hubCacheDir } from '../../src/inference/hub-model.ts';
import { ImageCache } from '../../src/inference/image-cache.ts';
import { SessionCache } from '../../src/inference/session-cache.ts';
import { startFakeHub, type FakeHub } from '../support/fake-hub.ts';
import { buildClassifierOnnx } from '../../../examples/trainer/onnx-model.ts';
import { solidImage } from './support/images.ts';
import { COLOUR_MODEL } from './support/model.ts';

const REPO = 'anana-tester/colour-classifier';
let hub: FakeHub;
let root: string;
let cacheDir: string;
let n = 0;
const modelBytes = Buffer.from(buildClassifierOnnx(COLOUR_MODEL));
const sidecar = JSON.stringify({ ...COLOUR_MODEL, inputName: 'input', outputName: 'probabilities', layout: 'NCHW', format: 'onnx' });

beforeAll(async () => {
  // @huggingface/hub announces every download on console.debug.
  vi.spyOn(console, 'debug').mockImplementation(() => {});
  hub = await startFakeHub();
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-hub-model-'));
  // The model goes through LFS, as an .onnx file does on the real Hub.
  hub.putFile(REPO, 'model.onnx', modelBytes, { lfs: true });
  hub.putFile(REPO, 'model.json', sidecar);
});
afterAll(async () => {
  await hub.close();
  await rm(root, { recursive: true, force: true });
});
beforeEach(() => {
  cacheDir = path.join(root, `cache-${n++}`);
  hub.clearRequests();
});

const env = (extra: Record<string, string> = {}) => ({ HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HUB_CACHE: cacheDir, ...extra });

describe('ensureHubModel', () => {
  it('downloads once into the standard cache layout, then serves from the cache with no request', async () => {
    const first = await ensureHubModel({ repo: REPO, env: env() });
    const commit = hub.headCommit(REPO);
    const storage = path.join(cacheDir, 'models--anana-tester--colour-classifier');
    expect(first).toMatchObject({ fromCache: false, commit, dir: path.join(storage, 'snapshots', commit) });
    expect(await readFile(path.join(storage, 'snapshots', commit, 'model.onnx'))).toEqual(modelBytes);
    expect((await readFile(path.join(storage, 'refs', 'main'), 'utf8')).trim()).toBe(commit);
    expect(hub.requests.length).toBeGreaterThan(0);

    hub.clearRequests();
    const second = await ensureHubModel({ repo: REPO, env: env() });
    expect(second).toMatchObject({ fromCache: true, commit, files: first.files });
    expect(hub.requests).toEqual([]);
  });

  it('gives a model that analysis can run', async () => {
    const model = await ensureHubModel({ repo: REPO, env: env() });
    const sessions = new SessionCache();
    const result = await analyze(
      { bytes: await solidImage(40, 40, { r: 250, g: 10, b: 10 }), model: model.ref },
      { sessions, images: new ImageCache(path.join(root, 'results')) },
    );
    sessions.close();
    expect(result.predictions[0]!.label).toBe('red');
    expect(result.model.id).toBe(`${REPO}@${model.commit.slice(0, 7)}`);
  });

  it('honours HF_HOME when HF_HUB_CACHE is not set', async () => {
    const home = path.join(root, `home-${n++}`);
    const model = await ensureHubModel({ repo: REPO, env: { HF_ENDPOINT: hub.url, HF_TOKEN: hub.token, HF_HOME: home } });
    expect(model.cacheDir).toBe(path.join(home, 'hub'));
    expect(model.files[0]!.startsWith(path.join(home, 'hub', 'models--anana-tester--colour-classifier', 'snapshots'))).toBe(true);
  });

  it('stays on the cached commit until asked to refresh, then fetches the new one', async () => {
    const repo = 'anana-tester/moving';
    hub.putFile(repo, 'model.onnx', modelBytes, { lfs: true });
    hub.putFile(repo, 'model.json', sidecar);
    const pinned = await ensureHubModel({ repo, env: env() });
    hub.putFile(repo, 'model.json', sidecar.replace('"red"', '"crimson"'));
    hub.clearRequests();
    expect(await ensureHubModel({ repo, env: env() })).toMatchObject({ commit: pinned.commit, fromCache: true });
    expect(hub.requests).toEqual([]);
    const refreshed = await ensureHubModel({ repo, env: env(), refresh: true });
    expect(refreshed).toMatchObject({ commit: hub.headCommit(repo), fromCache: false });
    expect(await readFile(refreshed.files[1]!, 'utf8')).toContain('crimson');
  });

  it('downloads once for concurrent first calls', async () => {
    const results = await Promise.all([1, 2, 3].map(() => ensureHubModel({ repo: REPO, env: env() })));
    const fullDownloads = hub.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/model.onnx') && r.status === 200);
    expect(new Set(results.map((r) => r.files[0])).size).toBe(1);
    expect(fullDownloads).toHaveLength(1);
  });

  it.each([
    { name: 'an unknown repo', repo: 'anana-tester/nope', files: undefined, message: /cannot download anana-tester\/nope@main/ },
    { name: 'a missing file', repo: REPO, files: ['weights.onnx'], message: /cannot download/ },
  ])('says MODEL_UNAVAILABLE for $name', async ({ repo, files, message }) => {
    await expect(ensureHubModel({ repo, env: env(), ...(files && { files }) })).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE', message: expect.stringMatching(message) });
  });

  it('asks nothing of the Hub when offline and says what is missing', async () => {
    await expect(ensureHubModel({ repo: REPO, env: env({ HF_HUB_OFFLINE: '1' }) })).rejects.toMatchObject({
      code: 'MODEL_UNAVAILABLE',
      message: expect.stringContaining('HF_HUB_OFFLINE'),
    });
    expect(hub.requests).toEqual([]);
  });

  it.each([
    { name: 'a repo without owner', options: { repo: 'colour' } },
    { name: 'a revision climbing out of refs/', options: { repo: REPO, revision: '../../x' } },
    { name: 'a file outside the repo', options: { repo: REPO, files: ['../secret'] } },
  ])('refuses $name with INVALID_INPUT', async ({ options }) => {
    await expect(ensureHubModel({ ...options, env: env() })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(hub.requests).toEqual([]);
  });
});

describe('hubCacheDir', () => {
  it.each([
    { env: { HF_HUB_CACHE: '/a/cache', HF_HOME: '/b' }, want: '/a/cache' },
    { env: { HUGGINGFACE_HUB_CACHE: '/legacy', HF_HOME: '/b' }, want: '/legacy' },
    { env: { HF_HOME: '/b', XDG_CACHE_HOME: '/x' }, want: '/b/hub' },
    { env: { XDG_CACHE_HOME: '/x' }, want: '/x/huggingface/hub' },
    { env: {}, want: path.join(os.homedir(), '.cache', 'huggingface', 'hub') },
  ])('resolves $want from $env', ({ env: vars, want }) => {
    expect(hubCacheDir(vars)).toBe(want);
  });
});
