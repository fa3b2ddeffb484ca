import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import onnxProto from 'onnx-proto';
import { errorMessage } from './errors.ts';

const { onnx } = onnxProto;

/** What a model file really is, whatever its name claims. */
export type ModelFileFormat =
  | 'ONNX'
  | 'TFLITE'
  | 'GIT_LFS_POINTER'
  | 'HTML'
  | 'EMPTY'
  | 'TRUNCATED_OR_CORRUPT'
  | 'UNKNOWN'
  | 'MISSING';

/** One graph input or output; symbolic dimensions stay strings, unknown ones are `'?'`. */
export interface TensorInfo {
  name: string;
  type: string;
  shape: (number | string)[];
}

export interface OnnxSummary {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: string;
  /** Absent when the file is too large to decode in-process (see `maxDecodeBytes`). */
  inputs?: TensorInfo[];
  outputs?: TensorInfo[];
}

export interface ModelFileReport {
  path: string;
  exists: boolean;
  size: number | null;
  modifiedAt: Date | null;
  sha256: string | null;
  firstBytesHex: string | null;
  format: ModelFileFormat;
  /** One sentence a person can act on: what the file is and, when broken, what is wrong. */
  description: string;
  /** What a Git LFS pointer claims the real file is. */
  lfsPointer?: { oid: string | null; size: number | null };
  onnx?: OnnxSummary;
}

export interface InspectOptions {
  /** Size or digest the file should have (e.g. from a Hub listing); a shortfall reads as a truncated download. */
  expected?: { size?: number; sha256?: string };
  /** Above this size the ONNX graph is only walked at the top level, not decoded (memory). Default 256 MiB. */
  maxDecodeBytes?: number;
}

const HEAD_BYTES = 1024;
const LFS_MAGIC = 'version https://git-lfs.github.com/spec/v1';
const DEFAULT_MAX_DECODE_BYTES = 256 * 1024 * 1024;

/**
 * Describes a model file exactly: size, digest, first bytes and what the bytes really are (a valid ONNX
 * model, a TFLite flatbuffer, a Git LFS pointer, an HTML error page, ...). Never throws; a file that
 * cannot be read is reported as such. The digest is computed streaming so large files cost no memory.
 */
export async function inspectModelFile(path: string, options: InspectOptions = {}): Promise<ModelFileReport> {
  const blank = { path, size: null, modifiedAt: null, sha256: null, firstBytesHex: null };
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      ...blank,
      exists: false,
      format: 'MISSING',
      description: missing ? `no file at ${path}` : `cannot stat ${path}: ${errorMessage(error)}`,
    };
  }
  if (!info.isFile()) {
    return { ...blank, exists: true, format: 'UNKNOWN', description: `${path} is not a regular file (a directory?)` };
  }
  const base = { path, exists: true, size: info.size, modifiedAt: info.mtime };
  if (info.size === 0) {
    return { ...base, sha256: sha256Of(Buffer.alloc(0)), firstBytesHex: '', format: 'EMPTY', description: 'the file is empty (0 bytes): an interrupted download or a placeholder' };
  }
  const maxDecode = options.maxDecodeBytes ?? DEFAULT_MAX_DECODE_BYTES;
  try {
    // Small files are read once and everything works from memory; large ones are hashed streaming and walked by offset.
    const whole = info.size <= maxDecode ? await readFile(path) : null;
    const reader: ByteReader = whole ? bufferReader(whole) : await fileReader(path);
    try {
      const head = await reader.read(0, HEAD_BYTES);
      const sha256 = whole ? sha256Of(whole) : await sha256OfFile(path);
      const report: ModelFileReport = {
        ...base,
        sha256,
        firstBytesHex: head.subarray(0, 16).toString('hex'),
        ...(await classify(head, info.size, reader, whole)),
      };
      return checkExpected(report, options.expected);
    } finally {
      await reader.close();
    }
  } catch (error) {
    return { ...base, sha256: null, firstBytesHex: null, format: 'UNKNOWN', description: `cannot read ${path}: ${errorMessage(error)}` };
  }
}

type Classification = Pick<ModelFileReport, 'format' | 'description' | 'lfsPointer' | 'onnx'>;

