// API keys: digests only, scopes, constant-time comparison; write and admin routes refuse a
// missing (401) or wrong (403) key; read routes can be locked; the flag parser.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyring, autoReadWorkers, DEFAULT_HEAP_GROWTH_PERCENT, hashApiKey, parseServerArgs, startServer } from '@souk/server';
import { ADMIN_KEY, READ_KEY, WRITE_KEY, call, serve, type TestServer } from './helpers.js';

describe('ApiKeyring', () => {
  const ring = new ApiKeyring([{ sha256: hashApiKey('digest-only-key'), scopes: ['write'] }], [{ key: 'plain-admin-key', scopes: ['admin'] }]);

  it('matches keys by digest, with the scope ladder admin ⊇ write ⊇ read', () => {
    expect(ring.check('digest-only-key', 'write').ok).toBe(true);
    expect(ring.check('digest-only-key', 'read').ok).toBe(true);
    expect(ring.check('digest-only-key', 'admin')).toMatchObject({ ok: false, status: 403, code: 'ERR_FORBIDDEN' });
    expect(ring.check('plain-admin-key', 'admin').ok).toBe(true);
    expect(ring.check('plain-admin-key', 'write').ok).toBe(true);
  });

  it('missing key → 401, wrong or oversized key → 403', () => {
    expect(ring.check(undefined, 'write')).toMatchObject({ ok: false, status: 401, code: 'ERR_UNAUTHORIZED' });
    expect(ring.check('', 'write')).toMatchObject({ ok: false, status: 401 });
    expect(ring.check('plain-admin-kez', 'write')).toMatchObject({ ok: false, status: 403 });
    expect(ring.check('x'.repeat(10_000), 'write')).toMatchObject({ ok: false, status: 403 });
  });

  it('keeps no plain text: the digest of the key is all that identifies it', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(JSON.stringify(Object.values(ring))).not.toContain('plain-admin-key');
  });

  it('refuses bad configuration with ERR_CONFIG', () => {
    expect(() => new ApiKeyring([{ sha256: 'not-hex' }])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => new ApiKeyring([], [{ key: 'short' }])).toThrow(/8 to 512 characters/);
    expect(() => new ApiKeyring([], [{ key: 'long-enough-key', scopes: ['root' as never] }])).toThrow(/read, write, admin/);
  });
});

describe('parseServerArgs', () => {
  it('reads flags and environment, flags first', () => {
    const parsed = parseServerArgs(
      ['--data-dir', '/tmp/souk', '--port', '0', '--api-key', 'cli-key-00001:write', '--log-level', 'warn'],
      { SOUK_API_KEYS: 'env-key-00001,env-key-00002:read', SOUK_API_KEY_HASHES: `${hashApiKey('hashed-key-001')}:admin`, SOUK_PSEUDONYMIZE_SECRET: 'sixteen-byte-secret!' },
    );
    expect(parsed.help).toBe(false);
    if (parsed.help) return;
    expect(parsed.options).toMatchObject({ dataDir: '/tmp/souk', host: '127.0.0.1', port: 0, logLevel: 'warn', pseudonymizeSecret: 'sixteen-byte-secret!' });
    expect(parsed.options.apiKeys).toEqual([
      { key: 'cli-key-00001', scopes: ['write'] },
      { key: 'env-key-00001', scopes: ['admin'] },
      { key: 'env-key-00002', scopes: ['read'] },
    ]);
    expect(parsed.options.apiKeyHashes).toEqual([{ sha256: hashApiKey('hashed-key-001'), scopes: ['admin'] }]);
  });

  it('defaults and errors', () => {
    const parsed = parseServerArgs(['--data-dir', 'd'], {});
    expect(parsed.help === false && parsed.options.port).toBe(8080);
    expect(parseServerArgs(['--help'], {}).help).toBe(true);
    expect(() => parseServerArgs([], {})).toThrow(/--data-dir/);
    expect(() => parseServerArgs(['--data-dir', 'd', '--port', '70000'], {})).toThrow(/0\.\.65535 for --port/);
    expect(() => parseServerArgs(['--data-dir', 'd', '--bogus'], {})).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    expect(() => parseServerArgs(['--data-dir', 'd', '--log-level', 'loud'], {})).toThrow(/--log-level/);
  });

  it('read workers: auto by default (one per core, at most 4, none on one core), a count, or 0', () => {
    const workers = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseServerArgs(['--data-dir', 'd', ...argv], env);
      return parsed.help ? undefined : parsed.options.engine?.readWorkers;
    };
    expect(workers([])).toBe(autoReadWorkers());
    expect([1, 2, 3, 8, 64].map((cores) => autoReadWorkers(cores))).toEqual([0, 2, 3, 4, 4]);
    expect(workers(['--read-workers', '0'])).toBe(0);
    expect(workers(['--read-workers', '3'])).toBe(3);
    expect(workers([], { SOUK_READ_WORKERS: '2' })).toBe(2);
    expect(workers(['--read-workers', '1'], { SOUK_READ_WORKERS: '2' })).toBe(1);
    expect(() => workers(['--read-workers', 'many'])).toThrow(/0\.\.64 for --read-workers/);
    expect(() => workers(['--read-workers', '65'])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
  });

  it('heap growth: 300% by default, a flag or SOUK_HEAP_GROWTH, 0 for V8 own; bad values are ERR_CONFIG', async () => {
    const growth = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseServerArgs(['--data-dir', 'd', ...argv], env);
      return parsed.help ? undefined : parsed.options.heapGrowthPercent;
    };
    expect(growth([])).toBe(DEFAULT_HEAP_GROWTH_PERCENT);
    expect(DEFAULT_HEAP_GROWTH_PERCENT).toBe(300);
    expect(growth(['--heap-growth', '0'])).toBe(0);
    expect(growth([], { SOUK_HEAP_GROWTH: '150' })).toBe(150);
    expect(growth(['--heap-growth', '300'], { SOUK_HEAP_GROWTH: '150' })).toBe(300);
    expect(() => growth(['--heap-growth', 'lots'])).toThrow(/0\.\.1000 for --heap-growth/);
    expect(() => growth(['--heap-growth', '1001'])).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    // Programmatic: checked before anything opens.
    await expect(startServer({ dataDir: ':memory:', heapGrowthPercent: 2.5, handleSignals: false })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });

  it('memory reducer: off by default, on or off by flag or SOUK_MEMORY_REDUCER; anything else is ERR_CONFIG', async () => {
    const reducer = (argv: string[], env: Record<string, string> = {}) => {
      const parsed = parseServerArgs(['--data-dir', 'd', ...argv], env);
      return parsed.help ? undefined : parsed.options.memoryReducer;
    };
    expect(reducer([])).toBe(false);
    expect(reducer(['--memory-reducer', 'on'])).toBe(true);
    expect(reducer([], { SOUK_MEMORY_REDUCER: 'on' })).toBe(true);
    expect(reducer(['--memory-reducer', 'off'], { SOUK_MEMORY_REDUCER: 'on' })).toBe(false);
    expect(() => reducer(['--memory-reducer', 'yes'])).toThrow(/on or off for --memory-reducer/);
    expect(() => reducer([], { SOUK_MEMORY_REDUCER: '1' })).toThrow(expect.objectContaining({ code: 'ERR_CONFIG' }));
    await expect(startServer({ dataDir: ':memory:', memoryReducer: 'no' as unknown as boolean, handleSignals: false })).rejects.toMatchObject({ code: 'ERR_CONFIG' });
  });
});

