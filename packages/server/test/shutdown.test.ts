// Graceful shutdown: a request in flight when shutdown begins completes; new connections are
// refused; the engine is closed (flushed); events acknowledged before shutdown are in the store
// after reopening the data directory. The signal handler drives the same path and exits 0.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '@souk/engine';
import { createApp, startServer } from '@souk/server';
import { markClosing } from '../src/app.js';
import { WRITE_KEY, call, testShop } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'souk-server-'));
  dirs.push(dir);
  return dir;
}

/** Starts a POST whose body is sent in two halves; resolves `sendRest` to finish it. */
function slowPost(url: string, path: string, body: string) {
  const target = new URL(path, url);
  let status = 0;
  let text = '';
  const req = httpRequest({
    host: target.hostname,
    port: target.port,
    path: target.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${WRITE_KEY}` },
  });
  const done = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status, body: JSON.parse(text) }));
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  return { done, sendRest: () => req.end(body.slice(half)) };
}

describe('graceful shutdown', () => {
  it('drains an in-flight request, refuses new ones, and keeps acknowledged events', async () => {
    const dataDir = tempDir();
    const shop = testShop(400);
    const items = shop.items.slice(0, 240);
    const server = await startServer({ dataDir, port: 0, logLevel: 'silent', processMetrics: false, handleSignals: false, apiKeys: [{ key: WRITE_KEY, scopes: ['write'] }] });
    expect((await call(server.url, 'POST', '/v1/items', { key: WRITE_KEY, body: { items } })).status).toBe(200);
    const early = shop.events.slice(0, 200);
    const acked = await call(server.url, 'POST', '/v1/events', { key: WRITE_KEY, body: { events: early } });
    expect(acked.status).toBe(200);

    const late = shop.events.slice(200, 400);
    const arrived = once(server.app.server, 'request'); // headers parsed, body still coming
    const inFlight = slowPost(server.url, '/v1/events', JSON.stringify({ events: late }));
    await arrived;
    const closing = server.close();
    while (server.app.server.listening) await new Promise((resolve) => setImmediate(resolve));
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    inFlight.sendRest();
    const answer = await inFlight.done;
    expect(answer.status).toBe(200);
    await closing;
    await expect(server.engine.search('x')).rejects.toMatchObject({ code: 'ERR_CLOSED' });
    expect(server.close()).toBe(closing);

    const accepted = acked.body.accepted + answer.body.accepted;
    expect(accepted).toBe(early.length + late.length - acked.body.rejected.length - answer.body.rejected.length);
    const reopened = await Engine.open({ dataDir });
    try {
      expect(reopened.stats().events).toBe(accepted);
      const user = late.find((e) => e.item !== undefined)!.user;
      expect(reopened.profile(user)?.events).toBe([...early, ...late].filter((e) => e.user === user).length);
    } finally {
      await reopened.close();
    }
  });

  it('a request reaching a draining app (e.g. pipelined on a busy connection) gets 503 in the error shape', async () => {
    const engine = await Engine.open({ dataDir: ':memory:' });
    const app = await createApp(engine, { logLevel: 'silent', processMetrics: false });
    try {
      markClosing(app);
      const late = await app.inject({ method: 'GET', url: '/v1/search?q=phone' });
      expect(late.statusCode).toBe(503);
      expect(late.json()).toEqual({ error: { code: 'ERR_SHUTTING_DOWN', message: 'The server is shutting down; retry the request' } });
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect([health.statusCode, health.json().status]).toEqual([503, 'shutting_down']);
    } finally {
      await app.close();
      await engine.close();
    }
  });

  it('SIGTERM shuts down through the same path and exits 0', async () => {
    const exits: number[] = [];
    const exited = new Promise<void>((resolve) => {
      void startServer({ dataDir: tempDir(), port: 0, logLevel: 'silent', processMetrics: false, exit: (code) => { exits.push(code); resolve(); } }).then(async (server) => {
        expect((await call(server.url, 'GET', '/healthz')).status).toBe(200);
        process.emit('SIGTERM', 'SIGTERM');
      });
    });
    await exited;
    expect(exits).toEqual([0]);
    expect(process.listeners('SIGTERM').length).toBe(0);
  });
});