async function classify(head: Buffer, size: number, reader: ByteReader, whole: Buffer | null): Promise<Classification> {
  const text = head.toString('latin1');
  if (text.startsWith(LFS_MAGIC)) return describeLfsPointer(text, size);
  if (head.length >= 8 && head.toString('latin1', 4, 8) === 'TFL3') {
    return {
      format: 'TFLITE',
      description: 'a TensorFlow Lite flatbuffer ("TFL3" at offset 4), not ONNX: onnxruntime cannot load it; export the model to ONNX',
    };
  }
  const html = describeHtml(text);
  if (html) return { format: 'HTML', description: html };

  const walk = await walkProtobuf(reader, size);
  if (walk.problem) {
    // Every ONNX exporter writes ir_version (field 1, varint: tag 0x08) first, so that byte separates a damaged
    // model from a file that never was one.
    if (head[0] === 0x08) return { format: 'TRUNCATED_OR_CORRUPT', description: `a damaged ONNX model: ${walk.problem}` };
    return { format: 'UNKNOWN', description: unknownDescription(head) };
  }
  if (!walk.fields.has(7) || !walk.fields.has(8)) {
    if (head[0] === 0x08) {
      const missing = [!walk.fields.has(7) && 'graph', !walk.fields.has(8) && 'opset_import'].filter(Boolean).join(' and ');
      return { format: 'TRUNCATED_OR_CORRUPT', description: `a protobuf that starts like ONNX but has no ${missing}` };
    }
    return { format: 'UNKNOWN', description: unknownDescription(head) };
  }
  if (!whole) {
    return { format: 'ONNX', description: `a structurally valid ONNX model (${size} bytes; too large to decode in-process for input/output details)` };
  }
  try {
    const model = onnx.ModelProto.decode(whole);
    const summary = summarise(model);
    return {
      format: 'ONNX',
      description: `a valid ONNX model (IR ${summary.irVersion}, opset ${summary.opsets.map((o) => `${o.domain || 'ai.onnx'} ${o.version}`).join(', ')}${summary.producer ? `, produced by ${summary.producer}` : ''})`,
      onnx: summary,
    };
  } catch (error) {
    return { format: 'TRUNCATED_OR_CORRUPT', description: `a damaged ONNX model: its graph does not decode (${errorMessage(error)})` };
  }
}

function describeLfsPointer(text: string, size: number): Classification {
  const oid = /^oid sha256:([0-9a-f]{64})$/m.exec(text)?.[1] ?? null;
  const claimed = /^size (\d+)$/m.exec(text)?.[1];
  const claimedSize = claimed === undefined ? null : Number(claimed);
  return {
    format: 'GIT_LFS_POINTER',
    description:
      `a Git LFS pointer (${size} bytes) standing in for the real file` +
      (claimedSize !== null ? ` of ${claimedSize} bytes` : '') +
      (oid ? ` (oid sha256:${oid})` : '') +
      ': the model was never fetched; run `git lfs pull` or download it through the Hub',
    lfsPointer: { oid, size: claimedSize },
  };
}

function describeHtml(text: string): string | null {
  const start = text.replace(/^\uFEFF|^\xEF\xBB\xBF/, '').trimStart().toLowerCase();
  if (!start.startsWith('<')) return null;
  if (!/^<!doctype html|^<html|<html[\s>]|<head[\s>]|<body[\s>]/.test(start)) return null;
  const title = /<title[^>]*>([^<]*)</i.exec(text)?.[1]?.trim();
  return `an HTML page${title ? ` titled "${title}"` : ''}, not a model: a download saved an error or login page`;
}

/** Other files that get saved as `model.onnx` by mistake, recognised so the report can name them. */
const OTHER_FORMATS: { test: (head: Buffer) => boolean; what: string }[] = [
  { test: (h) => h.toString('latin1', 0, 4) === 'PK\x03\x04', what: 'a ZIP archive (a PyTorch .pt checkpoint or a zipped export?)' },
  { test: (h) => h.toString('latin1', 0, 4) === '\x89HDF', what: 'an HDF5 file (a Keras .h5 model?)' },
  { test: (h) => h[0] === 0x1f && h[1] === 0x8b, what: 'a gzip archive' },
  { test: (h) => h[0] === 0x80 && h[1]! >= 2 && h[1]! <= 5, what: 'a Python pickle (a PyTorch or scikit-learn model?)' },
  // safetensors: an 8-byte little-endian header length, then the JSON header.
  { test: (h) => h.length > 9 && h.readUInt32LE(4) === 0 && h[8] === 0x7b, what: 'a safetensors file' },
];

function unknownDescription(head: Buffer): string {
  const other = OTHER_FORMATS.find((f) => f.test(head));
  if (other) return `not an ONNX model: ${other.what}`;
  const sample = head.subarray(0, 64);
  const printable = sample.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127));
  if (printable) return `not a model: a text file starting with ${JSON.stringify(sample.toString('latin1').slice(0, 40))}`;
  return 'not a model format this server recognises (neither ONNX, TFLite, a Git LFS pointer nor HTML)';
}

function checkExpected(report: ModelFileReport, expected: InspectOptions['expected']): ModelFileReport {
  if (!expected || report.format === 'GIT_LFS_POINTER' || report.size === null) return report;
  if (expected.size !== undefined && report.size < expected.size) {
    return { ...report, format: 'TRUNCATED_OR_CORRUPT', description: `a truncated download: ${report.size} of the ${expected.size} bytes expected` };
  }
  if (expected.sha256 && report.sha256 && expected.sha256.toLowerCase() !== report.sha256) {
    return { ...report, format: 'TRUNCATED_OR_CORRUPT', description: `a corrupt copy: sha256 ${report.sha256} differs from the expected ${expected.sha256}` };
  }
  return report;
}

