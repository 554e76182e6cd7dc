/**
 * A deterministic synthetic shop: Chinese or English catalogs (brands, category trees, prices,
 * titles from realistic vocabulary), users with latent tastes and price sensitivity, and
 * sessions that search, view, click, cart, buy and rate with realistic funnel rates, plus ground
 * truth for every generated query (which items are relevant, and how much).
 *
 * Events stream from a generator, so any number (10^3 … 10^8 and beyond) can be produced in
 * constant memory; the same seed gives the same shop and the same events on every platform.
 * @packageDocumentation
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { invalidArgument } from './errors.js';
import type { EventRecord, ItemRecord, UserRecord } from './schemas.js';
import { seededRandom } from './splits.js';

interface LeafVocabulary {
  readonly name: string;
  readonly nouns: readonly string[];
}
interface TopCategory {
  readonly name: string;
  readonly brands: readonly string[];
  readonly leaves: readonly LeafVocabulary[];
  /** Median price and log-normal spread. */
  readonly price: readonly [number, number];
}
interface Vocabulary {
  readonly root: string;
  readonly currency: string;
  readonly adjectives: readonly string[];
  readonly variants: readonly string[];
  readonly categories: readonly TopCategory[];
  readonly joiner: string;
}

const EN: Vocabulary = {
  root: 'All',
  currency: 'USD',
  joiner: ' ',
  adjectives: ['wireless', 'waterproof', 'lightweight', 'premium', 'classic', 'organic', 'portable', 'stainless steel', 'slim', 'ergonomic', 'recycled', 'compact', 'noise-cancelling', 'heavy-duty'],
  variants: ['black', 'white', 'navy', 'grey', 'red', 'green', '2-pack', 'large', 'medium', 'small', '128GB', '256GB', '500 ml', '1 kg'],
  categories: [
    { name: 'Electronics', price: [180, 0.8], brands: ['Apple', 'Samsung', 'Sony', 'Xiaomi', 'Huawei', 'Lenovo', 'Dell', 'Anker', 'Bose', 'Canon'], leaves: [
      { name: 'Phones', nouns: ['smartphone', 'phone'] }, { name: 'Headphones', nouns: ['headphones', 'earbuds'] },
      { name: 'Laptops', nouns: ['laptop', 'notebook'] }, { name: 'Cameras', nouns: ['mirrorless camera', 'action camera'] }] },
    { name: 'Fashion', price: [45, 0.6], brands: ['Nike', 'Adidas', 'Uniqlo', 'Zara', "Levi's", 'The North Face', 'Puma'], leaves: [
      { name: 'Shoes', nouns: ['sneakers', 'running shoes', 'boots'] }, { name: 'Jackets', nouns: ['jacket', 'parka', 'raincoat'] },
      { name: 'Bags', nouns: ['backpack', 'tote bag'] }] },
    { name: 'Home & Kitchen', price: [40, 0.7], brands: ['IKEA', 'Tefal', 'Philips', "De'Longhi", 'Muji', 'Le Creuset'], leaves: [
      { name: 'Cookware', nouns: ['frying pan', 'saucepan', 'wok'] }, { name: 'Coffee & Tea', nouns: ['coffee maker', 'espresso machine', 'kettle'] },
      { name: 'Bedding', nouns: ['duvet', 'pillow', 'sheet set'] }] },
    { name: 'Beauty', price: [22, 0.5], brands: ["L'Oréal", 'Estée Lauder', 'Shiseido', 'Clinique', 'Nivea'], leaves: [
      { name: 'Skincare', nouns: ['moisturizer', 'serum', 'sunscreen'] }, { name: 'Makeup', nouns: ['lipstick', 'mascara', 'foundation'] }] },
    { name: 'Grocery', price: [6, 0.5], brands: ['Nestlé', "Lay's", 'Oreo', 'Starbucks', 'Lipton'], leaves: [
      { name: 'Snacks', nouns: ['chips', 'cookies', 'mixed nuts'] }, { name: 'Beverages', nouns: ['green tea', 'coffee beans', 'sparkling water'] }] },
    { name: 'Sports & Outdoors', price: [35, 0.7], brands: ['Decathlon', 'Under Armour', 'Garmin', 'Giant'], leaves: [
      { name: 'Fitness', nouns: ['yoga mat', 'dumbbells', 'resistance bands'] }, { name: 'Cycling', nouns: ['bike helmet', 'cycling gloves'] }] },
  ],
};

