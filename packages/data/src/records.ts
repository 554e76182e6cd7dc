/**
 * Streaming record readers: byte streams → records, in bounded memory.
 *
 * A record is one line (or, for CSV with `quotedNewlines`, one quoted multi-line record). No
 * record larger than `maxRowBytes` is ever held: an oversized record is skipped up to its end and
 * reported as an `ERR_ROW_TOO_LARGE` problem with its line number. Memory is bounded by
 * `maxRowBytes` plus one read chunk, whatever the size of the input.
 * @packageDocumentation
 */
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { isUtf8 } from 'node:buffer';
import { DataError, invalidArgument } from './errors.js';

/** Default largest record accepted, in bytes (1 MiB). */
export const DEFAULT_MAX_ROW_BYTES = 1 << 20;

/** A problem attached to one input record. */
export interface RecordProblem {
  /** Stable code: `ERR_ROW_TOO_LARGE`, `ERR_ENCODING`, `ERR_FORMAT` or `ERR_SCHEMA`. */
  readonly code: 'ERR_ROW_TOO_LARGE' | 'ERR_ENCODING' | 'ERR_FORMAT' | 'ERR_SCHEMA';
  /** Field at fault, or `''` for the whole record. */
  readonly field: string;
  /** Why the record was rejected. */
  readonly reason: string;
}

/** One physical record: its bytes, or the problem that prevented reading it. */
export interface ByteRecord {
  /** 1-based line number where the record starts. */
  readonly line: number;
  /** The record's bytes without the line terminator; absent when `problem` is set. */
  readonly bytes?: Buffer;
  /** Set when the record could not be read. */
  readonly problem?: RecordProblem;
  /** A short prefix of the raw record for the quarantine (at most 256 bytes). */
  readonly rawPrefix?: Buffer;
}

/** Options of {@link splitRecords}. */
export interface SplitOptions {
  /** Largest record accepted, in bytes. */
  readonly maxRowBytes?: number;
  /** When set (e.g. `"`), newlines inside quoted fields continue the record. */
  readonly quoteForNewlines?: string;
}

/** Where input comes from: a file path, or a named byte stream. */
export type DataSource =
  | string
  | { readonly path: string }
  | { readonly name: string; readonly stream: AsyncIterable<Uint8Array>; readonly size?: number };

/** Progress of a long-running read. */
export interface ProgressInfo {
  /** Source name. */
  readonly source: string;
  /** Bytes read from the source so far (compressed bytes for gzip input). */
  readonly bytesRead: number;
  /** Total bytes of the source when known. */
  readonly totalBytes: number | undefined;
  /** Records read so far. */
  readonly rows: number;
  /** Milliseconds since the read began. */
  readonly elapsedMs: number;
}

/** Called at most every `progressIntervalMs` during long reads. */
export type ProgressHook = (info: ProgressInfo) => void;

/** The display name of a source. */
export function sourceName(source: DataSource): string {
  if (typeof source === 'string') return source;
  if ('path' in source) return source.path;
  return source.name;
}

/** Opened source: raw bytes (possibly gzip-decoded) plus a byte counter. */
export interface OpenedSource {
  /** Display name. */
  readonly name: string;
  /** Total raw bytes when known. */
  readonly totalBytes: number | undefined;
  /** Decoded bytes. */
  readonly chunks: AsyncIterable<Buffer>;
  /** Raw bytes consumed so far. */
  bytesRead(): number;
}

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/**
 * Opens a source for streaming. Gzip input is detected by its magic bytes and decoded on the fly.
 * A gzip stream that is corrupt or truncated ends the chunk sequence with a `DataError`
 * (`ERR_FORMAT`) thrown from the iterator; {@link splitRecords} turns it into a record problem.
 */
export function openSource(source: DataSource, chunkBytes = 1 << 20): OpenedSource {
  const name = sourceName(source);
  let raw: AsyncIterable<Uint8Array>;
  let totalBytes: number | undefined;
  if (typeof source === 'string' || 'path' in source) {
    const path = typeof source === 'string' ? source : source.path;
    try {
      totalBytes = statSync(path).size;
    } catch (cause) {
      throw new DataError('ERR_IO', `Expected a readable file for source but received ${JSON.stringify(path)}`, { cause });
    }
    raw = createReadStream(path, { highWaterMark: chunkBytes });
  } else {
    if (!source.stream || typeof (source.stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
      throw invalidArgument('an async iterable of bytes', 'source.stream', source.stream);
    }
    raw = source.stream;
    totalBytes = source.size;
  }
  let counted = 0;
  async function* countedRaw(): AsyncGenerator<Buffer> {
    for await (const chunk of raw) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      counted += buf.length;
      yield buf;
    }
  }
  async function* decoded(): AsyncGenerator<Buffer> {
    const it = countedRaw();
    const first = await it.next();
    if (first.done) return;
    const head = first.value;
    if (head.length >= 2 && head[0] === GZIP_MAGIC_0 && head[1] === GZIP_MAGIC_1) {
      async function* rest(): AsyncGenerator<Buffer> {
        yield head;
        yield* it;
      }
      const gunzip = createGunzip();
      const piped = Readable.from(rest()).pipe(gunzip);
      try {
        for await (const chunk of piped) yield chunk as Buffer;
      } catch (cause) {
        throw new DataError('ERR_FORMAT', `Expected a complete gzip stream for source but received a corrupt or truncated one (${(cause as Error).message})`, { cause });
      }
    } else {
      yield head;
      yield* it;
    }
  }
  return { name, totalBytes, chunks: decoded(), bytesRead: () => counted };
}

