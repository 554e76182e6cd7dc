// Test helpers: a real engine over a small synthetic shop (English and Chinese catalogs), served
// over HTTP on a free port, and a small fetch wrapper.
import { createSyntheticShop, type EventRecord, type ItemRecord, type SyntheticShop } from '@souk/data';
import { Engine, type EngineOptions } from '@souk/engine';
import { createApp, type AppOptions, type SoukApp } from '@souk/server';

/** Keys the test servers accept. */
export const ADMIN_KEY = 'test-admin-key-0001';
export const WRITE_KEY = 'test-write-key-0001';
export const READ_KEY = 'test-read-key-00001';

/** The test shop: 240 English and 120 Chinese items, English events. */
export interface TestShop {
  readonly en: SyntheticShop;
  readonly zh: SyntheticShop;
  readonly items: ItemRecord[];
  readonly events: EventRecord[];
}

/** A deterministic small shop. */
export function testShop(events = 3000): TestShop {
  const en = createSyntheticShop({ seed: 11, locale: 'en', items: 240, users: 60, queries: 20 });
  const zh = createSyntheticShop({ seed: 12, locale: 'zh', items: 120, users: 30, queries: 20 });
  return { en, zh, items: [...en.items, ...zh.items], events: [...en.events({ events })] };
}

/** A response read as JSON. */
export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** Calls the API: JSON in, JSON (or text) out. */
export async function call<T = any>(base: string, method: string, path: string, options: { body?: unknown; key?: string; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.body);
  } else if (options.raw !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = options.raw;
  }
  const response = await fetch(base + path, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return { status: response.status, body: (type.includes('json') ? JSON.parse(text) : text) as T, headers: response.headers };
}

/** A served engine. */
export interface TestServer {
  readonly url: string;
  readonly engine: Engine;
  readonly app: SoukApp;
  close(): Promise<void>;
}

/** Opens a real engine in memory and serves it on a free port (silent logs, admin/write/read keys). */
export async function serve(appOptions: AppOptions = {}, engineOptions: Partial<EngineOptions> = {}): Promise<TestServer> {
  const engine = await Engine.open({ dataDir: ':memory:', ...engineOptions });
  const app = await createApp(engine, {
    logLevel: 'silent',
    processMetrics: false,
    apiKeys: [
      { key: ADMIN_KEY, scopes: ['admin'] },
      { key: WRITE_KEY, scopes: ['write'] },
      { key: READ_KEY, scopes: ['read'] },
    ],
    ...appOptions,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    engine,
    app,
    async close() {
      await app.close();
      await engine.close();
    },
  };
}

/** Posts items and events in batches of at most 1,000 through the API. */
export async function seed(url: string, shop: TestShop): Promise<void> {
  for (let i = 0; i < shop.items.length; i += 1000) {
    const r = await call(url, 'POST', '/v1/items', { key: WRITE_KEY, body: { items: shop.items.slice(i, i + 1000) } });
    if (r.status !== 200 || r.body.rejected.length > 0) throw new Error(`seeding items failed: ${JSON.stringify(r.body).slice(0, 500)}`);
  }
  for (let i = 0; i < shop.events.length; i += 1000) {
    const r = await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: shop.events.slice(i, i + 1000) } });
    if (r.status !== 200) throw new Error(`seeding events failed: ${JSON.stringify(r.body).slice(0, 500)}`);
  }
}

/** Polls the retraining status until the job has finished. */
export async function waitForRetrain(url: string): Promise<any> {
  for (;;) {
    const r = await call(url, 'GET', '/v1/admin/retrain', { key: ADMIN_KEY });
    if (r.status !== 200) throw new Error(`retrain status failed: ${JSON.stringify(r.body)}`);
    const state = r.body.job?.state;
    if (state === 'succeeded' || state === 'failed') return r.body.job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
