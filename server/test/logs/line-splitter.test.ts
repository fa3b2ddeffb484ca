import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, truncationMarker } from '../../src/logs/line-splitter.ts';

/** Feeds the chunks in order and returns every line, including the unterminated last one. */
function split(chunks: (string | Buffer)[], maxLineBytes?: number): { text: string; truncated: boolean }[] {
  const splitter = new LineSplitter({ maxLineBytes });
  const lines = chunks.flatMap((chunk) => splitter.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
  return [...lines, ...splitter.end()];
}

const texts = (chunks: (string | Buffer)[], maxLineBytes?: number) => split(chunks, maxLineBytes).map((l) => l.text);

describe('LineSplitter', () => {
  it.each([
    { name: 'splits on LF', chunks: ['a\nb\n'], expected: ['a', 'b'] },
    { name: 'keeps empty lines', chunks: ['a\n\n\nb\n'], expected: ['a', '', '', 'b'] },
    { name: 'strips the CR of CRLF', chunks: ['a\r\nb\r\n'], expected: ['a', 'b'] },
    { name: 'strips CRLF split across chunks', chunks: ['a\r', '\nb\n'], expected: ['a', 'b'] },
    { name: 'joins a line split across chunks', chunks: ['hel', 'lo wo', 'rld\n'], expected: ['hello world'] },
    { name: 'keeps the final state of CR updates', chunks: ['\r 10%|#\r 50%|###\r100%|#####\n'], expected: ['100%|#####'] },
    { name: 'keeps the final state of CR updates across chunks', chunks: ['Epoch 1:  10%', '\rEpoch 1:  90%\r', 'Epoch 1: 100%\n'], expected: ['Epoch 1: 100%'] },
    { name: 'treats a CR held at a chunk end as a redraw when text follows', chunks: ['old\r', 'new\n'], expected: ['new'] },
    { name: 'keeps the text before trailing CRs', chunks: ['done\r\r\n'], expected: ['done'] },
    { name: 'flushes an unterminated last line at end', chunks: ['a\nlast'], expected: ['a', 'last'] },
    { name: 'flushes the final CR state at end', chunks: ['\r 10%\r 20%\r'], expected: [' 20%'] },
    { name: 'returns nothing at end when the input ended with LF', chunks: ['a\n'], expected: ['a'] },
    { name: 'returns nothing for no input', chunks: [], expected: [] },
  ])('$name', ({ chunks, expected }) => {
    expect(texts(chunks)).toEqual(expected);
  });

  it('does not split a multi-byte character when a chunk boundary falls inside it', () => {
    const line = Buffer.from('é€😀 ok\n');
    for (let cut = 1; cut < line.length - 1; cut++) {
      expect(texts([line.subarray(0, cut), line.subarray(cut)]), `cut at byte ${cut}`).toEqual(['é€😀 ok']);
    }
  });

  it.each([
    { name: 'an invalid byte', bytes: [0x61, 0xff, 0x62, 0x0a], expected: 'a\uFFFDb' },
    { name: 'a truncated sequence at the line end', bytes: [0x61, 0xe2, 0x82, 0x0a], expected: 'a\uFFFD' },
    { name: 'a lone continuation byte', bytes: [0x80, 0x61, 0x0a], expected: '\uFFFDa' },
  ])('decodes $name as U+FFFD without throwing', ({ bytes, expected }) => {
    expect(texts([Buffer.from(bytes)])).toEqual([expected]);
  });

  it('decodes an invalid sequence split across chunks as U+FFFD and keeps the next line intact', () => {
    expect(texts([Buffer.from([0x61, 0xe2]), Buffer.from([0x28, 0x0a, 0x62, 0x0a])])).toEqual(['a\uFFFD(', 'b']);
  });

  it('copies what it keeps so that the caller may reuse its chunk buffer', () => {
    const splitter = new LineSplitter();
    const chunk = Buffer.from('partial');
    splitter.push(chunk);
    chunk.fill(0x78);
    expect(splitter.push(Buffer.from('\n'))).toEqual([{ text: 'partial', truncated: false }]);
  });

  it.each([
    { name: 'in one chunk', chunks: ['x'.repeat(100) + '\n'] },
    { name: 'over several chunks', chunks: ['x'.repeat(10), 'x'.repeat(50), 'x'.repeat(40), '\n'] },
  ])('cuts a line longer than the limit and counts the dropped bytes $name', ({ chunks }) => {
    expect(split([...chunks, 'next\n'], 16)).toEqual([
      { text: 'x'.repeat(16) + truncationMarker(84), truncated: true },
      { text: 'next', truncated: false },
    ]);
  });

  it('cuts a long line at a character boundary', () => {
    // 'é' is 2 bytes: a limit of 15 keeps 7 characters (14 bytes) rather than half of the 8th.
    expect(split(['é'.repeat(20) + '\n'], 15)).toEqual([{ text: 'é'.repeat(7) + truncationMarker(26), truncated: true }]);
  });

  it('keeps at most the limit in memory for an endless line without newline', () => {
    const splitter = new LineSplitter({ maxLineBytes: 1024 });
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    for (let i = 0; i < 160; i++) {
      expect(splitter.push(chunk)).toEqual([]);
      expect(splitter.bufferedBytes).toBeLessThanOrEqual(1024);
    }
    const [line] = splitter.push(Buffer.from('\n'));
    expect(line).toEqual({ text: 'a'.repeat(1024) + truncationMarker(160 * 64 * 1024 - 1024), truncated: true });
  });

  it('keeps memory bounded for a progress bar redrawn forever without newline', () => {
    const splitter = new LineSplitter({ maxLineBytes: 1024 });
    for (let i = 0; i < 10_000; i++) {
      splitter.push(Buffer.from(`\rstep ${i}/10000 ${'#'.repeat(i % 50)}`));
      expect(splitter.bufferedBytes).toBeLessThan(100);
    }
    expect(splitter.end()).toEqual([{ text: `step 9999/10000 ${'#'.repeat(49)}`, truncated: false }]);
  });

  it('starts a truncated line afresh after a CR redraw', () => {
    expect(split(['y'.repeat(50) + '\rshort\n'], 16)).toEqual([{ text: 'short', truncated: false }]);
  });

  it('defaults the limit to DEFAULT_MAX_LINE_BYTES', () => {
    expect(new LineSplitter().maxLineBytes).toBe(DEFAULT_MAX_LINE_BYTES);
    const [line] = split(['z'.repeat(DEFAULT_MAX_LINE_BYTES + 5) + '\n']);
    expect(line.text).toBe('z'.repeat(DEFAULT_MAX_LINE_BYTES) + truncationMarker(5));
  });

  it.each([0, 3, 1.5, Number.NaN])('rejects maxLineBytes %s', (maxLineBytes) => {
    expect(() => new LineSplitter({ maxLineBytes })).toThrow(RangeError);
  });

  it('splits a large stream of short lines quickly', () => {
    const lines = 200_000;
    const data = Buffer.from('INFO:trainer:batch 12 processed with loss=0.4123 and some padding text to ~100 bytes ok\n'.repeat(lines));
    const splitter = new LineSplitter();
    const started = performance.now();
    let count = 0;
    for (let offset = 0; offset < data.length; offset += 65_536) count += splitter.push(data.subarray(offset, offset + 65_536)).length;
    // About 30 ms here; the bound leaves room for slow CI machines while catching per-byte loops.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(count).toBe(lines);
  });
});
