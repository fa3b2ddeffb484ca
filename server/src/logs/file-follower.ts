import { open, type FileHandle } from 'node:fs/promises';
import { LineSplitter, type SplitLine } from './line-splitter.ts';

export interface FollowedChunk {
  lines: SplitLine[];
  /** Byte offset just past the last complete line returned: where a restarted follower resumes. */
  resumeOffset: number;
  /** How many bytes this read consumed (0: nothing new in the file). */
  bytesRead: number;
}

/**
 * Reads a file that another process appends to (a job's stdout or stderr), from a byte offset,
 * returning complete lines. The job writes the file directly, so no line is lost while no server reads it.
 */
export class FileFollower {
  #handle: FileHandle | undefined;
  #offset: number;
  #bytesSinceNewline = 0;
  readonly #splitter: LineSplitter;
  readonly #buffer: Buffer;

  constructor(
    readonly path: string,
    offset: number,
    options: { chunkBytes?: number; maxLineBytes?: number } = {},
  ) {
    this.#offset = offset;
    this.#buffer = Buffer.allocUnsafe(options.chunkBytes ?? 1 << 20);
    this.#splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
  }

  get offset(): number {
    return this.#offset;
  }

  /** Reads what is available now, up to one chunk. */
  async read(): Promise<FollowedChunk> {
    this.#handle ??= await open(this.path, 'r').catch(() => undefined);
    if (!this.#handle) return { lines: [], resumeOffset: this.#offset - this.#bytesSinceNewline, bytesRead: 0 };
    const { bytesRead } = await this.#handle.read(this.#buffer, 0, this.#buffer.length, this.#offset);
    if (bytesRead === 0) return { lines: [], resumeOffset: this.#offset - this.#bytesSinceNewline, bytesRead: 0 };
    const chunk = this.#buffer.subarray(0, bytesRead);
    this.#offset += bytesRead;
    const lastNewline = chunk.lastIndexOf(10);
    this.#bytesSinceNewline = lastNewline === -1 ? this.#bytesSinceNewline + bytesRead : bytesRead - lastNewline - 1;
    // The splitter copies what it keeps, so the shared read buffer can be reused.
    const lines = this.#splitter.push(chunk);
    return { lines, resumeOffset: this.#offset - this.#bytesSinceNewline, bytesRead };
  }

  /** Called once the writer has exited: returns a last line that had no trailing newline. */
  finish(): FollowedChunk {
    const lines = this.#splitter.end();
    this.#bytesSinceNewline = 0;
    return { lines, resumeOffset: this.#offset, bytesRead: 0 };
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
