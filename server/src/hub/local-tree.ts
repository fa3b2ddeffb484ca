import type { Dirent } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { contentIdOfFile, type ContentId } from './content-id.ts';
import { isSyncedName, SYNCED_FOLDERS } from './repo-paths.ts';
import type { HashCacheEntry } from './sync-state.ts';

export interface LocalFile extends ContentId {
  /** Relative to the results folder, `/`-separated. */
  path: string;
  abs: string;
  mtimeMs: number;
  ino: number;
}

export interface LocalScan {
  files: Map<string, LocalFile>;
  /** Cache holding exactly the files seen now. */
  hashCache: Record<string, HashCacheEntry>;
  errors: string[];
}

/**
 * Lists the synced files of the results tree with their content ids, hashing only files whose size, mtime or
 * inode changed since the cache entry. Symbolic links are never followed, so a link cannot smuggle a file from
 * elsewhere on the disk to the Hub.
 */
export async function scanLocalTree(
  resultsDir: string,
  cache: Record<string, HashCacheEntry>,
  skip: (relPath: string) => boolean = () => false,
): Promise<LocalScan> {
  const files = new Map<string, LocalFile>();
  const hashCache: Record<string, HashCacheEntry> = {};
  const errors: string[] = [];

  async function walk(relDir: string): Promise<void> {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(resultsDir, relDir), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`cannot list ${relDir}: ${(error as Error).message}`);
      return;
    }
    for (const entry of entries) {
      if (!isSyncedName(entry.name)) continue;
      const rel = `${relDir}/${entry.name}`;
      if (entry.isDirectory()) await walk(rel);
      else if (entry.isFile() && !skip(rel)) await addFile(rel);
    }
  }

  async function addFile(rel: string): Promise<void> {
    const abs = path.join(resultsDir, rel);
    try {
      const st = await lstat(abs);
      const cached = cache[rel];
      const id =
        cached && cached.size === st.size && cached.mtimeMs === st.mtimeMs && cached.ino === st.ino
          ? { sha256: cached.sha256, gitOid: cached.gitOid, size: cached.size }
          : await contentIdOfFile(abs, st.size);
      files.set(rel, { ...id, path: rel, abs, mtimeMs: st.mtimeMs, ino: st.ino });
      hashCache[rel] = { ...id, mtimeMs: st.mtimeMs, ino: st.ino };
    } catch (error) {
      // A file removed between listing and hashing is simply not there; anything else is worth telling.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') errors.push(`cannot read ${rel}: ${(error as Error).message}`);
    }
  }

  for (const folder of SYNCED_FOLDERS) {
    const st = await lstat(path.join(resultsDir, folder)).catch(() => undefined);
    if (st?.isDirectory()) await walk(folder);
  }
  return { files, hashCache, errors };
}
