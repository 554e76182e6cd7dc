import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  DataError,
  assetJsonSchemas,
  ingest,
  openSqliteStore,
  readRawRows,
  progressBar,
  seededRandom,
  splitDelimited,
  validateAsset,
  writeParquet,
  type DataStore,
} from '@souk/data';

const dir = mkdtempSync(join(tmpdir(), 'souk-data-ingest-'));

async function quarantineLines(store: DataStore): Promise<Map<number, { code: string; field: string; reason: string }>> {
  const out = new Map<number, { code: string; field: string; reason: string }>();
  for await (const batch of store.scanQuarantine()) for (const q of batch) out.set(q.line, q);
  return out;
}

async function storedLines(store: DataStore): Promise<Set<number>> {
  const out = new Set<number>();
  for await (const batch of store.scanEvents({ includeRemoved: true })) for (const e of batch) out.add(e.line);
  return out;
}

describe('schemas', () => {
  it('accepts a valid event and names the field of an invalid one', () => {
    expect(validateAsset('events', { user: 'u1', item: 'i1', type: 'view', timestamp: 1_700_000_000_000 })).toBeUndefined();
    const problem = validateAsset('events', { user: 'u1', item: 'i1', type: 'teleport', timestamp: 1 });
    expect(problem?.field).toBe('type');
    expect(validateAsset('items', { id: 'a', title: 't', categoryPath: [], tags: [], attributes: {}, inStock: true, currency: 'usd' })?.field).toBe('currency');
  });

  it('exports JSON Schema documents for the API', () => {
    const schemas = assetJsonSchemas() as Record<string, { $id: string; properties: Record<string, unknown>; required: string[] }>;
    expect(schemas.events.$id).toBe('Event');
    expect(schemas.events.required).toEqual(expect.arrayContaining(['user', 'type', 'timestamp']));
    expect(Object.keys(schemas.items.properties)).toEqual(expect.arrayContaining(['categoryPath', 'price', 'inStock']));
  });
});

describe('CSV field splitting', () => {
  it('handles quotes, escaped quotes, empty and trailing fields', () => {
    expect(splitDelimited('a,"b,c","say ""hi""",,', ',', '"')).toEqual({ fields: ['a', 'b,c', 'say "hi"', '', ''] });
    expect(splitDelimited('x\ty\t"z"', '\t', '"')).toEqual({ fields: ['x', 'y', 'z'] });
    const broken = splitDelimited('a,"b"c', ',', '"');
    expect('problem' in broken && broken.problem.code).toBe('ERR_FORMAT');
  });
});

