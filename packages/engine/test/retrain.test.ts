import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Engine, type EngineLogger } from '@souk/engine';
import { purchases, shopEvents, smallShop } from './helpers.js';

const shop = smallShop();
const events = shopEvents(shop, 4000);

/** A logger that keeps its messages. */
function recordingLogger(): EngineLogger & { lines: Array<{ level: string; msg: string | undefined }> } {
  const lines: Array<{ level: string; msg: string | undefined }> = [];
  const at = (level: string) => (_obj: object, msg?: string) => void lines.push({ level, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') };
}

describe('retraining', () => {
  it('recommends better than popularity for held-out events (the whole engine path: model candidates re-ranked)', async () => {
    const stream = shopEvents(shop, 12_000);
    const cut = Math.floor(stream.length * 0.8);
    const engine = await Engine.open({ dataDir: ':memory:', retrainInWorker: false, modelParams: { als: { factors: 16, iterations: 8, seed: 3 } } });
    try {
      await engine.ingestItems(shop.items);
      await engine.ingestEvents(stream.slice(0, cut));
      await engine.retrain({ evaluate: false });
      expect((await engine.waitForRetrain())!.state).toBe('succeeded');
      const future = new Map<string, Set<string>>();
      for (const e of stream.slice(cut)) if (e.item && (e.type === 'cart' || e.type === 'purchase' || e.type === 'click')) future.set(e.user, (future.get(e.user) ?? new Set()).add(e.item));
      let modelHits = 0;
      let popularHits = 0;
      let users = 0;
      for (const [user, items] of future) {
        const rec = await engine.recommend(user, { k: 10 });
        if (rec.source !== 'model') continue;
        users++;
        modelHits += rec.items.filter((r) => items.has(r.item.id)).length;
        // Popularity with the same seen items left out: the cold-start list for a blank user, filtered.
        const seen = new Set(stream.slice(0, cut).filter((e) => e.user === user && e.item).map((e) => e.item!));
        const popular = (await engine.recommend(`blank-${user}`, { k: 100 })).items.filter((r) => !seen.has(r.item.id)).slice(0, 10);
        popularHits += popular.filter((r) => items.has(r.item.id)).length;
      }
      expect(users).toBeGreaterThan(30);
      expect(modelHits).toBeGreaterThan(popularHits);
    } finally {
      await engine.close();
    }
  });

  it('keeps the previous model when training fails, and says why', async () => {
    const engine = await Engine.open({ dataDir: ':memory:', modelParams: { als: { factors: 8, iterations: 3 } } });
    try {
      await engine.ingestItems(shop.items);
      await engine.ingestEvents(events);
      await engine.retrain({ evaluate: false });
      const good = (await engine.waitForRetrain())!;
      expect(good.state).toBe('succeeded');
      // EASE refuses a matrix larger than its dense limit: the job fails in the worker.
      await engine.retrain({ model: 'ease', params: { maxDenseDimension: 5 } });
      const bad = (await engine.waitForRetrain())!;
      expect(bad.state).toBe('failed');
      expect(bad.error!.code).toBe('ERR_TRAINING');
      expect(bad.error!.message).toContain('maxDenseDimension');
      expect(engine.stats().modelVersion).toBe(good.version);
      expect((await engine.recommend(events[0]!.user)).modelVersion).toBe(good.version);
    } finally {
      await engine.close();
    }
  });

  it('trains other models (item-kNN) and answers from them', async () => {
    const engine = await Engine.open({ dataDir: ':memory:', model: 'item-knn', retrainInWorker: false });
    try {
      await engine.ingestItems(shop.items);
      await engine.ingestEvents(events);
      await engine.retrain();
      const job = (await engine.waitForRetrain())!;
      expect(job).toMatchObject({ state: 'succeeded', model: 'item-knn', inWorker: false });
      const rec = await engine.recommend(events[0]!.user, { k: 5 });
      expect(rec.source).toBe('model');
      expect(rec.items).toHaveLength(5);
      const item = events.find((e) => e.item)!.item!;
      expect((await engine.similar(item, { k: 3 })).source).toBe('model');
      // A user the item-kNN model never saw has no fold-in: a cold-start answer.
      await engine.ingestEvents(purchases('late-user', shop.items.slice(0, 2)));
      expect((await engine.recommend('late-user')).source).toBe('profile-popular');
    } finally {
      await engine.close();
    }
  });

  it('retrains automatically after autoRetrainEvents new events', async () => {
    const engine = await Engine.open({ dataDir: ':memory:', autoRetrainEvents: 1000, retrainInWorker: false, modelParams: { als: { factors: 8, iterations: 2 } } });
    try {
      await engine.ingestItems(shop.items);
      await engine.ingestEvents(events.slice(0, 500));
      expect(engine.retrainStatus()).toBeUndefined();
      await engine.ingestEvents(events.slice(500, 1500));
      expect(engine.retrainStatus()!.state).toBe('running');
      expect((await engine.waitForRetrain())!.state).toBe('succeeded');
    } finally {
      await engine.close();
    }
  });

  it('starts without a model when the saved one is damaged, and logs why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-engine-damaged-'));
    const first = await Engine.open({ dataDir: dir, retrainInWorker: false, modelParams: { als: { factors: 8, iterations: 2 } } });
    await first.ingestItems(shop.items);
    await first.ingestEvents(events);
    await first.retrain({ evaluate: false });
    const { version } = (await first.waitForRetrain())!;
    await first.close();
    const file = join(dir, 'models', version!, 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(file, bytes);
    const logger = recordingLogger();
    const engine = await Engine.open({ dataDir: dir, logger });
    try {
      expect(engine.stats().modelVersion).toBeUndefined();
      expect(logger.lines.some((l) => l.level === 'error' && l.msg?.includes('cannot be loaded'))).toBe(true);
      expect((await engine.recommend(events[0]!.user)).source).toBe('profile-popular');
    } finally {
      await engine.close();
    }
  });

  it('close stops a running worker; the job ends failed and nothing is swapped in', async () => {
    const engine = await Engine.open({ dataDir: ':memory:', modelParams: { als: { factors: 32, iterations: 50 } } });
    await engine.ingestItems(shop.items);
    await engine.ingestEvents(events);
    await engine.retrain();
    await engine.close();
    const job = engine.retrainStatus()!;
    expect(job.state).toBe('failed');
    expect(engine.stats().modelVersion).toBeUndefined();
  });

  it('serves concurrent ingests and requests while a model is swapped in', async () => {
    const engine = await Engine.open({ dataDir: ':memory:', modelParams: { als: { factors: 8, iterations: 3 } } });
    try {
      await engine.ingestItems(shop.items);
      await engine.ingestEvents(events.slice(0, 3000));
      await engine.retrain({ evaluate: false });
      const chunks = [3000, 3250, 3500, 3750].map((from) => events.slice(from, from + 250));
      const work = await Promise.all([
        ...chunks.map((c, i) => engine.ingestEvents(c, { batchId: `c-${i}` })),
        ...events.slice(0, 20).map((e) => engine.recommend(e.user, { k: 5 })),
        ...shop.queries.slice(0, 10).map((q) => engine.search(q.text, { k: 5 })),
        engine.waitForRetrain(),
      ]);
      expect(work.length).toBe(35);
      expect(engine.stats().events).toBe(4000);
      expect((await engine.recommend(events[0]!.user)).source).toBe('model');
    } finally {
      await engine.close();
    }
  });
});
