/**
 * The end-to-end demo: data → ingest → inventory → evaluation → training → the HTTP service
 * (search in English and Chinese, filters, facets, typos, recommendations, feedback that changes
 * them, similar items, profiles) → graceful shutdown → an HTML report.
 * @packageDocumentation
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { InventoryReport } from '@souk/data';
import type { ProfileView, RecommendResponse, ResultItem, RetrainJob, SearchResponse, SimilarResponse, IngestEventsResult, IngestFilesResult } from '@souk/engine';
import { createApp } from '@souk/server';
import { ingestSummaryTable, ingestWithProgress } from '../commands/ingest.js';
import { inventorySummary, writeTextFile } from '../commands/inventory.js';
import { evaluateModels, evaluationTable } from '../commands/evaluate.js';
import { trainThroughEngine } from '../commands/train.js';
import { openEngine, openStore } from '../data-dir.js';
import { loadHoldout, type ModelEvaluation } from '../holdout.js';
import { formatNumber, log, seconds, sideBySide, table, truncate, type Io } from '../output.js';
import { datasetDemoData, syntheticDemoData, type DemoData, type DemoScale } from './data.js';
import { DemoClient } from './http.js';
import { renderDemoReport } from './report.js';
import { groupsOf, planFeedback, type FeedbackPlan } from './scenario.js';
import { Transcript } from './transcript.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Size of the synthetic shop (default `full`). */
  readonly scale: DemoScale;
  /** A public dataset (folder or short name) instead of the synthetic shop. */
  readonly dataset?: string;
  /** Data directory (default a fresh temporary one, removed at the end). */
  readonly dataDir?: string;
  /** Report file (default `demo-report/index.html`). */
  readonly out: string;
  /** Cut-off of the evaluation (default 10). */
  readonly k: number;
  /** Port of the HTTP service (default a free one). */
  readonly port?: number;
  /** Keep the temporary folder. */
  readonly keep?: boolean;
}

/** The ALS hyper-parameters of the demo (evaluation and the trained model). */
export const DEMO_ALS_PARAMS = { factors: 32, iterations: 12, regularization: 0.05, alpha: 2 } as const;

/** A before/after comparison of a ranked list. */
export interface Comparison {
  readonly before: string[];
  readonly after: string[];
  /** Items of the new interest in the list, before and after. */
  readonly newInterestBefore: number;
  readonly newInterestAfter: number;
  /** Whether the list changed. */
  readonly changed: boolean;
}

/** What the demo did, as JSON. */
export interface DemoResult {
  readonly data: { readonly label: string; readonly items: number; readonly users: number; readonly events: number };
  readonly dataDir: string;
  readonly ingest: IngestFilesResult;
  readonly inventory: { readonly events: InventoryReport['events']; readonly longTail: InventoryReport['longTail']; readonly catalog: InventoryReport['catalog'] };
  readonly evaluation: { readonly k: number; readonly sizes: { users: number; items: number; train: number; test: number }; readonly results: ModelEvaluation[] };
  readonly training: RetrainJob;
  readonly server: { readonly url: string; readonly requests: number };
  readonly searches: ReadonlyArray<{ readonly label: string; readonly request: string; readonly total: number; readonly top: string[]; readonly droppedTerms: string[]; readonly facets: SearchResponse['facets'] }>;
  readonly feedback?: {
    readonly user: string;
    readonly group: string;
    readonly userGroups: readonly string[];
    readonly items: string[];
    readonly accepted: number;
    readonly probe: string;
    readonly recommendations: Comparison & { readonly sourceBefore: string; readonly sourceAfter: string };
    readonly search: Comparison;
    readonly similar: { readonly item: string; readonly top: string[]; readonly source: string };
    readonly profile: { readonly segments: ProfileView['segments']; readonly categories: ProfileView['affinities']['categories'] };
  };
  readonly report: string;
  readonly seconds: number;
}

const ITEM_WIDTH = 46;

