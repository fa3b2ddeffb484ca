import { describe, expect, it } from 'vitest';
import type { LogLevel } from '../../src/logs/classify-level.ts';
import { CHUNK_LINES, CHUNK_MAX_BYTES, decodeChunk, encodeChunks, foldCase, LEVEL_BITS, levelMask, mergeChunks } from '../../src/logs/log-chunk.ts';
import type { LogRecord, LogStreamName } from '../../src/logs/log-record.ts';

const LEVELS: LogLevel[] = ['DEBUG', 'INFO', 'WARNING', 'ERROR'];
const STREAMS: LogStreamName[] = ['STDOUT', 'STDERR', 'SYSTEM'];

function records(count: number, text: (seq: number) => string = (seq) => `line ${seq}`, firstSeq = 1): LogRecord[] {
  const base = Date.UTC(2026, 11, 1, 12, 0, 0);
  return Array.from({ length: count }, (_, i) => {
    const seq = firstSeq + i;
    return { seq, stream: STREAMS[seq % 3], level: LEVELS[(seq * 7) % 4], text: text(seq), time: new Date(base + Math.floor(seq / 3)) };
  });
}

describe('log chunks', () => {
  it('round-trips every field, including tabs, unicode and empty text', () => {
    const texts = ['a\tb\tc', '', 'ünïcødé 😀 \uFFFD', '  leading and trailing  ', 'x'.repeat(20_000), '\t'];
    const input = records(texts.length, (seq) => texts[seq - 1]);
    const [chunk] = encodeChunks(input);
    expect(chunk).toMatchObject({ fromSeq: 1, toSeq: texts.length, lines: texts.length });
    expect(decodeChunk(chunk.data)).toEqual(input);
  });

  it('holds exactly the .log file form, one line per record', () => {
    const input = records(3);
    const [chunk] = encodeChunks(input);
    expect(chunk.data.split('\n')).toEqual([...input.map((r) => `${r.seq}\t${r.time.toISOString()}\t${r.stream}\t${r.level}\t${r.text}`), '']);
  });

  it('writes the bytes of that text exactly: multi-byte characters, large seqs, changing and shared times', () => {
    const texts = ['ascii', 'ünïcødé', '日本語のログ', '😀 emoji 🚀', '', 'é'.repeat(5_000), 'tail'];
    const input = records(texts.length, (seq) => texts[(seq - 1) % texts.length], 2_147_483_000);
    // Two lines share one Date object, another has an equal but distinct one.
    input[2].time = input[1].time;
    input[3].time = new Date(input[1].time.getTime());
    const chunks = encodeChunks(input);
    const expected = input.map((r) => `${r.seq}\t${r.time.toISOString()}\t${r.stream}\t${r.level}\t${r.text}\n`).join('');
    expect(Buffer.concat(chunks.map((c) => c.bytes)).equals(Buffer.from(expected))).toBe(true);
    expect(chunks.map((c) => c.data).join('')).toBe(expected);
    expect(decodeChunk(chunks[0].data)).toEqual(input);
  });

  it('refuses a record it could not write back: a seq that is not a non-negative integer, an unknown stream or level', () => {
    const [good] = records(1);
    expect(() => encodeChunks([{ ...good, seq: 1.5 }])).toThrow(RangeError);
    expect(() => encodeChunks([{ ...good, seq: -1 }])).toThrow(RangeError);
    expect(() => encodeChunks([{ ...good, stream: 'STDIN' as LogStreamName }])).toThrow(/unknown stream or level/);
    expect(() => encodeChunks([{ ...good, level: 'TRACE' as LogLevel }])).toThrow(/unknown stream or level/);
  });

  it(`keeps chunks within ${CHUNK_MAX_BYTES} bytes, and gives a longer line a chunk of its own`, () => {
    const texts = (seq: number) => (seq === 150 ? 'L'.repeat(CHUNK_MAX_BYTES * 2) : `${seq} ${'é'.repeat(500)}`);
    const input = records(300, texts);
    const chunks = encodeChunks(input);
    expect(chunks.length).toBeGreaterThan(3);
    for (const c of chunks) expect(c.bytes.length <= CHUNK_MAX_BYTES || c.lines === 1).toBe(true);
    expect(chunks.find((c) => c.fromSeq === 150)).toMatchObject({ toSeq: 150, lines: 1 });
    // Consecutive, together every line once, and the same bytes as the text form.
    chunks.forEach((c, i) => expect(c.fromSeq).toBe(i === 0 ? 1 : chunks[i - 1].toSeq + 1));
    expect(chunks.reduce((n, c) => n + c.lines, 0)).toBe(300);
    expect(chunks.flatMap((c) => decodeChunk(c.data))).toEqual(input);
  });

  it(`splits at ${CHUNK_LINES} lines and records which levels each chunk holds`, () => {
    const input = records(2 * CHUNK_LINES + 5, undefined, 41);
    const chunks = encodeChunks(input);
    expect(chunks.map((c) => [c.fromSeq, c.toSeq, c.lines])).toEqual([
      [41, 40 + CHUNK_LINES, CHUNK_LINES],
      [41 + CHUNK_LINES, 40 + 2 * CHUNK_LINES, CHUNK_LINES],
      [41 + 2 * CHUNK_LINES, 45 + 2 * CHUNK_LINES, 5],
    ]);
    for (const chunk of chunks) {
      const present = new Set(decodeChunk(chunk.data).map((r) => r.level));
      expect(chunk.levels).toBe(levelMask([...present]));
    }
    expect(chunks.flatMap((c) => decodeChunk(c.data))).toEqual(input);
  });

  it('merges consecutive chunks while they fit the limits, keeping every line, its bytes and the levels', () => {
    // A chunk per read of 1 to 40 lines, as a job that prints slowly gives them.
    const input = records(2_600, undefined, 7);
    const perRead: ReturnType<typeof encodeChunks> = [];
    for (let at = 0, size = 1; at < input.length; at += size, size = (size * 7) % 41 || 1) perRead.push(...encodeChunks(input.slice(at, at + size)));
    const merged = mergeChunks(perRead);
    expect(merged.length).toBeLessThan(perRead.length / 10);
    for (const c of merged) expect(c.lines <= CHUNK_LINES && c.bytes.length <= CHUNK_MAX_BYTES).toBe(true);
    merged.forEach((c, i) => {
      expect(c.fromSeq).toBe(i === 0 ? 7 : merged[i - 1].toSeq + 1);
      const lines = decodeChunk(c.data);
      expect([lines[0].seq, lines.at(-1)!.seq, lines.length]).toEqual([c.fromSeq, c.toSeq, c.lines]);
      expect(c.levels).toBe(levelMask([...new Set(lines.map((r) => r.level))]));
    });
    expect(merged.flatMap((c) => decodeChunk(c.data))).toEqual(input);
    expect(Buffer.concat(merged.map((c) => c.bytes))).toEqual(Buffer.concat(encodeChunks(input).map((c) => c.bytes)));
    // Chunks that are full already, or one longer than the limit, stay as they are.
    const long = encodeChunks(records(3, (seq) => (seq === 2 ? 'L'.repeat(CHUNK_MAX_BYTES) : 'short')));
    expect(mergeChunks(long).map((c) => c.lines)).toEqual([1, 1, 1]);
    expect(mergeChunks([])).toEqual([]);
  });

  it('gives each level its own bit', () => {
    expect(Object.values(LEVEL_BITS).reduce((a, b) => a | b, 0)).toBe(15);
    expect(levelMask(['ERROR', 'DEBUG'])).toBe(LEVEL_BITS.ERROR | LEVEL_BITS.DEBUG);
    expect(levelMask([])).toBe(0);
  });

  it('filters by seq range, level and case-insensitive text exactly', () => {
    const input = records(300, (seq) => (seq % 10 === 0 ? `Epoch ${seq} LOSS=0.5` : `step ${seq}`));
    const [chunk] = encodeChunks(input);
    const filter = { afterSeq: 50, beforeSeq: 251, levels: ['ERROR', 'WARNING'] as LogLevel[], searchLower: 'loss' };
    const expected = input.filter((r) => r.seq > 50 && r.seq < 251 && filter.levels.includes(r.level) && r.text.toLowerCase().includes('loss'));
    expect(expected.length).toBeGreaterThan(3);
    expect(decodeChunk(chunk.data, filter)).toEqual(expected);
  });

  it('skips a line that does not parse instead of failing the read', () => {
    const input = records(3);
    expect(input[0].stream).toBe('STDERR');
    const [chunk] = encodeChunks(input);
    const damaged = `${chunk.data.replace('\tSTDERR\t', '\tNOPE\t')}not a record\n7\tmissing fields\n`;
    expect(decodeChunk(damaged)).toEqual(input.slice(1));
  });

  it('skips a record whose seq does not increase (a forged or repeated line)', () => {
    const input = records(3);
    const [chunk] = encodeChunks(input);
    const forged = chunk.data.replace(/\n/, `\n1\t${input[0].time.toISOString()}\tSYSTEM\tERROR\tforged\n`);
    expect(decodeChunk(forged)).toEqual(input);
  });

  it("folds case one code point at a time, as PostgreSQL's lower() does", () => {
    expect(foldCase('Loss=0.5 EPOCH')).toBe('loss=0.5 epoch');
    // JavaScript's toLowerCase() gives 'i̇stanbul' (two code points for İ) and a final ς.
    expect(foldCase('İSTANBUL')).toBe('istanbul');
    expect(foldCase('ΟΔΟΣ')).toBe('οδοσ');
    expect(foldCase('Straße ÜBER 😀')).toBe('straße über 😀');
    const input = records(2, (seq) => (seq === 1 ? 'İstanbul' : 'ΟΔΟΣ'));
    const [chunk] = encodeChunks(input);
    expect(decodeChunk(chunk.data, { searchLower: foldCase('istanbul') }).map((r) => r.seq)).toEqual([1]);
    expect(decodeChunk(chunk.data, { searchLower: foldCase('οδοσ') }).map((r) => r.seq)).toEqual([2]);
  });
});
