// End-to-end tests of the `souk` command: the real bin (packages/cli/bin/souk.mjs) over the built
// dist, spawned as a child process. `beforeAll` runs `tsc -b packages/cli` (incremental) so the
// dist always matches the sources; run `npx tsc -b packages/cli` first to keep this step short.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, json, ROOT, souk, tempDir, writeSmallShop } from './support.js';

const COMMANDS = ['ingest', 'inventory', 'train', 'evaluate', 'tune', 'serve', 'bench', 'demo'] as const;

beforeAll(() => {
  buildCli();
});

describe('help and usage errors', () => {
  it('prints help with examples and the exit codes for every command', async () => {
    const top = await souk(['--help']);
    expect(top.code).toBe(0);
    for (const c of COMMANDS) expect(top.stdout).toContain(c);
    const results = await Promise.all(COMMANDS.map((c) => souk([c, '--help'])));
    results.forEach((r, i) => {
      expect(r.code, COMMANDS[i]).toBe(0);
      expect(r.stdout).toContain(`Usage: souk ${COMMANDS[i]}`);
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toContain(`$ souk ${COMMANDS[i]}`);
      expect(r.stdout).toContain('4  not found');
      expect(r.stdout).toContain('--json');
    });
  });

  it('exits 2 on usage errors: unknown command, unknown option, bad value, missing input', async () => {
    const [cmd, opt, value, none, suite] = await Promise.all([
      souk(['frobnicate']),
      souk(['inventory', '--bogus']),
      souk(['evaluate', '--k', 'ten']),
      souk(['ingest', '--data-dir', tempDir()]),
      souk(['bench', 'nonsense']),
    ]);
    for (const r of [cmd, opt, value, none, suite]) expect(r.code, r.stderr).toBe(2);
    expect(value.stderr).toContain('Expected a positive integer for --k');
    expect(none.stderr).toContain('at least one of --items');
    expect(suite.stderr).toContain('unknown suite');
  });

  it('exits 3 for a missing input file and 4 for a data directory without a store or an unknown dataset', async () => {
    const dir = tempDir();
    const missing = await souk(['ingest', '--data-dir', join(dir, 'data'), '--events', join(dir, 'nope.csv'), '--json']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('nope.csv');
    expect(json<{ error: { code: string; exitCode: number } }>(missing).error).toMatchObject({ code: 'ERR_INPUT_MISSING', exitCode: 3 });
    const noDir = await souk(['inventory', '--data-dir', join(dir, 'absent')]);
    expect(noDir.code).toBe(4);
    expect(noDir.stderr).toContain('souk ingest');
    const noDataset = await souk(['demo', '--dataset', join(dir, 'no-such-dataset'), '--out', join(dir, 'r.html')]);
    expect(noDataset.code).toBe(4);
    expect(noDataset.stderr).toContain('ERR_UNKNOWN_DATASET');
  });
});

describe('ingest, inventory, train, evaluate, tune on a small shop', () => {
  let dir: string;
  let dataDir: string;
  let shop: Awaited<ReturnType<typeof writeSmallShop>>;

  beforeAll(async () => {
    dir = tempDir();
    dataDir = join(dir, 'data');
    shop = await writeSmallShop(dir);
    const r = await souk(['ingest', '-d', dataDir, '--items', shop.items, '--users', shop.users, '--events', shop.events, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ result: Record<string, { inserted: number; ignored: number; quarantined: number }> }>(r);
    expect(out.result.items).toEqual({ inserted: shop.counts.items, ignored: 0, quarantined: 0 });
    expect(out.result.users!.inserted).toBe(shop.counts.users);
    expect(out.result.events!.inserted).toBe(shop.counts.events);
  });

  it('re-ingesting the same file stores nothing new, and a file of bad rows exits 3 with every row quarantined', async () => {
    const again = await souk(['ingest', '-d', dataDir, '--events', shop.events, '--json']);
    expect(again.code).toBe(0);
    expect(json<{ result: { events: { inserted: number; ignored: number } } }>(again).result.events).toMatchObject({ inserted: 0, ignored: shop.counts.events });
    const bad = join(dir, 'bad-events.csv');
    writeFileSync(bad, 'user,item,type,timestamp\nu1,i1,teleport,1700000000000\n,i2,view,1700000000000\nu3,i3,view,yesterday-ish\n');
    const r = await souk(['ingest', '-d', dataDir, '--events', bad]);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/events\s+\S*bad-events\.csv\s+0\s+0\s+3/);
    expect(r.stderr).toContain('quarantined');
  });

  it('reports the inventory as text, JSON and HTML', async () => {
    const html = join(dir, 'report', 'inventory.html');
    const r = await souk(['inventory', '-d', dataDir, '--json', '--html', html]);
    expect(r.code, r.stderr).toBe(0);
    const report = json<{ events: { stored: number; distinctItems: number }; catalog: { items: number }; files: { html: string } }>(r);
    expect(report.events.stored).toBe(shop.counts.events);
    expect(report.catalog.items).toBe(shop.counts.items);
    expect(report.events.distinctItems).toBeGreaterThan(50);
    expect(readFileSync(html, 'utf8')).toContain('<svg');
    const text = await souk(['inventory', '-d', dataDir]);
    expect(text.stdout).toMatch(/stored\s+6,000/);
    expect(text.stdout).toContain('Quarantined rows');
  });

  it('trains ALS as the active model and reports held-out metrics; an unknown model exits 4', async () => {
    const r = await souk(['train', '-d', dataDir, '--model', 'als', '--factors', '16', '--iterations', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const job = json<{ state: string; model: string; version: string; metrics: Record<string, number> }>(r);
    expect(job).toMatchObject({ state: 'succeeded', model: 'als' });
    expect(job.version).toBeTruthy();
    expect(job.metrics.ndcg).toBeGreaterThan(0);
    expect(job.metrics.ndcg).toBeLessThanOrEqual(1);
    expect(existsSync(join(dataDir, 'models'))).toBe(true);
    const unknown = await souk(['train', '-d', dataDir, '--model', 'xgboost']);
    expect(unknown.code).toBe(4);
    expect(unknown.stderr).toContain('xgboost');
    const badParams = await souk(['train', '-d', dataDir, '--params', '{factors: 3']);
    expect(badParams.code).toBe(2);
  });

  it('compares models on a holdout: ALS beats popularity on nDCG', async () => {
    const r = await souk(['evaluate', '-d', dataDir, '--model', 'als,popularity', '--factors', '16', '--iterations', '8', '-k', '10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ k: number; sizes: { train: number; test: number }; results: Array<{ model: string; metrics: Record<string, number> }> }>(r);
    expect(out.k).toBe(10);
    expect(out.sizes.test).toBeGreaterThan(0);
    const [als, pop] = out.results;
    expect(als!.model).toBe('als');
    for (const m of ['precision', 'recall', 'ndcg', 'map', 'auc']) {
      expect(als!.metrics[m]).toBeGreaterThanOrEqual(0);
      expect(als!.metrics[m]).toBeLessThanOrEqual(1);
    }
    expect(als!.metrics.users).toBeGreaterThan(20);
    expect(als!.metrics.ndcg).toBeGreaterThan(pop!.metrics.ndcg);
    const text = await souk(['evaluate', '-d', dataDir, '--model', 'popularity,item-knn']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/model\s+precision@10\s+recall@10\s+nDCG@10\s+MAP@10\s+AUC@10/);
    expect(text.stdout).toMatch(/item-kNN\s+0\.\d{4}/);
    const unknown = await souk(['evaluate', '-d', dataDir, '--model', 'als,deep-magic']);
    expect(unknown.code).toBe(4);
  });

  it('tunes item-kNN over a grid and names the best configuration', async () => {
    const r = await souk(['tune', '-d', dataDir, '--model', 'item-knn', '--search', 'grid', '--space', '{"neighbours":[5,50]}', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = json<{ trials: Array<{ params: { neighbours: number }; metrics: { ndcg: number } }>; best: { params: { neighbours: number } } }>(r);
    expect(out.trials.map((t) => t.params.neighbours)).toEqual([5, 50]);
    const best = out.trials.reduce((a, b) => (b.metrics.ndcg > a.metrics.ndcg ? b : a));
    expect(out.best.params.neighbours).toBe(best.params.neighbours);
  });

  it('serves the data directory over HTTP until SIGTERM, then exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const { BIN } = await import('./support.js');
    const child = spawn(process.execPath, [BIN, 'serve', '-d', dataDir, '--port', '0', '--log-level', 'silent', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    const url = await new Promise<string>((resolvePromise, reject) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        const m = /"url":\s*"([^"]+)"/.exec(stdout);
        if (m) resolvePromise(m[1]!);
      });
      child.on('close', (code) => reject(new Error(`serve exited early with ${code}: ${stdout}`)));
    });
    const search = (await (await fetch(`${url}/v1/search?q=headphones&k=3`)).json()) as { items: unknown[]; total: number };
    expect(search.total).toBeGreaterThan(0);
    const exited = new Promise<number | null>((r) => child.on('close', r));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});

describe('souk demo --scale tiny', () => {
  it('runs end to end, writes the report with the evaluation, and shows a change after feedback', async () => {
    const dir = tempDir();
    const out = join(dir, 'report', 'index.html');
    const r = await souk(['demo', '--scale', 'tiny', '--out', out, '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const result = json<{
      report: string;
      evaluation: { results: Array<{ model: string; metrics: { ndcg: number } }> };
      training: { state: string };
      searches: Array<{ label: string; total: number }>;
      feedback: { accepted: number; recommendations: { changed: boolean; newInterestBefore: number; newInterestAfter: number } };
    }>(r);
    expect(result.report).toBe(out);
    expect(result.training.state).toBe('succeeded');
    const als = result.evaluation.results.find((e) => e.model === 'als')!;
    const pop = result.evaluation.results.find((e) => e.model === 'popularity')!;
    expect(als.metrics.ndcg).toBeGreaterThan(pop.metrics.ndcg);
    expect(result.searches.length).toBeGreaterThanOrEqual(4);
    for (const s of result.searches) expect(s.total, s.label).toBeGreaterThan(0);
    expect(result.feedback.accepted).toBeGreaterThan(0);
    expect(result.feedback.recommendations.changed).toBe(true);
    expect(result.feedback.recommendations.newInterestAfter).toBeGreaterThan(result.feedback.recommendations.newInterestBefore);
    const html = readFileSync(out, 'utf8');
    expect(html).toContain('Offline evaluation');
    expect(html).toMatch(/<td>ALS<\/td><td>0\.\d{4}<\/td>/);
    expect(html).toContain('What changed after the feedback');
    expect(html).toContain('POST /v1/events');
    // The transcript went to stderr (stdout holds only the JSON).
    expect(r.stderr).toContain('What changed after the feedback');
  });
});

const MOVIELENS = join(ROOT, '..', 'shared', 'datasets', 'movielens-latest-small');

describe('souk demo --dataset (MovieLens latest-small)', () => {
  it.skipIf(!existsSync(MOVIELENS))(`loads the real dataset, searches its titles and recommends after feedback (skipped when ${MOVIELENS} is absent)`, async () => {
    const dir = tempDir();
    const r = await souk(['demo', '--dataset', MOVIELENS, '--out', join(dir, 'ml.html'), '--json']);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    const result = json<{
      data: { items: number; events: number };
      evaluation: { results: Array<{ model: string; metrics: { ndcg: number } }> };
      searches: Array<{ label: string; total: number; top: string[] }>;
      feedback: { accepted: number; recommendations: { changed: boolean } };
    }>(r);
    expect(result.data.items).toBe(9742);
    expect(result.data.events).toBe(100836);
    const als = result.evaluation.results.find((e) => e.model === 'als')!;
    const pop = result.evaluation.results.find((e) => e.model === 'popularity')!;
    expect(als.metrics.ndcg).toBeGreaterThan(pop.metrics.ndcg);
    // The title search finds the film whose title it was built from.
    expect(result.searches[0]!.total).toBeGreaterThan(0);
    expect(result.feedback.accepted).toBeGreaterThan(0);
    expect(result.feedback.recommendations.changed).toBe(true);
  });
});
