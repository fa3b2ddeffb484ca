import { env as ortEnv } from 'onnxruntime-node';
import sharp from 'sharp';
import { hubCacheDir } from './hub-model.ts';
import { imageCacheDir } from './image-cache.ts';

export interface RuntimeVersions {
  node: string;
  onnxruntime: string;
  sharp: string;
  libvips: string;
}

export interface CacheDirectories {
  /** Where Hub models are downloaded (the standard Hugging Face cache). */
  huggingFaceHub: string;
  /** Where analysed images' square crops are kept; `null` without a results directory. */
  images: string | null;
}

/** The versions of the native pieces inference runs on, as loaded in this process. */
export function runtimeVersions(): RuntimeVersions {
  return {
    node: process.versions.node,
    onnxruntime: ortEnv.versions.node ?? ortEnv.versions.common,
    sharp: sharp.versions.sharp,
    libvips: sharp.versions.vips,
  };
}

/** The directories inference reads and writes. */
export function cacheDirectories(resultsDir: string | null, env: Record<string, string | undefined> = process.env): CacheDirectories {
  return {
    huggingFaceHub: hubCacheDir(env),
    images: resultsDir ? imageCacheDir(resultsDir) : null,
  };
}
