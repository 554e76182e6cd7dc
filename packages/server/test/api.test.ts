// End to end over HTTP against the real engine: a small synthetic shop (English and Chinese
// catalogs) is posted through the API, a model is retrained through the API, and the read
// routes are checked against what the shop says is true. The engine runs with a read worker, as
// the server does by default on more than one core: the catalog reaches it through the API's
// writes, and every read below must see what the writes before it did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, call, seed, serve, testShop, waitForRetrain, type TestServer, type TestShop } from './helpers.js';

let server: TestServer;
let url: string;
let shop: TestShop;
let firstJob: any;

beforeAll(async () => {
  shop = testShop(3000);
  server = await serve({ processMetrics: true }, { readWorkers: 1 });
  url = server.url;
  await seed(url, shop);
  const started = await call(url, 'POST', '/v1/admin/retrain', { key: ADMIN_KEY, body: { model: 'als' } });
  expect(started.status).toBe(202);
  expect(['queued', 'running']).toContain(started.body.state);
  firstJob = await waitForRetrain(url);
});
afterAll(async () => server?.close());

const ids = (r: { body: { items: Array<{ item: { id: string } }> } }) => r.body.items.map((x) => x.item.id);
const itemById = (id: string) => shop.items.find((i) => i.id === id)!;

describe('retraining', () => {
  it('runs in the background and succeeds with a version and metrics', async () => {
    expect(firstJob.state).toBe('succeeded');
    expect(firstJob.version).toEqual(expect.any(String));
    expect(firstJob.finishedAt).toBeGreaterThanOrEqual(firstJob.startedAt);
    const health = await call(url, 'GET', '/healthz?ready=true');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', ready: true, modelVersion: firstJob.version, items: shop.items.length });
  });
});

