/**
 * Parquet input and output through DuckDB (`@duckdb/node-api`, whose binary ships inside npm
 * packages). Reading streams DuckDB's result chunks, so memory stays bounded by one chunk.
 * @packageDocumentation
 */
import { DataError } from './errors.js';
import type { RawRow, ReadOptions } from './ingest.js';

const RAW_LIMIT = 512;

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? '';
  } catch {
    return String(value);
  }
}

/** Streams a Parquet file as raw rows (column name → JS value), numbered from 1. */
export async function* readParquetRows(path: string, options: ReadOptions = {}): AsyncGenerator<RawRow[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  const started = Date.now();
  let line = 0;
  try {
    let result;
    try {
      result = await connection.stream('SELECT * FROM read_parquet($1)', [path]);
    } catch (cause) {
      throw new DataError('ERR_FORMAT', `Expected a readable Parquet file for source but received ${JSON.stringify(path)}: ${(cause as Error).message}`, { cause });
    }
    for await (const rows of result.yieldRowObjectJs()) {
      const out: RawRow[] = rows.map((values) => {
        line++;
        return { line, values: values as Record<string, unknown>, raw: safeJson(values).slice(0, RAW_LIMIT) };
      });
      if (out.length > 0) yield out;
      options.onProgress?.({ source: path, bytesRead: 0, totalBytes: undefined, rows: line, elapsedMs: Date.now() - started });
    }
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * Writes rows to a Parquet file with DuckDB. `rows` are plain objects with the given columns and
 * DuckDB SQL types (e.g. `{ user: 'VARCHAR', ts: 'BIGINT' }`). Intended for exports and tests.
 */
export async function writeParquet(path: string, columns: Readonly<Record<string, string>>, rows: Iterable<Record<string, unknown>>): Promise<number> {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const connection = await instance.connect();
  try {
    const names = Object.keys(columns);
    const quoted = (n: string) => `"${n.replace(/"/g, '""')}"`;
    await connection.run(`CREATE TABLE t (${names.map((n) => `${quoted(n)} ${columns[n]}`).join(', ')})`);
    const appender = await connection.createAppender('t');
    let count = 0;
    for (const row of rows) {
      for (const n of names) {
        const v = row[n];
        const type = columns[n]!.toUpperCase();
        if (v === undefined || v === null) appender.appendNull();
        else if (type === 'BIGINT') appender.appendBigInt(BigInt(v as number));
        else if (type === 'INTEGER') appender.appendInteger(v as number);
        else if (type === 'DOUBLE') appender.appendDouble(v as number);
        else if (type === 'BOOLEAN') appender.appendBoolean(v as boolean);
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
      count++;
    }
    appender.flushSync();
    appender.closeSync();
    await connection.run(`COPY t TO '${path.replace(/'/g, "''")}' (FORMAT PARQUET)`);
    return count;
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
