import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  assertValidCsr,
  buildInteractionMatrices,
  buildInventoryReport,
  cleanStore,
  createSyntheticShop,
  ingest,
  openSqliteStore,
  renderInventoryHtml,
  validateAsset,
  writeItemsJsonl,
  writeSyntheticEventsCsv,
  type EventRecord,
} from '@souk/data';

const take = (it: Iterable<EventRecord>, n: number) => {
  const out: EventRecord[] = [];
  for (const e of it) {
    out.push(e);
    if (out.length >= n) break;
  }
  return out;
};

describe('synthetic shop', () => {
  it('is deterministic by seed', () => {
    const a = createSyntheticShop({ seed: 5, items: 300, users: 100 });
    const b = createSyntheticShop({ seed: 5, items: 300, users: 100 });
    const c = createSyntheticShop({ seed: 6, items: 300, users: 100 });
    expect(a.items).toEqual(b.items);
    expect(take(a.events({ events: 2000 }), 2000)).toEqual(take(b.events({ events: 2000 }), 2000));
    expect(a.items.map((i) => i.title)).not.toEqual(c.items.map((i) => i.title));
  });

  it('produces valid records, Chinese catalogs and realistic funnel rates', () => {
    const shop = createSyntheticShop({ seed: 11, locale: 'zh', items: 1000, users: 2000 });
    for (const item of shop.items.slice(0, 50)) expect(validateAsset('items', item)).toBeUndefined();
    expect(shop.items[0]!.title).toMatch(/[\u4e00-\u9fff]/);
    expect(shop.items[0]!.currency).toBe('CNY');
    expect(shop.items[0]!.categoryPath[0]).toBe('全部');
    const counts: Record<string, number> = {};
    let n = 0;
    let lastTs = 0;
    let outOfOrderSessions = 0;
    for (const e of shop.events({ events: 100_000 })) {
      n++;
      counts[e.type] = (counts[e.type] ?? 0) + 1;
      if (n <= 200) expect(validateAsset('events', e)).toBeUndefined();
      if (e.type === 'search' && e.timestamp < lastTs - 3_600_000) outOfOrderSessions++;
      if (e.type === 'search') lastTs = e.timestamp;
    }
    expect(n).toBe(100_000);
    const cartRate = counts.cart! / counts.view!;
    const buyRate = counts.purchase! / counts.cart!;
    expect(cartRate).toBeGreaterThan(0.02);
    expect(cartRate).toBeLessThan(0.15);
    expect(buyRate).toBeGreaterThan(0.25);
    expect(buyRate).toBeLessThan(0.75);
    expect(counts.search! / n).toBeGreaterThan(0.02);
    expect(counts.rating).toBeGreaterThan(0);
    expect(outOfOrderSessions).toBe(0);
  });

  it('gives ground truth: grade-3 items match the query words; search sessions view relevant items', () => {
    const shop = createSyntheticShop({ seed: 3, items: 2000, users: 500, queries: 100 });
    for (const q of shop.queries.slice(0, 30)) {
      const byId = new Map(shop.items.map((i) => [i.id, i]));
      const exact = q.relevance.filter((r) => r.grade === 3);
      expect(exact.length).toBeGreaterThan(0);
      for (const r of exact) {
        const title = byId.get(r.item)!.title.toLowerCase();
        for (const word of q.text.split(' ')) expect(title).toContain(word);
      }
    }
    const relevantByQuery = new Map(shop.queries.map((q) => [q.text, new Map(q.relevance.map((r) => [r.item, r.grade]))]));
    let afterSearch = 0;
    let relevantViews = 0;
    let currentQuery: Map<string, number> | undefined;
    let currentSession = '';
    for (const e of shop.events({ events: 50_000 })) {
      if (e.session !== currentSession) {
        currentSession = e.session!;
        currentQuery = undefined;
      }
      if (e.type === 'search') currentQuery = relevantByQuery.get(e.query!);
      else if (e.type === 'view' && currentQuery) {
        afterSearch++;
        if (currentQuery.has(e.item!)) relevantViews++;
      }
    }
    expect(afterSearch).toBeGreaterThan(1000);
    expect(relevantViews / afterSearch).toBeGreaterThan(0.95);
  });

  it('runs end to end: CSV → ingest → clean → matrices → inventory with Chinese labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-synth-'));
    const shop = createSyntheticShop({ seed: 21, locale: 'zh', items: 800, users: 600 });
    await writeItemsJsonl(join(dir, 'items.jsonl'), shop.items);
    const written = await writeSyntheticEventsCsv(join(dir, 'events.csv'), shop.events({ events: 30_000 }));
    expect(written).toBe(30_000);
    const store = openSqliteStore(':memory:');
    expect((await ingest(store, { asset: 'items', source: join(dir, 'items.jsonl') })).accepted).toBe(800);
    const s = await ingest(store, { asset: 'events', source: join(dir, 'events.csv') });
    expect(s).toMatchObject({ read: 30_000, accepted: 30_000, quarantined: 0 });
    const report = await cleanStore(store, { nowMs: Date.UTC(2025, 0, 1) });
    expect(report.removedByRule['unknown-item']).toBe(0);
    const m = await buildInteractionMatrices(store, { alpha: 10, halfLifeDays: 30 });
    assertValidCsr(m.csr);
    assertValidCsr(m.csc);
    const inv = await buildInventoryReport(store, { nowMs: Date.UTC(2025, 0, 1) });
    expect(inv.funnel.map((f) => `${f.from}>${f.to}`)).toEqual(expect.arrayContaining(['search>view', 'view>cart', 'cart>purchase']));
    const html = renderInventoryHtml(inv, '合成商店');
    expect(html).toMatch(/>(数码|服饰|家居厨具|美妆|食品饮料|运动户外)<\/text>/);
    await store.close();
  });
});