const ZH: Vocabulary = {
  root: '全部',
  currency: 'CNY',
  joiner: '',
  adjectives: ['新款', '轻薄', '防水', '大容量', '高端', '便携', '智能', '加厚', '有机', '无线', '静音', '经典', '降噪', '国潮'],
  variants: ['黑色', '白色', '藏青', '灰色', '红色', '绿色', '两件装', '大号', '中号', '小号', '128G', '256G', '500毫升', '1千克'],
  categories: [
    { name: '数码', price: [1200, 0.8], brands: ['华为', '小米', '苹果', 'OPPO', 'vivo', '联想', '索尼', '荣耀', '大疆'], leaves: [
      { name: '手机', nouns: ['手机', '智能手机'] }, { name: '耳机', nouns: ['蓝牙耳机', '降噪耳机'] },
      { name: '笔记本电脑', nouns: ['笔记本电脑', '轻薄本'] }, { name: '相机', nouns: ['微单相机', '运动相机'] }] },
    { name: '服饰', price: [260, 0.6], brands: ['李宁', '安踏', '优衣库', '波司登', '特步', '耐克', '阿迪达斯'], leaves: [
      { name: '运动鞋', nouns: ['跑步鞋', '运动鞋', '板鞋'] }, { name: '外套', nouns: ['羽绒服', '冲锋衣', '风衣'] },
      { name: '箱包', nouns: ['双肩包', '托特包'] }] },
    { name: '家居厨具', price: [220, 0.7], brands: ['美的', '苏泊尔', '九阳', '小熊', '水星家纺', '罗莱'], leaves: [
      { name: '锅具', nouns: ['炒锅', '不粘锅', '电饭煲'] }, { name: '咖啡茶具', nouns: ['咖啡机', '电水壶'] },
      { name: '床品', nouns: ['四件套', '枕头', '蚕丝被'] }] },
    { name: '美妆', price: [150, 0.5], brands: ['珀莱雅', '花西子', '完美日记', '百雀羚', '自然堂', '薇诺娜'], leaves: [
      { name: '护肤', nouns: ['面霜', '精华液', '防晒霜'] }, { name: '彩妆', nouns: ['口红', '粉底液', '睫毛膏'] }] },
    { name: '食品饮料', price: [40, 0.5], brands: ['三只松鼠', '良品铺子', '百草味', '农夫山泉', '元气森林', '东方树叶'], leaves: [
      { name: '零食', nouns: ['坚果', '牛肉干', '饼干'] }, { name: '饮料', nouns: ['绿茶', '咖啡豆', '矿泉水'] }] },
    { name: '运动户外', price: [180, 0.7], brands: ['迪卡侬', 'Keep', '捷安特', '喜德盛'], leaves: [
      { name: '健身', nouns: ['瑜伽垫', '哑铃', '跳绳'] }, { name: '骑行', nouns: ['骑行头盔', '山地车'] }] },
  ],
};

/** Options of {@link createSyntheticShop}. */
export interface SyntheticShopOptions {
  /** PRNG seed (default 1). */
  readonly seed?: number;
  /** Catalog language (default `en`). */
  readonly locale?: 'en' | 'zh';
  /** Number of items (default 2,000). */
  readonly items?: number;
  /** Number of users (default 1,000). */
  readonly users?: number;
  /** Number of ground-truth queries (default 200). */
  readonly queries?: number;
}

/** A generated query with its graded relevance judgements (3 = exact, 2 = close, 1 = same category). */
export interface SyntheticQuery {
  readonly id: string;
  readonly text: string;
  readonly relevance: ReadonlyArray<{ readonly item: string; readonly grade: 1 | 2 | 3 }>;
}

