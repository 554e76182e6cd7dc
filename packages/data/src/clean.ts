/**
 * Cleaning: explicit, reported rules over the stored events and item texts.
 *
 * Each rule marks events as removed (they stay in the store with `removed_by = rule`, so the
 * inventory can say what was removed and why); cleaning is re-runnable: every run starts by
 * clearing the previous marks. Rules run in the order of {@link CLEANING_RULES}; an event is
 * counted under the first rule that removes it.
 * @packageDocumentation
 */
import { EVENT_TYPE_CODE, loadEventColumns } from './columns.js';
import { invalidArgument } from './errors.js';
import { EVENT_TYPES, type EventType } from './schemas.js';
import type { DataStore } from './store.js';
import { cleanText } from './text.js';

/** The rules, in the order they apply. */
export const CLEANING_RULES = [
  'pre-epoch-timestamp',
  'future-timestamp',
  'rating-out-of-range',
  'unknown-item',
  'exact-duplicate',
  'superseded-rating',
  'near-duplicate',
  'bot-volume',
  'bot-rate',
] as const;

/** One of {@link CLEANING_RULES}. */
export type CleaningRule = (typeof CLEANING_RULES)[number];

/** Thresholds of the cleaning rules. Every field has a documented default. */
export interface CleaningOptions {
  /** Events before this time (ms) are removed as pre-epoch (default 1: zero and negative times). */
  readonly minTimestampMs?: number;
  /** Reference "now" in ms (default `Date.now()`). */
  readonly nowMs?: number;
  /** Events later than now + this are removed as future (default 1 day). */
  readonly futureToleranceMs?: number;
  /** Accepted rating range, inclusive (default [0.5, 5]). */
  readonly ratingRange?: readonly [number, number];
  /** Remove events whose item is not in the catalog: `auto` (default) when the catalog is non-empty. */
  readonly requireKnownItems?: boolean | 'auto';
  /** Same user, item and type within this many ms of a kept event is a near-duplicate (default 2,000). */
  readonly nearDuplicateWindowMs?: number;
  /** Ratings of one (user, item): keep only the latest (default true). */
  readonly keepLatestRating?: boolean;
  /** A user with more counted events than this is a bot (default 50,000). */
  readonly botMaxEvents?: number;
  /** A user with more counted events than this in any 60 s window is a bot (default 120). */
  readonly botMaxEventsPerMinute?: number;
  /** Event types counted by the bot rules (default view, click, cart, search: ratings are often batch-imported). */
  readonly botEventTypes?: readonly EventType[];
  /** Rules to skip. */
  readonly disabledRules?: readonly CleaningRule[];
}

/** What cleaning did. */
export interface CleaningReport {
  /** The thresholds used. */
  readonly options: Required<Omit<CleaningOptions, 'disabledRules'>> & { disabledRules: CleaningRule[] };
  /** Events before cleaning. */
  readonly eventsBefore: number;
  /** Events kept. */
  readonly eventsAfter: number;
  /** Events removed, by rule (every rule listed, zero included). */
  readonly removedByRule: Record<CleaningRule, number>;
  /** Users flagged as bots. */
  readonly botUsers: string[];
  /** Item text cleaning, when it ran. */
  readonly itemText?: ItemTextReport;
  /** When it ran (ISO-8601). */
  readonly ranAt: string;
}

/** What {@link cleanItemTexts} changed. */
export interface ItemTextReport {
  /** Items scanned. */
  readonly items: number;
  /** Titles or brands in which entities were decoded. */
  readonly entitiesDecoded: number;
  /** Titles or brands from which markup was removed. */
  readonly markupRemoved: number;
  /** Titles that held nothing but (broken) markup and are now empty. */
  readonly brokenTitles: number;
  /** Up to 5 example ids of broken titles. */
  readonly brokenTitleExamples: string[];
}

/** Document name under which the last cleaning report is stored. */
export const CLEANING_REPORT_DOCUMENT = 'cleaning-report';

const DAY_MS = 86_400_000;