describe('ingest of delimited text', () => {
  it('reads CRLF, quoted fields, a BOM, any delimiter and a column mapping', async () => {
    const path = join(dir, 'events.tsv');
    writeFileSync(path, '\ufeffuid\tsku\tkind\twhen\tq\r\nu1\ti1\tview\t2024-01-02T03:04:05Z\t\r\nu2\t"i\t2"\tsearch\t1704164645\t"red ""wool"" hat"\r\n');
    const store = openSqliteStore(':memory:');
    const summary = await ingest(store, {
      asset: 'events',
      source: path,
      format: { kind: 'delimited', delimiter: '\t' },
      fields: { user: 'uid', item: 'sku', type: 'kind', timestamp: 'when', query: 'q' },
    });
    expect(summary).toMatchObject({ read: 2, accepted: 2, quarantined: 0, inserted: 2, format: 'tsv' });
    const events = [];
    for await (const b of store.scanEvents()) events.push(...b);
    expect(events.map((e) => [e.user, e.item, e.type, e.timestamp, e.query])).toEqual([
      ['u1', 'i1', 'view', Date.UTC(2024, 0, 2, 3, 4, 5), undefined],
      ['u2', 'i\t2', 'search', 1_704_164_645_000, 'red "wool" hat'],
    ]);
    expect(events.map((e) => e.line)).toEqual([2, 3]);
    await store.close();
  });

  it('quarantines each malformed row with source, line, field and reason; good rows are all kept', async () => {
    const lines = [
      'user,item,type,value,timestamp', // 1 header
      'u1,i1,view,,1700000000', // 2 good
      'u1,i2,rating,4.5,1700000100', // 3 good
      'u2,i1,click', // 4 missing columns
      'u2,i3,view,,yesterday', // 5 bad timestamp
      'u3,i3,rating,five,1700000200', // 6 wrong type (value)
      'u3,i4,teleport,,1700000300', // 7 unknown event type
      'u4,"i5,view,,1700000400', // 8 unterminated quote
      ',i6,view,,1700000500', // 9 missing user
      'u5,i7,rating,,1700000600', // 10 rating without value
      'u6,i8,view,,1700000700,extra', // 11 extra column
      'u7,i9,purchase,19.99,1700000800', // 12 good
    ];
    const bytes = Buffer.concat([
      Buffer.from(lines.join('\n') + '\n'),
      Buffer.from([0x75, 0x38, 0x2c, 0x69, 0xff, 0xfe, 0x2c, 0x76, 0x69, 0x65, 0x77, 0x2c, 0x2c, 0x31, 0x0a]), // 13 bad UTF-8
      Buffer.from('u9,' + 'z'.repeat(300) + ',view,,1700000900\n'), // 14 id too long (> 256)
      Buffer.from('u10,i10,view,,1700001000'), // 15 good, no final newline
    ]);
    const path = join(dir, 'malformed.csv');
    writeFileSync(path, bytes);
    const store = openSqliteStore(':memory:');
    const summary = await ingest(store, { asset: 'events', source: path });
    expect(summary.read).toBe(14);
    expect(summary.accepted).toBe(4);
    expect(summary.quarantined).toBe(10);
    expect(summary.accepted + summary.quarantined).toBe(summary.read);
    const q = await quarantineLines(store);
    expect([...q.keys()].sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 13, 14]);
    expect(q.get(4)).toMatchObject({ code: 'ERR_FORMAT', reason: 'Expected 5 fields but received 3' });
    expect(q.get(5)).toMatchObject({ code: 'ERR_SCHEMA', field: 'timestamp' });
    expect(q.get(6)).toMatchObject({ code: 'ERR_SCHEMA', field: 'value' });
    expect(q.get(7)).toMatchObject({ code: 'ERR_SCHEMA', field: 'type' });
    expect(q.get(8)!.code).toBe('ERR_FORMAT');
    expect(q.get(9)).toMatchObject({ code: 'ERR_SCHEMA', field: 'user' });
    expect(q.get(10)).toMatchObject({ code: 'ERR_SCHEMA', field: 'value' });
    expect(q.get(13)).toMatchObject({ code: 'ERR_ENCODING' });
    expect(q.get(14)).toMatchObject({ code: 'ERR_SCHEMA', field: 'item' });
    expect([...(await storedLines(store))].sort((a, b) => a - b)).toEqual([2, 3, 12, 15]);
    expect(summary.quarantinedByReason['ERR_SCHEMA:value']).toBe(2);
    // Re-ingest is idempotent.
    const again = await ingest(store, { asset: 'events', source: path });
    expect(again).toMatchObject({ read: 14, accepted: 4, inserted: 0, deduplicated: 4, quarantined: 10 });
    expect(await store.countRows('events')).toBe(4);
    expect(await store.countRows('quarantine')).toBe(10);
    const sources = await store.listSources();
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({ path, asset: 'events', format: 'csv' });
    await store.close();
  });

  it('fuzzed rows never crash: every untouched row is kept and read = accepted + quarantined', async () => {
    const random = seededRandom(7);
    const parts: Buffer[] = [Buffer.from('user,item,type,value,timestamp\n')];
    const untouched: number[] = [];
    const types = ['view', 'click', 'cart', 'purchase', 'rating'];
    for (let i = 0; i < 3000; i++) {
      const type = types[i % types.length]!;
      let line = Buffer.from(`user${i % 97},item${i % 211},${type},${type === 'rating' ? 1 + (i % 5) : ''},${1_700_000_000 + i}`);
      const roll = random();
      if (roll < 0.1) line = line.subarray(0, Math.floor(random() * line.length)); // truncated
      else if (roll < 0.2) {
        const at = Math.floor(random() * line.length);
        const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 4) }, () => Math.floor(random() * 256)).filter((b) => b !== 0x0a));
        line = Buffer.concat([line.subarray(0, at), junk, line.subarray(at)]); // random bytes (bad UTF-8, stray quotes, delimiters)
      } else if (roll < 0.22) line = Buffer.concat([line, Buffer.from(',' + 'x'.repeat(1 << 20))]); // huge field
      else untouched.push(i + 2);
      parts.push(line, Buffer.from(random() < 0.5 ? '\n' : '\r\n'));
    }
    const path = join(dir, 'fuzz.csv');
    writeFileSync(path, Buffer.concat(parts));
    const store = openSqliteStore(':memory:');
    const summary = await ingest(store, { asset: 'events', source: path, maxRowBytes: 1 << 20 });
    expect(summary.accepted + summary.quarantined).toBe(summary.read);
    expect(await store.countRows('quarantine')).toBe(summary.quarantined);
    expect(await store.countRows('events')).toBe(summary.accepted);
    const stored = await storedLines(store);
    for (const line of untouched) expect(stored.has(line)).toBe(true);
    const q = await quarantineLines(store);
    for (const [line, entry] of q) {
      expect(stored.has(line)).toBe(false);
      expect(entry.reason.length).toBeGreaterThan(0);
    }
    expect(summary.quarantinedByReason['ERR_ROW_TOO_LARGE:(row)']).toBeGreaterThan(0);
    await store.close();
  });

  it('skips a 100 MB line in bounded memory and keeps the rows around it', async () => {
    const chunk = Buffer.alloc(1 << 20, 0x78); // one reused 1 MiB chunk: no 100 MB allocation
    const before = process.memoryUsage();
    async function* stream(): AsyncGenerator<Buffer> {
      yield Buffer.from('user,item,type,value,timestamp\n');
      for (let i = 0; i < 5; i++) yield Buffer.from(`u${i},i${i},view,,${1_700_000_000 + i}\n`);
      yield Buffer.from('u-huge,i-huge,view,,1700000000,');
      for (let i = 0; i < 100; i++) yield chunk;
      yield Buffer.from('\n');
      for (let i = 5; i < 10; i++) yield Buffer.from(`u${i},i${i},view,,${1_700_000_000 + i}\n`);
    }
    const store = openSqliteStore(':memory:');
    let peakArrayBuffers = 0;
    const summary = await ingest(store, {
      asset: 'events',
      source: { name: 'huge-line.csv', stream: stream() },
      progressIntervalMs: 0,
      onProgress: () => {
        peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
      },
    });
    expect(summary).toMatchObject({ read: 11, accepted: 10, quarantined: 1 });
    const q = await quarantineLines(store);
    expect(q.get(7)).toMatchObject({ code: 'ERR_ROW_TOO_LARGE' });
    expect(q.get(7)!.reason).toMatch(/at most 1048576 bytes but received one of 10485\d{4} bytes or more/);
    expect(peakArrayBuffers - before.arrayBuffers).toBeLessThan(32 << 20);
    await store.close();
  });

  it('a stray quote spoils only its own line unless quoted newlines are enabled', async () => {
    const text = 'id,title\n1,"multi\nline"\n2,plain\n';
    const path = join(dir, 'items.csv');
    writeFileSync(path, text);
    const rows = [];
    for await (const b of readRawRows(path, { kind: 'delimited', quotedNewlines: true })) rows.push(...b);
    expect(rows.map((r) => r.values)).toEqual([{ id: '1', title: 'multi\nline' }, { id: '2', title: 'plain' }]);
    const strict = [];
    for await (const b of readRawRows(path, { kind: 'delimited' })) strict.push(...b);
    expect(strict.map((r) => r.problem?.code ?? r.values)).toEqual(['ERR_FORMAT', 'ERR_FORMAT', { id: '2', title: 'plain' }]);
  });
});