/** An item's title for display (catalogs with broken titles fall back to the brand, then the id). */
function titleOf(item: { readonly id: string; readonly title: string; readonly brand?: string | undefined }): string {
  return item.title || (item.brand ? `[${item.brand}]` : item.id);
}

function itemLine(r: ResultItem): string {
  const leaf = r.item.categoryPath[r.item.categoryPath.length - 1] ?? '';
  return truncate(`${titleOf(r.item)}${leaf ? ` · ${leaf}` : ''}`, ITEM_WIDTH);
}

function resultTable(items: readonly ResultItem[]): string {
  if (items.length === 0) return '  (no results)';
  return table(
    ['#', 'item', 'title', 'brand', 'category', 'price', 'score'],
    items.map((r) => [r.position, r.item.id, truncate(titleOf(r.item), 40), r.item.brand ?? '', r.item.categoryPath.slice(1).join(' > ') || r.item.categoryPath.join(' > '), r.item.price, r.score === undefined ? undefined : Number(r.score.toFixed(3))]),
    { maxWidth: 40 },
  );
}

/** A numbered list with `+` marking items of the new interest. */
function markedList(title: string, items: readonly ResultItem[], isNew: (item: ResultItem['item']) => boolean): string {
  return [title, ...items.map((r) => `${String(r.position).padStart(2)} ${isNew(r.item) ? '+' : ' '} ${itemLine(r)}`)].join('\n');
}

function compare(before: readonly ResultItem[], after: readonly ResultItem[], isNew: (item: ResultItem['item']) => boolean): Comparison {
  const b = before.map((r) => r.item.id);
  const a = after.map((r) => r.item.id);
  return {
    before: b,
    after: a,
    newInterestBefore: before.filter((r) => isNew(r.item)).length,
    newInterestAfter: after.filter((r) => isNew(r.item)).length,
    changed: b.join('\n') !== a.join('\n'),
  };
}

function facetLine(facets: SearchResponse['facets']): string[] {
  const lines: string[] = [];
  const show = (name: string, list: ReadonlyArray<{ value: string; count: number }> | undefined) => {
    if (list && list.length > 0) lines.push(`  facet ${name}: ${list.slice(0, 6).map((f) => `${f.value} (${f.count})`).join(', ')}`);
  };
  show('brands', facets.brands);
  show('categories', facets.categories?.filter((c) => c.value.split(' > ').length >= 3) ?? facets.categories);
  show('price', facets.priceBands?.filter((b) => b.count > 0));
  return lines;
}

