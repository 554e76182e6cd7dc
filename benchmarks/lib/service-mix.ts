// The service benchmark's request mix (shared by service.ts and service-attach.ts): 60% searches
// (the shop's query texts and vocabulary, English and Chinese, a quarter with filters, half
// personalised), 30% recommendations (75% known users), 10% event batches (1–5 events, with the
// write key). Deterministic for a seed.
import { seededRandom } from '@souk/data';
import type { BuiltRequest } from './http-load.js';
import type { ServiceShopMeta } from './service-shop.js';

/** The mix's weights. */
export const MIX = { search: 0.6, recommend: 0.3, events: 0.1 } as const;

/** Request builders for the mix; `runId` names event batches and sessions, `writeHeaders` carry the write key. */
export function mixRoutes(meta: ServiceShopMeta, seed: number, runId: string, writeHeaders: Record<string, string>) {
  const random = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const qs = (pairs: Record<string, string | number | boolean | undefined>) =>
    Object.entries(pairs)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
      .join('&');
  const search = (): BuiltRequest => {
    const locale = random() < 0.5 ? 'en' : 'zh';
    const roll = random();
    const q = roll < 0.7 ? pick(meta.queries[locale]) : roll < 0.9 ? pick(meta.words[locale]) : pick(meta.brands[locale]);
    const f = random();
    const category = pick(meta.categories[locale]);
    const filters =
      f < 0.1 ? { brand: pick(meta.brands[locale]) }
      : f < 0.17 ? { category: category.slice(0, 2).join('>') }
      : f < 0.22 ? { priceMax: locale === 'en' ? 100 : 600 }
      : f < 0.25 ? { inStock: true }
      : {};
    const user = random() < 0.5 ? pick(meta.activeUsers) : undefined;
    return { method: 'GET', path: `/v1/search?${qs({ q, user, k: 10, ...filters })}` };
  };
  const recommend = (): BuiltRequest => {
    const user = random() < 0.75 ? pick(meta.activeUsers) : `visitor-${Math.floor(random() * 1e9)}`;
    return { method: 'GET', path: `/v1/recommend?${qs({ user, k: 10 })}` };
  };
  let batch = 0;
  const events = (): BuiltRequest => {
    const user = pick(meta.activeUsers);
    const n = 1 + Math.floor(random() * 5);
    const now = Date.now();
    const session = `load-${runId}-${batch}`;
    const list = Array.from({ length: n }, (_, i) => ({ user, item: pick(meta.itemIds), type: i === n - 1 && random() < 0.3 ? 'cart' : random() < 0.7 ? 'view' : 'click', timestamp: now - (n - i) * 1000, session }));
    return { method: 'POST', path: '/v1/events', headers: writeHeaders, body: JSON.stringify({ batchId: `load-${runId}-${batch++}`, events: list }) };
  };
  return { search, recommend, events };
}