function resolveOptions(o: CleaningOptions): CleaningReport['options'] {
  const ratingRange = o.ratingRange ?? [0.5, 5];
  if (!(ratingRange[0] <= ratingRange[1])) throw invalidArgument('a [min, max] range with min ≤ max', 'ratingRange', ratingRange);
  for (const rule of o.disabledRules ?? []) {
    if (!(CLEANING_RULES as readonly string[]).includes(rule)) throw invalidArgument(`one of ${CLEANING_RULES.join(', ')}`, 'disabledRules', rule);
  }
  return {
    minTimestampMs: o.minTimestampMs ?? 1,
    nowMs: o.nowMs ?? Date.now(),
    futureToleranceMs: o.futureToleranceMs ?? DAY_MS,
    ratingRange,
    requireKnownItems: o.requireKnownItems ?? 'auto',
    nearDuplicateWindowMs: o.nearDuplicateWindowMs ?? 2_000,
    keepLatestRating: o.keepLatestRating ?? true,
    botMaxEvents: o.botMaxEvents ?? 50_000,
    botMaxEventsPerMinute: o.botMaxEventsPerMinute ?? 120,
    botEventTypes: o.botEventTypes ?? ['view', 'click', 'cart', 'search'],
    disabledRules: [...(o.disabledRules ?? [])],
  };
}

/**
 * Runs the event cleaning rules over the store (and, with `items: true`, the item text rules),
 * marks removed events, stores and returns the report.
 */
export async function cleanStore(store: DataStore, options: CleaningOptions & { items?: boolean } = {}): Promise<CleaningReport> {
  const opts = resolveOptions(options);
  const enabled = (rule: CleaningRule) => !opts.disabledRules.includes(rule);
  await store.clearEventRemovals();
  const itemText = options.items ? await cleanItemTexts(store) : undefined;
  const cols = await loadEventColumns(store);
  const n = cols.length;
  const RULE_NONE = 255;
  const removed = new Uint8Array(n).fill(RULE_NONE);
  const ruleIndex = (r: CleaningRule) => CLEANING_RULES.indexOf(r);
  const RATING = EVENT_TYPE_CODE.rating;
  const [rMin, rMax] = opts.ratingRange;
  const futureLimit = opts.nowMs + opts.futureToleranceMs;

  // Per-event rules.
  let known: Uint8Array | undefined;
  const itemCount = await store.countRows('items');
  if (opts.requireKnownItems === true || (opts.requireKnownItems === 'auto' && itemCount > 0)) {
    known = new Uint8Array(cols.itemIds.size);
    for await (const batch of store.scanItems()) {
      for (const item of batch) {
        const idx = cols.itemIds.indexOf(item.id);
        if (idx >= 0) known[idx] = 1;
      }
    }
  }
  for (let i = 0; i < n; i++) {
    const ts = cols.timestamps[i]!;
    if (ts < opts.minTimestampMs && enabled('pre-epoch-timestamp')) removed[i] = ruleIndex('pre-epoch-timestamp');
    else if (ts > futureLimit && enabled('future-timestamp')) removed[i] = ruleIndex('future-timestamp');
    else if (cols.types[i] === RATING && !(cols.values[i]! >= rMin && cols.values[i]! <= rMax) && enabled('rating-out-of-range')) removed[i] = ruleIndex('rating-out-of-range');
    else if (known && cols.items[i]! >= 0 && known[cols.items[i]!] === 0 && enabled('unknown-item')) removed[i] = ruleIndex('unknown-item');
  }

  // Per-user rules: group by user (stable: key order), then sort each group by (item, type, ts, key).
  const users = cols.users;
  const userCount = cols.userIds.size;
  const starts = new Int32Array(userCount + 1);
  for (let i = 0; i < n; i++) starts[users[i]! + 1]!++;
  for (let u = 0; u < userCount; u++) starts[u + 1]! += starts[u]!;
  const cursor = starts.slice(0, userCount);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[cursor[users[i]!]!++] = i;
  const items = cols.items;
  const types = cols.types;
  const tsCol = cols.timestamps;
  const keys = cols.keys;
  const byItemTypeTime = (a: number, b: number) =>
    items[a]! - items[b]! || types[a]! - types[b]! || tsCol[a]! - tsCol[b]! || keys[a]! - keys[b]!;
  const byTime = (a: number, b: number) => tsCol[a]! - tsCol[b]! || keys[a]! - keys[b]!;
  const botTypes = new Uint8Array(EVENT_TYPES.length);
  for (const t of opts.botEventTypes) botTypes[EVENT_TYPE_CODE[t]] = 1;
  const exact = ruleIndex('exact-duplicate');
  const superseded = ruleIndex('superseded-rating');
  const near = ruleIndex('near-duplicate');
  const window = opts.nearDuplicateWindowMs;
  const botUsers: string[] = [];
  let group: number[] = [];
  for (let u = 0; u < userCount; u++) {
    const a = starts[u]!;
    const b = starts[u + 1]!;
    if (b - a === 0) continue;
    group = Array.from(order.subarray(a, b));
    if (b - a > 1) {
      group.sort(byItemTypeTime);
      let prev = -1; // previous surviving event (for exact/near duplicates)
      for (let g = 0; g < group.length; g++) {
        const i = group[g]!;
        if (removed[i] !== RULE_NONE) continue;
        if (prev >= 0 && items[prev] === items[i] && types[prev] === types[i]) {
          const sameValue = Object.is(cols.values[prev], cols.values[i]) || cols.values[prev] === cols.values[i];
          if (tsCol[prev] === tsCol[i] && sameValue && cols.extras[prev] === cols.extras[i] && enabled('exact-duplicate')) {
            removed[i] = exact;
            continue;
          }
          if (types[i] === RATING) {
            if (opts.keepLatestRating && enabled('superseded-rating')) {
              removed[prev] = superseded; // the later one wins
              prev = i;
              continue;
            }
          } else if (tsCol[i]! - tsCol[prev]! <= window && enabled('near-duplicate')) {
            removed[i] = near;
            continue;
          }
        }
        prev = i;
      }
    }
    // Bot rules over the surviving counted events.
    let counted = 0;
    for (const i of group) if (removed[i] === RULE_NONE && botTypes[types[i]!] === 1) counted++;
    let botRule: CleaningRule | undefined;
    if (counted > opts.botMaxEvents && enabled('bot-volume')) botRule = 'bot-volume';
    else if (counted > opts.botMaxEventsPerMinute && enabled('bot-rate')) {
      const timed = group.filter((i) => removed[i] === RULE_NONE && botTypes[types[i]!] === 1).sort(byTime);
      const limit = opts.botMaxEventsPerMinute;
      for (let j = limit; j < timed.length; j++) {
        if (tsCol[timed[j]!]! - tsCol[timed[j - limit]!]! < 60_000) {
          botRule = 'bot-rate';
          break;
        }
      }
    }
    if (botRule) {
      botUsers.push(cols.userIds.idAt(u));
      const code = ruleIndex(botRule);
      for (const i of group) if (removed[i] === RULE_NONE) removed[i] = code;
    }
  }

  const removedByRule = Object.fromEntries(CLEANING_RULES.map((r) => [r, 0])) as Record<CleaningRule, number>;
  const keysByRule: number[][] = CLEANING_RULES.map(() => []);
  for (let i = 0; i < n; i++) {
    const r = removed[i]!;
    if (r === RULE_NONE) continue;
    keysByRule[r]!.push(keys[i]!);
  }
  let totalRemoved = 0;
  for (let r = 0; r < CLEANING_RULES.length; r++) {
    const list = keysByRule[r]!;
    removedByRule[CLEANING_RULES[r]!] = list.length;
    totalRemoved += list.length;
    for (let s = 0; s < list.length; s += 50_000) await store.markEventsRemoved(list.slice(s, s + 50_000), CLEANING_RULES[r]!);
  }
  const report: CleaningReport = {
    options: opts,
    eventsBefore: n,
    eventsAfter: n - totalRemoved,
    removedByRule,
    botUsers,
    ...(itemText ? { itemText } : {}),
    ranAt: new Date().toISOString(),
  };
  await store.putDocument(CLEANING_REPORT_DOCUMENT, report);
  return report;
}

