// The store's online features for the engine: item upserts, idempotent event batches, erasure
// with tombstones.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DataError, ingest, openSqliteStore, USER_ID_MAP, type DataStore, type ItemRecord, type StoredItem } from '@souk/data';

const dir = mkdtempSync(join(tmpdir(), 'souk-data-online-'));
const item = (id: string, title: string): StoredItem => ({ id, title, categoryPath: ['All', 'Books'], tags: [], attributes: {}, inStock: true, sourceId: 1, line: 1 });

async function allEvents(store: DataStore) {
  const out = [];
  for await (const batch of store.scanEvents()) out.push(...batch);
  return out;
}

async function allItems(store: DataStore): Promise<ItemRecord[]> {
  const out: ItemRecord[] = [];
  for await (const batch of store.scanItems()) out.push(...batch);
  return out;
}

describe('store: upsertItems', () => {
  it('inserts new ids and replaces known ones (insertItems keeps them)', async () => {
    const store = openSqliteStore(':memory:');
    expect(await store.insertItems([item('a', 'first')])).toEqual({ inserted: 1, ignored: 0 });
    expect(await store.insertItems([item('a', 'ignored')])).toEqual({ inserted: 0, ignored: 1 });
    expect(await store.upsertItems([item('a', 'second'), { ...item('b', 'new'), price: 3 }])).toEqual({ inserted: 1, updated: 1 });
    const items = await allItems(store);
    expect(items.map((i) => [i.id, i.title, i.price])).toEqual([['a', 'second', undefined], ['b', 'new', 3]]);
    await store.close();
  });
});

for (const appendThread of [false, true]) {
  const mode = appendThread ? ' (append writer thread)' : '';
  const tag = appendThread ? '-writer' : '';

  describe(`store: appendEventBatch${mode}`, () => {
    it('stores a batch and its result once; a replay stores nothing and returns the first result', async () => {
      const path = join(dir, `batches${tag}.db`);
      const store = openSqliteStore(path, { appendThread });
      const events = [
        { user: 'u1', item: 'a', type: 'view' as const, timestamp: 1000 },
        { user: 'u2', item: 'b', type: 'click' as const, timestamp: 2000 },
      ];
      const first = await store.appendEventBatch('batch-1', events, { accepted: 2 });
      expect(first.duplicate).toBe(false);
      expect(first.keys).toHaveLength(2);
      expect(first.result).toEqual({ accepted: 2 });
      const replay = await store.appendEventBatch('batch-1', [events[0]!], { accepted: 1 });
      expect(replay).toEqual({ duplicate: true, keys: [], result: { accepted: 2 } });
      expect(await store.countRows('events')).toBe(2);
      await store.close();
      // The batch id is durable with the events.
      const reopened = openSqliteStore(path, { appendThread });
      expect((await reopened.appendEventBatch('batch-1', events, { accepted: 9 })).duplicate).toBe(true);
      expect(await reopened.countRows('events')).toBe(2);
      await expect(reopened.appendEventBatch('', events, {})).rejects.toBeInstanceOf(DataError);
      await reopened.close();
    });
  });

  describe(`store: eraseUser${mode}`, () => {
    it('deletes events and user row, renames the id map entry, and refuses old events of the user afterwards', async () => {
      const path = join(dir, `erase${tag}.db`);
      const store = openSqliteStore(path, { appendThread });
      await store.insertUsers([{ id: 'gone', attributes: {}, sourceId: 1, line: 1 }, { id: 'kept', attributes: {}, sourceId: 1, line: 2 }]);
      await store.appendEvents([
        { user: 'gone', item: 'a', type: 'view', timestamp: 1000 },
        { user: 'kept', item: 'a', type: 'view', timestamp: 1000 },
        { user: 'gone', item: 'b', type: 'purchase', timestamp: 3000 },
      ]);
      expect(await store.eraseUser('gone', 5000)).toEqual({ eventsDeleted: 2, userDeleted: true });
      expect((await allEvents(store)).map((e) => e.user)).toEqual(['kept']);
      expect(await store.countRows('users')).toBe(1);
      expect(await store.loadIdMap(USER_ID_MAP)).not.toContain('gone');
      expect(await store.listErasures()).toEqual([{ user: 'gone', erasedAt: 5000 }]);

      // Online appends and file ingests of old events are refused; later events are stored.
      const keys = await store.appendEvents([
        { user: 'gone', item: 'a', type: 'view', timestamp: 4000 },
        { user: 'gone', item: 'a', type: 'view', timestamp: 6000 },
      ]);
      expect(keys[0]).toBe(-1);
      expect(keys[1]).toBeGreaterThan(0);
      const csv = join(dir, `old-events${tag}.csv`);
      writeFileSync(csv, 'user,item,type,timestamp\ngone,a,view,1000\ngone,b,purchase,3000\nkept,b,view,3000\n');
      const summary = await ingest(store, { asset: 'events', source: csv, timestampUnit: 'ms' });
      expect(summary).toMatchObject({ accepted: 3, inserted: 1, deduplicated: 2 });
      await store.close();

      // The tombstone survives a reopen.
      const reopened = openSqliteStore(path, { appendThread });
      expect((await reopened.appendEvents([{ user: 'gone', item: 'a', type: 'view', timestamp: 100 }]))[0]).toBe(-1);
      const users = (await allEvents(reopened)).map((e) => [e.user, e.timestamp]);
      expect(users).toEqual([['kept', 1000], ['gone', 6000], ['kept', 3000]]);
      await reopened.close();
    });
  });

  describe(`store: group commit of online appends${mode}`, () => {
    it('commits concurrent appends together, keeps their order and keys, and detects a replay inside the same group', async () => {
      const path = join(dir, `group${tag}.db`);
      const store = openSqliteStore(path, { appendThread });
      const ev = (u: number, t: number) => ({ user: `u${u}`, item: `i${u % 3}`, type: 'click' as const, timestamp: 1_700_000_000_000 + t });
      // All issued in one turn of the event loop: one transaction.
      const calls = [
        store.appendEventBatch('b1', [ev(1, 1), ev(2, 2)], { n: 2 }),
        store.appendEvents([ev(3, 3)]),
        store.appendEventBatch('b2', [ev(4, 4)], { n: 1 }),
        store.appendEventBatch('b1', [ev(9, 9)], { n: 99 }), // replay of b1 in the same group
        store.appendEvents([ev(5, 5), ev(6, 6)]),
      ];
      const [b1, plain, b2, replay, plain2] = await Promise.all(calls);
      expect(b1).toMatchObject({ duplicate: false, result: { n: 2 } });
      expect(b2).toMatchObject({ duplicate: false });
      expect(replay).toMatchObject({ duplicate: true, keys: [], result: { n: 2 } });
      const keys = [...(b1 as { keys: number[] }).keys, ...(plain as number[]), ...(b2 as { keys: number[] }).keys, ...(plain2 as number[])];
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
      expect(new Set(keys).size).toBe(6);
      await store.close();
      // Durable: a reopened store holds exactly the six events, in the order they were issued.
      const again = openSqliteStore(path, { appendThread });
      const stored = await allEvents(again);
      expect(stored.map((e) => e.user)).toEqual(['u1', 'u2', 'u3', 'u4', 'u5', 'u6']);
      expect(stored.map((e) => e.key)).toEqual(keys);
      await again.close();
    });

    it('flushes appends still waiting when the store is closed', async () => {
      const path = join(dir, `group-close${tag}.db`);
      const store = openSqliteStore(path, { appendThread });
      const pending = store.appendEvents([{ user: 'u1', item: 'i1', type: 'view', timestamp: 1_700_000_000_000 }]);
      await store.close();
      expect(await pending).toHaveLength(1);
      const again = openSqliteStore(path, { appendThread });
      expect(await allEvents(again)).toHaveLength(1);
      await again.close();
    });
  });
}


