import { access, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hubLibrary } from '../hub/hub-library.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { InferenceError, errorMessage } from './errors.ts';
import type { ModelRef } from './model-spec.ts';

type Env = Record<string, string | undefined>;

export interface HubModelOptions {
  /** `owner/name` of a model repository. */
  repo: string;
  /** Branch, tag or commit. Default `main`. */
  revision?: string;
  /** Files to fetch, relative to `subfolder`. Default `model.onnx` and `model.json`. */
  files?: string[];
  /** Folder inside the repository holding the files. */
  subfolder?: string;
  /** Ask the Hub which commit the revision points at now, even when it is cached. */
  refresh?: boolean;
  /** Read for HF_ENDPOINT, HF_TOKEN, HF_HUB_CACHE / HF_HOME and HF_HUB_OFFLINE. Default `process.env`. */
  env?: Env;
  /** Override what `env` gives. */
  hubUrl?: string;
  accessToken?: string;
  cacheDir?: string;
  fetch?: typeof fetch;
}

export interface HubModel {
  repo: string;
  revision: string;
  commit: string;
  cacheDir: string;
  /** The folder in the cache's snapshot holding the files (`snapshots/<commit>/<subfolder>`). */
  dir: string;
  /** Absolute paths of the requested files, in order. */
  files: string[];
  /** True when nothing was requested from the Hub. */
  fromCache: boolean;
  /** Ready for analyze / the session cache. */
  ref: ModelRef;
}

const COMMIT = /^[0-9a-f]{40}$/;
const REPO = /^[\w.-]+\/[\w.-]+$/;
const inFlight = new Map<string, Promise<HubModel>>();

/**
 * The Hugging Face cache directory, with the precedence the Hub libraries use:
 * `HF_HUB_CACHE`, then `HUGGINGFACE_HUB_CACHE`, then `$HF_HOME/hub`, then `$XDG_CACHE_HOME/huggingface/hub`,
 * then `~/.cache/huggingface/hub`.
 */
export function hubCacheDir(env: Env = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return path.resolve(explicit);
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
  return path.resolve(home, 'hub');
}

/**
 * Makes a Hub model available locally, downloading it at most once into the standard Hugging Face cache
 * (`models--owner--name/{blobs,snapshots,refs}`, written by @huggingface/hub, shared with Python tools).
 *
 * The rule for reuse: a commit revision is served from `snapshots/<commit>/` when its files are there; a
 * branch or tag is resolved through `refs/<revision>`, which records the commit it pointed at when it was
 * downloaded, so a cached branch makes no request at all. Pass `refresh` (a promotion or sync, say) to ask
 * the Hub for the branch's current commit; only files missing from that commit's snapshot are downloaded.
 * With `HF_HUB_OFFLINE=1`, only the cache is used.
 * @throws InferenceError INVALID_INPUT for a malformed repo or file name, MODEL_UNAVAILABLE when the model
 * is neither cached nor downloadable (the Hub's answer is in the message).
 */
