import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AMAZON_CLEANING,
  buildInventoryReport,
  cleanStore,
  defaultDatasetsDir,
  ingest,
  loadAmazonReviews2018,
  openSqliteStore,
  renderInventoryHtml,
  renderInventoryMarkdown,
} from '@souk/data';

const amazonDir = join(defaultDatasetsDir(), 'amazon2018-magazine-subscriptions');
const hasAmazon = existsSync(amazonDir);
if (!hasAmazon) console.warn(`[skip] Amazon 2018 magazine data not found at ${amazonDir} (set SOUK_DATASETS to run)`);

describe.skipIf(!hasAmazon)(`inventory of the Amazon 2018 magazine data${hasAmazon ? '' : ' — SKIPPED: dataset absent'}`, () => {
  it('finds the duplicated ratings and the broken titles, before and after cleaning', async () => {
    const store = openSqliteStore(':memory:');
    await loadAmazonReviews2018(store, { parts: ['ratings', 'metadata'] });
    const raw = await buildInventoryReport(store, { nowMs: Date.UTC(2019, 0, 1) });
    expect(raw.findings.find((f) => f.kind === 'duplicate-ratings')?.count).toBe(1371);
    expect(raw.findings.find((f) => f.kind === 'markup-in-titles')?.count).toBe(2163);
    expect(raw.fieldQuality.find((f) => f.asset === 'items' && f.field === 'title')!.invalid).toBe(2163);
    expect(raw.events).toMatchObject({ stored: 89_689, distinctUsers: 72_098, distinctItems: 2428, uniquePairs: 88_318 });
    expect(raw.events.density).toBeCloseTo(88_318 / (72_098 * 2428), 8);

    await cleanStore(store, { ...AMAZON_CLEANING, items: true, nowMs: Date.UTC(2019, 0, 1) });
    const report = await buildInventoryReport(store, { nowMs: Date.UTC(2019, 0, 1) });
    expect(report.events.kept).toBe(89_689 - 1371);
    expect(report.cleaning.removedByRule['exact-duplicate']).toBe(1221);
    expect(report.cleaning.removedByRule['superseded-rating']).toBe(150);
    expect(report.findings.find((f) => f.kind === 'broken-titles')?.count).toBe(2163);
    expect(report.findings.find((f) => f.kind === 'duplicate-ratings')?.count).toBe(1371); // still stored, marked removed
    expect(report.time.first!.slice(0, 10)).toBe('2001-10-26');
    expect(report.time.last!.slice(0, 10)).toBe('2018-09-19');
    expect(report.coldStart.coldUserShare).toBeGreaterThan(0.95); // 85 % rated once
    expect(report.longTail.gini).toBeGreaterThan(0.7);
    expect(report.longTail.top1PercentShare).toBeGreaterThan(0.2);
    expect(report.catalog.items).toBe(2320);
    expect(report.lineage.map((l) => l.source.split('/').pop())).toEqual(['meta_Magazine_Subscriptions.json.gz', 'Magazine_Subscriptions.csv']);
    expect(report.lineage[1]).toMatchObject({ read: 89_689, accepted: 89_689, quarantined: 0 });

    const md = renderInventoryMarkdown(report, 'Amazon 2018 — Magazine Subscriptions');
    expect(md).toContain('| exact-duplicate | 1,221 |');
    expect(md).toContain('**broken-titles** (2,163)');
    const html = renderInventoryHtml(report);
    expect(html).toContain('<svg');
    expect(html).toContain('Noto Sans CJK SC');
    const json = JSON.parse(JSON.stringify(report));
    expect(json.events.kept).toBe(88_318);
    await store.close();
  });
});

describe('inventory on a small shop', () => {
  it('reports funnel, quarantine, field quality and renders Chinese labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'souk-inventory-'));
    writeFileSync(
      join(dir, 'items.jsonl'),
      [
        { id: 'a', title: '华为 Mate 60 手机', brand: '华为', categoryPath: '数码 > 手机', price: 5999, currency: 'CNY' },
        { id: 'b', title: '小米 手环 8', brand: '小米', categoryPath: '数码 > 穿戴', price: 249, currency: 'CNY' },
        { id: 'c', title: 'Wool hat &amp; scarf', categoryPath: 'Fashion > Hats', price: 19 },
      ]
        .map((x) => JSON.stringify(x))
        .join('\n'),
    );
    const t = 1_700_000_000;
    const rows = ['user,item,type,value,timestamp,query'];
    for (let u = 0; u < 20; u++) {
      rows.push(`u${u},,search,,${t + u * 100},手机`);
      rows.push(`u${u},a,view,,${t + u * 100 + 10},`);
      if (u % 2 === 0) rows.push(`u${u},a,cart,,${t + u * 100 + 20},`);
      if (u % 4 === 0) rows.push(`u${u},a,purchase,5999,${t + u * 100 + 30},`);
    }
    rows.push('u1,b,view,,not-a-time,');
    writeFileSync(join(dir, 'events.csv'), rows.join('\n'));
    const store = openSqliteStore(':memory:');
    await ingest(store, { asset: 'items', source: join(dir, 'items.jsonl') });
    await ingest(store, { asset: 'events', source: join(dir, 'events.csv') });
    await cleanStore(store, { items: true, nowMs: (t + 86_400) * 1000 });
    const report = await buildInventoryReport(store, { nowMs: (t + 86_400) * 1000 });
    expect(report.events.byType).toMatchObject({ search: 20, view: 20, cart: 10, purchase: 5 });
    expect(report.funnel.find((f) => f.from === 'view' && f.to === 'cart')).toMatchObject({ eventRatio: 0.5, userConversion: 0.5 });
    expect(report.funnel.find((f) => f.from === 'cart' && f.to === 'purchase')!.userConversion).toBe(0.5);
    expect(report.quarantine).toEqual([{ asset: 'events', code: 'ERR_SCHEMA', field: 'timestamp', count: 1 }]);
    const ts = report.fieldQuality.find((f) => f.asset === 'events' && f.field === 'timestamp')!;
    expect(ts.invalid).toBe(1);
    expect(ts.invalidRate).toBeCloseTo(1 / 56, 6);
    expect(report.coldStart.catalogItemsWithoutEvents).toBe(2);
    expect(report.catalog.topCategories).toEqual(expect.arrayContaining([{ category: '手机', items: 1 }]));
    const html = renderInventoryHtml(report, '库存报告');
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toMatch(/<svg[^>]*font-family="[^"]*Noto Sans CJK SC/);
    expect(html).toContain('>手机</text>');
    expect(html).toContain('<title>库存报告</title>');
    await store.close();
  });
});
