import { execa } from 'execa';

export interface GitInfo {
  commit: string | null;
  dirty: boolean;
}

/** A commit made, or a file edited, this long before a job was queued may not be seen by it. */
const FRESH_MS = 2_000;
const cache = new Map<string, { at: number; info: Promise<GitInfo> }>();

/**
 * The commit of the working tree the jobs run from (and whether tracked files differ from it), recorded on every
 * job for reproducibility. Reused for a couple of seconds, so a burst of startJob calls runs git once.
 */
export function gitInfo(cwd: string): Promise<GitInfo> {
  const hit = cache.get(cwd);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.info;
  const info = (async () => {
    const head = await execa('git', ['rev-parse', 'HEAD'], { cwd, reject: false, timeout: 5_000 });
    if (head.exitCode !== 0) return { commit: null, dirty: false };
    const status = await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, reject: false, timeout: 5_000 });
    return { commit: head.stdout.trim(), dirty: status.stdout.trim().length > 0 };
  })();
  cache.set(cwd, { at: Date.now(), info });
  return info;
}
