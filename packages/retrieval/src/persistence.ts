/**
 * Saving and loading a text index to and from a file (the binary format of `binary.ts`).
 * @packageDocumentation
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { RetrievalError } from './errors.js';
import { TextIndex } from './text-index.js';

/** Writes an index to `path` atomically (a temporary file, then a rename). Returns the byte size. */
export async function saveTextIndex(index: TextIndex, path: string): Promise<number> {
  const bytes = index.toBytes();
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
  return bytes.length;
}

/**
 * Reads an index from `path`. A missing file throws `ERR_ARGUMENT`; a truncated, corrupt or
 * other-version file throws `ERR_CORRUPT_INDEX`.
 */
export async function loadTextIndex(path: string): Promise<TextIndex> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new RetrievalError('ERR_ARGUMENT', `Expected a readable index file for path but received ${JSON.stringify(path)}`, { cause });
  }
  // Buffers from readFile may share a pool and be unaligned; copy into an aligned array when needed.
  const aligned = bytes.byteOffset % 8 === 0 ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  return TextIndex.fromBytes(aligned);
}
