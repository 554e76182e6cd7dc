/**
 * The on-disk container of a saved text index: a small versioned binary format of typed-array
 * sections, with a CRC-32 over everything after the header.
 *
 * Layout (all integers little-endian):
 * ```
 * 0   8 bytes  magic "SOUKTIX\0"
 * 8   u32      format version ({@link INDEX_FORMAT_VERSION})
 * 12  u32      CRC-32 (IEEE) of bytes [24, end)
 * 16  u64      total length in bytes (f64-safe integer, stored as two u32: low, high)
 * 24  u32      section count
 *     then per section: u8 kind (0 JSON, 1 Int32, 2 Uint8, 3 Uint16, 4 Float64), 3 bytes zero,
 *                       u32 byte length, payload, zero padding to a multiple of 8
 * ```
 * Typed-array payloads are 8-byte aligned, so a loader views them in place without copying.
 * @packageDocumentation
 */
import { RetrievalError } from './errors.js';

/** Version of the saved-index format; a file of another version is refused with `ERR_CORRUPT_INDEX`. */
export const INDEX_FORMAT_VERSION = 1;
const MAGIC = [0x53, 0x4f, 0x55, 0x4b, 0x54, 0x49, 0x58, 0x00];
const HEADER_BYTES = 28;

/** One section of a saved index. */
export type Section = { kind: 'json'; value: unknown } | Int32Array | Uint8Array | Uint16Array | Float64Array;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE 802.3) of bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function kindOf(section: Section): number {
  if (section instanceof Int32Array) return 1;
  if (section instanceof Uint8Array) return 2;
  if (section instanceof Uint16Array) return 3;
  if (section instanceof Float64Array) return 4;
  return 0;
}

/** Serialises sections into one buffer (header, sections, checksum). */
export function encodeSections(sections: readonly Section[]): Uint8Array {
  const encoder = new TextEncoder();
  const payloads = sections.map((s) => {
    const kind = kindOf(s);
    const bytes = ArrayBuffer.isView(s) ? new Uint8Array(s.buffer, s.byteOffset, s.byteLength) : encoder.encode(JSON.stringify(s.value));
    return { kind, bytes };
  });
  let total = HEADER_BYTES;
  for (const p of payloads) total += 8 + p.bytes.length + pad(p.bytes.length);
  // Sections start after the header, aligned to 8: the header is 28 bytes, so pad 4 first.
  total += 4;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  view.setUint32(8, INDEX_FORMAT_VERSION, true);
  view.setUint32(16, total >>> 0, true);
  view.setUint32(20, Math.floor(total / 2 ** 32), true);
  view.setUint32(24, sections.length, true);
  let offset = HEADER_BYTES + 4;
  for (const p of payloads) {
    out[offset] = p.kind;
    view.setUint32(offset + 4, p.bytes.length, true);
    offset += 8;
    out.set(p.bytes, offset);
    offset += p.bytes.length + pad(p.bytes.length);
  }
  view.setUint32(12, crc32(out.subarray(24)), true);
  return out;
}

function pad(length: number): number {
  return (8 - (length % 8)) % 8;
}

function corrupt(reason: string): RetrievalError {
  return new RetrievalError('ERR_CORRUPT_INDEX', `Expected a saved Souk text index for file but received ${reason}`);
}

/**
 * Parses and verifies a buffer written by {@link encodeSections}. Typed-array sections are views
 * into `bytes` when it is 8-byte aligned (copies otherwise). Throws `ERR_CORRUPT_INDEX` for a bad
 * magic, version, length or checksum, or a malformed section.
 */
export function decodeSections(bytes: Uint8Array): Section[] {
  if (!(bytes instanceof Uint8Array)) throw corrupt('a value that is not bytes');
  if (bytes.length < HEADER_BYTES + 4) throw corrupt(`${bytes.length} bytes (too short for the header)`);
  for (let i = 0; i < MAGIC.length; i++) if (bytes[i] !== MAGIC[i]) throw corrupt('a file without the SOUKTIX magic');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== INDEX_FORMAT_VERSION) throw corrupt(`format version ${version} (this build reads version ${INDEX_FORMAT_VERSION})`);
  const total = view.getUint32(16, true) + view.getUint32(20, true) * 2 ** 32;
  if (total !== bytes.length) throw corrupt(`${bytes.length} bytes where the header says ${total} (truncated or padded)`);
  const expectedCrc = view.getUint32(12, true);
  const actualCrc = crc32(bytes.subarray(24));
  if (expectedCrc !== actualCrc) throw corrupt(`a checksum mismatch (stored ${expectedCrc.toString(16)}, computed ${actualCrc.toString(16)})`);
  const count = view.getUint32(24, true);
  const aligned = bytes.byteOffset % 8 === 0;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const sections: Section[] = [];
  let offset = HEADER_BYTES + 4;
  for (let s = 0; s < count; s++) {
    if (offset + 8 > bytes.length) throw corrupt(`a section table that runs past the end (section ${s})`);
    const kind = bytes[offset]!;
    const length = view.getUint32(offset + 4, true);
    offset += 8;
    if (offset + length > bytes.length) throw corrupt(`section ${s} running past the end`);
    const raw = bytes.subarray(offset, offset + length);
    const source = aligned ? raw : raw.slice();
    const at = source.byteOffset;
    switch (kind) {
      case 0:
        try {
          sections.push({ kind: 'json', value: JSON.parse(decoder.decode(raw)) });
        } catch (cause) {
          throw new RetrievalError('ERR_CORRUPT_INDEX', `Expected JSON in section ${s} of a saved index but it did not parse`, { cause });
        }
        break;
      case 1:
        if (length % 4) throw corrupt(`an Int32 section of ${length} bytes`);
        sections.push(new Int32Array(source.buffer, at, length / 4));
        break;
      case 2:
        sections.push(new Uint8Array(source.buffer, at, length));
        break;
      case 3:
        if (length % 2) throw corrupt(`a Uint16 section of ${length} bytes`);
        sections.push(new Uint16Array(source.buffer, at, length / 2));
        break;
      case 4:
        if (length % 8) throw corrupt(`a Float64 section of ${length} bytes`);
        sections.push(new Float64Array(source.buffer, at, length / 8));
        break;
      default:
        throw corrupt(`an unknown section kind ${kind}`);
    }
    offset += length + pad(length);
  }
  return sections;
}