describe('search', () => {
  it('finds the exact-match items of the English ground-truth queries', async () => {
    let hits = 0;
    const queries = shop.en.queries.slice(0, 10);
    for (const q of queries) {
      const r = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q.text)}&k=10`);
      expect(r.status).toBe(200);
      const exact = new Set(q.relevance.filter((j) => j.grade === 3).map((j) => j.item));
      if (ids(r).some((id) => exact.has(id))) hits++;
    }
    expect(hits).toBeGreaterThanOrEqual(8);
  });

  it('searches the Chinese catalog (segmented queries)', async () => {
    let hits = 0;
    const queries = shop.zh.queries.slice(0, 10);
    for (const q of queries) {
      const r = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q.text)}&k=10`);
      expect(r.status).toBe(200);
      expect(r.body.query).toBe(q.text);
      const relevant = new Set(q.relevance.filter((j) => j.grade >= 2).map((j) => j.item));
      if (ids(r).some((id) => relevant.has(id))) hits++;
      expect(ids(r).every((id) => id.startsWith('zh-'))).toBe(true);
    }
    expect(hits).toBeGreaterThanOrEqual(8);
  });

  /** Every hit of a query (paging through), as the reference the filtered answers are checked against. */
  async function allHits(q: string): Promise<Array<{ id: string; brand: string; categoryPath: string[]; price: number; inStock: boolean }>> {
    const out = [];
    for (let offset = 0; ; offset += 100) {
      const r = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q)}&k=100&offset=${offset}`);
      expect(r.status).toBe(200);
      out.push(...r.body.items.map((row: any) => row.item));
      if (offset + 100 >= r.body.total) return out;
    }
  }
  // A product noun shared by many items across brands, prices and stock states.
  const noun = () => {
    const counts = new Map<string, number>();
    for (const i of shop.en.items) counts.set(i.tags[1]!, (counts.get(i.tags[1]!) ?? 0) + 1);
    return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  };

  it('applies category, brand, price and stock filters from the query string', async () => {
    const q = noun();
    const hits = await allHits(q);
    expect(hits.length).toBeGreaterThan(5);
    const category = hits[0]!.categoryPath.slice(0, 2);
    const brands = [...new Set(hits.map((h) => h.brand))].slice(0, 2);
    const maxPrice = [...hits.map((h) => h.price)].sort((a, b) => a - b)[Math.floor(hits.length / 2)]!;
    const path = `/v1/search?q=${encodeURIComponent(q)}&k=100&category=${encodeURIComponent(category.join(' > '))}&brand=${encodeURIComponent(brands.join(','))}&priceMax=${maxPrice}&inStock=true`;
    const expected = hits.filter((h) => h.categoryPath[1] === category[1] && brands.includes(h.brand) && h.price <= maxPrice && h.inStock);
    expect(expected.length).toBeGreaterThan(0);
    const r = await call(url, 'GET', path);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(expected.length);
    expect(new Set(ids(r))).toEqual(new Set(expected.map((h) => h.id)));
    // Repeating the parameter means the same as the comma list.
    const repeated = await call(url, 'GET', path.replace(`brand=${encodeURIComponent(brands.join(','))}`, brands.map((b) => `brand=${encodeURIComponent(b)}`).join('&')));
    expect(repeated.body.total).toBe(expected.length);
  });

  it('counts facets over the matching items (brands, categories, price bands with edges)', async () => {
    const q = noun();
    const hits = await allHits(q);
    const r = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q)}&k=5&facets=brands,categories,priceBands&priceEdges=0,50,100`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(hits.length);
    const brandCounts = new Map<string, number>();
    for (const h of hits) brandCounts.set(h.brand, (brandCounts.get(h.brand) ?? 0) + 1);
    expect(new Map(r.body.facets.brands.map((f: any) => [f.value, f.count]))).toEqual(brandCounts);
    expect(r.body.facets.categories.length).toBeGreaterThan(0);
    const bands = r.body.facets.priceBands;
    expect(bands.map((b: any) => b.min)).toEqual([0, 50, 100]);
    expect(bands[2].max).toBeNull();
    expect(bands.map((b: any) => b.count)).toEqual([
      hits.filter((h) => h.price < 50).length,
      hits.filter((h) => h.price >= 50 && h.price < 100).length,
      hits.filter((h) => h.price >= 100).length,
    ]);
  });

  it('POST /v1/search takes attribute filters, diversity and rules', async () => {
    const q = noun();
    const hits = await allHits(q);
    const variant = itemById(hits[0]!.id).attributes.variant as string;
    const withVariant = hits.filter((h) => itemById(h.id).attributes.variant === variant);
    const r = await call(url, 'POST', '/v1/search', { body: { q, k: 20, filters: { attributes: { variant } } } });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(withVariant.length);
    for (const row of r.body.items) expect(itemById(row.item.id).attributes.variant).toBe(variant);

    const diverse = await call(url, 'POST', '/v1/search', { body: { q, k: 5, diversity: { maxPerBrand: 1 } } });
    expect(diverse.status).toBe(200);
    const brands = diverse.body.items.map((row: any) => row.item.brand);
    expect(new Set(brands).size).toBe(brands.length);

    const pinned = shop.en.items[5]!.id;
    const excluded = hits[0]!.id;
    const ruled = await call(url, 'POST', '/v1/search', { body: { q, k: 5, rules: { pin: [{ item: pinned, position: 1 }], exclude: [excluded] } } });
    expect(ruled.status).toBe(200);
    expect(ruled.body.items[0].item.id).toBe(pinned);
    expect(ruled.body.items[0].reason).toBe('pinned');
    expect(ids(ruled)).not.toContain(excluded);
  });

  it('sorts by price and pages with offset', async () => {
    const q = noun();
    const all = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q)}&k=20&sort=price_asc`);
    expect(all.status).toBe(200);
    const prices = all.body.items.map((row: any) => row.item.price);
    expect(prices).toEqual([...prices].sort((a: number, b: number) => a - b));
    const page = await call(url, 'GET', `/v1/search?q=${encodeURIComponent(q)}&k=5&offset=5&sort=price_asc`);
    expect(ids(page)).toEqual(ids(all).slice(5, 10));
  });
});

describe('events, profiles and recommendations', () => {
  it('new events shape the profile and move the recommendations toward what the user did', async () => {
    const user = 'http-new-user';
    expect((await call(url, 'GET', `/v1/users/${user}/profile`)).status).toBe(404);
    const before = await call(url, 'GET', `/v1/recommend?user=${user}&k=10`);
    expect(before.status).toBe(200);
    expect(before.body.source).toBe('popular');
    const seenBefore = await call(url, 'GET', `/v1/recommend?user=${user}&k=20&excludeSeen=false`);

    const category = shop.en.items[3]!.categoryPath;
    const inCategory = shop.en.items.filter((i) => i.categoryPath.join('>') === category.join('>'));
    const now = Date.now();
    const events = inCategory.slice(0, 6).flatMap((item, n) => [
      { user, item: item.id, type: 'view', timestamp: now - 60_000 + n * 1000 },
      { user, item: item.id, type: 'purchase', value: item.price, timestamp: now - 30_000 + n * 1000 },
    ]);
    const posted = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events } });
    expect(posted.status).toBe(200);
    expect(posted.body).toMatchObject({ accepted: events.length, rejected: [], duplicateBatch: false });
    expect(posted.body.usersUpdated).toBe(1);

    const profile = await call(url, 'GET', `/v1/users/${user}/profile`);
    expect(profile.status).toBe(200);
    expect(profile.body.user).toBe(user);
    expect(profile.body.events).toBe(events.length);
    const topCategories = profile.body.affinities.categories.slice(0, 3).map((a: any) => a.value);
    expect(topCategories.some((v: string) => v.includes(category[category.length - 1]!))).toBe(true);

    const after = await call(url, 'GET', `/v1/recommend?user=${user}&k=10`);
    expect(after.status).toBe(200);
    expect(after.body.source).not.toBe('popular');
    expect(ids(after)).not.toEqual(ids(before));
    // What the user bought is left out by default; with excludeSeen=false the recommendations,
    // now driven by the user's fold-in vector, put those items near the top, where none of
    // them was before the events.
    const bought = new Set(inCategory.slice(0, 6).map((i) => i.id));
    expect(ids(after).some((id) => bought.has(id))).toBe(false);
    const withSeen = (r: { body: { items: Array<{ item: { id: string } }> } }) => ids(r).filter((id) => bought.has(id)).length;
    const seenAfter = await call(url, 'GET', `/v1/recommend?user=${user}&k=20&excludeSeen=false`);
    expect(withSeen(seenAfter)).toBeGreaterThanOrEqual(4);
    expect(withSeen(seenAfter)).toBeGreaterThan(withSeen(seenBefore));
  });

  it('a batch retried with the same batchId is stored once', async () => {
    const events = [{ user: 'retry-user', item: shop.en.items[7]!.id, type: 'view', timestamp: Date.now() }];
    const first = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events, batchId: 'batch-0001' } });
    const again = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events, batchId: 'batch-0001' } });
    expect(first.body).toMatchObject({ accepted: 1, duplicateBatch: false });
    expect(again.status).toBe(200);
    expect(again.body.duplicateBatch).toBe(true);
    expect((await call(url, 'GET', '/v1/users/retry-user/profile')).body.events).toBe(1);
  });

  it('reports rejected rows with their index and field, storing the rest', async () => {
    const events = [
      { user: 'partial-user', item: shop.en.items[1]!.id, type: 'view', timestamp: Date.now() },
      { user: 'partial-user', item: shop.en.items[2]!.id, type: 'teleport', timestamp: Date.now() },
      { user: 'partial-user', item: shop.en.items[2]!.id, type: 'view' },
    ];
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events } });
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(1);
    expect(r.body.rejected.map((x: any) => [x.index, x.field])).toEqual([[1, 'type'], [2, 'timestamp']]);
    expect(r.body.rejected[0].code).toMatch(/^ERR_/);
  });

  it('recommend takes context and filters; POST /v1/recommend takes rules', async () => {
    const user = shop.events[0]!.user;
    const category = shop.en.items[10]!.categoryPath.slice(0, 2);
    const r = await call(url, 'GET', `/v1/recommend?user=${user}&k=5&category=${encodeURIComponent(category.join('>'))}&explain=true`);
    expect(r.status).toBe(200);
    expect(r.body.items.length).toBeGreaterThan(0);
    for (const row of r.body.items) expect(row.item.categoryPath.slice(0, 2)).toEqual(category);
    const excluded = ids(r)[0]!;
    const post = await call(url, 'POST', '/v1/recommend', { body: { user, k: 5, filters: { category }, rules: { exclude: [excluded] } } });
    expect(post.status).toBe(200);
    expect(ids(post)).not.toContain(excluded);
  });

  it('similar items and single items', async () => {
    const item = shop.events.find((e) => e.item)!.item!;
    const r = await call(url, 'GET', `/v1/similar?item=${item}&k=5`);
    expect(r.status).toBe(200);
    expect(r.body.item).toBe(item);
    expect(r.body.items.length).toBe(5);
    expect(ids(r)).not.toContain(item);
    const one = await call(url, 'GET', `/v1/items/${encodeURIComponent(item)}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: item, title: itemById(item).title, categoryPath: itemById(item).categoryPath });
  });

  it('erasure removes the profile and the user\'s events', async () => {
    const user = 'erase-me';
    await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: [{ user, item: shop.en.items[4]!.id, type: 'cart', timestamp: Date.now() }] } });
    expect((await call(url, 'GET', `/v1/users/${user}/profile`)).status).toBe(200);
    const erased = await call(url, 'DELETE', `/v1/users/${user}`, { key: WRITE_KEY });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ user, eventsDeleted: 1, profileDeleted: true });
    const gone = await call(url, 'GET', `/v1/users/${user}/profile`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('ERR_UNKNOWN_USER');
    expect((await call(url, 'DELETE', `/v1/users/${user}`, { key: WRITE_KEY })).status).toBe(404);
  });
});

