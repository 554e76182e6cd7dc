/**
 * The safetensors format, written and read here (no dependency): an 8-byte little-endian
 * unsigned header length N, N bytes of JSON header — `{name: {dtype, shape, data_offsets: [begin,
 * end]}, "__metadata__": {string: string}}`, offsets relative to the end of the header — then the
 * raw little-endian tensor bytes. The header is padded with spaces to a multiple of 8 bytes so
 * every tensor starts aligned. numpy (`np.frombuffer`), PyTorch and the `safetensors` package read
 * these files.
 * @packageDocumentation
 */
import { ModelError } from './errors.js';

/** Tensor element types written here. */
export type TensorDtype = 'F32' | 'F64' | 'I32';

/** A tensor to write or as read: a typed array and its shape (row-major). */
export interface Tensor {
  /** Element type. */
  readonly dtype: TensorDtype;
  /** Dimensions; their product is `data.length`. */
  readonly shape: readonly number[];
  /** Values. */
  readonly data: Float32Array | Float64Array | Int32Array;
}

const BYTES: Record<TensorDtype, number> = { F32: 4, F64: 8, I32: 4 };

function dtypeOf(data: Tensor['data']): TensorDtype {
  if (data instanceof Float32Array) return 'F32';
  if (data instanceof Float64Array) return 'F64';
  return 'I32';
}

/** A tensor over `data` with `shape` (a vector when omitted). */
export function tensor(data: Tensor['data'], shape?: readonly number[]): Tensor {
  return { dtype: dtypeOf(data), shape: shape ?? [data.length], data };
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function bytesOf(t: Tensor): Uint8Array {
  const raw = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  if (littleEndian) return raw;
  const out = new Uint8Array(raw.length);
  const w = BYTES[t.dtype];
  for (let i = 0; i < raw.length; i += w) for (let b = 0; b < w; b++) out[i + b] = raw[i + w - 1 - b]!;
  return out;
}

/** Serialises tensors (in the given key order) and string metadata into one safetensors buffer. */
export function encodeSafetensors(tensors: Record<string, Tensor>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  const parts: Uint8Array[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length || t.dtype !== dtypeOf(t.data)) throw new ModelError('ERR_ARGUMENT', `Expected tensor ${name} of shape [${t.shape}] to hold ${count} ${t.dtype} values but received ${t.data.length}`);
    const bytes = bytesOf(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  const headerBytes = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (headerBytes % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** What {@link decodeSafetensors} returns. */
export interface DecodedSafetensors {
  /** Tensors by name (copies: aligned and independent of the buffer). */
  readonly tensors: Record<string, Tensor>;
  /** The `__metadata__` map (empty when absent). */
  readonly metadata: Record<string, string>;
}

function corrupt(why: string): ModelError {
  return new ModelError('ERR_CORRUPT_FILE', `Expected a safetensors file but ${why}`);
}

/**
 * Parses a safetensors buffer, checking every structural rule: header length within the file,
 * JSON header, known dtypes, shapes matching byte ranges, ranges inside the data and neither
 * overlapping nor leaving holes. Throws `ERR_CORRUPT_FILE` on any violation.
 */
export function decodeSafetensors(buf: Uint8Array): DecodedSafetensors {
  if (buf.length < 8) throw corrupt(`the file has ${buf.length} bytes, fewer than the 8-byte header length`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(buf.length - 8) || n > 100_000_000n) throw corrupt(`the header length ${n} exceeds the file (${buf.length} bytes)`);
  const headerLength = Number(n);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(buf.buffer, buf.byteOffset + 8, headerLength).toString('utf8')) as Record<string, unknown>;
  } catch (e) {
    throw corrupt(`the header is not JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw corrupt('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: Record<string, Tensor> = {};
  const ranges: Array<[number, number]> = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) throw corrupt('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw corrupt(`metadata ${k} is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32' && e.dtype !== 'F64' && e.dtype !== 'I32') throw corrupt(`tensor ${name} has dtype ${JSON.stringify(e.dtype)} (F32, F64 or I32 expected)`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) throw corrupt(`tensor ${name} has no valid shape`);
    if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2 || !e.data_offsets.every((d) => Number.isInteger(d) && d >= 0)) throw corrupt(`tensor ${name} has no valid data_offsets`);
    const [begin, end] = e.data_offsets as [number, number];
    const count = (e.shape as number[]).reduce((a, b) => a * b, 1);
    if (end < begin || end > dataLength || end - begin !== count * BYTES[e.dtype]) throw corrupt(`tensor ${name}'s byte range [${begin}, ${end}) does not fit its shape [${e.shape}] or the file`);
    ranges.push([begin, end]);
    // A copy: aligned for the typed array (Buffer#slice would be an unaligned view).
    const bytes = new Uint8Array(end - begin);
    bytes.set(buf.subarray(dataStart + begin, dataStart + end));
    if (!littleEndian) {
      const w = BYTES[e.dtype];
      for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
    }
    const data = e.dtype === 'F32' ? new Float32Array(bytes.buffer, bytes.byteOffset, count) : e.dtype === 'F64' ? new Float64Array(bytes.buffer, bytes.byteOffset, count) : new Int32Array(bytes.buffer, bytes.byteOffset, count);
    tensors[name] = { dtype: e.dtype, shape: e.shape as number[], data };
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [b, e] of ranges) {
    if (b !== covered) throw corrupt(`tensor byte ranges overlap or leave a hole at byte ${covered}`);
    covered = e;
  }
  if (covered !== dataLength) throw corrupt(`${dataLength - covered} bytes after the last tensor`);
  return { tensors, metadata };
}