/** Options of {@link SyntheticShop.events}. */
export interface SyntheticEventOptions {
  /** Number of events to produce (the last session may be cut short). */
  readonly events: number;
  /** Time of the first session (ms, default 2024-01-01T00:00:00Z). */
  readonly startMs?: number;
  /** Days the sessions are spread over (default 90). */
  readonly days?: number;
  /** Seed of the event stream (default the shop's seed). */
  readonly seed?: number;
}

/** The generated shop. */
export interface SyntheticShop {
  readonly locale: 'en' | 'zh';
  readonly items: readonly ItemRecord[];
  readonly users: readonly UserRecord[];
  readonly queries: readonly SyntheticQuery[];
  /** Streams events in time order, deterministically. */
  events(options: SyntheticEventOptions): Generator<EventRecord>;
}

function normal(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Samples index k with probability ∝ weights via binary search on a cumulative array. */
function cumulative(weights: ArrayLike<number>): Float64Array {
  const c = new Float64Array(weights.length);
  let s = 0;
  for (let k = 0; k < weights.length; k++) c[k] = s += weights[k]!;
  return c;
}
function sample(cum: Float64Array, r: number): number {
  const target = r * cum[cum.length - 1]!;
  let lo = 0;
  let hi = cum.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
const pick = <T>(list: readonly T[], random: () => number): T => list[Math.floor(random() * list.length)]!;

interface ItemFacts {
  leaf: number;
  brand: string;
  adjective: string;
  noun: string;
  price: number;
  quality: number;
}

/** Creates a deterministic synthetic shop. */
export function createSyntheticShop(options: SyntheticShopOptions = {}): SyntheticShop {
  const seed = options.seed ?? 1;
  const locale = options.locale ?? 'en';
  if (locale !== 'en' && locale !== 'zh') throw invalidArgument("'en' or 'zh'", 'locale', locale);
  const itemCount = options.items ?? 2000;
  const userCount = options.users ?? 1000;
  const queryCount = options.queries ?? 200;
  for (const [name, v] of [['items', itemCount], ['users', userCount], ['queries', queryCount]] as const) {
    if (!Number.isInteger(v) || v < 1) throw invalidArgument('a positive integer', name, v);
  }
  const vocab = locale === 'zh' ? ZH : EN;
  const random = seededRandom(seed);
  const leaves: Array<{ top: TopCategory; leaf: LeafVocabulary }> = [];
  for (const top of vocab.categories) for (const leaf of top.leaves) leaves.push({ top, leaf });

  // Catalog: leaf popularity is Zipf-like; item popularity within a leaf too.
  const leafWeights = cumulative(leaves.map((_, k) => 1 / (k + 1) ** 0.6));
  const items: ItemRecord[] = [];
  const facts: ItemFacts[] = [];
  const popularity = new Float64Array(itemCount);
  for (let i = 0; i < itemCount; i++) {
    const leaf = sample(leafWeights, random());
    const { top, leaf: lv } = leaves[leaf]!;
    const brand = pick(top.brands, random);
    const adjective = pick(vocab.adjectives, random);
    const noun = pick(lv.nouns, random);
    const variant = pick(vocab.variants, random);
    const price = Math.round(top.price[0] * Math.exp(top.price[1] * normal(random)) * 100) / 100 || 0.99;
    const quality = random();
    const j = vocab.joiner;
    const title = locale === 'zh' ? `${brand} ${adjective}${noun} ${variant}` : `${brand} ${adjective}${j}${noun}, ${variant}`;
    const id = `${locale}-${String(i).padStart(7, '0')}`;
    items.push({
      id,
      title,
      brand,
      categoryPath: [vocab.root, top.name, lv.name],
      price,
      currency: vocab.currency,
      tags: [adjective, noun],
      attributes: { variant, quality: Math.round(quality * 100) / 100 },
      inStock: random() > 0.05,
    });
    facts.push({ leaf, brand, adjective, noun, price, quality });
    popularity[i] = Math.exp(1.2 * normal(random)) * (0.5 + quality);
  }
  const itemsByLeaf: number[][] = leaves.map(() => []);
  for (let i = 0; i < itemCount; i++) itemsByLeaf[facts[i]!.leaf]!.push(i);
  const leafCum = itemsByLeaf.map((list) => cumulative(list.map((i) => popularity[i]!)));
  const medianPriceByLeaf = itemsByLeaf.map((list) => {
    const prices = list.map((i) => facts[i]!.price).sort((a, b) => a - b);
    return prices.length ? prices[prices.length >> 1]! : 1;
  });

  // Users: 1–3 favourite leaves, price sensitivity, activity.
  const users: UserRecord[] = [];
  const tastes: Array<{ leaves: Float64Array; leafIds: number[]; sensitivity: number }> = [];
  const activity = new Float64Array(userCount);
  for (let u = 0; u < userCount; u++) {
    const favourites = 1 + Math.floor(random() * 3);
    const leafIds: number[] = [];
    const w: number[] = [];
    for (let f = 0; f < favourites; f++) {
      leafIds.push(sample(leafWeights, random()));
      w.push(1 / (f + 1));
    }
    leafIds.push(-1); // exploration: any leaf
    w.push(0.15);
    const sensitivity = Math.min(1, Math.max(0, 0.5 + 0.25 * normal(random)));
    tastes.push({ leaves: cumulative(w), leafIds, sensitivity });
    activity[u] = Math.exp(1.0 * normal(random));
    users.push({
      id: `u${String(u).padStart(7, '0')}`,
      attributes: { segment: sensitivity > 0.66 ? 'bargain' : sensitivity < 0.33 ? 'premium' : 'regular', locale },
    });
  }
  const activityCum = cumulative(activity);

  // Queries with ground truth: a leaf noun, optionally with a brand or an adjective.
  const queries: SyntheticQuery[] = [];
  const queryFacts: Array<{ leaf: number; noun: string; brand?: string; adjective?: string }> = [];
  for (let q = 0; q < queryCount; q++) {
    const leaf = sample(leafWeights, random());
    if (itemsByLeaf[leaf]!.length === 0) {
      q--;
      continue;
    }
    const anchor = facts[pick(itemsByLeaf[leaf]!, random)]!;
    const roll = random();
    const brand = roll < 0.35 ? anchor.brand : undefined;
    const adjective = roll >= 0.35 && roll < 0.6 ? anchor.adjective : undefined;
    const text = locale === 'zh' ? `${brand ? brand + ' ' : ''}${adjective ?? ''}${anchor.noun}` : [brand, adjective, anchor.noun].filter(Boolean).join(' ').toLowerCase();
    const relevance: Array<{ item: string; grade: 1 | 2 | 3 }> = [];
    for (const i of itemsByLeaf[leaf]!) {
      const f = facts[i]!;
      const nounMatch = f.noun === anchor.noun;
      const qualifierMatch = (brand === undefined || f.brand === brand) && (adjective === undefined || f.adjective === adjective);
      const grade = nounMatch && qualifierMatch ? 3 : nounMatch || qualifierMatch ? 2 : 1;
      relevance.push({ item: items[i]!.id, grade });
    }
    queries.push({ id: `q${q}`, text, relevance });
    queryFacts.push({ leaf, noun: anchor.noun, ...(brand ? { brand } : {}), ...(adjective ? { adjective } : {}) });
  }

  function* events(eventOptions: SyntheticEventOptions): Generator<EventRecord> {
    const total = eventOptions.events;
    if (!Number.isInteger(total) || total < 0) throw invalidArgument('a non-negative integer', 'events', total);
    const startMs = eventOptions.startMs ?? Date.UTC(2024, 0, 1);
    const spanMs = (eventOptions.days ?? 90) * 86_400_000;
    const r = seededRandom(eventOptions.seed ?? seed ^ 0x9e3779b9);
    const expectedSessions = Math.max(1, total / 9);
    let produced = 0;
    let session = 0;
    while (produced < total) {
      const u = sample(activityCum, r());
      const user = users[u]!.id;
      const taste = tastes[u]!;
      let t = startMs + Math.floor(Math.min(1, session / expectedSessions) * spanMs) + Math.floor(r() * 600_000);
      const sessionId = `s${session}`;
      session++;
      const out: EventRecord[] = [];
      // Choose the session's leaf: searches follow a query; browsing follows taste.
      let leaf: number;
      let relevant: SyntheticQuery | undefined;
      if (r() < 0.35) {
        const q = Math.floor(r() * queries.length);
        relevant = queries[q]!;
        leaf = queryFacts[q]!.leaf;
        out.push({ user, type: 'search', query: relevant.text, timestamp: t, session: sessionId });
      } else {
        const choice = taste.leafIds[sample(taste.leaves, r())]!;
        leaf = choice >= 0 ? choice : sample(leafWeights, r());
        if (itemsByLeaf[leaf]!.length === 0) leaf = facts[0]!.leaf;
      }
      const pool = itemsByLeaf[leaf]!;
      const views = 1 + Math.floor(-Math.log(Math.max(r(), 1e-9)) * 4);
      for (let v = 0; v < views; v++) {
        let i: number;
        if (relevant && r() < 0.7) {
          // Views after a search favour highly relevant items.
          const rel = relevant.relevance;
          let pickRel = rel[Math.floor(r() * rel.length)]!;
          for (let tries = 0; tries < 3 && pickRel.grade < 3; tries++) pickRel = rel[Math.floor(r() * rel.length)]!;
          i = Number(pickRel.item.slice(3));
        } else i = pool[sample(leafCum[leaf]!, r())]!;
        const f = facts[i]!;
        const item = items[i]!;
        t += 5_000 + Math.floor(r() * 90_000);
        out.push({ user, item: item.id, type: 'view', timestamp: t, session: sessionId });
        const priceFit = Math.exp(-taste.sensitivity * Math.max(0, Math.log(f.price / medianPriceByLeaf[leaf]!)));
        const appeal = (0.4 + 0.6 * f.quality) * priceFit;
        if (r() < 0.3 * appeal) {
          t += 2_000 + Math.floor(r() * 20_000);
          out.push({ user, item: item.id, type: 'click', timestamp: t, session: sessionId });
        }
        if (r() < 0.12 * appeal) {
          t += 10_000 + Math.floor(r() * 60_000);
          out.push({ user, item: item.id, type: 'cart', timestamp: t, session: sessionId });
          if (r() < 0.35 + 0.3 * f.quality) {
            t += 30_000 + Math.floor(r() * 300_000);
            out.push({ user, item: item.id, type: 'purchase', value: f.price, timestamp: t, session: sessionId });
            if (r() < 0.2) {
              const stars = Math.min(5, Math.max(1, Math.round(1 + 4 * f.quality + 0.8 * normal(r))));
              out.push({ user, item: item.id, type: 'rating', value: stars, timestamp: t + 86_400_000 * (1 + Math.floor(r() * 14)), session: sessionId });
            }
          }
        }
      }
      for (const e of out) {
        if (produced >= total) return;
        produced++;
        yield e;
      }
    }
  }

  return { locale, items, users, queries, events };
}

const csvField = (v: string | number | undefined) => {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/** Column header of {@link writeSyntheticEventsCsv}. */
export const SYNTHETIC_EVENTS_CSV_HEADER = 'user,item,type,value,timestamp,query,session';

/**
 * Streams events to a CSV file (header {@link SYNTHETIC_EVENTS_CSV_HEADER}, timestamps in ms),
 * honouring back-pressure, in constant memory. Resolves with the number of events written.
 */
export async function writeSyntheticEventsCsv(path: string, events: Iterable<EventRecord>): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  let buffer = SYNTHETIC_EVENTS_CSV_HEADER + '\n';
  for (const e of events) {
    buffer += `${csvField(e.user)},${csvField(e.item)},${e.type},${e.value ?? ''},${e.timestamp},${csvField(e.query)},${csvField(e.session)}\n`;
    count++;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  }
  out.end(buffer);
  await once(out, 'finish');
  return count;
}

/** Streams items to a JSON Lines file. */
export async function writeItemsJsonl(path: string, items: Iterable<ItemRecord>): Promise<number> {
  const out = createWriteStream(path);
  let count = 0;
  for (const item of items) {
    if (!out.write(JSON.stringify(item) + '\n')) await once(out, 'drain');
    count++;
  }
  out.end();
  await once(out, 'finish');
  return count;
}
