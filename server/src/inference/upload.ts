import { InferenceError } from './errors.ts';

/**
 * Reads an uploaded file's bytes after checking its declared size, so an oversized upload is refused
 * before it is copied into memory a second time.
 * @throws InferenceError INVALID_INPUT when the value is not a file, PAYLOAD_TOO_LARGE when it is over `maxBytes`.
 */
export async function readUpload(file: unknown, maxBytes: number): Promise<Uint8Array> {
  if (!isBlobLike(file)) {
    throw new InferenceError('INVALID_INPUT', 'image must be a file sent as a GraphQL multipart upload (fields "operations", "map" and the file)');
  }
  if (file.size > maxBytes) {
    throw new InferenceError('PAYLOAD_TOO_LARGE', `the image is ${file.size} bytes; the limit is ${maxBytes} (ANANA_MAX_UPLOAD_BYTES)`, {
      size: file.size,
      limit: maxBytes,
    });
  }
  // bytes() where the File has it: the server's File gives its buffer as is, where arrayBuffer() would be copied again.
  const data: Uint8Array | ArrayBuffer = typeof (file as BlobWithBytes).bytes === 'function' ? await (file as BlobWithBytes).bytes() : await file.arrayBuffer();
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

type BlobWithBytes = Blob & { bytes(): Promise<Uint8Array> };

// Duck-typed: the server's fetch implementation may hand over its own File class rather than the global one.
function isBlobLike(value: unknown): value is Blob {
  return typeof value === 'object' && value !== null && typeof (value as Blob).size === 'number' && typeof (value as Blob).arrayBuffer === 'function';
}