const LF = 0x0a;
const CR = 0x0d;

function stripCr(buf: Buffer): Buffer {
  return buf.length > 0 && buf[buf.length - 1] === CR ? buf.subarray(0, buf.length - 1) : buf;
}

function countByte(buf: Buffer, byte: number, start: number, end: number): number {
  let n = 0;
  let at = buf.indexOf(byte, start);
  while (at !== -1 && at < end) {
    n++;
    at = buf.indexOf(byte, at + 1);
  }
  return n;
}

/**
 * Splits a byte stream into records, yielding them in batches (one batch per input chunk).
 * Blank records are skipped (their lines still count). Never holds more than `maxRowBytes` of
 * one record; oversized records are reported, not returned.
 */
export async function* splitRecords(chunks: AsyncIterable<Buffer>, options: SplitOptions = {}): AsyncGenerator<ByteRecord[]> {
  const maxRowBytes = options.maxRowBytes ?? DEFAULT_MAX_ROW_BYTES;
  if (!Number.isInteger(maxRowBytes) || maxRowBytes < 1) throw invalidArgument('a positive integer', 'maxRowBytes', maxRowBytes);
  const quote = options.quoteForNewlines ? options.quoteForNewlines.charCodeAt(0) : -1;
  let pending: Buffer[] = [];
  let pendingLen = 0;
  let quoteParity = 0;
  let overflowBytes = -1; // ≥ 0 while skipping an oversized record
  let overflowPrefix: Buffer | undefined;
  let nextLine = 1;
  let recordLine = 1;

  const tooLarge = (line: number, size: number, prefix: Buffer | undefined): ByteRecord => ({
    line,
    problem: {
      code: 'ERR_ROW_TOO_LARGE',
      field: '',
      reason: `Expected a record of at most ${maxRowBytes} bytes but received one of ${size} bytes or more`,
    },
    rawPrefix: prefix,
  });

  const iterator = chunks[Symbol.asyncIterator]();
  for (;;) {
    let chunk: Buffer;
    try {
      const next = await iterator.next();
      if (next.done) break;
      chunk = next.value;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const out: ByteRecord[] = [];
      if (overflowBytes >= 0) out.push(tooLarge(recordLine, overflowBytes, overflowPrefix));
      out.push({ line: recordLine, problem: { code: 'ERR_FORMAT', field: '', reason } });
      yield out;
      return;
    }
    const out: ByteRecord[] = [];
    let pos = 0;
    const length = chunk.length;
    while (pos < length) {
      const newline = chunk.indexOf(LF, pos);
      const end = newline === -1 ? length : newline;
      if (overflowBytes >= 0) {
        overflowBytes += end - pos;
        if (newline === -1) {
          pos = length;
          break;
        }
        out.push(tooLarge(recordLine, overflowBytes, overflowPrefix));
        overflowBytes = -1;
        overflowPrefix = undefined;
        nextLine++;
        recordLine = nextLine;
        pos = newline + 1;
        continue;
      }
      if (pendingLen + (end - pos) > maxRowBytes) {
        overflowPrefix = Buffer.from((pending[0] ?? chunk.subarray(pos, end)).subarray(0, 256));
        overflowBytes = pendingLen + (end - pos);
        pending = [];
        pendingLen = 0;
        quoteParity = 0;
        if (newline === -1) {
          pos = length;
          break;
        }
        out.push(tooLarge(recordLine, overflowBytes, overflowPrefix));
        overflowBytes = -1;
        overflowPrefix = undefined;
        nextLine++;
        recordLine = nextLine;
        pos = newline + 1;
        continue;
      }
      if (quote >= 0) quoteParity ^= countByte(chunk, quote, pos, end) & 1;
      if (newline === -1) {
        pending.push(chunk.subarray(pos, length));
        pendingLen += length - pos;
        pos = length;
        break;
      }
      nextLine++;
      if (quoteParity === 1) {
        // newline inside a quoted field: the record continues.
        pending.push(chunk.subarray(pos, newline + 1));
        pendingLen += newline + 1 - pos;
        pos = newline + 1;
        continue;
      }
      let record: Buffer;
      if (pendingLen > 0) {
        pending.push(chunk.subarray(pos, end));
        record = Buffer.concat(pending, pendingLen + end - pos);
        pending = [];
        pendingLen = 0;
      } else {
        record = chunk.subarray(pos, end);
      }
      record = stripCr(record);
      if (record.length > 0) out.push({ line: recordLine, bytes: record });
      recordLine = nextLine;
      pos = newline + 1;
    }
    if (out.length > 0) yield out;
  }
  const tail: ByteRecord[] = [];
  if (overflowBytes >= 0) tail.push(tooLarge(recordLine, overflowBytes, overflowPrefix));
  else if (pendingLen > 0) {
    const record = stripCr(Buffer.concat(pending, pendingLen));
    if (quoteParity === 1) {
      tail.push({
        line: recordLine,
        problem: { code: 'ERR_FORMAT', field: '', reason: 'Expected a closing quote before the end of input but received none' },
        rawPrefix: Buffer.from(record.subarray(0, 256)),
      });
    } else if (record.length > 0) tail.push({ line: recordLine, bytes: record });
  }
  if (tail.length > 0) yield tail;
}

