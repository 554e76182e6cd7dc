/**
 * The inventory report: what data there is, how good it is, what cleaning removed and where it
 * came from. Built from a store as a plain JSON-able object, rendered as Markdown or as a
 * self-contained HTML page with inline SVG charts.
 * @packageDocumentation
 */
import { FLAG_HAS_QUERY, FLAG_HAS_SESSION, FLAG_REMOVED, EVENT_TYPE_CODE, loadEventColumns } from './columns.js';
import { CLEANING_REPORT_DOCUMENT, type CleaningReport } from './clean.js';
import { EVENT_TYPES, type AssetName, type EventType } from './schemas.js';
import type { DataStore } from './store.js';
import { hasMarkup } from './text.js';

/** Summary statistics of a count distribution. */
export interface DistributionSummary {
  /** Number of users (or items) with at least one interaction. */
  readonly count: number;
  /** Smallest count. */
  readonly min: number;
  /** 25th percentile. */
  readonly p25: number;
  /** Median. */
  readonly median: number;
  /** 75th percentile. */
  readonly p75: number;
  /** 90th percentile. */
  readonly p90: number;
  /** 99th percentile. */
  readonly p99: number;
  /** Largest count. */
  readonly max: number;
  /** Mean count. */
  readonly mean: number;
  /** Histogram over power-of-two buckets: `[1,2)`, `[2,4)`, `[4,8)`, … */
  readonly log2Histogram: ReadonlyArray<{ readonly from: number; readonly to: number; readonly count: number }>;
}

/** Null and invalid rates of one field. */
export interface FieldQuality {
  /** Asset of the field. */
  readonly asset: AssetName;
  /** Field name. */
  readonly field: string;
  /** Rows where the field is absent or empty. */
  readonly nulls: number;
  /** Rows rejected at ingest because of this field, plus stored rows with an invalid value (e.g. markup in a title). */
  readonly invalid: number;
  /** Rows considered (stored rows + rows quarantined for this asset). */
  readonly rows: number;
  /** `nulls / rows`. */
  readonly nullRate: number;
  /** `invalid / rows`. */
  readonly invalidRate: number;
}

/** The inventory report. Every number is plain JSON. */
export interface InventoryReport {
  readonly generatedAt: string;
  /** Reference time for freshness (ms). */
  readonly nowMs: number;
  readonly assets: ReadonlyArray<{ readonly asset: AssetName | 'quarantine'; readonly rows: number; readonly note?: string }>;
  readonly events: {
    readonly stored: number;
    readonly kept: number;
    readonly removed: number;
    readonly byType: Readonly<Record<EventType, number>>;
    readonly distinctUsers: number;
    readonly distinctItems: number;
    /** Unique (user, item) pairs over users × items of kept events. */
    readonly density: number;
    readonly uniquePairs: number;
  };
  readonly longTail: {
    /** Gini coefficient of interactions per item (0 = even, 1 = one item has all). */
    readonly gini: number;
    /** Share of interactions on the top 1 % of items. */
    readonly top1PercentShare: number;
    /** Share of interactions on the top 20 % of items. */
    readonly top20PercentShare: number;
    /** Lorenz curve points (share of items, share of interactions), 21 points. */
    readonly lorenz: ReadonlyArray<readonly [number, number]>;
  };
  readonly activity: { readonly perUser: DistributionSummary; readonly perItem: DistributionSummary };
  readonly fieldQuality: readonly FieldQuality[];
  /** Findings that need attention, each with a count (duplicated ratings, broken titles, …). */
  readonly findings: ReadonlyArray<{ readonly kind: string; readonly count: number; readonly detail: string }>;
  readonly cleaning: {
    readonly removedByRule: Readonly<Record<string, number>>;
    readonly report?: CleaningReport;
  };
  readonly quarantine: ReadonlyArray<{ readonly asset: AssetName; readonly code: string; readonly field: string; readonly count: number }>;
  readonly time: {
    readonly first?: string;
    readonly last?: string;
    readonly spanDays: number;
    /** Days between the latest event and `nowMs`. */
    readonly freshnessDays?: number;
    readonly perMonth: ReadonlyArray<{ readonly month: string; readonly events: number }>;
  };
  readonly coldStart: {
    /** Threshold: fewer than this many interactions is cold. */
    readonly threshold: number;
    readonly coldUserShare: number;
    readonly coldItemShare: number;
    /** Catalog items with no kept event at all. */
    readonly catalogItemsWithoutEvents: number;
  };
  readonly funnel: ReadonlyArray<{ readonly from: EventType; readonly to: EventType; readonly eventRatio: number; readonly userConversion: number }>;
  readonly catalog: {
    readonly items: number;
    readonly topCategories: ReadonlyArray<{ readonly category: string; readonly items: number }>;
    readonly brands: number;
  };
  readonly transactions: { readonly count: number; readonly lines: number; readonly distinctItems: number; readonly meanBasketSize: number };
  readonly lineage: ReadonlyArray<{
    readonly source: string;
    readonly sha256: string;
    readonly asset: AssetName;
    readonly format: string;
    readonly bytes: number | null;
    readonly read?: number;
    readonly accepted?: number;
    readonly inserted?: number;
    readonly deduplicated?: number;
    readonly quarantined?: number;
    readonly ingestedAt: string | null;
  }>;
}

