/**
 * The demo's feedback scenario, chosen from the data: a user with a clear taste, a category
 * (or, in single-category catalogs, a tag) they never touched, the items they will now view and
 * buy there, and a search query whose results span both their old and their new interest.
 * @packageDocumentation
 */
import type { EventRecord, ItemRecord } from '@souk/data';
import type { DemoData } from './data.js';

/** What the feedback step does. */
export interface FeedbackPlan {
  /** The demo user. */
  readonly user: string;
  /** How items are grouped: by top category, or by first tag. */
  readonly groupBy: 'category' | 'tag';
  /** Groups the user interacted with before. */
  readonly userGroups: readonly string[];
  /** The group the feedback introduces. */
  readonly group: string;
  /** Items the user views and buys (or rates) there. */
  readonly items: readonly ItemRecord[];
  /** The events posted. */
  readonly events: readonly EventRecord[];
  /** A query matching items of both the old and the new interest. */
  readonly probe: string;
}

const STOPWORDS = new Set(['the', 'and', 'for', 'with', 'of', 'a', 'an', 'in', 'on', 'to', 'by', 'from', 'all', 'pack']);

/** Locale prefix of a synthetic item or user id (`en-`, `zh-`), `''` elsewhere. */
function localeOf(id: string): string {
  return /^(en|zh)-/.exec(id)?.[1] ?? '';
}

/** The groups of an item under `groupBy`: its top category, or every tag (a film has several genres). */
export function groupsOf(item: { readonly categoryPath: readonly string[]; readonly tags: readonly string[] }, groupBy: 'category' | 'tag'): readonly string[] {
  if (groupBy === 'tag') return item.tags;
  const top = item.categoryPath.length >= 2 ? item.categoryPath.slice(0, 2).join(' > ') : item.categoryPath[0];
  return top === undefined ? [] : [top];
}

function tokens(item: ItemRecord): Set<string> {
  const out = new Set<string>();
  for (const text of [item.title, ...item.tags]) {
    for (const word of text.toLowerCase().split(/[^\p{L}\p{N}-]+/u)) if (/^[a-z][a-z-]{2,}$/.test(word) && !STOPWORDS.has(word)) out.add(word);
  }
  return out;
}

/** Chooses the user, the new group, the feedback items and the probe query; undefined when the data has no room for it. */
export function planFeedback(data: DemoData, nowMs: number): FeedbackPlan | undefined {
  const byId = new Map(data.items.map((i) => [i.id, i]));
  const topCategories = new Set(data.items.flatMap((i) => groupsOf(i, 'category')));
  const groupBy: 'category' | 'tag' = topCategories.size >= 3 ? 'category' : 'tag';
  const groupItems = new Map<string, ItemRecord[]>();
  for (const item of data.items) {
    for (const g of groupsOf(item, groupBy)) {
      const key = `${localeOf(item.id)}|${g}`;
      let list = groupItems.get(key);
      if (!list) groupItems.set(key, (list = []));
      list.push(item);
    }
  }
  const popularity = (id: string) => data.itemPopularity.get(id) ?? 0;

  // The user: English when there is a choice, at least 5 items, the fewest groups (a clear taste).
  const candidates: Array<{ user: string; groups: Set<string>; items: number }> = [];
  for (const [user, items] of data.userItems) {
    if (items.size < 5) continue;
    const groups = new Set<string>();
    let locale = '';
    for (const id of items) {
      const item = byId.get(id);
      if (item) for (const g of groupsOf(item, groupBy)) groups.add(g);
      locale = localeOf(id);
    }
    if (locale === 'zh' || groups.size === 0) continue;
    candidates.push({ user, groups, items: items.size });
  }
  // A light user (about ten items) feels a few purchases; a heavy one barely moves.
  const lightness = (n: number) => Math.abs(n - 10);
  candidates.sort((a, b) => a.groups.size - b.groups.size || lightness(a.items) - lightness(b.items) || (a.user < b.user ? -1 : 1));
  for (const candidate of candidates.slice(0, 50)) {
    const locale = localeOf([...data.userItems.get(candidate.user)!][0]!);
    const fresh = [...groupItems.entries()]
      .filter(([key, list]) => key.startsWith(`${locale}|`) && !candidate.groups.has(key.slice(locale.length + 1)) && list.filter((i) => i.inStock).length >= 4)
      .map(([key, list]) => ({ group: key.slice(locale.length + 1), list, weight: list.reduce((s, i) => s + popularity(i.id), 0) }))
      .sort((a, b) => b.weight - a.weight);
    const target = fresh[0];
    if (!target) continue;
    const inStock = target.list.filter((i) => i.inStock).sort((a, b) => popularity(b.id) - popularity(a.id) || (a.id < b.id ? -1 : 1));
    // Ratings move a rating-trained model less than purchases move a shop's: more of them.
    const wanted = data.feedbackType === 'purchase' ? 5 : 8;
    const items = inStock.slice(0, Math.max(2, Math.min(wanted, Math.floor(inStock.length / 2))));
    const probe = probeQuery(target.list, [...data.userItems.get(candidate.user)!].map((id) => byId.get(id)).filter((i): i is ItemRecord => i !== undefined));
    const events: EventRecord[] = [];
    let t = nowMs - items.length * 180_000;
    for (const item of items) {
      const session = `demo-${candidate.user}`;
      events.push({ user: candidate.user, item: item.id, type: 'view', timestamp: t, session });
      if (data.feedbackType === 'purchase') {
        events.push({ user: candidate.user, item: item.id, type: 'click', timestamp: t + 5_000, session });
        events.push({ user: candidate.user, item: item.id, type: 'cart', timestamp: t + 30_000, session });
        events.push({ user: candidate.user, item: item.id, type: 'purchase', ...(item.price !== undefined ? { value: item.price } : {}), timestamp: t + 90_000, session });
      } else {
        events.push({ user: candidate.user, item: item.id, type: 'rating', value: 5, timestamp: t + 60_000, session });
      }
      t += 180_000;
    }
    return { user: candidate.user, groupBy, userGroups: [...candidate.groups].sort(), group: target.group, items, events, probe };
  }
  return undefined;
}

/** A word shared by the new group's items and the user's past items (most balanced), else the new group's most common word. */
function probeQuery(newItems: readonly ItemRecord[], pastItems: readonly ItemRecord[]): string {
  const count = (list: readonly ItemRecord[]) => {
    const c = new Map<string, number>();
    for (const item of list) for (const t of tokens(item)) c.set(t, (c.get(t) ?? 0) + 1);
    return c;
  };
  const inNew = count(newItems);
  const inPast = count(pastItems);
  let best: string | undefined;
  let bestScore = 0;
  for (const [t, n] of inNew) {
    const score = Math.min(n, inPast.get(t) ?? 0);
    if (score > bestScore || (score === bestScore && score > 0 && best !== undefined && t < best)) [best, bestScore] = [t, score];
  }
  if (best) return best;
  let fallback = newItems[0]?.title.split(/\s+/)[0] ?? '';
  let most = 0;
  for (const [t, n] of inNew) if (n > most) [fallback, most] = [t, n];
  return fallback;
}