export async function ensureHubModel(options: HubModelOptions): Promise<HubModel> {
  const env = options.env ?? process.env;
  const cacheDir = path.resolve(options.cacheDir ?? hubCacheDir(env));
  const revision = options.revision ?? 'main';
  const files = (options.files ?? ['model.onnx', 'model.json']).map((f) => repoPath(options.subfolder, f));
  if (!REPO.test(options.repo)) throw new InferenceError('INVALID_INPUT', `Hub repo must look like owner/name, got ${JSON.stringify(options.repo)}`);
  // The revision names a file under refs/, so it must not be able to climb out of it.
  if (!/^[\w.-]+(\/[\w.-]+)*$/.test(revision) || revision.split('/').includes('..')) {
    throw new InferenceError('INVALID_INPUT', `not a valid revision: ${JSON.stringify(revision)}`);
  }
  // Concurrent first requests share one download instead of racing on the same cache files.
  const key = JSON.stringify([cacheDir, options.repo, revision, files, !!options.refresh]);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = fetchModel({ ...options, env, cacheDir, revision, files }).finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

async function fetchModel(o: HubModelOptions & { env: Env; cacheDir: string; revision: string; files: string[] }): Promise<HubModel> {
  const storage = path.join(o.cacheDir, `models--${o.repo.split('/').join('--')}`);
  const refFile = path.join(storage, 'refs', o.revision);
  const snapshot = (commit: string) => path.join(storage, 'snapshots', commit);
  const result = (commit: string, fromCache: boolean): HubModel => {
    const absolute = o.files.map((f) => path.join(snapshot(commit), f));
    const dir = path.join(snapshot(commit), o.subfolder ?? '');
    return {
      repo: o.repo,
      revision: o.revision,
      commit,
      cacheDir: o.cacheDir,
      dir,
      files: absolute,
      fromCache,
      ref: { id: `${o.repo}@${commit.slice(0, 7)}`, modelPath: absolute[0]!, ...(absolute[1] && { sidecarPath: absolute[1] }) },
    };
  };

  const cachedCommit = COMMIT.test(o.revision) ? o.revision : await readRef(refFile);
  if (cachedCommit && !o.refresh && (await allExist(o.files.map((f) => path.join(snapshot(cachedCommit), f))))) {
    return result(cachedCommit, true);
  }
  if (/^(1|true|yes)$/i.test(o.env.HF_HUB_OFFLINE ?? '')) {
    throw new InferenceError('MODEL_UNAVAILABLE', `Hub model ${o.repo}@${o.revision} is not in the cache ${o.cacheDir} and HF_HUB_OFFLINE is set`, { repo: o.repo });
  }

  const hubUrl = (o.hubUrl ?? o.env.HF_ENDPOINT ?? 'https://huggingface.co').replace(/\/+$/, '');
  const accessToken = o.accessToken ?? (o.env.HF_TOKEN || undefined);
  const common = { hubUrl, ...(accessToken && { accessToken }), ...(o.fetch && { fetch: o.fetch }) };
  try {
    let commit = o.revision;
    if (!COMMIT.test(commit)) {
      // Pinning every file to one commit keeps model.onnx and model.json from two different pushes apart.
      const info = await (await hubLibrary()).modelInfo({ ...common, name: o.repo, revision: o.revision, additionalFields: ['sha'] });
      if (!info.sha || !COMMIT.test(info.sha)) throw new Error(`the Hub did not say which commit ${o.revision} is`);
      commit = info.sha;
      await writeFileAtomic(refFile, commit);
    }
    for (const file of o.files) {
      await (await hubLibrary()).downloadFileToCacheDir({ ...common, repo: { type: 'model', name: o.repo }, path: file, revision: commit, cacheDir: o.cacheDir });
    }
    return result(commit, false);
  } catch (error) {
    if (error instanceof InferenceError) throw error;
    const status = (error as { statusCode?: number }).statusCode;
    throw new InferenceError('MODEL_UNAVAILABLE', `cannot download ${o.repo}@${o.revision} from ${hubUrl}: ${errorMessage(error)}`, {
      repo: o.repo,
      revision: o.revision,
      ...(status !== undefined && { status }),
    });
  }
}

function repoPath(subfolder: string | undefined, file: string): string {
  const joined = path.posix.normalize(path.posix.join(subfolder ?? '', file));
  if (path.posix.isAbsolute(joined) || joined === '..' || joined.startsWith('../') || joined === '.') {
    throw new InferenceError('INVALID_INPUT', `file path must stay inside the repository, got ${JSON.stringify(joined)}`);
  }
  return joined;
}

async function readRef(file: string): Promise<string | null> {
  try {
    const commit = (await readFile(file, 'utf8')).trim();
    return COMMIT.test(commit) ? commit : null;
  } catch {
    return null;
  }
}

async function allExist(files: string[]): Promise<boolean> {
  try {
    // access follows the snapshot's symlinks, so a dangling link to a deleted blob counts as missing.
    await Promise.all(files.map((f) => access(f)));
    return true;
  } catch {
    return false;
  }
}