/** Runs the demo; prints the transcript on the Io as it goes and returns the result. */
export async function runDemo(io: Io, options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const work = mkdtempSync(join(tmpdir(), 'souk-demo-'));
  const dataDir = resolve(options.dataDir ?? join(work, 'data'));
  const t = new Transcript(io);
  try {
    // 1. Data
    t.section(options.dataset ? `Data: ${options.dataset}` : `Data: a synthetic shop (${options.scale})`);
    const filesDir = join(work, 'files');
    mkdirSync(filesDir, { recursive: true });
    const data: DemoData = options.dataset ? await datasetDemoData(options.dataset, filesDir) : await syntheticDemoData(filesDir, options.scale, started);
    t.write(`${data.label}: ${formatNumber(data.counts.items)} items, ${formatNumber(data.counts.users)} users, ${formatNumber(data.counts.events)} events, written to ${filesDir}`);
    if (data.cleaning) t.write(`Before export, ${data.cleaning}.`);
    const step = Math.max(1, Math.floor(data.items.length / 7));
    const sample = data.items.filter((_, i) => i % step === 0).slice(0, 6);
    t.write(table(['item', 'title', 'brand', 'category', 'price'], sample.map((i) => [i.id, i.title || '(no title)', i.brand ?? '', i.categoryPath.join(' > '), i.price])));

    // 2. Ingest
    t.section(`Ingest into ${dataDir}`);
    const engine = await openEngine(dataDir, { create: true });
    let closed = false;
    let app: Awaited<ReturnType<typeof createApp>> | undefined;
    try {
      const ingest = await ingestWithProgress(io, engine, data.files);
      t.write(ingestSummaryTable(data.files, ingest));

      // 3. Inventory
      t.section('Data inventory');
      const inventory = await engine.inventory();
      t.write(inventorySummary(inventory).trimEnd());

      // 4. Offline evaluation
      t.section(`Offline evaluation: ALS against popularity (holdout, top ${options.k})`);
      const store = openStore(dataDir);
      let holdout;
      try {
        holdout = await loadHoldout(store, { split: 'random', ratio: 0.8, seed: 42 });
      } finally {
        await store.close();
      }
      const evaluation = await evaluateModels(io, holdout, ['als', 'item-knn', 'popularity'], { ...DEMO_ALS_PARAMS }, options.k);
      const s = holdout.sizes;
      t.write(`${formatNumber(s.users)} users × ${formatNumber(s.items)} items; ${formatNumber(s.train)} training and ${formatNumber(s.test)} held-out interactions (per-user 80/20 split). ALS: ${JSON.stringify(DEMO_ALS_PARAMS)}.`);
      t.write(evaluationTable(evaluation, options.k));
      const als = evaluation.find((e) => e.model === 'als')!;
      const pop = evaluation.find((e) => e.model === 'popularity')!;
      t.write(`ALS nDCG@${options.k} ${als.metrics.ndcg.toFixed(4)} vs popularity ${pop.metrics.ndcg.toFixed(4)} (${pop.metrics.ndcg > 0 ? `×${(als.metrics.ndcg / pop.metrics.ndcg).toFixed(2)}` : 'popularity scores 0'}).`);

      // 5. Train the served model
      t.section('Train ALS on all data and make it the active model');
      // The evaluation above already measured these settings; the engine only fits and swaps.
      const job = await trainThroughEngine(io, engine, 'als', { ...DEMO_ALS_PARAMS }, false);
      t.write(`Retrained through the engine (the job POST /v1/admin/retrain starts): job ${job.id} ${job.state} in ${seconds((job.finishedAt ?? Date.now()) - job.startedAt)}; version ${job.version ?? '?'} is now the active model.`);

      // 6. HTTP service
      t.section('Start the HTTP service');
      const apiKey = randomBytes(24).toString('base64url');
      app = await createApp(engine, { apiKeys: [{ key: apiKey, scopes: ['admin'], name: 'demo' }], logLevel: 'silent', processMetrics: false });
      await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
      const address = app.server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : options.port}`;
      const client = new DemoClient(url, apiKey);
      const health = (await client.get<{ status?: string; ready?: boolean; items?: number; events?: number; modelName?: string; modelVersion?: string; backend?: string }>('/healthz')).body;
      t.write(
        `Listening on ${url}; writes need the API key generated for this run.\n` +
          `GET /healthz → ${health.status ?? '?'}${health.ready ? ', ready' : ''}: ${formatNumber(health.items ?? 0)} items, ${formatNumber(health.events ?? 0)} events, ` +
          `model ${health.modelName ?? '—'} ${health.modelVersion ?? ''}, kernels ${health.backend?.split(' ')[0] ?? '?'}`,
      );

      // 7. Searches
      t.section('Search over HTTP');
      const searches: Array<DemoResult['searches'][number]> = [];
      for (const search of data.searches) {
        const { path, body } = await client.get<SearchResponse>('/v1/search', { q: search.query, k: 5, ...search.params });
        const extras = [
          `${body.total} matching item${body.total === 1 ? '' : 's'}, ${body.tookMs.toFixed(1)} ms${body.droppedTerms.length > 0 ? `; dropped terms: ${body.droppedTerms.join(', ')}` : ''}`,
          ...facetLine(body.facets),
        ];
        t.write(`${search.label}: "${search.query}"\nGET ${path}\n${resultTable(body.items)}\n${extras.join('\n')}`);
        searches.push({ label: search.label, request: path, total: body.total, top: body.items.map((r) => r.item.id), droppedTerms: body.droppedTerms, facets: body.facets });
      }

      // 8. Recommendations, feedback, and what changes
      const plan = planFeedback(data, Date.now());
      let feedback: DemoResult['feedback'];
      if (!plan) {
        t.section('Feedback');
        t.write('No user in this data set has a category left to discover; the feedback step is skipped.');
      } else {
        feedback = await feedbackStep(t, client, plan, data);
      }

      // 9. Shut down
      t.section('Stop the service');
      const requests = client.requests.length;
      await app.close();
      app = undefined;
      await engine.close();
      closed = true;
      t.write(`Stopped gracefully after ${requests} requests (in-flight requests drained, store flushed).`);

      // 10. Report
      const elapsed = (Date.now() - started) / 1000;
      const reportPath = writeTextFile(
        options.out,
        renderDemoReport({
          title: 'Souk demo report',
          facts: [
            ['data', `${data.label}: ${formatNumber(data.counts.items)} items, ${formatNumber(data.counts.users)} users, ${formatNumber(data.counts.events)} events`],
            ['data directory', options.dataDir ? dataDir : `${dataDir} (temporary)`],
            ['model', `ALS ${JSON.stringify(DEMO_ALS_PARAMS)}, version ${job.version ?? '?'}`],
            ['generated', new Date().toISOString()],
            ['run time', `${elapsed.toFixed(1)} s`],
          ],
          k: options.k,
          evaluation,
          transcript: t.sections,
          inventory,
        }),
      );
      t.section('Report');
      t.write(`HTML report (inventory, evaluation, this transcript): ${reportPath}`);
      t.write(`Demo finished in ${elapsed.toFixed(1)} s.`);
      return {
        data: { label: data.label, ...data.counts },
        dataDir,
        ingest,
        inventory: { events: inventory.events, longTail: inventory.longTail, catalog: inventory.catalog },
        evaluation: { k: options.k, sizes: holdout.sizes, results: evaluation },
        training: job,
        server: { url, requests },
        searches,
        ...(feedback ? { feedback } : {}),
        report: reportPath,
        seconds: elapsed,
      };
    } finally {
      if (app) await app.close().catch(() => undefined);
      if (!closed) await engine.close().catch(() => undefined);
    }
  } finally {
    if (!options.keep) rmSync(work, { recursive: true, force: true });
    else log(io, `kept ${work}`);
  }
}

/** Recommendations and a personalised search before and after the user's feedback, similar items, the profile. */
async function feedbackStep(t: Transcript, client: DemoClient, plan: FeedbackPlan, data: DemoData): Promise<NonNullable<DemoResult['feedback']>> {
  const isNew = (item: ResultItem['item']) => groupsOf(item, plan.groupBy).includes(plan.group);
  const user = encodeURIComponent(plan.user);
  t.section(`Recommendations for user ${plan.user}`);
  t.write(`${plan.user} has interacted with ${data.userItems.get(plan.user)?.size ?? 0} items in ${plan.userGroups.join(', ')}; never with ${plan.group}.`);
  const recBefore = await client.get<RecommendResponse>('/v1/recommend', { user: plan.user, k: 10 });
  t.write(`GET ${recBefore.path}  (source: ${recBefore.body.source}, model ${recBefore.body.modelVersion ?? '-'})\n${resultTable(recBefore.body.items)}`);
  const searchBefore = await client.get<SearchResponse>('/v1/search', { q: plan.probe, user: plan.user, k: 10 });
  const profileBefore = await client.get<ProfileView>(`/v1/users/${user}/profile`);

  t.section(`Feedback: ${plan.user} discovers ${plan.group}`);
  const result = await client.post<IngestEventsResult>('/v1/events', { events: plan.events, batchId: `demo-${plan.user}-${plan.events[0]!.timestamp}` });
  const verbs = data.feedbackType === 'purchase' ? 'views, clicks, carts and buys' : 'views and rates 5 stars';
  t.write(
    `POST /v1/events with ${plan.events.length} events: ${plan.user} ${verbs}\n` +
      plan.items.map((i) => `  - ${i.id}  ${truncate(titleOf(i), 60)}`).join('\n') +
      `\n→ accepted ${result.accepted}, rejected ${result.rejected.length}, profiles updated ${result.usersUpdated}`,
  );

  const recAfter = await client.get<RecommendResponse>('/v1/recommend', { user: plan.user, k: 10 });
  const searchAfter = await client.get<SearchResponse>('/v1/search', { q: plan.probe, user: plan.user, k: 10 });
  const recs = compare(recBefore.body.items, recAfter.body.items, isNew);
  const search = compare(searchBefore.body.items, searchAfter.body.items, isNew);
  t.section('What changed after the feedback (+ marks items from ' + plan.group + ')');
  t.write(
    `Recommendations (GET /v1/recommend?user=${plan.user}&k=10): ${recs.newInterestBefore} → ${recs.newInterestAfter} of 10 from ${plan.group}; source ${recBefore.body.source} → ${recAfter.body.source}\n\n` +
      sideBySide(markedList('before', recBefore.body.items, isNew), markedList('after', recAfter.body.items, isNew)),
  );
  t.write(
    `Personalised search "${plan.probe}" (GET /v1/search?q=${encodeURIComponent(plan.probe)}&user=${plan.user}&k=10): ${search.newInterestBefore} → ${search.newInterestAfter} of ${searchAfter.body.items.length} from ${plan.group}${search.changed ? '' : ' (ranking unchanged)'}\n\n` +
      sideBySide(markedList('before', searchBefore.body.items, isNew), markedList('after', searchAfter.body.items, isNew)),
  );

  t.section('Similar items and the profile');
  const anchor = plan.items[0]!;
  const similar = await client.get<SimilarResponse>('/v1/similar', { item: anchor.id, k: 5 });
  t.write(`Items similar to ${anchor.id} "${truncate(titleOf(anchor), 50)}" (GET ${similar.path}, source ${similar.body.source}):\n${resultTable(similar.body.items)}`);
  const profile = await client.get<ProfileView>(`/v1/users/${user}/profile`);
  const p = profile.body;
  const segments = (view: ProfileView) => view.segments.map((seg) => `${seg.label}${seg.labelZh ? ` (${seg.labelZh})` : ''}`).join(', ') || '—';
  const affinity = (list: ReadonlyArray<{ value: string; score: number }>) => list.slice(0, 3).map((a) => `${a.value} ${a.score.toFixed(2)}`).join(', ') || '—';
  t.write(
    `GET ${profile.path}: ${p.events} events${p.hasVector ? ', latent vector present' : ''}\n` +
      `  segments before: ${segments(profileBefore.body)}\n  segments after:  ${segments(p)}\n\n` +
      table(
        ['top affinities', 'before feedback', 'after feedback'],
        [
          ['categories', affinity(profileBefore.body.affinities.categories), affinity(p.affinities.categories)],
          ['brands', affinity(profileBefore.body.affinities.brands), affinity(p.affinities.brands)],
          ['price bands', affinity(profileBefore.body.affinities.priceBands), affinity(p.affinities.priceBands)],
        ],
        { maxWidth: 56 },
      ),
  );
  return {
    user: plan.user,
    group: plan.group,
    userGroups: plan.userGroups,
    items: plan.items.map((i) => i.id),
    accepted: result.accepted,
    probe: plan.probe,
    recommendations: { ...recs, sourceBefore: recBefore.body.source, sourceAfter: recAfter.body.source },
    search,
    similar: { item: anchor.id, top: similar.body.items.map((r) => r.item.id), source: similar.body.source },
    profile: { segments: p.segments, categories: p.affinities.categories },
  };
}
