import { execa } from 'execa';

export interface GitInfo {
  commit: string | null;
  dirty: boolean;
}

let cached: Promise<GitInfo> | undefined;

/** The commit of the working tree the jobs run from, recorded on every job for reproducibility. */
export function gitInfo(cwd: string): Promise<GitInfo> {
  cached ??= (async () => {
    const head = await execa('git', ['rev-parse', 'HEAD'], { cwd, reject: false, timeout: 5_000 });
    if (head.exitCode !== 0) return { commit: null, dirty: false };
    const status = await execa('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, reject: false, timeout: 5_000 });
    return { commit: head.stdout.trim(), dirty: status.stdout.trim().length > 0 };
  })();
  return cached;
}
