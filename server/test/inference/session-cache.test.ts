import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelSlot } from '../../src/inference/model-slot.ts';
import { SessionCache, type SessionFactory } from '../../src/inference/session-cache.ts';
import { buildClassifierOnnx } from '../../../examples/trainer/onnx-model.ts';
import { COLOUR_MODEL, writeClassifierModel } from './support/model.ts';

let root: string;
let n = 0;
const freshDir = () => path.join(root, String(n++));

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'anana-sessions-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Real sessions, with every creation and release recorded. */
function recordingFactory() {
  const created: string[] = [];
  const released: InferenceSession[] = [];
  const createSession: SessionFactory = async (modelPath, options) => {
    created.push(modelPath);
    const session = await InferenceSession.create(modelPath, options);
    const release = session.release.bind(session);
    session.release = async () => {
      released.push(session);
      await release();
    };
    return session;
  };
  return { created, released, createSession };
}

/** Replaces a model file the way a trainer publishes one: a new file renamed over the old. */
async function replaceModel(modelPath: string, bias: number[]): Promise<void> {
  const temp = `${modelPath}.new`;
  await writeFile(temp, buildClassifierOnnx({ ...COLOUR_MODEL, bias }));
  await rename(temp, modelPath);
}

describe('SessionCache', () => {
  it('creates one session for concurrent first requests and reuses it', async () => {
    const { modelPath } = await writeClassifierModel(freshDir());
    const factory = recordingFactory();
    const cache = new SessionCache({ createSession: factory.createSession });
    const leases = await Promise.all([1, 2, 3, 4].map(() => cache.acquire(modelPath)));
    const later = await cache.acquire(modelPath);
    expect(new Set([...leases, later].map((l) => l.model.session)).size).toBe(1);
    expect(factory.created).toEqual([modelPath]);
    for (const lease of [...leases, later]) lease.release();
    cache.close();
  });

  it('reports input and output names and shapes', async () => {
    const { modelPath } = await writeClassifierModel(freshDir());
    const cache = new SessionCache();
    const state = await cache.load(modelPath);
    expect(state.ok && { inputs: state.model.inputs, outputs: state.model.outputs }).toEqual({
      inputs: [{ name: 'input', type: 'float32', shape: [1, 3, 16, 16] }],
      outputs: [{ name: 'probabilities', type: 'float32', shape: [1, 3] }],
    });
    cache.close();
  });

  it('loads a new session when the file changes and releases the old one after its last run', async () => {
    const { modelPath } = await writeClassifierModel(freshDir());
    const factory = recordingFactory();
    const cache = new SessionCache({ createSession: factory.createSession });
    const before = await cache.acquire(modelPath);
    await replaceModel(modelPath, [1, 0, 0]);
    const after = await cache.acquire(modelPath);
    expect(after.model.session).not.toBe(before.model.session);
    expect(after.model.sha256).not.toBe(before.model.sha256);
    await new Promise((r) => setTimeout(r, 10));
    expect(factory.released).toEqual([]);
    before.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(factory.released).toEqual([before.model.session]);
    after.release();
    cache.close();
  });

  it('remembers a failed load until the file changes', async () => {
    const { modelPath } = await writeClassifierModel(freshDir());
    let attempts = 0;
    const cache = new SessionCache({
      createSession: async (p, o) => {
        attempts++;
        if (attempts === 1) throw new Error('simulated onnxruntime failure');
        return InferenceSession.create(p, o);
      },
    });
    const first = await cache.load(modelPath);
    const second = await cache.load(modelPath);
    expect([first.ok, second.ok, attempts]).toEqual([false, false, 1]);
    expect(!second.ok && second.reason).toContain('simulated onnxruntime failure');
    await replaceModel(modelPath, [0, 0, 1]);
    expect((await cache.load(modelPath)).ok).toBe(true);
    expect(attempts).toBe(2);
    cache.close();
  });

  it.each([
    { name: 'a missing file', write: null, reason: /no file at/ },
    { name: 'a Git LFS pointer', write: 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 10\n', reason: /Git LFS pointer/ },
    { name: 'an empty file', write: '', reason: /empty/ },
  ])('refuses $name with MODEL_UNAVAILABLE and the reason', async ({ write, reason }) => {
    const modelPath = path.join(root, `broken-${n++}.onnx`);
    if (write !== null) await writeFile(modelPath, write);
    const cache = new SessionCache();
    const error = await cache.acquire(modelPath).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', message: expect.stringMatching(reason) });
  });
});

describe('ModelSlot', () => {
  it('switches only to a model that loads, then releases the previous one once idle', async () => {
    const first = await writeClassifierModel(freshDir());
    const second = await writeClassifierModel(freshDir(), { bias: [0, 2, 0] });
    const factory = recordingFactory();
    const cache = new SessionCache({ createSession: factory.createSession });
    const slot = new ModelSlot(cache);
    await slot.switchTo({ dir: first.dir });
    const inFlight = await slot.acquire();

    const brokenDir = freshDir();
    await writeClassifierModel(brokenDir);
    await writeFile(path.join(brokenDir, 'model.onnx'), 'version https://git-lfs.github.com/spec/v1\n');
    await expect(slot.switchTo({ dir: brokenDir })).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
    expect(slot.current).toEqual({ dir: first.dir });

    await slot.switchTo({ dir: second.dir });
    const next = await slot.acquire();
    expect(next.lease.model.path).toBe(second.modelPath);
    // The request that started before the switch still runs on the old session.
    expect(factory.released).toEqual([]);
    inFlight.lease.release();
    await new Promise((r) => setTimeout(r, 10));
    expect(factory.released).toEqual([inFlight.lease.model.session]);
    next.lease.release();
    cache.close();
  });

  it('says MODEL_UNAVAILABLE while empty', async () => {
    await expect(new ModelSlot(new SessionCache()).acquire()).rejects.toMatchObject({ code: 'MODEL_UNAVAILABLE' });
  });
});
