import { describe, expect, it } from 'vitest';
import { copyChunkRows, copyMetricRows, uuidBytes } from '../../src/logs/copy-binary.ts';
import { encodeChunks } from '../../src/logs/log-chunk.ts';

const JOB = '0b8f6a52-3c1d-4e7f-9a2b-5c6d7e8f9a0b';
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** Reads rows back from PostgreSQL's binary COPY format: per row, each field's bytes (null for NULL). */
function parseCopy(buffer: Buffer): (Buffer | null)[][] {
  expect(buffer.subarray(0, SIGNATURE.length)).toEqual(SIGNATURE);
  expect(buffer.readInt32BE(SIGNATURE.length)).toBe(0);
  expect(buffer.readInt32BE(SIGNATURE.length + 4)).toBe(0);
  let at = SIGNATURE.length + 8;
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = buffer.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const length = buffer.readInt32BE(at);
      at += 4;
      row.push(length === -1 ? null : buffer.subarray(at, (at += length)));
    }
    rows.push(row);
  }
  expect(at).toBe(buffer.length);
  return rows;
}

describe('binary COPY rows', () => {
  it("writes a chunk's fields in the columns' binary forms and its bytes as they are", () => {
    const time = new Date('2026-12-01T10:00:00.000Z');
    const chunks = encodeChunks([
      { seq: 7, stream: 'STDOUT', level: 'INFO', text: 'ünïcødé 😀', time },
      { seq: 8, stream: 'STDERR', level: 'ERROR', text: 'boom', time },
    ]);
    const rows = parseCopy(copyChunkRows(JOB, chunks));
    expect(rows).toHaveLength(1);
    const [job, fromSeq, toSeq, lines, levels, data] = rows[0];
    expect(job!.toString('hex')).toBe(JOB.replace(/-/g, ''));
    expect([fromSeq, toSeq, lines, levels].map((b) => b!.readInt32BE(0))).toEqual([7, 8, 2, 2 | 8]);
    expect(data).toEqual(chunks[0].bytes);
  });

  it('writes metric points with NULL for a missing step or epoch and times as microseconds since 2000', () => {
    const time = new Date('2026-12-01T10:00:00.123Z');
    const rows = parseCopy(
      copyMetricRows(JOB, [
        { seq: 3, name: 'val_loss', step: 1e21, epoch: null, value: 5e-5, time },
        { seq: 4, name: 'ünï', step: null, epoch: 0.5, value: -Infinity, time: new Date(Date.UTC(2000, 0, 1)) },
      ]),
    );
    expect(rows.map((r) => r.length)).toEqual([7, 7]);
    const [first, second] = rows;
    expect(first[1]!.readInt32BE(0)).toBe(3);
    expect(first[2]!.toString('utf8')).toBe('val_loss');
    expect(first[3]!.readDoubleBE(0)).toBe(1e21);
    expect(first[4]).toBeNull();
    expect(first[5]!.readDoubleBE(0)).toBe(5e-5);
    expect(first[6]!.readBigInt64BE(0)).toBe(BigInt(time.getTime() - Date.UTC(2000, 0, 1)) * 1000n);
    expect(second[2]!.toString('utf8')).toBe('ünï');
    expect(second[3]).toBeNull();
    expect(second[4]!.readDoubleBE(0)).toBe(0.5);
    expect(second[5]!.readDoubleBE(0)).toBe(-Infinity);
    expect(second[6]!.readBigInt64BE(0)).toBe(0n);
  });

  it('writes into a buffer it is given, larger than the rows, and returns exactly the rows', () => {
    const time = new Date('2026-12-01T10:00:00.000Z');
    const chunks = encodeChunks([{ seq: 1, stream: 'STDOUT', level: 'INFO', text: 'reused', time }]);
    const exact = copyChunkRows(JOB, chunks);
    const big = Buffer.alloc(exact.length + 1_000, 0x55);
    const rows = copyChunkRows(JOB, chunks, () => big);
    expect(rows).toEqual(exact);
    expect(rows.buffer).toBe(big.buffer);
    expect(() => copyChunkRows(JOB, chunks, () => Buffer.alloc(exact.length - 1))).toThrow(/COPY buffer of/);
  });

  it('writes an empty set of rows as the header and trailer alone', () => {
    expect(parseCopy(copyMetricRows(JOB, []))).toEqual([]);
    expect(parseCopy(copyChunkRows(JOB, []))).toEqual([]);
  });

  it('refuses what the columns cannot hold', () => {
    const time = new Date();
    expect(() => uuidBytes('not-a-uuid')).toThrow(RangeError);
    expect(() => copyMetricRows('../etc/passwd', [])).toThrow(/not a UUID/);
    expect(() => copyMetricRows(JOB, [{ seq: 2 ** 31, name: 'x', step: null, epoch: null, value: 1, time }])).toThrow(/32-bit integer/);
    expect(() => copyMetricRows(JOB, [{ seq: 1, name: 'x', step: null, epoch: null, value: 1, time: new Date(Number.NaN) }])).toThrow(/invalid time/);
  });
});
