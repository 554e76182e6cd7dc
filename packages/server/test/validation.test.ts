// Bad requests get a 4xx with a stable code and a message naming the field, never a 500.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, WRITE_KEY, call, seed, serve, testShop, type TestServer } from './helpers.js';

let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await serve({ bodyLimit: 64 * 1024 });
  url = server.url;
  const shop = testShop(200);
  await seed(url, { ...shop, items: shop.items.slice(0, 60), events: shop.events.filter((e) => e.item === undefined || shop.items.slice(0, 60).some((i) => i.id === e.item)) });
});
afterAll(async () => server.close());

describe('query parameters', () => {
  it.each([
    ['/v1/search?q=phone&k=0', 'k'],
    ['/v1/search?q=phone&k=101', 'k'],
    ['/v1/search?q=phone&k=ten', 'k'],
    ['/v1/search?q=phone&offset=1001', 'offset'],
    ['/v1/search?q=phone&priceMin=cheap', 'priceMin'],
    ['/v1/search?q=phone&inStock=maybe', 'inStock'],
    ['/v1/search?q=phone&sort=random', 'sort'],
    ['/v1/search?q=phone&mode=greedy', 'mode'],
    ['/v1/search?q=phone&facets=colors', 'facets'],
    ['/v1/search?q=phone&facets=priceBands&priceEdges=50,10', 'priceEdges'],
    [`/v1/search?q=${'a'.repeat(513)}`, 'q'],
    ['/v1/recommend?user=u1&k=-3', 'k'],
    ['/v1/similar?item=x&k=1000', 'k'],
    ['/v1/search?q=phone&category=%20>%20', 'category'],
    ['/v1/recommend?user=u1&contextCategory=>', 'contextCategory'],
  ])('%s → 400 naming %s', async (path, field) => {
    const r = await call(url, 'GET', path);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('ERR_VALIDATION');
    expect(r.body.error.message).toContain(field);
  });

  it('says what it received', async () => {
    const r = await call(url, 'GET', '/v1/search?q=phone&k=500');
    expect(r.body.error.message).toBe('Invalid query parameter k: must be <= 100 (received 500)');
    const t = await call(url, 'GET', '/v1/search?q=phone&inStock=maybe');
    expect(t.body.error.message).toBe('Invalid query parameter inStock: must be boolean (received "maybe")');
  });

  it('refuses unknown parameters by name', async () => {
    const r = await call(url, 'GET', '/v1/search?q=phone&catgory=All');
    expect(r.status).toBe(400);
    expect(r.body.error).toEqual({ code: 'ERR_VALIDATION', message: 'Unknown query parameter catgory' });
  });

  it('names a missing required parameter', async () => {
    const r = await call(url, 'GET', '/v1/recommend?k=5');
    expect(r.status).toBe(400);
    expect(r.body.error.message).toBe('Missing query parameter user');
  });

  it('accepts a query of exactly 512 characters', async () => {
    const r = await call(url, 'GET', `/v1/search?q=${'phone '.repeat(85)}ab`);
    expect(r.status).toBe(200);
  });
});

describe('bodies', () => {
  it('invalid JSON → 400 ERR_INVALID_JSON', async () => {
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, raw: '{"events": [' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('ERR_INVALID_JSON');
  });

  it('non-JSON content type → 415', async () => {
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, raw: 'user=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(r.status).toBe(415);
    expect(r.body.error.code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
    const text = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, raw: 'hello', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
  });

  it('oversized body → 413 ERR_BODY_TOO_LARGE with the limit', async () => {
    const events = Array.from({ length: 900 }, (_, i) => ({ user: `u${i}`, type: 'search', query: 'x'.repeat(100), timestamp: 1 }));
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events } });
    expect(r.status).toBe(413);
    expect(r.body.error).toEqual({ code: 'ERR_BODY_TOO_LARGE', message: 'Expected a request body of at most 65536 bytes' });
  });

  it('batch bounds: empty and over 1,000 events', async () => {
    const empty = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toContain('events');
    const big = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: Array.from({ length: 1001 }, () => ({})) } });
    expect(big.status).toBe(400);
    expect(big.body.error.message).toMatch(/events: must NOT have more than 1000 items/);
  });

  it('unknown and mistyped body fields are named', async () => {
    const extra = await call(url, 'POST', '/v1/search', { body: { q: 'phone', filters: { colour: 'red' } } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toBe('Unknown body field filters.colour');
    const typed = await call(url, 'POST', '/v1/search', { body: { q: 'phone', filters: { price: { min: 'low' } } } });
    expect(typed.status).toBe(400);
    expect(typed.body.error.message).toContain('filters.price.min');
    const missing = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { batchId: 'x' } });
    expect(missing.body.error.message).toBe('Missing body field events');
  });

  it('a body that is not an object is refused', async () => {
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: [1, 2] });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/^Expected a JSON object as the request body/);
  });
});

describe('routes and engine errors', () => {
  it('unknown route → 404 ERR_NOT_FOUND', async () => {
    const r = await call(url, 'GET', '/v1/nothing-here?x=1');
    expect(r.status).toBe(404);
    expect(r.body.error).toEqual({ code: 'ERR_NOT_FOUND', message: 'No route GET /v1/nothing-here' });
  });

  it('unknown item → 404 ERR_UNKNOWN_ITEM; unknown user profile → 404 ERR_UNKNOWN_USER', async () => {
    const item = await call(url, 'GET', '/v1/items/no-such-item');
    expect(item.status).toBe(404);
    expect(item.body.error.code).toBe('ERR_UNKNOWN_ITEM');
    const similar = await call(url, 'GET', '/v1/similar?item=no-such-item');
    expect(similar.status).toBe(404);
    expect(similar.body.error.code).toBe('ERR_UNKNOWN_ITEM');
    const profile = await call(url, 'GET', '/v1/users/nobody-ever/profile');
    expect(profile.status).toBe(404);
    expect(profile.body.error.code).toBe('ERR_UNKNOWN_USER');
  });

  it('a filter on an attribute the catalog lacks is a 400, not a 500', async () => {
    const r = await call(url, 'POST', '/v1/search', { body: { q: 'phone', filters: { attributes: { nosuchattribute: 'x' } } } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('nosuchattribute');
  });

  it('every answer carries a request id, echoed when the client sends a sane one', async () => {
    const given = await call(url, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    const odd = await call(url, 'GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('retrain body with an unknown model is refused', async () => {
    const r = await call(url, 'POST', '/v1/admin/retrain', { key: ADMIN_KEY, body: { model: 'gpt' } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toContain('model');
  });
});
