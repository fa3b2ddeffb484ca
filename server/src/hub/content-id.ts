import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/**
 * Identity of a file's content in both of the Hub's vocabularies: a regular file is listed by its git blob id, an
 * LFS file by the sha256 of its content. Knowing both lets sync compare a local file with a listed remote file
 * without downloading it.
 */
export interface ContentId {
  sha256: string;
  gitOid: string;
  size: number;
}

/** What a tree listing says about a remote file's content. */
export interface RemoteContent {
  /** Git blob id (of the pointer, for an LFS file). */
  oid: string;
  /** sha256 of the content, for an LFS (or xet) file. */
  lfsOid?: string;
}

function hashers(size: number) {
  const sha256 = createHash('sha256');
  const git = createHash('sha1').update(`blob ${size}\0`);
  return {
    update(chunk: Buffer) {
      sha256.update(chunk);
      git.update(chunk);
    },
    digest: (): ContentId => ({ sha256: sha256.digest('hex'), gitOid: git.digest('hex'), size }),
  };
}

/** Content id of bytes already in memory (what is about to be uploaded, or was just downloaded). */
export function contentIdOf(bytes: Buffer): ContentId {
  const h = hashers(bytes.length);
  h.update(bytes);
  return h.digest();
}

/** Streams the file, so models of any size are hashed without being held in memory. */
export async function contentIdOfFile(absPath: string, size: number): Promise<ContentId> {
  const h = hashers(size);
  let read = 0;
  for await (const chunk of createReadStream(absPath)) {
    h.update(chunk as Buffer);
    read += (chunk as Buffer).length;
  }
  // The git id commits to the size: a file that grew or shrank while being read must be hashed again.
  if (read !== size) throw new Error(`file changed while being hashed (${read} bytes read, ${size} expected)`);
  return h.digest();
}

/** Whether local content (or a remembered sync base) is what the remote listing shows. */
export function sameAsRemote(id: Pick<ContentId, 'sha256' | 'gitOid'>, remote: RemoteContent): boolean {
  return remote.lfsOid ? id.sha256 === remote.lfsOid : id.gitOid === remote.oid;
}