describe('over HTTP', () => {
  let server: TestServer;
  let locked: TestServer;
  const event = { user: 'auth-user', type: 'search', query: 'phone', timestamp: Date.now() };

  beforeAll(async () => {
    server = await serve();
    locked = await serve({ requireReadKey: true });
  });
  afterAll(async () => {
    await server.close();
    await locked.close();
  });

  it.each([
    ['POST', '/v1/events', { events: [event] }],
    ['POST', '/v1/items', { items: [{ id: 'x1', title: 'x', categoryPath: ['All'], tags: [], attributes: {}, inStock: true }] }],
    ['DELETE', '/v1/users/auth-user', undefined],
    ['POST', '/v1/admin/retrain', {}],
    ['GET', '/v1/admin/retrain', undefined],
    ['GET', '/v1/inventory', undefined],
  ])('%s %s refuses a missing key (401) and a wrong key (403)', async (method, path, body) => {
    const missing = await call(server.url, method, path, { body });
    expect(missing.status).toBe(401);
    expect(missing.body.error.code).toBe('ERR_UNAUTHORIZED');
    const wrong = await call(server.url, method, path, { body, key: 'not-a-configured-key' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('ERR_FORBIDDEN');
  });

  it('a read key cannot write; a write key cannot administer; x-api-key works like Bearer', async () => {
    const read = await call(server.url, 'POST', '/v1/events', { key: READ_KEY, body: { events: [event] } });
    expect(read.status).toBe(403);
    expect(read.body.error.message).toBe('The API key lacks scope write');
    const write = await call(server.url, 'POST', '/v1/admin/retrain', { key: WRITE_KEY, body: {} });
    expect(write.status).toBe(403);
    const header = await call(server.url, 'POST', '/v1/events', { headers: { 'x-api-key': WRITE_KEY }, body: { events: [event] } });
    expect(header.status).toBe(200);
    expect(header.body.accepted).toBe(1);
    const admin = await call(server.url, 'GET', '/v1/inventory', { key: ADMIN_KEY });
    expect(admin.status).toBe(200);
  });

  it('read routes are open by default and locked with requireReadKey', async () => {
    expect((await call(server.url, 'GET', '/v1/search?q=phone')).status).toBe(200);
    const open = await call(locked.url, 'GET', '/v1/search?q=phone');
    expect(open.status).toBe(401);
    expect((await call(locked.url, 'GET', '/v1/search?q=phone', { key: READ_KEY })).status).toBe(200);
    expect((await call(locked.url, 'GET', '/v1/search?q=phone', { key: 'wrong-key-000' })).status).toBe(403);
    // Operations routes stay public.
    expect((await call(locked.url, 'GET', '/healthz')).status).toBe(200);
  });
});