describe('progress', () => {
  it('reports bytes, rows and rate, and draws a bar on a TTY', async () => {
    const path = join(dir, 'progress.csv');
    const lines = ['user,item,type,timestamp'];
    for (let i = 0; i < 50_000; i++) lines.push(`u${i % 300},i${i % 500},view,${1_700_000_000 + i}`);
    writeFileSync(path, lines.join('\n'));
    const written: string[] = [];
    const fakeTty = { isTTY: true, write: (s: string) => written.push(s) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(fakeTty);
    const calls: Array<{ bytesRead: number; totalBytes: number | undefined; rows: number }> = [];
    await ingest(openSqliteStore(':memory:'), {
      asset: 'events',
      source: path,
      progressIntervalMs: 0,
      onProgress: (info) => {
        calls.push(info);
        bar(info);
      },
    });
    const last = calls[calls.length - 1]!;
    expect(last.bytesRead).toBe(last.totalBytes);
    expect(last.rows).toBe(50_000);
    expect(written[written.length - 1]).toContain('100.0%');
    expect(written[written.length - 1]).toContain('50,000 rows');
  });
});

describe('ingest of JSON Lines and Parquet', () => {
  it('reads gzip JSON Lines, quarantines bad JSON and survives a truncated gzip stream', async () => {
    const good = Array.from({ length: 200 }, (_, i) => JSON.stringify({ id: `sku-${i}`, title: `Item ${i}`, price: i + 0.5, tags: ['a', 'b'], categoryPath: 'Home > Kitchen' }));
    const text = [...good.slice(0, 100), '{"id": "broken"', '[1,2]', JSON.stringify({ id: 'neg', title: 'x', price: -1 }), ...good.slice(100)].join('\n') + '\n';
    const gz = gzipSync(Buffer.from(text));
    const path = join(dir, 'items.jsonl.gz');
    writeFileSync(path, gz);
    const store = openSqliteStore(':memory:');
    const summary = await ingest(store, { asset: 'items', source: path });
    expect(summary).toMatchObject({ read: 203, accepted: 200, quarantined: 3, format: 'jsonl' });
    const items = [];
    for await (const b of store.scanItems()) items.push(...b);
    expect(items.find((i) => i.id === 'sku-3')).toMatchObject({ price: 3.5, tags: ['a', 'b'], categoryPath: ['Home', 'Kitchen'], inStock: true });
    const truncatedPath = join(dir, 'truncated.jsonl.gz');
    writeFileSync(truncatedPath, gz.subarray(0, Math.floor(gz.length * 0.6)));
    const truncated = await ingest(openSqliteStore(':memory:'), { asset: 'items', source: truncatedPath });
    expect(truncated.accepted).toBeGreaterThan(50);
    expect(truncated.quarantinedByReason['ERR_FORMAT:(row)']).toBeGreaterThanOrEqual(1);
    expect(truncated.accepted + truncated.quarantined).toBe(truncated.read);
    await store.close();
  });

  it('reads Parquet written by DuckDB', async () => {
    const path = join(dir, 'events.parquet');
    const rows = Array.from({ length: 500 }, (_, i) => ({ user: `u${i % 20}`, item: `i${i % 50}`, type: i % 7 === 0 ? 'cart' : 'view', ts: 1_700_000_000_000 + i * 1000, value: null }));
    rows.push({ user: 'u1', item: 'i1', type: 'nonsense', ts: 1_700_000_000_000, value: null });
    await writeParquet(path, { user: 'VARCHAR', item: 'VARCHAR', type: 'VARCHAR', ts: 'BIGINT', value: 'DOUBLE' }, rows);
    const store = openSqliteStore(':memory:');
    const summary = await ingest(store, { asset: 'events', source: path, fields: { timestamp: 'ts' } });
    expect(summary).toMatchObject({ read: 501, accepted: 500, quarantined: 1, format: 'parquet' });
    const q = await quarantineLines(store);
    expect(q.get(501)).toMatchObject({ field: 'type' });
    await store.close();
  });
});

describe('store', () => {
  it('appendEvents is durable: a reopened store has the events', async () => {
    const path = join(dir, 'durable.sqlite');
    const store = openSqliteStore(path);
    const keys = await store.appendEvents([
      { user: 'u1', item: 'i1', type: 'view', timestamp: 1_700_000_000_000 },
      { user: 'u1', item: 'i2', type: 'purchase', value: 12.5, timestamp: 1_700_000_001_000, session: 's1' },
    ]);
    expect(new Set(keys).size).toBe(2);
    await store.close();
    const reopened = openSqliteStore(path);
    expect(await reopened.countRows('events')).toBe(2);
    const more = await reopened.appendEvents([{ user: 'u2', type: 'search', query: 'shoes', timestamp: 1_700_000_002_000 }]);
    expect(keys).not.toContain(more[0]);
    expect(await reopened.countRows('events')).toBe(3);
    await reopened.close();
  });

  it('throws DataError with a stable code on a bad path', () => {
    expect(() => openSqliteStore('/nonexistent-dir/x/y.sqlite')).toThrow(DataError);
    try {
      openSqliteStore('/nonexistent-dir/x/y.sqlite');
    } catch (e) {
      expect((e as DataError).code).toBe('ERR_STORE');
      expect((e as DataError).message).toMatch(/^Expected .* for path but received/);
    }
  });
});
