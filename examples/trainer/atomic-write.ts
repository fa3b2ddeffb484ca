import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

/** Temp files being written, so that a signal handler can remove them before the process exits. */
const pendingTempFiles = new Set<string>();

/**
 * Writes a file so that readers see either the old content or the complete new one, never a prefix:
 * the data goes to a temp file in the same directory (same file system), is flushed, then renamed.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  pendingTempFiles.add(temp);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  } finally {
    pendingTempFiles.delete(temp);
  }
}

/** Serialises `value` as indented JSON with a final newline and writes it atomically. */
export function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Removes half-written temp files; synchronous because it runs right before `process.exit`. */
export function removePendingTempFiles(): void {
  for (const temp of pendingTempFiles) rmSync(temp, { force: true });
  pendingTempFiles.clear();
}