/** Result of splitting one delimited record into fields. */
export type FieldsResult = { readonly fields: string[] } | { readonly problem: RecordProblem };

/**
 * Splits one decoded CSV/TSV record into fields (RFC 4180 quoting: `""` is a literal quote).
 * A quote inside an unquoted field is kept literally; text after a closing quote that is not a
 * delimiter is a format error.
 */
export function splitDelimited(text: string, delimiter: string, quote: string | null): FieldsResult {
  if (quote === null || text.indexOf(quote) === -1) return { fields: text.split(delimiter) };
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (text.startsWith(quote, i)) {
      let value = '';
      let j = i + quote.length;
      for (;;) {
        const close = text.indexOf(quote, j);
        if (close === -1) {
          return { problem: { code: 'ERR_FORMAT', field: `#${fields.length + 1}`, reason: 'Expected a closing quote for a quoted field but received end of record' } };
        }
        value += text.slice(j, close);
        if (text.startsWith(quote, close + quote.length)) {
          value += quote;
          j = close + 2 * quote.length;
          continue;
        }
        j = close + quote.length;
        break;
      }
      fields.push(value);
      if (j >= n) return { fields };
      if (!text.startsWith(delimiter, j)) {
        return {
          problem: {
            code: 'ERR_FORMAT',
            field: `#${fields.length}`,
            reason: `Expected a delimiter after a closing quote but received ${JSON.stringify(text.slice(j, j + 10))}`,
          },
        };
      }
      i = j + delimiter.length;
      if (i === n) {
        fields.push('');
        return { fields };
      }
    } else {
      const next = text.indexOf(delimiter, i);
      if (next === -1) {
        fields.push(text.slice(i));
        return { fields };
      }
      fields.push(text.slice(i, next));
      i = next + delimiter.length;
      if (i === n) {
        fields.push('');
        return { fields };
      }
    }
  }
}

/** Text encodings the readers decode. */
export type TextEncodingName = 'utf-8' | 'latin1';

/** Makes a decoder that reports invalid UTF-8 instead of replacing it. */
export function makeRecordDecoder(encoding: TextEncodingName): (bytes: Buffer) => string | undefined {
  if (encoding === 'latin1') return (bytes) => bytes.toString('latin1');
  // buffer.isUtf8 validates natively (simdutf); toString then decodes without replacement.
  return (bytes) => (isUtf8(bytes) ? bytes.toString('utf8') : undefined);
}

/**
 * A ready-made progress hook that draws a one-line bar on a TTY stream (default stderr), e.g.
 * `ingest(store, { …, onProgress: progressBar() })`. On a non-TTY stream it prints a line at most
 * every 10 seconds.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr, width = 30): ProgressHook {
  let lastLine = 0;
  return (info) => {
    const rate = info.elapsedMs > 0 ? Math.round((info.rows * 1000) / info.elapsedMs) : 0;
    const fraction = info.totalBytes ? Math.min(1, info.bytesRead / info.totalBytes) : undefined;
    const bar = fraction === undefined ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(1)}% `;
    const text = `${info.source}: ${bar}${info.rows.toLocaleString('en-US')} rows, ${rate.toLocaleString('en-US')} rows/s`;
    if (stream.isTTY) stream.write(`\r${text}\x1b[K`);
    else if (info.elapsedMs - lastLine >= 10_000) {
      lastLine = info.elapsedMs;
      stream.write(text + '\n');
    }
  };
}