describe('admin and operations', () => {
  it('inventory reports the stored assets', async () => {
    const r = await call(url, 'GET', '/v1/inventory', { key: ADMIN_KEY });
    expect(r.status).toBe(200);
    expect(r.body.assets.find((a: any) => a.asset === 'items').rows).toBe(shop.items.length);
    expect(r.body.events.stored).toBeGreaterThanOrEqual(shop.events.length);
  });

  it('a second retrain while one runs is 409 ERR_BUSY, and the new job succeeds', async () => {
    const started = await call(url, 'POST', '/v1/admin/retrain', { key: ADMIN_KEY });
    expect(started.status).toBe(202);
    const busy = await call(url, 'POST', '/v1/admin/retrain', { key: ADMIN_KEY, body: { model: 'popularity' } });
    if (busy.status !== 202) {
      expect(busy.status).toBe(409);
      expect(busy.body.error.code).toBe('ERR_BUSY');
    }
    const done = await waitForRetrain(url);
    expect(done.state).toBe('succeeded');
    expect(done.id).not.toBe(firstJob.id);
  });

  it('/metrics exposes request counters, latency histograms, ingest counters and the model', async () => {
    await call(url, 'GET', '/v1/search?q=phone');
    // The same search twice: the second is answered from the read worker's result cache.
    const before = server.engine.stats().searchCache;
    await call(url, 'GET', '/v1/search?q=wireless%20phone');
    await call(url, 'GET', '/v1/search?q=wireless%20phone');
    const r = await call(url, 'GET', '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = r.body as string;
    expect(text).toMatch(/souk_http_requests_total\{method="GET",route="\/v1\/search",status="200"\} \d+/);
    expect(text).toMatch(/souk_http_requests_total\{method="POST",route="\/v1\/events",status="200"\} \d+/);
    expect(text).toMatch(/souk_http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/v1\/search",status="200"\} \d+/);
    const ingested = Number(/^souk_events_ingested_total (\d+)/m.exec(text)?.[1]);
    expect(ingested).toBeGreaterThanOrEqual(shop.events.length);
    expect(text).toMatch(/souk_model_info\{model="[\w-]+",version="[^"]+"\} 1/);
    expect(text).toMatch(/souk_retrain_duration_seconds_count\{model="als",state="succeeded"\} [1-9]/);
    expect(text).toMatch(new RegExp(`^souk_items ${shop.items.length}$`, 'm'));
    expect(text).toMatch(/^souk_model_trained_timestamp_seconds\{model="[\w-]+",version="[^"]+"\} \d+/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(Number(/^souk_search_cache_hits_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(/^souk_search_cache_misses_total (\d+)/m.exec(text)?.[1])).toBeGreaterThanOrEqual(1);
    expect(server.engine.stats().searchCache.hits).toBeGreaterThanOrEqual(before.hits + 1);
  });

  it('/docs/openapi.json is an OpenAPI 3.1 document listing every route, with resolvable references', async () => {
    const r = await call(url, 'GET', '/docs/openapi.json');
    expect(r.status).toBe(200);
    const doc = r.body;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Souk API');
    const operations = Object.entries(doc.paths as Record<string, Record<string, any>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations.sort()).toEqual([
      'DELETE /v1/users/{id}', 'GET /docs/openapi.json', 'GET /healthz', 'GET /metrics', 'GET /v1/admin/retrain', 'GET /v1/inventory',
      'GET /v1/items/{id}', 'GET /v1/recommend', 'GET /v1/search', 'GET /v1/similar', 'GET /v1/users/{id}/profile', 'POST /v1/admin/retrain',
      'POST /v1/events', 'POST /v1/items', 'POST /v1/recommend', 'POST /v1/search',
    ]);
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const op of Object.values(ops)) {
        expect(Object.keys(op.responses).length).toBeGreaterThan(0);
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(op.parameters.some((p: any) => p.in === 'path' && `{${p.name}}` === name && p.required)).toBe(true);
        }
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) {
      expect(ref).toMatch(/^#\/components\/schemas\//);
      expect(doc.components.schemas[ref.split('/').pop()!]).toBeDefined();
    }
    expect(doc.components.schemas.Event.required).toEqual(['user', 'type', 'timestamp']);
    expect(doc.components.securitySchemes.bearerAuth.scheme).toBe('bearer');
    expect(doc.paths['/v1/events'].post.security).toBeDefined();
    expect(doc.paths['/v1/search'].get.security).toBeUndefined();
  });
});

describe('read worker', () => {
  it('answered reads over HTTP (the routes above ran through it)', () => {
    const reads = server.engine.stats().reads!;
    expect(reads.workers).toBe(1);
    expect(reads.served[0]).toBeGreaterThan(20);
  });

  it('is reported by /healthz', async () => {
    const health = await call(url, 'GET', '/healthz');
    expect(health.body.reads).toMatchObject({ workers: 1, ready: 1, local: expect.any(Number) });
    expect(health.body.reads.served[0]).toBeGreaterThan(20);
  });
});