/**
 * Cleans item titles and brands: removes markup and broken markup fragments, decodes HTML
 * entities, collapses whitespace. Titles that were nothing but markup become empty (and are
 * counted as broken).
 */
export async function cleanItemTexts(store: DataStore): Promise<ItemTextReport> {
  let itemsSeen = 0;
  let entitiesDecoded = 0;
  let markupRemoved = 0;
  let brokenTitles = 0;
  const examples: string[] = [];
  const updates: Array<{ id: string; title: string; brand: string | undefined }> = [];
  for await (const batch of store.scanItems()) {
    for (const item of batch) {
      itemsSeen++;
      const title = cleanText(item.title);
      const brand = item.brand === undefined ? undefined : cleanText(item.brand);
      if (title.decodedEntities || brand?.decodedEntities) entitiesDecoded++;
      if (title.removedMarkup || brand?.removedMarkup) markupRemoved++;
      if (title.onlyMarkup) {
        brokenTitles++;
        if (examples.length < 5) examples.push(item.id);
      }
      if (title.text !== item.title || (brand && brand.text !== item.brand)) updates.push({ id: item.id, title: title.text, brand: brand?.text });
    }
  }
  for (let s = 0; s < updates.length; s += 10_000) await store.updateItemTexts(updates.slice(s, s + 10_000));
  return { items: itemsSeen, entitiesDecoded, markupRemoved, brokenTitles, brokenTitleExamples: examples };
}