/** Options of {@link buildInventoryReport}. */
export interface InventoryOptions {
  /** Reference time for freshness (default now). */
  readonly nowMs?: number;
  /** Users/items with fewer interactions than this are cold (default 5). */
  readonly coldStartThreshold?: number;
}

function quantile(sorted: Int32Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

function summarize(counts: Int32Array): DistributionSummary {
  const nonZero = counts.filter((c) => c > 0).sort();
  let sum = 0;
  for (const c of nonZero) sum += c;
  const hist: Array<{ from: number; to: number; count: number }> = [];
  for (const c of nonZero) {
    const b = 31 - Math.clz32(c);
    while (hist.length <= b) hist.push({ from: 2 ** hist.length, to: 2 ** (hist.length + 1), count: 0 });
    hist[b]!.count++;
  }
  return {
    count: nonZero.length,
    min: nonZero[0] ?? 0,
    p25: quantile(nonZero, 0.25),
    median: quantile(nonZero, 0.5),
    p75: quantile(nonZero, 0.75),
    p90: quantile(nonZero, 0.9),
    p99: quantile(nonZero, 0.99),
    max: nonZero[nonZero.length - 1] ?? 0,
    mean: nonZero.length ? sum / nonZero.length : 0,
    log2Histogram: hist,
  };
}

const FUNNEL_STEPS: ReadonlyArray<readonly [EventType, EventType]> = [
  ['search', 'view'],
  ['view', 'click'],
  ['view', 'cart'],
  ['cart', 'purchase'],
  ['view', 'purchase'],
  ['purchase', 'rating'],
];

/** Builds the inventory report of a store (one pass over events, one over items and transactions). */
export async function buildInventoryReport(store: DataStore, options: InventoryOptions = {}): Promise<InventoryReport> {
  const nowMs = options.nowMs ?? Date.now();
  const threshold = options.coldStartThreshold ?? 5;
  const cols = await loadEventColumns(store, { includeRemoved: true });
  const n = cols.length;
  const userCount = cols.userIds.size;
  const itemCount = cols.itemIds.size;
  const perUser = new Int32Array(userCount);
  const perItem = new Int32Array(itemCount);
  const byType = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
  const usersByType = EVENT_TYPES.map(() => new Uint8Array(userCount));
  let kept = 0;
  let first = Infinity;
  let last = -Infinity;
  const perMonth = new Map<string, number>();
  let nullItem = 0;
  let nullValue = 0;
  let nullQuery = 0;
  let nullSession = 0;
  let ratingEvents = 0;
  for (let i = 0; i < n; i++) {
    const f = cols.flags[i]!;
    const type = cols.types[i]!;
    if (type === EVENT_TYPE_CODE.rating) ratingEvents++;
    if (cols.items[i]! < 0) nullItem++;
    if (Number.isNaN(cols.values[i]!)) nullValue++;
    if (!(f & FLAG_HAS_QUERY)) nullQuery++;
    if (!(f & FLAG_HAS_SESSION)) nullSession++;
    if (f & FLAG_REMOVED) continue;
    kept++;
    const u = cols.users[i]!;
    perUser[u]!++;
    if (cols.items[i]! >= 0) perItem[cols.items[i]!]!++;
    byType[EVENT_TYPES[type]!]++;
    usersByType[type]![u] = 1;
    const ts = cols.timestamps[i]!;
    if (ts < first) first = ts;
    if (ts > last) last = ts;
    const month = new Date(ts).toISOString().slice(0, 7);
    perMonth.set(month, (perMonth.get(month) ?? 0) + 1);
  }

  // Unique pairs among kept events and duplicate ratings among all stored ratings: pair codes in
  // typed arrays, sorted natively, then counted (no per-pair objects, fine at 10^8 events).
  const pairCodes = new Float64Array(n);
  const ratingCodes = new Float64Array(ratingEvents);
  let keptCodes = 0;
  let ratingAt = 0;
  for (let i = 0; i < n; i++) {
    const it = cols.items[i]!;
    if (it < 0) continue;
    const code = cols.users[i]! * itemCount + it;
    if (!(cols.flags[i]! & FLAG_REMOVED)) pairCodes[keptCodes++] = code;
    if (cols.types[i] === EVENT_TYPE_CODE.rating) ratingCodes[ratingAt++] = code;
  }
  const countDistinct = (codes: Float64Array) => {
    codes.sort();
    let distinct = 0;
    for (let k = 0; k < codes.length; k++) if (k === 0 || codes[k] !== codes[k - 1]) distinct++;
    return distinct;
  };
  const uniquePairs = countDistinct(pairCodes.subarray(0, keptCodes));
  const uniqueRatingPairs = countDistinct(ratingCodes.subarray(0, ratingAt));
  const distinctUsers = perUser.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);
  const distinctItems = perItem.reduce((a, c) => a + (c > 0 ? 1 : 0), 0);

  // Long tail over items with at least one kept interaction.
  const itemCounts = perItem.filter((c) => c > 0).sort();
  let total = 0;
  for (const c of itemCounts) total += c;
  let giniNumerator = 0;
  for (let k = 0; k < itemCounts.length; k++) giniNumerator += (2 * (k + 1) - itemCounts.length - 1) * itemCounts[k]!;
  const gini = itemCounts.length && total ? giniNumerator / (itemCounts.length * total) : 0;
  const topShare = (fraction: number) => {
    const top = Math.max(1, Math.ceil(fraction * itemCounts.length));
    let s = 0;
    for (let k = itemCounts.length - top; k < itemCounts.length; k++) s += itemCounts[k]!;
    return total ? s / total : 0;
  };
  const lorenz: Array<[number, number]> = [];
  {
    let cum = 0;
    let k = 0;
    for (let p = 0; p <= 20; p++) {
      const upTo = Math.round((p / 20) * itemCounts.length);
      while (k < upTo) cum += itemCounts[k++]!;
      lorenz.push([p / 20, total ? cum / total : 0]);
    }
  }

  // Catalog.
  let catalogItems = 0;
  let titleNulls = 0;
  let titleMarkup = 0;
  let brandNulls = 0;
  let priceNulls = 0;
  let categoryNulls = 0;
  const brands = new Set<string>();
  const categories = new Map<string, number>();
  let catalogWithoutEvents = 0;
  for await (const batch of store.scanItems()) {
    for (const item of batch) {
      catalogItems++;
      if (item.title.trim() === '') titleNulls++;
      else if (hasMarkup(item.title)) titleMarkup++;
      if (item.brand === undefined || item.brand.trim() === '') brandNulls++;
      else brands.add(item.brand);
      if (item.price === undefined) priceNulls++;
      if (item.categoryPath.length === 0) categoryNulls++;
      else {
        const top = item.categoryPath.length > 1 ? item.categoryPath[1]! : item.categoryPath[0]!;
        categories.set(top, (categories.get(top) ?? 0) + 1);
      }
      const idx = cols.itemIds.indexOf(item.id);
      if (idx < 0 || perItem[idx] === 0) catalogWithoutEvents++;
    }
  }

  // Transactions.
  let txCount = 0;
  let txLines = 0;
  const txItems = new Set<string>();
  for await (const batch of store.scanTransactions()) {
    for (const t of batch) {
      txCount++;
      txLines += t.lines.length;
      for (const l of t.lines) txItems.add(l.item);
    }
  }

  const quarantine = await store.quarantineCounts();
  const quarantinedFor = (asset: AssetName, field: string) =>
    quarantine.filter((q) => q.asset === asset && q.field === field).reduce((a, q) => a + q.count, 0);
  const quarantinedAsset = (asset: AssetName) => quarantine.filter((q) => q.asset === asset).reduce((a, q) => a + q.count, 0);
  const quality = (asset: AssetName, field: string, nulls: number, stored: number, extraInvalid = 0): FieldQuality => {
    const rows = stored + quarantinedAsset(asset);
    const invalid = quarantinedFor(asset, field) + extraInvalid;
    return { asset, field, nulls, invalid, rows, nullRate: rows ? nulls / rows : 0, invalidRate: rows ? invalid / rows : 0 };
  };
  const fieldQuality: FieldQuality[] = [
    quality('events', 'user', 0, n),
    quality('events', 'item', nullItem, n),
    quality('events', 'type', 0, n),
    quality('events', 'value', nullValue, n),
    quality('events', 'timestamp', 0, n),
    quality('events', 'query', nullQuery, n),
    quality('events', 'session', nullSession, n),
  ];
  if (catalogItems > 0 || quarantinedAsset('items') > 0) {
    fieldQuality.push(
      quality('items', 'id', 0, catalogItems),
      quality('items', 'title', titleNulls, catalogItems, titleMarkup),
      quality('items', 'brand', brandNulls, catalogItems),
      quality('items', 'price', priceNulls, catalogItems),
      quality('items', 'categoryPath', categoryNulls, catalogItems),
    );
  }

  const cleaningReport = await store.getDocument<CleaningReport>(CLEANING_REPORT_DOCUMENT);
  const removedByRule = await store.removalCounts();
  const duplicateRatings = ratingAt - uniqueRatingPairs;
  const findings: Array<{ kind: string; count: number; detail: string }> = [];
  if (duplicateRatings > 0) {
    findings.push({ kind: 'duplicate-ratings', count: duplicateRatings, detail: `${duplicateRatings} stored ratings repeat an earlier (user, item) pair` });
  }
  if (titleMarkup > 0) findings.push({ kind: 'markup-in-titles', count: titleMarkup, detail: `${titleMarkup} item titles contain HTML markup or a broken tag fragment` });
  if (cleaningReport?.itemText && cleaningReport.itemText.brokenTitles > 0) {
    findings.push({
      kind: 'broken-titles',
      count: cleaningReport.itemText.brokenTitles,
      detail: `${cleaningReport.itemText.brokenTitles} item titles were nothing but broken markup (now empty), e.g. ${cleaningReport.itemText.brokenTitleExamples.join(', ')}`,
    });
  }
  if (titleNulls > 0) findings.push({ kind: 'empty-titles', count: titleNulls, detail: `${titleNulls} items have an empty title` });
  const quarantinedTotal = quarantine.reduce((a, q) => a + q.count, 0);
  if (quarantinedTotal > 0) findings.push({ kind: 'quarantined-rows', count: quarantinedTotal, detail: `${quarantinedTotal} input rows failed validation` });
  const future = cleaningReport?.removedByRule['future-timestamp'] ?? 0;
  if (future > 0) findings.push({ kind: 'future-timestamps', count: future, detail: `${future} events were in the future` });
  if (catalogWithoutEvents > 0 && catalogItems > 0) {
    findings.push({ kind: 'items-without-events', count: catalogWithoutEvents, detail: `${catalogWithoutEvents} catalog items have no interaction` });
  }

  const funnel = FUNNEL_STEPS.filter(([a, b]) => byType[a] > 0 && byType[b] > 0).map(([a, b]) => {
    const fromUsers = usersByType[EVENT_TYPE_CODE[a]]!;
    const toUsers = usersByType[EVENT_TYPE_CODE[b]]!;
    let both = 0;
    let from = 0;
    for (let u = 0; u < userCount; u++) {
      if (fromUsers[u]) {
        from++;
        if (toUsers[u]) both++;
      }
    }
    return { from: a, to: b, eventRatio: byType[b] / byType[a], userConversion: from ? both / from : 0 };
  });

  const sources = await store.listSources();
  const lineage = sources.map((s) => {
    const summary = (s.summary ?? {}) as Record<string, number>;
    return {
      source: s.path,
      sha256: s.sha256,
      asset: s.asset,
      format: s.format,
      bytes: s.bytes,
      ...(summary.read !== undefined
        ? { read: summary.read, accepted: summary.accepted, inserted: summary.inserted, deduplicated: summary.deduplicated, quarantined: summary.quarantined }
        : {}),
      ingestedAt: s.ingestedAt,
    };
  });

  const coldUsers = perUser.reduce((a, c) => a + (c > 0 && c < threshold ? 1 : 0), 0);
  const coldItems = perItem.reduce((a, c) => a + (c > 0 && c < threshold ? 1 : 0), 0);
  return {
    generatedAt: new Date().toISOString(),
    nowMs,
    assets: [
      { asset: 'events', rows: n, note: `${kept} kept after cleaning` },
      { asset: 'items', rows: catalogItems },
      { asset: 'users', rows: await store.countRows('users') },
      { asset: 'transactions', rows: txCount },
      { asset: 'quarantine', rows: quarantinedTotal },
    ],
    events: {
      stored: n,
      kept,
      removed: n - kept,
      byType,
      distinctUsers,
      distinctItems,
      uniquePairs,
      density: distinctUsers && distinctItems ? uniquePairs / (distinctUsers * distinctItems) : 0,
    },
    longTail: { gini, top1PercentShare: topShare(0.01), top20PercentShare: topShare(0.2), lorenz },
    activity: { perUser: summarize(perUser), perItem: summarize(perItem) },
    fieldQuality,
    findings,
    cleaning: { removedByRule, ...(cleaningReport ? { report: cleaningReport } : {}) },
    quarantine,
    time: {
      ...(kept > 0 ? { first: new Date(first).toISOString(), last: new Date(last).toISOString(), freshnessDays: (nowMs - last) / 86_400_000 } : {}),
      spanDays: kept > 0 ? (last - first) / 86_400_000 : 0,
      perMonth: [...perMonth.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([month, events]) => ({ month, events })),
    },
    coldStart: {
      threshold,
      coldUserShare: distinctUsers ? coldUsers / distinctUsers : 0,
      coldItemShare: distinctItems ? coldItems / distinctItems : 0,
      catalogItemsWithoutEvents: catalogWithoutEvents,
    },
    funnel,
    catalog: {
      items: catalogItems,
      topCategories: [...categories.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([category, items]) => ({ category, items })),
      brands: brands.size,
    },
    transactions: { count: txCount, lines: txLines, distinctItems: txItems.size, meanBasketSize: txCount ? txLines / txCount : 0 },
    lineage,
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

const pct = (x: number) => `${(100 * x).toFixed(x < 0.001 && x > 0 ? 4 : 2)} %`;
const num = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(2));

function mdTable(header: string[], rows: Array<Array<string | number>>): string {
  const esc = (v: string | number) => String(typeof v === 'number' ? num(v) : v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}

/** Renders the report as Markdown. */
export function renderInventoryMarkdown(report: InventoryReport, title = 'Data inventory'): string {
  const r = report;
  const out: string[] = [`# ${title}`, '', `Generated ${r.generatedAt}.`, ''];
  out.push('## Assets', '', mdTable(['asset', 'rows', 'note'], r.assets.map((a) => [a.asset, a.rows, a.note ?? ''])), '');
  out.push(
    '## Events',
    '',
    mdTable(
      ['measure', 'value'],
      [
        ['stored', r.events.stored],
        ['kept after cleaning', r.events.kept],
        ['distinct users', r.events.distinctUsers],
        ['distinct items', r.events.distinctItems],
        ['unique (user, item) pairs', r.events.uniquePairs],
        ['density', pct(r.events.density)],
        ...EVENT_TYPES.filter((t) => r.events.byType[t] > 0).map((t) => [`${t} events`, r.events.byType[t]] as [string, number]),
      ],
    ),
    '',
  );
  if (r.findings.length) out.push('## Findings', '', ...r.findings.map((f) => `- **${f.kind}** (${num(f.count)}): ${f.detail}`), '');
  out.push(
    '## Long tail',
    '',
    `Gini ${r.longTail.gini.toFixed(3)}; top 1 % of items hold ${pct(r.longTail.top1PercentShare)} of interactions; top 20 % hold ${pct(r.longTail.top20PercentShare)}.`,
    '',
  );
  const dist = (d: DistributionSummary) => [d.count, d.min, d.p25, d.median, d.p75, d.p90, d.p99, d.max, d.mean];
  out.push('## Activity', '', mdTable(['per', 'n', 'min', 'p25', 'median', 'p75', 'p90', 'p99', 'max', 'mean'], [['user', ...dist(r.activity.perUser)], ['item', ...dist(r.activity.perItem)]]), '');
  out.push(
    '## Field quality',
    '',
    mdTable(['asset', 'field', 'null rate', 'invalid rate', 'nulls', 'invalid', 'rows'], r.fieldQuality.map((f) => [f.asset, f.field, pct(f.nullRate), pct(f.invalidRate), f.nulls, f.invalid, f.rows])),
    '',
  );
  const rules = Object.entries(r.cleaning.report?.removedByRule ?? r.cleaning.removedByRule);
  out.push('## Cleaning', '');
  if (rules.length) out.push(mdTable(['rule', 'events removed'], rules.map(([k, v]) => [k, v])), '');
  else out.push('No cleaning has run.', '');
  if (r.cleaning.report?.itemText) {
    const t = r.cleaning.report.itemText;
    out.push(`Item texts: ${num(t.items)} items, entities decoded in ${num(t.entitiesDecoded)}, markup removed from ${num(t.markupRemoved)}, ${num(t.brokenTitles)} titles were only markup.`, '');
  }
  if (r.quarantine.length) out.push('### Quarantine', '', mdTable(['asset', 'code', 'field', 'rows'], r.quarantine.map((q) => [q.asset, q.code, q.field || '(row)', q.count])), '');
  out.push(
    '## Time',
    '',
    r.time.first ? `From ${r.time.first} to ${r.time.last} (${r.time.spanDays.toFixed(1)} days); latest event ${r.time.freshnessDays!.toFixed(1)} days before the report's reference time.` : 'No events.',
    '',
  );
  out.push(
    '## Cold start',
    '',
    `Users with fewer than ${r.coldStart.threshold} interactions: ${pct(r.coldStart.coldUserShare)}; items: ${pct(r.coldStart.coldItemShare)}; catalog items without any interaction: ${num(r.coldStart.catalogItemsWithoutEvents)}.`,
    '',
  );
  if (r.funnel.length) {
    out.push('## Funnel', '', mdTable(['from', 'to', 'events to/from', 'users converting'], r.funnel.map((f) => [f.from, f.to, f.eventRatio.toFixed(3), pct(f.userConversion)])), '');
  }
  if (r.catalog.items) {
    out.push('## Catalog', '', `${num(r.catalog.items)} items, ${num(r.catalog.brands)} brands.`, '', mdTable(['category', 'items'], r.catalog.topCategories.map((c) => [c.category, c.items])), '');
  }
  if (r.transactions.count) {
    out.push('## Transactions', '', `${num(r.transactions.count)} transactions, ${num(r.transactions.lines)} lines over ${num(r.transactions.distinctItems)} items; mean basket ${r.transactions.meanBasketSize.toFixed(3)}.`, '');
  }
  out.push(
    '## Lineage',
    '',
    mdTable(
      ['source', 'asset', 'format', 'bytes', 'read', 'accepted', 'inserted', 'dedup', 'quarantined', 'sha256'],
      r.lineage.map((l) => [l.source, l.asset, l.format, l.bytes ?? '', l.read ?? '', l.accepted ?? '', l.inserted ?? '', l.deduplicated ?? '', l.quarantined ?? '', l.sha256.slice(0, 12)]),
    ),
    '',
  );
  return out.join('\n');
}

/** Font stack with CJK coverage, so Chinese labels render in the browser. */
export const CJK_FONT_STACK =
  "system-ui, -apple-system, 'Segoe UI', 'Noto Sans', 'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif";

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A horizontal bar chart as inline SVG. */
export function svgBarChart(title: string, bars: ReadonlyArray<{ label: string; value: number }>, width = 640): string {
  const rowH = 22;
  const labelW = 200;
  const height = 30 + bars.length * rowH + 10;
  const max = Math.max(1, ...bars.map((b) => b.value));
  const body = bars
    .map((b, k) => {
      const y = 30 + k * rowH;
      const w = Math.max(0, ((width - labelW - 90) * b.value) / max);
      return `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${xml(b.label)}</text><rect x="${labelW}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="#3b7dd8"/><text x="${(labelW + w + 4).toFixed(1)}" y="${y + 15}">${xml(num(b.value))}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${xml(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${xml(CJK_FONT_STACK)}" font-size="12"><text x="0" y="16" font-weight="bold" font-size="14">${xml(title)}</text>${body}</svg>`;
}

/** A line chart (e.g. a Lorenz curve) as inline SVG; points in [0, 1]². */
export function svgLineChart(title: string, points: ReadonlyArray<readonly [number, number]>, width = 320): string {
  const h = width;
  const pad = 30;
  const sx = (x: number) => pad + x * (width - 2 * pad);
  const sy = (y: number) => h - pad - y * (h - 2 * pad);
  const path = points.map(([x, y], k) => `${k ? 'L' : 'M'}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="${xml(title)}" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="${xml(CJK_FONT_STACK)}" font-size="12"><text x="0" y="16" font-weight="bold" font-size="14">${xml(title)}</text><rect x="${pad}" y="${pad}" width="${width - 2 * pad}" height="${h - 2 * pad}" fill="none" stroke="#999"/><path d="M${sx(0)},${sy(0)} L${sx(1)},${sy(1)}" stroke="#bbb" stroke-dasharray="4 3"/><path d="${path}" fill="none" stroke="#d8553b" stroke-width="2"/></svg>`;
}

/** Renders the report as a self-contained HTML page with inline SVG charts. */
export function renderInventoryHtml(report: InventoryReport, title = 'Data inventory'): string {
  const r = report;
  const charts: string[] = [];
  charts.push(svgBarChart('Events by type', EVENT_TYPES.filter((t) => r.events.byType[t] > 0).map((t) => ({ label: t, value: r.events.byType[t] }))));
  const hist = (d: DistributionSummary) => d.log2Histogram.map((b) => ({ label: b.to - b.from === 1 ? `${b.from}` : `${b.from}–${b.to - 1}`, value: b.count }));
  charts.push(svgBarChart('Users by number of interactions', hist(r.activity.perUser)));
  charts.push(svgBarChart('Items by number of interactions', hist(r.activity.perItem)));
  charts.push(svgLineChart(`Lorenz curve of item popularity (Gini ${r.longTail.gini.toFixed(3)})`, r.longTail.lorenz));
  const months = r.time.perMonth;
  const step = Math.max(1, Math.ceil(months.length / 36));
  const monthBars: Array<{ label: string; value: number }> = [];
  for (let k = 0; k < months.length; k += step) {
    const slice = months.slice(k, k + step);
    monthBars.push({ label: step === 1 ? slice[0]!.month : `${slice[0]!.month}…${slice[slice.length - 1]!.month}`, value: slice.reduce((a, m) => a + m.events, 0) });
  }
  if (monthBars.length) charts.push(svgBarChart('Events over time', monthBars));
  const rules = Object.entries(r.cleaning.report?.removedByRule ?? r.cleaning.removedByRule);
  if (rules.length) charts.push(svgBarChart('Removed by cleaning rule', rules.map(([label, value]) => ({ label, value }))));
  if (r.catalog.topCategories.length) charts.push(svgBarChart('Top categories (items)', r.catalog.topCategories.map((c) => ({ label: c.category, value: c.items }))));
  // Markdown tables → minimal HTML: render the same sections as preformatted tables.
  const md = renderInventoryMarkdown(report, title);
  const htmlBody = md
    .split('\n\n')
    .map((block) => {
      if (block.startsWith('# ')) return `<h1>${xml(block.slice(2))}</h1>`;
      if (block.startsWith('## ')) return `<h2>${xml(block.slice(3))}</h2>`;
      if (block.startsWith('### ')) return `<h3>${xml(block.slice(4))}</h3>`;
      if (block.startsWith('|')) {
        const lines = block.split('\n').filter((_line, k) => k !== 1);
        const cells = (l: string) => l.slice(2, -2).split(/(?<!\\) \| /).map((c) => c.replace(/\\\|/g, '|'));
        const [head, ...rows] = lines;
        return `<table><thead><tr>${cells(head!).map((c) => `<th>${xml(c)}</th>`).join('')}</tr></thead><tbody>${rows.map((row) => `<tr>${cells(row).map((c) => `<td>${xml(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
      }
      if (block.startsWith('- ')) return `<ul>${block.split('\n').map((l) => `<li>${xml(l.slice(2)).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>')}</li>`).join('')}</ul>`;
      return `<p>${xml(block)}</p>`;
    })
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${xml(title)}</title>
<style>body{font-family:${CJK_FONT_STACK};max-width:1000px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-size:13px}th{background:#f3f3f3}svg{display:block;margin:1em 0}</style>
</head><body>
<section class="charts">${charts.join('\n')}</section>
${htmlBody}
<script type="application/json" id="inventory-data">${JSON.stringify(report).replace(/</g, '\\u003c')}</script>
</body></html>
`;
}