describe('store: the append writer thread', () => {
  it('commits off the event loop with the same keys, sees erasures made on the main connection, and falls back when it dies', async () => {
    const path = join(dir, 'writer.db');
    const store = openSqliteStore(path, { appendThread: true });
    const writer = (store as unknown as { writer?: { dead: string | undefined; call: unknown; worker: { terminate(): Promise<number> } } }).writer;
    expect(writer, 'the compiled worker (dist/append-worker.js) is missing: run tsc -b packages/data').toBeDefined();
    const keys = await store.appendEvents([{ user: 'w1', item: 'a', type: 'view', timestamp: 1000 }, { user: 'w2', item: 'b', type: 'view', timestamp: 1000 }]);
    expect(keys).toHaveLength(2);
    // Written by the other connection, read back on this one.
    expect((await allEvents(store)).map((e) => [e.user, e.key])).toEqual([['w1', keys[0]], ['w2', keys[1]]]);
    // An erasure on this connection: the writer refuses the user's old events and indexes a returning user anew.
    await store.eraseUser('w1', 5000);
    const after = await store.appendEvents([{ user: 'w1', item: 'a', type: 'click', timestamp: 4000 }, { user: 'w1', item: 'a', type: 'click', timestamp: 6000 }]);
    expect(after[0]).toBe(-1);
    expect(after[1]).toBeGreaterThan(keys[1]!);
    const map = await store.loadIdMap(USER_ID_MAP);
    expect(map.filter((u) => u === 'w1')).toHaveLength(1);
    expect(map.indexOf('w1')).toBe(2);
    // The writer dies: appends in flight fail (never acknowledged), later ones run on this connection.
    const inFlight = store.appendEvents([{ user: 'w3', item: 'c', type: 'view', timestamp: 7000 }]);
    await writer!.worker.terminate();
    const outcome = await inFlight.then(() => 'committed', (e: DataError) => e.code);
    expect(['committed', 'ERR_STORE']).toContain(outcome);
    expect(writer!.dead).toBeDefined();
    const fallback = await store.appendEvents([{ user: 'w4', item: 'c', type: 'view', timestamp: 8000 }]);
    expect(fallback[0]).toBeGreaterThan(after[1]!);
    await store.close();
    const again = openSqliteStore(path);
    const users = (await allEvents(again)).map((e) => e.user);
    expect(users.filter((u) => u === 'w4')).toHaveLength(1);
    // An append that failed may still have landed (like a request cut off by a crash), never twice.
    const w3 = users.filter((u) => u === 'w3').length;
    if (outcome === 'committed') expect(w3).toBe(1);
    else expect(w3).toBeLessThanOrEqual(1);
    await again.close();
  });
});
