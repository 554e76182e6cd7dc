// Structured logs: JSON lines with request ids; with pseudonymised user ids no user id reaches
// the log (URLs are redacted, refusal messages left out), while without it the id shows.
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '@souk/engine';
import { createApp } from '@souk/server';
import { WRITE_KEY, call, testShop } from './helpers.js';

const USER = 'alice-private-7781';
const opened: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function logsOfSession(pseudonymize: boolean): Promise<Array<Record<string, any>>> {
  const lines: string[] = [];
  const engine = await Engine.open({ dataDir: ':memory:', ...(pseudonymize ? { pseudonymizeSecret: 'a-secret-of-at-least-16-bytes' } : {}) });
  opened.push(engine);
  const app = await createApp(engine, {
    logLevel: 'debug',
    logStream: { write: (line: string) => lines.push(line) },
    pseudonymized: pseudonymize,
    processMetrics: false,
    apiKeys: [{ key: WRITE_KEY, scopes: ['write'] }],
  });
  opened.push(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const item = testShop(0).items[0]!;
  await call(url, 'POST', '/v1/items', { key: WRITE_KEY, body: { items: [item] } });
  await call(url, 'GET', `/v1/users/${USER}/profile`); // 404 before any event
  await call(url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: [{ user: USER, item: item.id, type: 'view', timestamp: Date.now() }] } });
  expect((await call(url, 'GET', `/v1/users/${USER}/profile`)).body.user).toBe(USER);
  await call(url, 'GET', `/v1/recommend?user=${USER}&k=3`);
  await call(url, 'GET', `/v1/search?q=phone&user=${USER}`, { headers: { 'x-request-id': 'req-log-1' } });
  await call(url, 'DELETE', `/v1/users/${USER}`, { key: WRITE_KEY });
  return lines.map((l) => JSON.parse(l) as Record<string, any>);
}

describe('logs', () => {
  it('carry no user id when user ids are pseudonymised', async () => {
    const logs = await logsOfSession(true);
    expect(logs.length).toBeGreaterThanOrEqual(7); // one per request, and the engine's
    expect(JSON.stringify(logs)).not.toContain(USER);
    const urls = logs.filter((l) => l.req).map((l) => l.req.url);
    expect(urls).toContain('/v1/users/[redacted]/profile');
    expect(urls).toContain('/v1/recommend?user=[redacted]&k=3');
    // One line per request, tied to it by the request id, with its status and time.
    const traced = logs.filter((l) => l.reqId === 'req-log-1');
    expect(traced.map((l) => l.msg)).toEqual(['request completed']);
    expect(traced[0]).toMatchObject({ req: { method: 'GET' }, res: { statusCode: 200 }, responseTime: expect.any(Number) });
    expect(traced[0]!.req.url).toMatch(/^\/v1\/search\?q=phone&user=\[redacted\]/);
  });

  it('show user ids in URLs when not pseudonymising (the redaction above is what hides them)', async () => {
    const logs = await logsOfSession(false);
    expect(JSON.stringify(logs)).toContain(USER);
  });
});
