import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.ts';
import { InferenceError } from './errors.ts';
import type { FaceMethod } from './face-locator.ts';
import type { CropReport } from './preprocess.ts';

/** What is kept next to each cached crop. */
export interface CachedImageInfo {
  imageId: string;
  original: { format: string; width: number; height: number };
  crop: CropReport;
  faceMethod: FaceMethod;
  createdAt: string;
}

const IMAGE_ID = /^[0-9a-f]{64}$/;

/** The id of an image: the sha256 of its bytes, in lowercase hex. */
export function imageIdOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks an image id strictly before it becomes part of a path, so that no id can reach outside the cache.
 * @throws InferenceError INVALID_INPUT unless the id is 64 lowercase hex characters.
 */
export function parseImageId(id: string): string {
  if (typeof id !== 'string' || !IMAGE_ID.test(id)) {
    throw new InferenceError('INVALID_INPUT', 'imageId must be the 64 lowercase hex characters of a sha256 returned by analyzeImage', {
      imageId: typeof id === 'string' ? id.slice(0, 100) : null,
    });
  }
  return id;
}

/** Where the crops of a results directory live. */
export function imageCacheDir(resultsDir: string): string {
  return path.resolve(resultsDir, 'cache', 'images');
}

/**
 * Square crops of analysed images under `<resultsDir>/cache/images/<sha256>.png`, each with a small
 * `<sha256>.json`. Files are written to a temporary name and renamed, so a reader sees a whole file or none.
 */
export class ImageCache {
  readonly dir: string;

  constructor(resultsDir: string) {
    this.dir = imageCacheDir(resultsDir);
  }

  /** Stores a crop; a crop already stored under the same id is left as is. */
  async put(info: CachedImageInfo, png: Uint8Array): Promise<void> {
    const id = parseImageId(info.imageId);
    if (await this.has(id)) return;
    // The PNG goes last: its presence is what makes an id known, so the JSON is always there before it.
    await writeFileAtomic(path.join(this.dir, `${id}.json`), JSON.stringify(info, null, 2));
    await writeFileAtomic(path.join(this.dir, `${id}.png`), png);
  }

  /**
   * The cached crop of an image.
   * @throws InferenceError INVALID_INPUT for a malformed id, NOT_FOUND for an id never analysed.
   */
  async get(imageId: string): Promise<{ png: Buffer; info: CachedImageInfo }> {
    const id = parseImageId(imageId);
    let png: Buffer;
    try {
      png = await readFile(path.join(this.dir, `${id}.png`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new InferenceError('NOT_FOUND', `image ${id} is not in the cache: analyse it with analyzeImage first`, { imageId: id });
      throw error;
    }
    const info = JSON.parse(await readFile(path.join(this.dir, `${id}.json`), 'utf8')) as CachedImageInfo;
    return { png, info };
  }

  /** Whether an image id is cached; a malformed id is INVALID_INPUT, not merely absent. */
  async has(imageId: string): Promise<boolean> {
    const id = parseImageId(imageId);
    try {
      await access(path.join(this.dir, `${id}.png`));
      return true;
    } catch {
      return false;
    }
  }
}
