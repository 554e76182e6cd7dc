import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore, writeItemsJsonl, writeSyntheticEventsCsv } from '@souk/data';
import { Engine, type EngineOptions } from '@souk/engine';
import { expectCode, shopEvents, smallShop } from './helpers.js';

const shop = smallShop();
const events = shopEvents(shop, 6000);
const NOW = Date.parse('2024-06-01T00:00:00Z');
const options = (dataDir: string): EngineOptions => ({ dataDir, now: () => NOW, modelParams: { als: { factors: 16, iterations: 6, seed: 2 } } });

/** The answers a reopened engine must repeat (timings left out). */
async function answers(engine: Engine, user: string, item: string) {
  const strip = <T extends { tookMs: number }>(r: T) => ({ ...r, tookMs: 0 });
  return {
    search: strip(await engine.search(shop.queries[1]!.text, { k: 5, user })),
    recommend: strip(await engine.recommend(user, { k: 5 })),
    similar: strip(await engine.similar(item, { k: 5 })),
    profile: engine.profile(user),
  };
}

describe('engine over a data directory', () => {
  it('persists events and the model: a reopened engine gives the same answers; retraining runs in a worker while requests are served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-engine-'));
    const engine = await Engine.open(options(dir));
    await engine.ingestItems(shop.items);
    await engine.ingestEvents(events);
    const job = await engine.retrain();
    // The event loop keeps answering while the worker trains.
    const during = await engine.search(shop.queries[0]!.text, { k: 3 });
    expect(during.items.length).toBeGreaterThan(0);
    expect(engine.retrainStatus()!.state).toBe('running');
    await expectCode(() => engine.retrain(), 'ERR_BUSY');
    const done = (await engine.waitForRetrain())!;
    expect(done, JSON.stringify(done.error)).toMatchObject({ id: job.id, state: 'succeeded', inWorker: true });
    const pointer = JSON.parse(readFileSync(join(dir, 'models', 'ACTIVE.json'), 'utf8')) as { version: string };
    expect(pointer.version).toBe(done.version);
    expect(existsSync(join(dir, 'models', done.version!, 'manifest.json'))).toBe(true);

    const user = events[0]!.user;
    const item = events.find((e) => e.item)!.item!;
    const first = await answers(engine, user, item);
    expect(first.recommend.source).toBe('model');
    expect(first.similar.source).toBe('model');
    const users = engine.stats().users;
    expect(users).toBeGreaterThan(10);
    await engine.close();
    await engine.close(); // idempotent
    await expectCode(() => engine.search('bag'), 'ERR_CLOSED');

    // Reopened from the state snapshot written at close; from a snapshot with a malformed profile
    // line (profiles are restored as they are read: the half-restored store must be dropped and
    // every event replayed); then again by replaying every event.
    const snapshot = join(dir, 'state.snapshot.jsonl');
    for (const mode of ['snapshot', 'corrupt', 'replay'] as const) {
      expect(existsSync(snapshot)).toBe(true);
      if (mode === 'replay') rmSync(snapshot);
      if (mode === 'corrupt') {
        const lines = readFileSync(snapshot, 'utf8').split('\n');
        expect(lines.length).toBeGreaterThan(3);
        lines[2] = JSON.stringify({ user: 'u-corrupt', categories: 'not a map' });
        writeFileSync(snapshot, lines.join('\n'));
      }
      const reopened = await Engine.open(options(dir));
      try {
        expect(existsSync(snapshot)).toBe(false);
        expect(reopened.stats()).toMatchObject({ items: shop.items.length, events: events.length, users, modelVersion: done.version, eventsIngested: 0 });
        expect(await answers(reopened, user, item)).toEqual(first);
      } finally {
        await reopened.close();
      }
    }
  });

  it('erases a user: events gone, profile gone, cold recommendations, old events refused, retraining without them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-engine-erase-'));
    const engine = await Engine.open({ ...options(dir), retrainInWorker: false });
    await engine.ingestItems(shop.items);
    await engine.ingestEvents(events);
    await engine.retrain({ evaluate: false });
    expect((await engine.waitForRetrain())!.state).toBe('succeeded');
    const user = events[0]!.user;
    const theirs = events.filter((e) => e.user === user);
    expect((await engine.recommend(user)).source).toBe('model');

    const erased = await engine.eraseUser(user);
    expect(erased).toEqual({ user, eventsDeleted: theirs.length, profileDeleted: true, factorsDeleted: true });
    expect(engine.profile(user)).toBeUndefined();
    expect((await engine.recommend(user)).source).toBe('popular');
    expect(engine.stats().events).toBe(events.length - theirs.length);

    // Re-ingesting their old events, online or from a file, brings nothing back.
    const again = await engine.ingestEvents(theirs);
    expect(again.accepted).toBe(0);
    expect(new Set(again.rejected.map((r) => r.code))).toEqual(new Set(['ERR_ERASED']));
    const csv = join(dir, 'events.csv');
    await writeSyntheticEventsCsv(csv, theirs);
    const files = await engine.ingestFiles({ events: csv });
    expect(files.events).toEqual({ inserted: 0, ignored: theirs.length, quarantined: 0 });
    expect(engine.profile(user)).toBeUndefined();

    // Retraining never sees them: the new model does not know the user.
    await engine.retrain({ evaluate: false });
    expect((await engine.waitForRetrain())!.state).toBe('succeeded');
    expect((await engine.recommend(user)).source).toBe('popular');
    await engine.close();

    const store = openSqliteStore(join(dir, 'souk.db'));
    let left = 0;
    for await (const batch of store.scanEvents()) left += batch.filter((e) => e.user === user).length;
    expect(left).toBe(0);
    await store.close();
    const models = readdirSync(join(dir, 'models')).filter((f) => f !== 'ACTIVE.json');
    const pointer = JSON.parse(readFileSync(join(dir, 'models', 'ACTIVE.json'), 'utf8')) as { version: string };
    const manifest = JSON.parse(readFileSync(join(dir, 'models', pointer.version, 'manifest.json'), 'utf8')) as { userIds: string[] };
    expect(models.length).toBe(2);
    expect(manifest.userIds).not.toContain(user);

    // After reopening, the user is still erased and cold.
    const reopened = await Engine.open(options(dir));
    try {
      expect(reopened.profile(user)).toBeUndefined();
      expect((await reopened.recommend(user)).source).toBe('popular');
      expect((await reopened.ingestEvents(theirs.slice(0, 1))).rejected[0]!.code).toBe('ERR_ERASED');
    } finally {
      await reopened.close();
    }
  });

  it('ingests files through the data package (quarantine, idempotent re-ingest) and rebuilds its state', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-engine-files-'));
    const itemsFile = join(dir, 'items.jsonl');
    const eventsFile = join(dir, 'events.csv');
    await writeItemsJsonl(itemsFile, shop.items);
    await writeSyntheticEventsCsv(eventsFile, events.slice(0, 2000));
    const engine = await Engine.open(options(dir));
    try {
      const progress: string[] = [];
      const res = await engine.ingestFiles({ items: itemsFile, events: eventsFile }, { onProgress: (asset) => progress.push(asset) });
      expect(res.items).toEqual({ inserted: shop.items.length, ignored: 0, quarantined: 0 });
      expect(res.events).toEqual({ inserted: 2000, ignored: 0, quarantined: 0 });
      expect(engine.stats()).toMatchObject({ items: shop.items.length, events: 2000 });
      const user = events[0]!.user;
      expect(engine.profile(user)!.events).toBe(events.slice(0, 2000).filter((e) => e.user === user).length);
      const twice = await engine.ingestFiles({ events: eventsFile });
      expect(twice.events).toEqual({ inserted: 0, ignored: 2000, quarantined: 0 });
      expect(engine.stats().events).toBe(2000);
      const report = await engine.inventory();
      expect(JSON.stringify(report)).toContain('events');
    } finally {
      await engine.close();
    }
  });

  it('pseudonymises the users of ingested files too: the store never holds the caller\'s ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-engine-pseudo-'));
    const eventsFile = join(dir, 'events.csv');
    await writeSyntheticEventsCsv(eventsFile, events.slice(0, 500));
    const engine = await Engine.open({ ...options(dir), pseudonymizeSecret: 'sixteen bytes or more' });
    await engine.ingestItems(shop.items);
    await engine.ingestFiles({ events: eventsFile });
    const user = events[0]!.user;
    expect(engine.profile(user)!.user).toBe(user);
    expect((await engine.eraseUser(user)).eventsDeleted).toBe(events.slice(0, 500).filter((e) => e.user === user).length);
    await engine.close();
    const store = openSqliteStore(join(dir, 'souk.db'));
    const users = new Set<string>();
    for await (const batch of store.scanEvents()) for (const e of batch) users.add(e.user);
    await store.close();
    expect(users.size).toBeGreaterThan(10);
    for (const u of users) expect(u).toMatch(/^[0-9a-f]{64}$/);
  });
});
