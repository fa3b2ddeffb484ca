import { open, type FileHandle } from 'node:fs/promises';
import { LineSplitter, type SplitLine } from './line-splitter.ts';

export interface FollowedChunk {
  lines: SplitLine[];
  /** Byte offset just past the last complete line returned: where a restarted follower resumes. */
  resumeOffset: number;
  /** For each line, the byte offset just past it: a batch can be split anywhere with an exact resume point. */
  lineEnds: number[];
  /** How many bytes this read consumed (0: nothing new in the file). */
  bytesRead: number;
}

/** Bytes per read: large enough for throughput, small enough that splitting and parsing one read stays short. */
export const DEFAULT_CHUNK_BYTES = 256 * 1024;

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
    this.#buffer = Buffer.allocUnsafe(options.chunkBytes ?? DEFAULT_CHUNK_BYTES);
    this.#splitter = new LineSplitter({ maxLineBytes: options.maxLineBytes });
  }

  get offset(): number {
    return this.#offset;
  }

  /** Reads what is available now, up to one chunk. */
  async read(): Promise<FollowedChunk> {
    this.#handle ??= await open(this.path, 'r').catch(() => undefined);
    if (!this.#handle) return { lines: [], resumeOffset: this.#offset - this.#bytesSinceNewline, lineEnds: [], bytesRead: 0 };
    const { bytesRead } = await this.#handle.read(this.#buffer, 0, this.#buffer.length, this.#offset);
    if (bytesRead === 0) return { lines: [], resumeOffset: this.#offset - this.#bytesSinceNewline, lineEnds: [], bytesRead: 0 };
    const chunk = this.#buffer.subarray(0, bytesRead);
    const chunkStart = this.#offset;
    this.#offset += bytesRead;
    const lastNewline = chunk.lastIndexOf(10);
    this.#bytesSinceNewline = lastNewline === -1 ? this.#bytesSinceNewline + bytesRead : bytesRead - lastNewline - 1;
    // The splitter copies what it keeps, so the shared read buffer can be reused.
    const lines = this.#splitter.push(chunk);
    // The splitter completes exactly one line per newline of the chunk, so line i ends at the i-th newline.
    const lineEnds: number[] = [];
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lineEnds.push(chunkStart + i + 1);
    return { lines, resumeOffset: this.#offset - this.#bytesSinceNewline, lineEnds, bytesRead };
  }

  /** Called once the writer has exited: returns a last line that had no trailing newline. */
  finish(): FollowedChunk {
    const lines = this.#splitter.end();
    this.#bytesSinceNewline = 0;
    return { lines, resumeOffset: this.#offset, lineEnds: lines.map(() => this.#offset), bytesRead: 0 };
  }

  async close(): Promise<void> {
    await this.#handle?.close();
    this.#handle = undefined;
  }
}