// --- protobuf top level --------------------------------------------------------------------------

interface ByteReader {
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

function bufferReader(buffer: Buffer): ByteReader {
  return { read: async (offset, length) => buffer.subarray(offset, offset + length), close: async () => {} };
}

async function fileReader(path: string): Promise<ByteReader> {
  const handle = await open(path, 'r');
  return {
    async read(offset, length) {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    },
    close: () => handle.close(),
  };
}

const MODEL_FIELDS: Record<number, string> = { 1: 'ir_version', 2: 'producer_name', 3: 'producer_version', 7: 'graph', 8: 'opset_import', 14: 'metadata_props', 25: 'functions' };

/**
 * Walks the top-level fields of a protobuf without decoding their contents, so that a file cut short is
 * described exactly (which field runs past the end) and a file of any size costs a handful of reads.
 */
async function walkProtobuf(reader: ByteReader, size: number): Promise<{ fields: Set<number>; problem?: string }> {
  const fields = new Set<number>();
  let pos = 0;
  while (pos < size) {
    const chunk = await reader.read(pos, 20);
    const tag = readVarint(chunk, 0);
    if (!tag) return { fields, problem: `the file ends inside a field tag at offset ${pos}` };
    const fieldNo = Math.floor(tag.value / 8);
    const wireType = tag.value % 8;
    if (fieldNo === 0 || ![0, 1, 2, 5].includes(wireType)) {
      return { fields, problem: `invalid protobuf field (number ${fieldNo}, wire type ${wireType}) at offset ${pos}` };
    }
    let next = pos + tag.length;
    if (wireType === 0) {
      const value = readVarint(chunk, tag.length);
      if (!value) return { fields, problem: `the file ends inside field ${fieldLabel(fieldNo)} at offset ${pos}` };
      next += value.length;
    } else if (wireType === 1 || wireType === 5) {
      next += wireType === 1 ? 8 : 4;
    } else {
      const length = readVarint(chunk, tag.length);
      if (!length) return { fields, problem: `the file ends inside the length of field ${fieldLabel(fieldNo)} at offset ${pos}` };
      next += length.length + length.value;
    }
    if (next > size) {
      return {
        fields,
        problem: `field ${fieldLabel(fieldNo)} at offset ${pos} needs the file to be at least ${next} bytes, but it has ${size}: the file is truncated`,
      };
    }
    fields.add(fieldNo);
    pos = next;
  }
  return { fields };
}

function fieldLabel(fieldNo: number): string {
  return MODEL_FIELDS[fieldNo] ? `${fieldNo} (${MODEL_FIELDS[fieldNo]})` : String(fieldNo);
}

/** Reads a base-128 varint; `null` when the bytes end first. Uses floats so values past 2^32 stay right. */
function readVarint(bytes: Buffer, offset: number): { value: number; length: number } | null {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    scale *= 128;
    if ((bytes[i]! & 0x80) === 0) return { value, length: i - offset + 1 };
  }
  return null;
}

// --- ONNX graph summary --------------------------------------------------------------------------

const ELEMENT_TYPES: Record<number, string> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};

type Decoded = ReturnType<typeof onnx.ModelProto.decode>;
type ValueInfo = NonNullable<NonNullable<Decoded['graph']>['input']>[number];

function summarise(model: Decoded): OnnxSummary {
  const graph = model.graph!;
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name));
  return {
    irVersion: toNumber(model.irVersion),
    opsets: (model.opsetImport ?? []).map((o) => ({ domain: o.domain ?? '', version: toNumber(o.version) })),
    producer: [model.producerName, model.producerVersion].filter(Boolean).join(' '),
    // Older exporters list weights among the inputs; a caller feeds only the others.
    inputs: (graph.input ?? []).filter((v) => !initializers.has(v.name ?? '')).map(tensorInfo),
    outputs: (graph.output ?? []).map(tensorInfo),
  };
}

function tensorInfo(value: ValueInfo): TensorInfo {
  const tensor = value.type?.tensorType;
  return {
    name: value.name ?? '',
    type: tensor ? (ELEMENT_TYPES[tensor.elemType ?? 0] ?? `type ${tensor.elemType}`) : 'non-tensor',
    shape: (tensor?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNumber(d.dimValue) : '?')),
  };
}

function toNumber(value: unknown): number {
  if (value && typeof value === 'object' && 'toNumber' in value) return (value as { toNumber(): number }).toNumber();
  return Number(value ?? 0);
}

function sha256Of(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
