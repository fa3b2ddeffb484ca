/** One complete output line, decoded as UTF-8 (invalid bytes become U+FFFD). */
export interface SplitLine {
  text: string;
  /** True when the line was longer than the limit and its end was dropped. */
  truncated: boolean;
}

export interface LineSplitterOptions {
  /** Bytes kept per line; the rest of a longer line is dropped and counted in a marker. */
  maxLineBytes?: number;
}

/** 16 KiB: far above any real log line, small enough that a runaway line cannot exhaust memory. */
export const DEFAULT_MAX_LINE_BYTES = 16 * 1024;

const LF = 0x0a;
const CR = 0x0d;

/**
 * Splits a byte stream into lines, the way a terminal would show them.
 *
 * - Lines end at `\n`; trailing `\r`s (CRLF) are dropped.
 * - A `\r` inside a line means "redraw" (tqdm, Lightning and Keras progress bars), so only the text after
 *   the last one is kept: a progress bar yields one line with its final state instead of thousands.
 * - Bytes are decoded per complete line, so a multi-byte character split across chunks stays intact and
 *   invalid UTF-8 becomes U+FFFD instead of throwing.
 * - At most `maxLineBytes` of a line are held; the rest is counted, not stored, and the emitted text ends
 *   with ` …[truncated N bytes]`. A redraw (`\r`) starts the line afresh, so an endless progress bar
 *   without newline stays bounded too.
 *
 * `push` copies what it keeps, so callers may reuse their chunk buffers.
 */
export class LineSplitter {
  readonly maxLineBytes: number;
  /** Allocated on first need: most lines complete inside one chunk and never touch it. */
  #pending: Buffer | undefined;
  #pendingLength = 0;
  /** Bytes of the current line that were dropped because it exceeded the limit. */
  #droppedBytes = 0;
  /** A `\r` ended the last chunk: it is CRLF if `\n` comes next, a redraw if text does. */
  #heldCarriageReturn = false;
  /** Whether any byte arrived since the last `\n` (so `end()` knows an unterminated line exists). */
  #hasPartialLine = false;

  constructor(options: LineSplitterOptions = {}) {
    const max = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
    if (!Number.isInteger(max) || max < 4) throw new RangeError(`maxLineBytes must be an integer >= 4, got ${max}`);
    this.maxLineBytes = max;
  }

  /** Bytes held for the unfinished line: never more than `maxLineBytes`, whatever arrives. */
  get bufferedBytes(): number {
    return this.#pendingLength;
  }

  /** Feeds a chunk; returns the lines it completed. */
  push(chunk: Uint8Array): SplitLine[] {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const lines: SplitLine[] = [];
    let start = 0;
    // Position of the next `\r` at or after `start`; -1 once none is left. Searching forward once per
    // chunk keeps the common case (no `\r` at all) linear instead of re-scanning every line.
    let nextCr = buf.indexOf(CR);
    while (start < buf.length) {
      const newline = buf.indexOf(LF, start);
      const end = newline === -1 ? buf.length : newline;
      if (nextCr !== -1 && nextCr < start) nextCr = buf.indexOf(CR, start);
      const hasCr = nextCr !== -1 && nextCr < end;
      if (newline === -1) {
        this.#append(buf, start, end, hasCr);
        break;
      }
      if (!hasCr && !this.#hasPartialLine && end - start <= this.maxLineBytes) {
        // Fast path: the whole line is inside this chunk and needs no rewriting.
        lines.push({ text: buf.toString('utf8', start, end), truncated: false });
      } else {
        this.#append(buf, start, end, hasCr);
        lines.push(this.#takeLine());
      }
      start = newline + 1;
    }
    return lines;
  }

  /** Flushes a last line that had no trailing newline. */
  end(): SplitLine[] {
    return this.#hasPartialLine ? [this.#takeLine()] : [];
  }

  /** Adds `buf[start, end)` (no `\n` inside) to the current line. */
  #append(buf: Buffer, start: number, end: number, hasCr: boolean): void {
    if (start === end) return;
    this.#hasPartialLine = true;
    if (this.#heldCarriageReturn) {
      // Text after a `\r` that was not followed by `\n`: a redraw.
      this.#resetLine();
      this.#heldCarriageReturn = false;
    }
    if (hasCr) {
      let contentEnd = end;
      while (contentEnd > start && buf[contentEnd - 1] === CR) contentEnd--;
      if (contentEnd < end) this.#heldCarriageReturn = true;
      const lastCr = contentEnd > start ? buf.lastIndexOf(CR, contentEnd - 1) : -1;
      if (lastCr >= start) {
        this.#resetLine();
        start = lastCr + 1;
      }
      end = contentEnd;
    }
    this.#store(buf, start, end);
  }

  /** Keeps what fits under the limit and counts the rest. */
  #store(buf: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length === 0) return;
    if (this.#droppedBytes > 0) {
      this.#droppedBytes += length;
      return;
    }
    const room = this.maxLineBytes - this.#pendingLength;
    this.#pending ??= Buffer.allocUnsafe(this.maxLineBytes);
    const kept = Math.min(room, length);
    buf.copy(this.#pending, this.#pendingLength, start, start + kept);
    this.#pendingLength += kept;
    if (kept < length) {
      this.#droppedBytes = length - kept;
      this.#cutAtCharacterBoundary();
    }
  }

  /** Moves an incomplete trailing UTF-8 sequence from the kept part to the dropped count. */
  #cutAtCharacterBoundary(): void {
    const pending = this.#pending!;
    const end = this.#pendingLength;
    let lead = end - 1;
    // A UTF-8 sequence is at most 4 bytes: look back at most 3 continuation bytes for its lead byte.
    while (lead > 0 && lead > end - 4 && (pending[lead] & 0xc0) === 0x80) lead--;
    if (lead + utf8SequenceLength(pending[lead]) > end) {
      this.#droppedBytes += end - lead;
      this.#pendingLength = lead;
    }
  }

  #takeLine(): SplitLine {
    let text = this.#pendingLength > 0 ? this.#pending!.toString('utf8', 0, this.#pendingLength) : '';
    const truncated = this.#droppedBytes > 0;
    if (truncated) text += truncationMarker(this.#droppedBytes);
    this.#resetLine();
    this.#heldCarriageReturn = false;
    this.#hasPartialLine = false;
    return { text, truncated };
  }

  #resetLine(): void {
    this.#pendingLength = 0;
    this.#droppedBytes = 0;
  }
}

/** The suffix of a truncated line; exported so readers can recognise or strip it. */
export function truncationMarker(droppedBytes: number): string {
  return ` …[truncated ${droppedBytes} bytes]`;
}

/** Length of the UTF-8 sequence a lead byte announces (1 for ASCII and for invalid lead bytes). */
function utf8SequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf7) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc0) return 2;
  return 1;
}
