import { hubLibrary } from './hub-library.ts';
import type { RemoteContent } from './content-id.ts';
import type { HubTarget } from './config.ts';
import { hubStatus, toHubError } from './errors.ts';
import { judgeRemotePath } from './repo-paths.ts';

export interface RemoteFile extends RemoteContent {
  path: string;
  size: number;
}

export interface RemoteTree {
  files: Map<string, RemoteFile>;
  /** One line per listed path that was refused (traversal, absolute, outside the synced folders). */
  refused: string[];
}

/** Options every @huggingface/hub call of this module shares. */
export function hubCallOptions(target: HubTarget, fetchImpl?: typeof fetch) {
  return { hubUrl: target.url, accessToken: target.token, ...(fetchImpl && { fetch: fetchImpl }) };
}

/**
 * The commit `main` points at, or null when the repo does not exist. Sync lists and downloads at this exact
 * commit and commits with it as `parentCommit`, so everything it decides refers to one consistent remote state.
 */
export async function remoteHead(target: HubTarget, fetchImpl?: typeof fetch): Promise<string | null> {
  const common = { ...hubCallOptions(target, fetchImpl), revision: 'main', additionalFields: ['sha' as const] };
  const [prefix] = target.repo.split('/');
  try {
    const info =
      prefix === 'datasets'
        ? await (await hubLibrary()).datasetInfo({ ...common, name: target.repo.slice('datasets/'.length) })
        : prefix === 'spaces'
          ? await (await hubLibrary()).spaceInfo({ ...common, name: target.repo.slice('spaces/'.length) })
          : await (await hubLibrary()).modelInfo({ ...common, name: target.repo });
    return info.sha;
  } catch (error) {
    if (hubStatus(error) === 404) return null;
    throw toHubError(`reading the head of ${target.repo}`, error);
  }
}

/** Creates the results repo (private); another machine creating it first is fine. */
export async function ensureRepo(target: HubTarget, fetchImpl?: typeof fetch): Promise<void> {
  try {
    await (await hubLibrary()).createRepo({ ...hubCallOptions(target, fetchImpl), repo: target.repo, visibility: 'private' });
  } catch (error) {
    if (hubStatus(error) !== 409) throw toHubError(`creating ${target.repo}`, error);
  }
}

/** Every file of the repo at `revision`, each path judged before it is trusted. */
export async function listRemoteTree(target: HubTarget, revision: string, fetchImpl?: typeof fetch): Promise<RemoteTree> {
  const files = new Map<string, RemoteFile>();
  const refused: string[] = [];
  try {
    for await (const entry of (await hubLibrary()).listFiles({ ...hubCallOptions(target, fetchImpl), repo: target.repo, revision, recursive: true })) {
      if (entry.type !== 'file') continue;
      const verdict = judgeRemotePath(entry.path);
      if (verdict.kind === 'refuse') refused.push(`refused remote path ${JSON.stringify(entry.path)}: it ${verdict.reason}`);
      if (verdict.kind !== 'sync') continue;
      files.set(entry.path, {
        path: entry.path,
        size: entry.size,
        oid: entry.oid ?? '',
        // LFS files are identified by the sha256 of their content, regular ones by their git blob id.
        lfsOid: entry.lfs?.oid,
      });
    }
  } catch (error) {
    throw toHubError(`listing ${target.repo}`, error);
  }
  return { files, refused };
}
