/**
 * The text index: an inverted index over five item fields (title, brand, category path, tags,
 * description) scored with BM25F, with typo tolerance, prefix search on the last query term,
 * synonyms, filters, facet counts, sort options, a zero-result fallback, incremental updates and
 * a compact binary form.
 *
 * ## Scoring: BM25F
 * For a query term t and a document d (Robertson, Zaragoza & Taylor 2004, "simple BM25F"):
 * ```
 * tf~(t, d) = Σ_f  w_f · tf_f(t, d) / (1 − b_f + b_f · len_f(d) / avglen_f)
 * score(t, d) = idf(t) · tf~ / (k1 + tf~)          idf(t) = ln(1 + (N − df + 0.5) / (df + 0.5))
 * ```
 * N is the number of live documents, df the number of live documents containing t in any field,
 * `len_f` the number of terms in field f and `avglen_f` its mean over live documents (a field with
 * no terms anywhere uses 1). Defaults ({@link DEFAULT_BM25F}): k1 = 1.2; title w 3, b 0.75;
 * brand w 2.5, b 0.3; category w 1.5, b 0.3; tags w 1.5, b 0.5; description w 1, b 0.75.
 *
 * A query term may match several index terms: itself (weight 1), its synonyms
 * ({@link TextIndexOptions.synonyms}, weight 0.9), terms within its typo budget (weight 0.6 for
 * one edit, 0.4 for two) and, for the last term, its completions (weight 0.8). A document's score
 * for the query term is the best of those matches (never their sum, so expansions do not inflate
 * scores); its score for the query is the sum over query terms. Every query term must match
 * (conjunctive semantics); when nothing matches, the fallback drops terms (see
 * {@link SearchResult.droppedTerms}).
 * @packageDocumentation
 */
import type { ItemRecord } from '@souk/data';
import { foldText, containsHan, TextAnalyzer } from './analysis.js';
import { decodeSections, encodeSections, type Section } from './binary.js';
import { RetrievalError, describeReceived, invalidParameter } from './errors.js';
import { TermDictionary } from './terms.js';

/** Names of the indexed fields, in their storage order. */
export const TEXT_FIELDS = ['title', 'brand', 'category', 'tags', 'description'] as const;
/** One of {@link TEXT_FIELDS}. */
export type TextField = (typeof TEXT_FIELDS)[number];
const FIELD_COUNT = TEXT_FIELDS.length;

/** Per-field BM25F parameters. */
export interface FieldParameters {
  /** Weight `w_f` of a term occurrence in this field (≥ 0). */
  readonly weight: number;
  /** Length normalisation `b_f` in [0, 1]: 0 ignores length, 1 normalises fully. */
  readonly b: number;
}

/** BM25F parameters: saturation `k1` and per-field weight and length normalisation. */
export interface Bm25fParameters {
  /** Term-frequency saturation (> 0). */
  readonly k1: number;
  /** Parameters of each field. */
  readonly fields: { readonly [F in TextField]: FieldParameters };
}

/** The default BM25F parameters (documented in the module comment). */
export const DEFAULT_BM25F: Bm25fParameters = {
  k1: 1.2,
  fields: {
    title: { weight: 3, b: 0.75 },
    brand: { weight: 2.5, b: 0.3 },
    category: { weight: 1.5, b: 0.3 },
    tags: { weight: 1.5, b: 0.5 },
    description: { weight: 1, b: 0.75 },
  },
};

/** Typo tolerance: how many edits a query term of a given length may have. */
export interface TypoOptions {
  /** Whether typo tolerance is on (default true). */
  readonly enabled: boolean;
  /** Query terms of at least this many characters allow 1 edit (default 4). */
  readonly oneTypoMinLength: number;
  /** Query terms of at least this many characters allow 2 edits (default 8). */
  readonly twoTyposMinLength: number;
  /** At most this many typo variants per query term are used (default 16, the most frequent first). */
  readonly maxExpansions: number;
  /**
   * Two-edit matches must start with the query term's first character (default true). A
   * two-edit search otherwise visits about 25 times more of the term trie (measured: 15 ms instead
   * of 0.6 ms at 200,000 terms); one-edit matches may always differ in the first character.
   */
  readonly twoTyposKeepFirstCharacter: boolean;
}

/** Prefix search on the last query term. */
export interface PrefixOptions {
  /** Whether prefix search is on (default true). */
  readonly enabled: boolean;
  /** Shortest last term (in characters) that is completed (default 2; terms with Han characters complete from 1). */
  readonly minLength: number;
  /** At most this many completions are used (default 32, the most frequent first). */
  readonly maxExpansions: number;
}

/**
 * A synonym rule. `{ terms: [a, b, c] }` is multi-way (each finds the others);
 * `{ from: a, to: [b, c] }` is one-way (a finds b and c, not the reverse). Each entry must
 * analyse to exactly one term (`ERR_SYNONYM` otherwise).
 */
export type SynonymRule = { readonly terms: readonly string[] } | { readonly from: string; readonly to: readonly string[] };

/** Options of a {@link TextIndex}. */
export interface TextIndexOptions {
  /** BM25F parameters (default {@link DEFAULT_BM25F}). */
  readonly bm25f?: Bm25fParameters;
  /** Typo tolerance (partial options merge with the defaults; `false` turns it off). */
  readonly typos?: Partial<TypoOptions> | false;
  /** Prefix search (partial options merge with the defaults; `false` turns it off). */
  readonly prefix?: Partial<PrefixOptions> | false;
  /** Synonym rules. */
  readonly synonyms?: readonly SynonymRule[];
  /** Extra words segmentation must keep whole, besides the catalog's brands and categories. */
  readonly protectedWords?: readonly string[];
  /**
   * The cache of matched documents and their BM25F scores per query text and flags, filters
   * applied per request (`false`: none). Default: 1,024 entries holding up to 1,000,000 documents in all (12 bytes
   * each). See {@link TextIndex.search}.
   */
  readonly resultCache?: Partial<ResultCacheOptions> | false;
}

/** Size of the {@link TextIndex} result cache. */
export interface ResultCacheOptions {
  /** Most entries (0: no cache). */
  readonly entries: number;
  /** Most matched documents over all entries; a query matching more than a quarter of this is not cached. */
  readonly documents: number;
}

/** Hits and misses of the {@link TextIndex} result cache since the index was made. */
export interface ResultCacheStats {
  readonly hits: number;
  readonly misses: number;
  /** Entries held now. */
  readonly entries: number;
  /** Documents held now. */
  readonly documents: number;
}

/** What the result cache keeps of a search: everything that does not depend on popularity or the page. */
const EMPTY_DOCS = new Int32Array(0);

interface CachedMatch {
  readonly docs: Int32Array;
  readonly scores: Float64Array;
  readonly terms: ReadonlyArray<TermMatch['matches']>;
  readonly termNames: string[];
  readonly droppedTerms: string[];
  /** The query had more than {@link MAX_QUERY_TERMS} terms. */
  readonly termsCut: boolean;
}

/** An item as the index takes it: a catalog item plus an optional long description. */
export type IndexableItem = ItemRecord & { readonly description?: string };

/** Ranking signals of an item that are not part of its record. */
export interface ItemSignals {
  /** Popularity (any non-negative scale; higher is more popular). Default 0. */
  readonly popularity?: number;
  /** When the item was added (ms since the epoch). Default: the order of insertion. */
  readonly addedAt?: number;
}

/** Condition on one attribute: a value, a list of accepted values, or a numeric range. */
export type AttributeCondition =
  | string
  | number
  | boolean
  | ReadonlyArray<string | number | boolean>
  | { readonly min?: number; readonly max?: number };

/** Filters of a search. Every given filter must hold. */
export interface SearchFilter {
  /** A category path from the root (`['All', 'Electronics']`): the item's path must start with it (subtree). */
  readonly category?: readonly string[];
  /** Brand name, or a list of accepted brand names (compared after folding case and accents). */
  readonly brand?: string | readonly string[];
  /** Inclusive price range; items without a price never match. */
  readonly price?: { readonly min?: number; readonly max?: number };
  /** `true`: only items in stock; `false`: only items out of stock. */
  readonly inStock?: boolean;
  /** Conditions on item attributes, by attribute name; the name must occur in the catalog. */
  readonly attributes?: Readonly<Record<string, AttributeCondition>>;
}

/** Which facets to count over the matching items (after filters). */
export interface FacetRequest {
  /** Count items per brand. */
  readonly brands?: boolean;
  /** Count items per category node (every level of the path). */
  readonly categories?: boolean;
  /** Ascending price edges e0 < e1 < …: bands [e0, e1), …, [e_last, ∞). */
  readonly priceBands?: readonly number[];
}

/** Sort orders of a search. `relevance` breaks ties by popularity, then insertion order. */
export type SortOrder = 'relevance' | 'price_asc' | 'price_desc' | 'popularity' | 'newest';

/** A search request. */
export interface SearchRequest {
  /** The query text (see {@link MAX_QUERY_LENGTH}, {@link MAX_QUERY_TERMS}). */
  readonly query: string;
  /** Number of hits to return, in [1, {@link MAX_K}] (default 10). */
  readonly k?: number;
  /** Hits to skip, in [0, {@link MAX_OFFSET}] (default 0). */
  readonly offset?: number;
  /** Filters. */
  readonly filter?: SearchFilter;
  /** Facets to count. */
  readonly facets?: FacetRequest;
  /** Sort order (default `relevance`). */
  readonly sort?: SortOrder;
  /** Per-request switch for typo tolerance (default: the index option). */
  readonly typos?: boolean;
  /** Per-request switch for prefix search on the last term (default: the index option). */
  readonly prefix?: boolean;
  /** Per-request switch for synonyms (default true). */
  readonly synonyms?: boolean;
  /** Drop terms when nothing matches (default true). */
  readonly fallback?: boolean;
}

/** One hit. */
export interface SearchHit {
  /** Item id. */
  readonly id: string;
  /** BM25F score (0 when the query was answered by filters only). */
  readonly score: number;
}

/** How one query term was matched. */
export interface TermMatch {
  /** The analysed query term. */
  readonly term: string;
  /** Index terms it matched, with how. */
  readonly matches: ReadonlyArray<{ readonly term: string; readonly kind: 'exact' | 'synonym' | 'typo' | 'prefix'; readonly weight: number }>;
}

/** A facet value with its count. */
export interface FacetCount {
  /** Brand name, category path (`All > Electronics`) or price band label (`[10, 25)`). */
  readonly value: string;
  /** Matching items with that value. */
  readonly count: number;
}

/** Facet counts, present for the facets requested. */
export interface FacetCounts {
  readonly brands?: FacetCount[];
  readonly categories?: FacetCount[];
  readonly priceBands?: Array<FacetCount & { readonly min: number; readonly max: number }>;
}

/** The answer to a search. */
export interface SearchResult {
  /** The requested page of hits. */
  readonly hits: SearchHit[];
  /** Number of items that match (after filters, before paging). */
  readonly total: number;
  /** Facet counts over all matching items. */
  readonly facets: FacetCounts;
  /** How each query term that was kept matched. */
  readonly terms: TermMatch[];
  /**
   * Query terms dropped by the zero-result fallback, in the order they were dropped: first terms
   * that match nothing at all, then the least informative (highest document frequency) ones.
   */
  readonly droppedTerms: string[];
  /** The query was longer than {@link MAX_QUERY_LENGTH} characters or had more than {@link MAX_QUERY_TERMS} terms and was cut. */
  readonly truncated: boolean;
}

/** Longest query accepted; longer queries are cut to this many characters (`truncated` says so). */
export const MAX_QUERY_LENGTH = 512;
/** Most query terms used; further terms are ignored (`truncated` says so). */
export const MAX_QUERY_TERMS = 16;
/** Largest `k` of a search. */
export const MAX_K = 1000;
/** Largest `offset` of a search. */
export const MAX_OFFSET = 10_000;
/**
 * Longest text of one field value that is indexed; the rest is ignored. Per field and item, term
 * counts saturate at 255 and field lengths at 65,535 terms (BM25F saturates long before).
 */
export const MAX_FIELD_TEXT_LENGTH = 65_536;
/** Most completions examined before choosing the most frequent ones for prefix search. */
const PREFIX_SCAN_LIMIT = 512;
/** Most typo variants examined per term before choosing the most frequent ones. */
const TYPO_SCAN_LIMIT = 256;
const SYNONYM_WEIGHT = 0.9;
const PREFIX_WEIGHT = 0.8;
const TYPO_WEIGHTS = [1, 0.6, 0.4];
/** Fraction of deleted documents above which the index compacts itself. */
const COMPACT_DEAD_FRACTION = 0.25;

/** A growable posting list: documents in increasing order and their per-field term counts. */
class PostingList {
  docs: Int32Array;
  tfs: Uint8Array;
  length: number;
  constructor(docs = new Int32Array(4), tfs = new Uint8Array(4 * FIELD_COUNT), length = 0) {
    this.docs = docs;
    this.tfs = tfs;
    this.length = length;
  }
  push(doc: number, fieldCounts: Uint8Array): void {
    if (this.length === this.docs.length) {
      const docs = new Int32Array(Math.max(4, this.length * 2));
      docs.set(this.docs.subarray(0, this.length));
      const tfs = new Uint8Array(docs.length * FIELD_COUNT);
      tfs.set(this.tfs.subarray(0, this.length * FIELD_COUNT));
      this.docs = docs;
      this.tfs = tfs;
    }
    this.docs[this.length] = doc;
    this.tfs.set(fieldCounts, this.length * FIELD_COUNT);
    this.length++;
  }
}

interface CategoryNode {
  readonly name: string;
  readonly parent: number;
  readonly label: string;
}

interface QueryGroup {
  term: string;
  expansions: Array<{ termId: number; kind: 'exact' | 'synonym' | 'typo' | 'prefix'; weight: number }>;
  /** Document frequency of the exact term (0 when the term is not in the index). */
  df: number;
  /** Whether any expansion has a live document. */
  matchesAnything: boolean;
}

interface ResolvedOptions {
  bm25f: Bm25fParameters;
  typos: TypoOptions;
  prefix: PrefixOptions;
  synonyms: readonly SynonymRule[];
  protectedWords: readonly string[];
  resultCache: ResultCacheOptions;
}

function checkFiniteInRange(value: unknown, what: string, param: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw invalidParameter('ERR_ARGUMENT', what, param, value);
  }
  return value;
}

function resolveOptions(options: TextIndexOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidParameter('ERR_ARGUMENT', 'an options object', 'options', options);
  const bm25f = options.bm25f ?? DEFAULT_BM25F;
  checkFiniteInRange(bm25f.k1, 'a finite number in (0, 100]', 'bm25f.k1', Number.MIN_VALUE, 100);
  for (const f of TEXT_FIELDS) {
    const p = bm25f.fields?.[f];
    if (!p) throw invalidParameter('ERR_ARGUMENT', 'parameters for every field', `bm25f.fields.${f}`, p);
    checkFiniteInRange(p.weight, 'a finite weight >= 0', `bm25f.fields.${f}.weight`, 0, 1e6);
    checkFiniteInRange(p.b, 'a number in [0, 1]', `bm25f.fields.${f}.b`, 0, 1);
  }
  const typos: TypoOptions = {
    enabled: true,
    oneTypoMinLength: 4,
    twoTyposMinLength: 8,
    maxExpansions: 16,
    twoTyposKeepFirstCharacter: true,
    ...(options.typos === false ? { enabled: false } : options.typos),
  };
  checkFiniteInRange(typos.oneTypoMinLength, 'an integer in [1, 64]', 'typos.oneTypoMinLength', 1, 64);
  checkFiniteInRange(typos.twoTyposMinLength, 'an integer in [1, 64]', 'typos.twoTyposMinLength', 1, 64);
  checkFiniteInRange(typos.maxExpansions, 'an integer in [1, 256]', 'typos.maxExpansions', 1, 256);
  const prefix: PrefixOptions = {
    enabled: true,
    minLength: 2,
    maxExpansions: 32,
    ...(options.prefix === false ? { enabled: false } : options.prefix),
  };
  checkFiniteInRange(prefix.minLength, 'an integer in [1, 64]', 'prefix.minLength', 1, 64);
  checkFiniteInRange(prefix.maxExpansions, 'an integer in [1, 512]', 'prefix.maxExpansions', 1, 512);
  const synonyms = options.synonyms ?? [];
  if (!Array.isArray(synonyms)) throw invalidParameter('ERR_SYNONYM', 'an array of synonym rules', 'synonyms', synonyms);
  const protectedWords = options.protectedWords ?? [];
  if (!Array.isArray(protectedWords)) throw invalidParameter('ERR_ARGUMENT', 'an array of words', 'protectedWords', protectedWords);
  const resultCache: ResultCacheOptions = options.resultCache === false ? { entries: 0, documents: 0 } : { entries: 1024, documents: 1_000_000, ...options.resultCache };
  checkFiniteInRange(resultCache.entries, 'an integer in [0, 1000000]', 'resultCache.entries', 0, 1_000_000);
  checkFiniteInRange(resultCache.documents, 'an integer in [0, 1e9]', 'resultCache.documents', 0, 1e9);
  if (!Number.isInteger(resultCache.entries)) throw invalidParameter('ERR_ARGUMENT', 'an integer in [0, 1000000]', 'resultCache.entries', resultCache.entries);
  if (!Number.isInteger(resultCache.documents)) throw invalidParameter('ERR_ARGUMENT', 'an integer in [0, 1e9]', 'resultCache.documents', resultCache.documents);
  return { bm25f, typos, prefix, synonyms, protectedWords, resultCache };
}

const describeField = (item: unknown, field: string) => `${field} of item ${describeReceived((item as { id?: unknown })?.id)}`;

/**
 * Checks an item at indexing time. Required: `id` (non-empty string, ≤ 256 characters) and `title`
 * (string). Optional with documented fallbacks: `brand` (absent → no brand), `categoryPath`
 * (absent → no category), `tags` (absent → none), `attributes` (absent → none), `inStock`
 * (absent → in stock), `price` (absent → no price: never matches a price filter, sorts last),
 * `description`. A field that is present with the wrong type throws `ERR_INVALID_ITEM`.
 */
export function validateIndexableItem(item: unknown): IndexableItem {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidParameter('ERR_INVALID_ITEM', 'an item object', 'item', item);
  const r = item as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0 || r.id.length > 256) throw invalidParameter('ERR_INVALID_ITEM', 'a non-empty string of at most 256 characters', 'item.id', r.id);
  if (typeof r.title !== 'string') throw invalidParameter('ERR_INVALID_ITEM', 'a string', describeField(item, 'title'), r.title);
  if (r.brand !== undefined && typeof r.brand !== 'string') throw invalidParameter('ERR_INVALID_ITEM', 'a string or nothing', describeField(item, 'brand'), r.brand);
  if (r.description !== undefined && typeof r.description !== 'string') throw invalidParameter('ERR_INVALID_ITEM', 'a string or nothing', describeField(item, 'description'), r.description);
  for (const list of ['categoryPath', 'tags'] as const) {
    const v = r[list];
    if (v !== undefined && (!Array.isArray(v) || v.some((s) => typeof s !== 'string'))) throw invalidParameter('ERR_INVALID_ITEM', 'an array of strings or nothing', describeField(item, list), v);
  }
  if (r.price !== undefined && (typeof r.price !== 'number' || !Number.isFinite(r.price) || r.price < 0)) throw invalidParameter('ERR_INVALID_ITEM', 'a finite price >= 0 or nothing', describeField(item, 'price'), r.price);
  if (r.inStock !== undefined && typeof r.inStock !== 'boolean') throw invalidParameter('ERR_INVALID_ITEM', 'a boolean or nothing', describeField(item, 'inStock'), r.inStock);
  if (r.attributes !== undefined) {
    if (typeof r.attributes !== 'object' || r.attributes === null || Array.isArray(r.attributes)) throw invalidParameter('ERR_INVALID_ITEM', 'an object or nothing', describeField(item, 'attributes'), r.attributes);
    for (const [key, value] of Object.entries(r.attributes)) {
      if (!(typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value)))) {
        throw invalidParameter('ERR_INVALID_ITEM', 'a string, finite number or boolean', describeField(item, `attributes.${key}`), value);
      }
    }
  }
  return {
    id: r.id,
    title: r.title,
    ...(r.brand !== undefined ? { brand: r.brand as string } : {}),
    categoryPath: (r.categoryPath as string[] | undefined) ?? [],
    ...(r.price !== undefined ? { price: r.price as number } : {}),
    tags: (r.tags as string[] | undefined) ?? [],
    attributes: (r.attributes as ItemRecord['attributes'] | undefined) ?? {},
    inStock: (r.inStock as boolean | undefined) ?? true,
    ...(r.description !== undefined ? { description: r.description as string } : {}),
  };
}

/** What {@link TextIndex.addMany} did with each item. */
export interface AddManyResult {
  /** Items added or replaced. */
  readonly indexed: number;
  /** Items rejected (only with `onInvalid: 'skip'`), with the reason. */
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly id: unknown; readonly code: string; readonly message: string }>;
}

/**
 * A BM25F inverted index over catalog items (see the module comment for scoring). Single-threaded:
 * searches reuse scratch buffers owned by the index.
 */
export class TextIndex {
  private readonly options: ResolvedOptions;
  private readonly analyzer: TextAnalyzer;
  private dictionary = new TermDictionary();
  private postings: PostingList[] = [];
  private df: Int32Array = new Int32Array(16);
  private synonymMap = new Map<string, string[]>();

  // Documents, by dense document number.
  private ids: string[] = [];
  private docById = new Map<string, number>();
  private alive = new Uint8Array(16);
  private fieldLengths = new Uint16Array(16 * FIELD_COUNT);
  private prices = new Float64Array(16);
  private inStock = new Uint8Array(16);
  private brandOf = new Int32Array(16);
  private categoryOf = new Int32Array(16);
  private popularity = new Float64Array(16);
  private addedAt = new Float64Array(16);
  private attributes: Array<ItemRecord['attributes'] | null> = [];
  private docTerms: Array<Int32Array | null> = [];
  private liveCount = 0;
  private readonly fieldLengthSums = new Float64Array(FIELD_COUNT);
  private insertionCounter = 0;

  // Facet dictionaries.
  private brands: string[] = [];
  private brandByKey = new Map<string, number>();
  private categories: CategoryNode[] = [];
  private categoryByKey = new Map<string, number>();
  private attributeNames = new Set<string>();

  // Search scratch, sized to the document capacity.
  private scratchScore = new Float64Array(16);
  private scratchBest = new Float64Array(16);
  private scratchCount = new Uint8Array(16);
  private scratchTouched = new Int32Array(16);
  private scratchCandidates = new Int32Array(16);
  // The result cache (insertion order = least recently used first); emptied by every change of
  // the documents or their numbering (insertDoc, removeDoc, compact), never by popularity.
  private readonly cache = new Map<string, CachedMatch>();
  private cacheDocs = 0;
  private cacheHits = 0;
  private cacheMisses = 0;

  /** Creates an empty index. */
  constructor(options: TextIndexOptions = {}) {
    this.options = resolveOptions(options);
    this.analyzer = new TextAnalyzer(this.options.protectedWords);
    this.compileSynonyms();
  }

  /** Number of live items. */
  get size(): number {
    return this.liveCount;
  }

  /** Number of distinct terms ever indexed. */
  get termCount(): number {
    return this.dictionary.size;
  }

  /** Whether an item with this id is indexed. */
  has(id: string): boolean {
    return this.docById.has(id);
  }

  /** The analyser of this index (its protected words include the catalog's brands and categories). */
  get textAnalyzer(): TextAnalyzer {
    return this.analyzer;
  }

  /**
   * Adds an item, or replaces the item with the same id (an update). The item's brand and category
   * names join the protected words of the analyser. Throws `ERR_INVALID_ITEM` for a malformed item
   * (see {@link validateIndexableItem}); the index is unchanged then.
   */
  add(item: IndexableItem, signals: ItemSignals = {}): void {
    const valid = validateIndexableItem(item);
    const popularity = signals.popularity ?? 0;
    if (typeof popularity !== 'number' || !Number.isFinite(popularity)) throw invalidParameter('ERR_ARGUMENT', 'a finite number', 'signals.popularity', popularity);
    const added = signals.addedAt ?? this.insertionCounter;
    if (typeof added !== 'number' || !Number.isFinite(added)) throw invalidParameter('ERR_ARGUMENT', 'a finite number', 'signals.addedAt', added);
    this.insertionCounter++;
    if (this.docById.has(valid.id)) this.removeDoc(this.docById.get(valid.id)!);
    this.insertDoc(valid, popularity, added);
    this.maybeCompact();
  }

  /**
   * Adds or replaces many items. With `onInvalid: 'throw'` (default) the first malformed item
   * throws and the items before it stay indexed; with `'skip'` malformed items are reported in
   * `rejected` and the rest are indexed.
   */
  addMany(items: Iterable<IndexableItem>, options: { onInvalid?: 'throw' | 'skip'; signals?: (item: IndexableItem) => ItemSignals } = {}): AddManyResult {
    const onInvalid = options.onInvalid ?? 'throw';
    if (onInvalid !== 'throw' && onInvalid !== 'skip') throw invalidParameter('ERR_ARGUMENT', "'throw' or 'skip'", 'onInvalid', onInvalid);
    const rejected: Array<{ index: number; id: unknown; code: string; message: string }> = [];
    let indexed = 0;
    let index = 0;
    for (const item of items) {
      try {
        this.add(item, options.signals ? options.signals(item) : {});
        indexed++;
      } catch (error) {
        if (onInvalid === 'throw' || !(error instanceof RetrievalError)) throw error;
        rejected.push({ index, id: (item as { id?: unknown } | null)?.id, code: error.code, message: error.message });
      }
      index++;
    }
    return { indexed, rejected };
  }

  /** Removes an item. Returns false when the id is not indexed. */
  delete(id: string): boolean {
    if (typeof id !== 'string') throw invalidParameter('ERR_ARGUMENT', 'an item id string', 'id', id);
    const doc = this.docById.get(id);
    if (doc === undefined) return false;
    this.removeDoc(doc);
    this.maybeCompact();
    return true;
  }

  /** Sets the popularity of an indexed item (for `sort: 'popularity'` and relevance ties). */
  setPopularity(id: string, popularity: number): void {
    const doc = this.docById.get(id);
    if (doc === undefined) throw invalidParameter('ERR_UNKNOWN_ITEM', 'the id of an indexed item', 'id', id);
    if (typeof popularity !== 'number' || !Number.isFinite(popularity)) throw invalidParameter('ERR_ARGUMENT', 'a finite number', 'popularity', popularity);
    this.popularity[doc] = popularity;
  }

  /** Hits and misses of the result cache, and what it holds. */
  cacheStats(): ResultCacheStats {
    return { hits: this.cacheHits, misses: this.cacheMisses, entries: this.cache.size, documents: this.cacheDocs };
  }

  private clearCache(): void {
    if (this.cache.size === 0) return;
    this.cache.clear();
    this.cacheDocs = 0;
  }

  private cacheGet(key: string): CachedMatch | undefined {
    const hit = this.cache.get(key);
    if (hit === undefined) {
      this.cacheMisses++;
      return undefined;
    }
    this.cacheHits++;
    this.cache.delete(key);
    this.cache.set(key, hit);
    return hit;
  }

  private cachePut(key: string, entry: CachedMatch, matched: number): void {
    const { entries, documents } = this.options.resultCache;
    if (entries === 0 || matched > documents / 4) return;
    for (const [oldKey, old] of this.cache) {
      if (this.cache.size < entries && this.cacheDocs + entry.docs.length <= documents) break;
      this.cache.delete(oldKey);
      this.cacheDocs -= old.docs.length;
    }
    this.cache.set(key, entry);
    this.cacheDocs += entry.docs.length;
  }

  // ---- indexing internals ----

  private ensureDocCapacity(needed: number): void {
    if (needed <= this.alive.length) return;
    const cap = Math.max(needed, this.alive.length * 2);
    const grow = <T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(a: T, per = 1): T => {
      const next = new (a.constructor as new (n: number) => T)(cap * per);
      next.set(a);
      return next;
    };
    this.alive = grow(this.alive);
    this.fieldLengths = grow(this.fieldLengths, FIELD_COUNT);
    this.prices = grow(this.prices);
    this.inStock = grow(this.inStock);
    this.brandOf = grow(this.brandOf);
    this.categoryOf = grow(this.categoryOf);
    this.popularity = grow(this.popularity);
    this.addedAt = grow(this.addedAt);
    this.scratchScore = new Float64Array(cap);
    this.scratchBest = new Float64Array(cap);
    this.scratchCount = new Uint8Array(cap);
    this.scratchTouched = new Int32Array(cap);
    this.scratchCandidates = new Int32Array(cap);
  }

  private internBrand(brand: string): number {
    const key = foldText(brand).trim();
    if (key.length === 0) return -1;
    let id = this.brandByKey.get(key);
    if (id === undefined) {
      id = this.brands.length;
      this.brands.push(brand.trim());
      this.brandByKey.set(key, id);
    }
    return id;
  }

  private internCategory(path: readonly string[]): number {
    let parent = -1;
    let key = '';
    for (const name of path) {
      const folded = foldText(name).trim();
      if (folded.length === 0) continue;
      key = key.length ? `${key}\u0000${folded}` : folded;
      let id = this.categoryByKey.get(key);
      if (id === undefined) {
        id = this.categories.length;
        const label = parent >= 0 ? `${this.categories[parent]!.label} > ${name.trim()}` : name.trim();
        this.categories.push({ name: name.trim(), parent, label });
        this.categoryByKey.set(key, id);
      }
      parent = id;
    }
    return parent;
  }

  private insertDoc(item: IndexableItem, popularity: number, added: number): void {
    this.clearCache();
    const doc = this.ids.length;
    this.ensureDocCapacity(doc + 1);
    const protectedWords = [...item.categoryPath];
    if (item.brand) protectedWords.push(item.brand);
    this.analyzer.addProtectedWords(protectedWords);

    const fieldTexts: string[][] = [[item.title], item.brand ? [item.brand] : [], item.categoryPath, item.tags, item.description ? [item.description] : []];
    const counts = new Map<number, Uint8Array>();
    for (let f = 0; f < FIELD_COUNT; f++) {
      let length = 0;
      for (const text of fieldTexts[f]!) {
        const bounded = text.length > MAX_FIELD_TEXT_LENGTH ? text.slice(0, MAX_FIELD_TEXT_LENGTH) : text;
        for (const term of this.analyzer.analyzeForIndex(bounded)) {
          const termId = this.dictionary.intern(term);
          let c = counts.get(termId);
          if (!c) {
            c = new Uint8Array(FIELD_COUNT);
            counts.set(termId, c);
          }
          if (c[f]! < 255) c[f]!++;
          length++;
        }
      }
      const capped = Math.min(length, 65_535);
      this.fieldLengths[doc * FIELD_COUNT + f] = capped;
      this.fieldLengthSums[f] += capped;
    }
    if (this.df.length < this.dictionary.size) {
      const next = new Int32Array(Math.max(this.dictionary.size, this.df.length * 2));
      next.set(this.df);
      this.df = next;
    }
    const termIds = new Int32Array(counts.size);
    let t = 0;
    for (const [termId, c] of counts) {
      while (this.postings.length <= termId) this.postings.push(new PostingList());
      this.postings[termId]!.push(doc, c);
      this.df[termId]!++;
      termIds[t++] = termId;
    }
    this.ids.push(item.id);
    this.docById.set(item.id, doc);
    this.alive[doc] = 1;
    this.prices[doc] = item.price ?? Number.NaN;
    this.inStock[doc] = item.inStock ? 1 : 0;
    this.brandOf[doc] = item.brand ? this.internBrand(item.brand) : -1;
    this.categoryOf[doc] = this.internCategory(item.categoryPath);
    this.popularity[doc] = popularity;
    this.addedAt[doc] = added;
    this.attributes.push(item.attributes);
    for (const name of Object.keys(item.attributes)) this.attributeNames.add(name);
    this.docTerms.push(termIds);
    this.liveCount++;
  }

  private removeDoc(doc: number): void {
    if (!this.alive[doc]) return;
    this.clearCache();
    this.alive[doc] = 0;
    this.liveCount--;
    for (let f = 0; f < FIELD_COUNT; f++) this.fieldLengthSums[f] -= this.fieldLengths[doc * FIELD_COUNT + f]!;
    for (const termId of this.docTerms[doc]!) this.df[termId]!--;
    this.docTerms[doc] = null;
    this.attributes[doc] = null;
    this.docById.delete(this.ids[doc]!);
  }

  private maybeCompact(): void {
    const dead = this.ids.length - this.liveCount;
    if (dead > 64 && dead > COMPACT_DEAD_FRACTION * this.ids.length) this.compact();
  }

  /**
   * Rewrites the index without deleted items (renumbering documents). Runs by itself when more
   * than a quarter of the documents are deleted, and before saving.
   */
  compact(): void {
    const total = this.ids.length;
    if (this.liveCount === total) return;
    this.clearCache();
    const remap = new Int32Array(total).fill(-1);
    let next = 0;
    for (let d = 0; d < total; d++) if (this.alive[d]) remap[d] = next++;
    for (const list of this.postings) {
      let w = 0;
      for (let r = 0; r < list.length; r++) {
        const nd = remap[list.docs[r]!]!;
        if (nd < 0) continue;
        list.docs[w] = nd;
        list.tfs.copyWithin(w * FIELD_COUNT, r * FIELD_COUNT, (r + 1) * FIELD_COUNT);
        w++;
      }
      list.length = w;
    }
    const ids: string[] = [];
    const attributes: Array<ItemRecord['attributes'] | null> = [];
    const docTerms: Array<Int32Array | null> = [];
    for (let d = 0; d < total; d++) {
      const nd = remap[d]!;
      if (nd < 0) continue;
      ids.push(this.ids[d]!);
      attributes.push(this.attributes[d]!);
      docTerms.push(this.docTerms[d]!);
      this.fieldLengths.copyWithin(nd * FIELD_COUNT, d * FIELD_COUNT, (d + 1) * FIELD_COUNT);
      this.prices[nd] = this.prices[d]!;
      this.inStock[nd] = this.inStock[d]!;
      this.brandOf[nd] = this.brandOf[d]!;
      this.categoryOf[nd] = this.categoryOf[d]!;
      this.popularity[nd] = this.popularity[d]!;
      this.addedAt[nd] = this.addedAt[d]!;
      this.alive[nd] = 1;
    }
    this.alive.fill(0, next);
    this.ids = ids;
    this.attributes = attributes;
    this.docTerms = docTerms;
    this.docById = new Map(ids.map((id, d) => [id, d]));
  }

  private compileSynonyms(): void {
    const map = new Map<string, string[]>();
    const single = (text: unknown, param: string): string => {
      if (typeof text !== 'string') throw invalidParameter('ERR_SYNONYM', 'a string', param, text);
      const terms = this.analyzer.analyzeQuery(text);
      if (terms.length !== 1) throw invalidParameter('ERR_SYNONYM', 'text that analyses to exactly one term', param, text);
      return terms[0]!;
    };
    const link = (from: string, to: string) => {
      if (from === to) return;
      const list = map.get(from) ?? [];
      if (!list.includes(to)) list.push(to);
      map.set(from, list);
    };
    this.options.synonyms.forEach((rule, r) => {
      if (typeof rule !== 'object' || rule === null) throw invalidParameter('ERR_SYNONYM', 'a rule {terms} or {from, to}', `synonyms[${r}]`, rule);
      if ('terms' in rule) {
        if (!Array.isArray(rule.terms) || rule.terms.length < 2) throw invalidParameter('ERR_SYNONYM', 'an array of at least 2 terms', `synonyms[${r}].terms`, rule.terms);
        const terms = rule.terms.map((t, i) => single(t, `synonyms[${r}].terms[${i}]`));
        for (const a of terms) for (const b of terms) link(a, b);
      } else if ('from' in rule) {
        const from = single(rule.from, `synonyms[${r}].from`);
        if (!Array.isArray(rule.to) || rule.to.length < 1) throw invalidParameter('ERR_SYNONYM', 'an array of at least 1 term', `synonyms[${r}].to`, rule.to);
        rule.to.forEach((t, i) => link(from, single(t, `synonyms[${r}].to[${i}]`)));
      } else {
        throw invalidParameter('ERR_SYNONYM', 'a rule {terms} or {from, to}', `synonyms[${r}]`, rule);
      }
    });
    this.synonymMap = map;
  }

  // ---- search ----

  private idf(termId: number): number {
    const df = this.df[termId]!;
    return Math.log(1 + (this.liveCount - df + 0.5) / (df + 0.5));
  }

  /** Edits allowed for a query term under the typo options (0 for Han terms and terms with digits). */
  private typoBudget(term: string): number {
    const t = this.options.typos;
    if (containsHan(term) || /\p{N}/u.test(term)) return 0;
    const length = [...term].length;
    return length >= t.twoTyposMinLength ? 2 : length >= t.oneTypoMinLength ? 1 : 0;
  }

  private buildGroup(term: string, isLast: boolean, useTypos: boolean, usePrefix: boolean, useSynonyms: boolean): QueryGroup {
    const expansions: QueryGroup['expansions'] = [];
    const seen = new Set<number>();
    const add = (termId: number, kind: QueryGroup['expansions'][number]['kind'], weight: number) => {
      if (termId < 0 || seen.has(termId) || this.df[termId]! <= 0) return;
      seen.add(termId);
      expansions.push({ termId, kind, weight });
    };
    const exact = this.dictionary.get(term);
    add(exact, 'exact', 1);
    if (useSynonyms) for (const s of this.synonymMap.get(term) ?? []) add(this.dictionary.get(s), 'synonym', SYNONYM_WEIGHT);
    if (useTypos) {
      const budget = this.typoBudget(term);
      if (budget > 0) {
        let found = this.dictionary.fuzzy(term, 1, TYPO_SCAN_LIMIT);
        if (budget === 2) {
          const twoEdits = this.dictionary.fuzzy(term, 2, TYPO_SCAN_LIMIT, undefined, this.options.typos.twoTyposKeepFirstCharacter).filter((m) => m.distance === 2);
          found = found.concat(twoEdits);
        }
        found = found.filter((m) => this.df[m.termId]! > 0);
        found.sort((a, b) => a.distance - b.distance || this.df[b.termId]! - this.df[a.termId]! || a.termId - b.termId);
        for (const m of found.slice(0, this.options.typos.maxExpansions)) add(m.termId, 'typo', TYPO_WEIGHTS[m.distance]!);
      }
    }
    // Han terms complete from one character: a Chinese character carries a word's worth of meaning.
    const minLength = containsHan(term) ? 1 : this.options.prefix.minLength;
    if (usePrefix && isLast && [...term].length >= minLength) {
      const completions = this.dictionary.completions(term, PREFIX_SCAN_LIMIT).filter((id) => id !== exact && this.df[id]! > 0);
      completions.sort((a, b) => this.df[b]! - this.df[a]! || a - b);
      for (const id of completions.slice(0, this.options.prefix.maxExpansions)) add(id, 'prefix', PREFIX_WEIGHT);
    }
    return { term, expansions, df: exact >= 0 ? this.df[exact]! : 0, matchesAnything: expansions.length > 0 };
  }

  /**
   * Scores the documents matching every group (conjunctive); returns their numbers. Cost: the
   * total length of the expansions' posting lists.
   */
  private scoreGroups(groups: readonly QueryGroup[]): Int32Array {
    const { k1, fields } = this.options.bm25f;
    const weights = TEXT_FIELDS.map((f) => fields[f].weight);
    const bs = TEXT_FIELDS.map((f) => fields[f].b);
    const avg = TEXT_FIELDS.map((_, f) => (this.liveCount > 0 && this.fieldLengthSums[f]! > 0 ? this.fieldLengthSums[f]! / this.liveCount : 1));
    const score = this.scratchScore;
    const best = this.scratchBest;
    const count = this.scratchCount;
    const alive = this.alive;
    const lengths = this.fieldLengths;
    // Group 0 writes its documents straight into the candidate buffer; later groups into a
    // scratch buffer. No per-query allocation proportional to the posting lists.
    const candidates = this.scratchCandidates;
    let candidateCount = 0;
    for (let g = 0; g < groups.length; g++) {
      const touched = g === 0 ? candidates : this.scratchTouched;
      let touchedCount = 0;
      for (const e of groups[g]!.expansions) {
        const list = this.postings[e.termId]!;
        const idf = this.idf(e.termId) * e.weight;
        const docs = list.docs;
        const tfs = list.tfs;
        for (let p = 0; p < list.length; p++) {
          const doc = docs[p]!;
          if (!alive[doc] || count[doc] !== g) continue;
          let tfw = 0;
          const base = p * FIELD_COUNT;
          const lbase = doc * FIELD_COUNT;
          for (let f = 0; f < FIELD_COUNT; f++) {
            const tf = tfs[base + f]!;
            if (tf === 0) continue;
            tfw += (weights[f]! * tf) / (1 - bs[f]! + (bs[f]! * lengths[lbase + f]!) / avg[f]!);
          }
          // A zero-weight field gives s = 0; keep it positive so `best` marks the document as touched once.
          const s = Math.max((idf * tfw) / (k1 + tfw), Number.MIN_VALUE);
          if (best[doc] === 0) touched[touchedCount++] = doc;
          if (s > best[doc]!) best[doc] = s;
        }
      }
      for (let i = 0; i < touchedCount; i++) {
        const doc = touched[i]!;
        score[doc] += best[doc]!;
        best[doc] = 0;
        count[doc] = g + 1;
      }
      if (g === 0) candidateCount = touchedCount;
    }
    let matchedCount = 0;
    for (let i = 0; i < candidateCount; i++) {
      const doc = candidates[i]!;
      if (count[doc] === groups.length) candidates[matchedCount++] = doc;
      else score[doc] = 0;
      count[doc] = 0;
    }
    return candidates.subarray(0, matchedCount);
  }

  /** Checks a filter and turns it into a predicate over document numbers. */
  private compileFilter(filter: SearchFilter | undefined): ((doc: number) => boolean) | undefined {
    if (filter === undefined) return undefined;
    if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) throw invalidParameter('ERR_FILTER', 'a filter object', 'filter', filter);
    const known = new Set(['category', 'brand', 'price', 'inStock', 'attributes']);
    for (const key of Object.keys(filter)) {
      if (!known.has(key)) throw invalidParameter('ERR_UNKNOWN_FILTER_FIELD', 'one of category, brand, price, inStock, attributes', 'filter field', key);
    }
    const tests: Array<(doc: number) => boolean> = [];
    if (filter.category !== undefined) {
      const path = filter.category;
      if (!Array.isArray(path) || path.length === 0 || path.some((s) => typeof s !== 'string')) throw invalidParameter('ERR_FILTER', 'a non-empty category path (array of strings from the root)', 'filter.category', path);
      const key = path.map((s) => foldText(s).trim()).join('\u0000');
      const node = this.categoryByKey.get(key) ?? -2;
      tests.push((doc) => {
        for (let c = this.categoryOf[doc]!; c >= 0; c = this.categories[c]!.parent) if (c === node) return true;
        return false;
      });
    }
    if (filter.brand !== undefined) {
      const names = typeof filter.brand === 'string' ? [filter.brand] : filter.brand;
      if (!Array.isArray(names) || names.length === 0 || names.some((s) => typeof s !== 'string')) throw invalidParameter('ERR_FILTER', 'a brand name or a non-empty array of brand names', 'filter.brand', filter.brand);
      const ids = new Set(names.map((n) => this.brandByKey.get(foldText(n).trim()) ?? -2));
      tests.push((doc) => ids.has(this.brandOf[doc]!));
    }
    if (filter.price !== undefined) {
      const { min, max } = checkRange(filter.price, 'filter.price');
      tests.push((doc) => {
        const p = this.prices[doc]!;
        return p >= min && p <= max;
      });
    }
    if (filter.inStock !== undefined) {
      if (typeof filter.inStock !== 'boolean') throw invalidParameter('ERR_FILTER', 'a boolean', 'filter.inStock', filter.inStock);
      const want = filter.inStock ? 1 : 0;
      tests.push((doc) => this.inStock[doc] === want);
    }
    if (filter.attributes !== undefined) {
      if (typeof filter.attributes !== 'object' || filter.attributes === null || Array.isArray(filter.attributes)) throw invalidParameter('ERR_FILTER', 'an object of attribute conditions', 'filter.attributes', filter.attributes);
      for (const [name, condition] of Object.entries(filter.attributes)) {
        if (!this.attributeNames.has(name)) throw invalidParameter('ERR_UNKNOWN_FILTER_FIELD', 'an attribute name that occurs in the catalog', 'filter.attributes', name);
        tests.push(this.attributeTest(name, condition));
      }
    }
    return (doc) => {
      for (const test of tests) if (!test(doc)) return false;
      return true;
    };
  }

  private attributeTest(name: string, condition: AttributeCondition): (doc: number) => boolean {
    const param = `filter.attributes.${name}`;
    const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
    if (scalar(condition)) return (doc) => this.attributes[doc]?.[name] === condition;
    if (Array.isArray(condition)) {
      if (condition.length === 0 || !condition.every(scalar)) throw invalidParameter('ERR_FILTER', 'a non-empty array of strings, numbers or booleans', param, condition);
      const accepted = new Set<unknown>(condition);
      return (doc) => accepted.has(this.attributes[doc]?.[name]);
    }
    if (typeof condition === 'object' && condition !== null) {
      const { min, max } = checkRange(condition as { min?: number; max?: number }, param);
      return (doc) => {
        const v = this.attributes[doc]?.[name];
        return typeof v === 'number' && v >= min && v <= max;
      };
    }
    throw invalidParameter('ERR_FILTER', 'a value, an array of values or a {min, max} range', param, condition);
  }

  /** Document numbers of live items that pass a filter (all live items without one). */
  matchingDocuments(filter: SearchFilter | undefined): number[] {
    const test = this.compileFilter(filter);
    const out: number[] = [];
    for (let d = 0; d < this.ids.length; d++) if (this.alive[d] && (!test || test(d))) out.push(d);
    return out;
  }

  /** Ids of live items that pass a filter (all live items without one). */
  filterIds(filter: SearchFilter | undefined): string[] {
    return this.matchingDocuments(filter).map((d) => this.ids[d]!);
  }

  /**
   * Returns a predicate over item ids for a filter (used by vector retrieval to build its allow
   * set). Unknown ids never pass.
   */
  idPredicate(filter: SearchFilter | undefined): (id: string) => boolean {
    const test = this.compileFilter(filter);
    return (id) => {
      const doc = this.docById.get(id);
      return doc !== undefined && (!test || test(doc));
    };
  }

  /**
   * Searches the index. Bad requests throw a {@link RetrievalError}: `ERR_ARGUMENT` (query not a
   * string, bad sort or facet options), `ERR_EMPTY_QUERY` (nothing searchable after removing
   * control characters and punctuation), `ERR_K_RANGE`, `ERR_UNKNOWN_FILTER_FIELD`, `ERR_FILTER`.
   * Queries longer than {@link MAX_QUERY_LENGTH} characters or with more than
   * {@link MAX_QUERY_TERMS} terms are cut (`truncated: true`), never refused.
   */
  search(request: SearchRequest): SearchResult {
    if (typeof request !== 'object' || request === null) throw invalidParameter('ERR_ARGUMENT', 'a search request object', 'request', request);
    const { query } = request;
    if (typeof query !== 'string') throw invalidParameter('ERR_ARGUMENT', 'a string', 'query', query);
    const k = request.k ?? 10;
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K) throw invalidParameter('ERR_K_RANGE', `an integer in [1, ${MAX_K}]`, 'k', k);
    const offset = request.offset ?? 0;
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0 || offset > MAX_OFFSET) throw invalidParameter('ERR_K_RANGE', `an integer in [0, ${MAX_OFFSET}]`, 'offset', offset);
    const sort = request.sort ?? 'relevance';
    if (!['relevance', 'price_asc', 'price_desc', 'popularity', 'newest'].includes(sort)) throw invalidParameter('ERR_ARGUMENT', 'one of relevance, price_asc, price_desc, popularity, newest', 'sort', sort);
    const test = this.compileFilter(request.filter);
    const facetRequest = checkFacets(request.facets);

    let truncated = false;
    let text = query;
    if (text.length > MAX_QUERY_LENGTH) {
      text = text.slice(0, MAX_QUERY_LENGTH);
      truncated = true;
    }
    const useTypos = (request.typos ?? true) && this.options.typos.enabled;
    const useSynonyms = request.synonyms ?? true;
    const fallback = request.fallback ?? true;
    const prefix = request.prefix ?? true;
    // The cache keeps the match of the text alone; a filter is applied to it per request (cheap
    // next to scoring), so filtered searches share the entry of their text.
    const cacheKey = this.options.resultCache.entries > 0 ? JSON.stringify([text, truncated, useTypos, prefix, useSynonyms, fallback]) : undefined;
    const cached = cacheKey === undefined ? undefined : this.cacheGet(cacheKey);
    let matched: Int32Array;
    let match: CachedMatch;
    if (cacheKey === undefined) {
      ({ matched, match } = this.matchAndScore(query, text, truncated, useTypos, useSynonyms, fallback, prefix, test, false));
    } else {
      if (cached) {
        match = cached;
        const score = this.scratchScore;
        for (let i = 0; i < cached.docs.length; i++) score[cached.docs[i]!] = cached.scores[i]!;
        matched = cached.docs.slice(); // filtering and the page selection work in place
      } else {
        ({ matched, match } = this.matchAndScore(query, text, truncated, useTypos, useSynonyms, fallback, prefix, undefined, true));
        this.cachePut(cacheKey, match, matched.length);
      }
      if (test) {
        // The fallback drops terms in an order that does not depend on the filter, so the filtered
        // answer is the cached one filtered, unless that leaves nothing and terms may be dropped.
        matched = this.filterAndClear(matched, test);
        if (matched.length === 0 && fallback && match.termNames.length > 1) ({ matched, match } = this.matchAndScore(query, text, truncated, useTypos, useSynonyms, fallback, prefix, test, false));
      }
    }
    truncated ||= match.termsCut;
    const facets = this.countFacets(matched, facetRequest);
    const score = this.scratchScore;
    const popularity = this.popularity;
    const prices = this.prices;
    const addedAt = this.addedAt;
    const compare: Record<SortOrder, (a: number, b: number) => number> = {
      relevance: (a, b) => score[b]! - score[a]! || popularity[b]! - popularity[a]! || a - b,
      price_asc: (a, b) => priceKey(prices[a]!, 1) - priceKey(prices[b]!, 1) || score[b]! - score[a]! || a - b,
      price_desc: (a, b) => priceKey(prices[b]!, -1) - priceKey(prices[a]!, -1) || score[b]! - score[a]! || a - b,
      popularity: (a, b) => popularity[b]! - popularity[a]! || score[b]! - score[a]! || a - b,
      newest: (a, b) => addedAt[b]! - addedAt[a]! || b - a,
    };
    const pageDocs = selectPage(matched, offset + k, compare[sort]).slice(offset);
    const total = matched.length;
    const page = pageDocs.map((doc) => ({ doc, score: score[doc]! }));
    for (const doc of matched) score[doc] = 0;
    return {
      hits: page.map((hit) => ({ id: this.ids[hit.doc]!, score: hit.score })),
      total,
      facets,
      terms: match.termNames.map((term, i) => ({ term, matches: match.terms[i]!.map((m) => ({ ...m })) })),
      droppedTerms: [...match.droppedTerms],
      truncated,
    };
  }

  /**
   * The documents that match a query text and pass the filter, with their BM25F scores in
   * `scratchScore` (the caller clears them), and what the result cache keeps of them.
   */
  private matchAndScore(query: string, text: string, truncatedText: boolean, useTypos: boolean, useSynonyms: boolean, fallback: boolean, prefix: boolean, test: ((doc: number) => boolean) | undefined, forCache: boolean): { matched: Int32Array; match: CachedMatch } {
    let truncated = truncatedText;
    let terms = [...new Set(this.analyzer.analyzeQuery(text))];
    if (terms.length === 0) throw invalidParameter('ERR_EMPTY_QUERY', 'a query with at least one letter or digit', 'query', query);
    const termsCut = terms.length > MAX_QUERY_TERMS;
    if (termsCut) {
      terms = terms.slice(0, MAX_QUERY_TERMS);
      truncated = true;
    }
    // The last term is completed only while it is still being typed (no trailing space).
    const typingLastTerm = !truncated && !/[\s\p{P}]$/u.test(text);
    const usePrefix = prefix && this.options.prefix.enabled && typingLastTerm;
    if (usePrefix) terms = this.joinTrailingHanRun(text, terms);
    let groups = terms.map((t, i) => this.buildGroup(t, i === terms.length - 1, useTypos, usePrefix, useSynonyms));

    let matched = this.scoreGroups(groups);
    if (test) matched = this.filterAndClear(matched, test);
    const droppedTerms: string[] = [];
    if (matched.length === 0 && fallback && groups.length > 1) {
      // Drop terms that match nothing first, then the least informative (highest df), one at a time.
      const order = [...groups].sort((a, b) => Number(a.matchesAnything) - Number(b.matchesAnything) || b.df - a.df);
      for (const drop of order) {
        if (groups.length <= 1) break;
        groups = groups.filter((g) => g !== drop);
        droppedTerms.push(drop.term);
        matched = this.scoreGroups(groups);
        if (test) matched = this.filterAndClear(matched, test);
        if (matched.length > 0) break;
      }
    }
    // The documents and scores are copied only for an entry the cache will keep (cachePut's bound).
    const keep = forCache && matched.length <= this.options.resultCache.documents / 4;
    const docs = keep ? matched.slice() : EMPTY_DOCS;
    const scores = new Float64Array(docs.length);
    for (let i = 0; i < docs.length; i++) scores[i] = this.scratchScore[docs[i]!]!;
    const match: CachedMatch = {
      docs,
      scores,
      termsCut,
      termNames: groups.map((g) => g.term),
      terms: groups.map((g) => g.expansions.map((e) => ({ term: this.dictionary.term(e.termId), kind: e.kind, weight: e.weight }))),
      droppedTerms,
    };
    return { matched, match };
  }

  /**
   * While Chinese is being typed, the trailing Han run may be a word cut short (`不粘` of `不粘锅`),
   * which jieba splits into pieces (`不`, `粘`) that match nothing useful. When the whole run is the
   * prefix of an indexed term, the run replaces its pieces as the last query term, to be completed.
   */
  private joinTrailingHanRun(text: string, terms: string[]): string[] {
    const run = /\p{Script=Han}+$/u.exec(foldText(text))?.[0];
    if (!run || run.length < 2) return terms;
    const pieces = this.analyzer.analyzeQuery(run);
    if (pieces.length < 2 || pieces.length > terms.length) return terms;
    for (let i = 0; i < pieces.length; i++) if (terms[terms.length - pieces.length + i] !== pieces[i]) return terms;
    const completes = this.dictionary.completions(run, PREFIX_SCAN_LIMIT).some((id) => this.df[id]! > 0 && this.dictionary.term(id) !== run);
    return completes ? [...terms.slice(0, terms.length - pieces.length), run] : terms;
  }

  /** Keeps the documents that pass `test` (in place) and clears the scores of the others. */
  private filterAndClear(matched: Int32Array, test: (doc: number) => boolean): Int32Array {
    let kept = 0;
    for (let i = 0; i < matched.length; i++) {
      const doc = matched[i]!;
      if (test(doc)) matched[kept++] = doc;
      else this.scratchScore[doc] = 0;
    }
    return matched.subarray(0, kept);
  }

  private countFacets(docs: Int32Array, request: FacetRequest | undefined): FacetCounts {
    if (!request) return {};
    const out: { brands?: FacetCount[]; categories?: FacetCount[]; priceBands?: Array<FacetCount & { min: number; max: number }> } = {};
    if (request.brands) {
      const counts = new Int32Array(this.brands.length);
      for (const doc of docs) {
        const b = this.brandOf[doc]!;
        if (b >= 0) counts[b]!++;
      }
      const list: FacetCount[] = [];
      counts.forEach((count, b) => count > 0 && list.push({ value: this.brands[b]!, count }));
      out.brands = sortFacets(list);
    }
    if (request.categories) {
      const counts = new Int32Array(this.categories.length);
      for (const doc of docs) for (let c = this.categoryOf[doc]!; c >= 0; c = this.categories[c]!.parent) counts[c]!++;
      const list: FacetCount[] = [];
      counts.forEach((count, c) => count > 0 && list.push({ value: this.categories[c]!.label, count }));
      out.categories = sortFacets(list);
    }
    if (request.priceBands) {
      const edges = request.priceBands;
      const counts = new Array<number>(edges.length).fill(0);
      for (const doc of docs) {
        const p = this.prices[doc]!;
        if (!(p >= edges[0]!)) continue;
        let lo = 0;
        let hi = edges.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if (edges[mid]! <= p) lo = mid;
          else hi = mid - 1;
        }
        counts[lo]!++;
      }
      out.priceBands = edges.map((min, i) => {
        const max = i + 1 < edges.length ? edges[i + 1]! : Number.POSITIVE_INFINITY;
        return { value: `[${min}, ${Number.isFinite(max) ? max : '∞'})`, min, max, count: counts[i]! };
      });
    }
    return out;
  }

  // ---- persistence ----

  /**
   * Serialises the index (compacting it first) into the versioned binary format of `binary.ts`:
   * typed-array sections for postings and per-item columns, JSON sections for strings.
   */
  toBytes(): Uint8Array {
    this.compact();
    const n = this.ids.length;
    const termCount = this.dictionary.size;
    const postingOffsets = new Int32Array(termCount + 1);
    for (let t = 0; t < termCount; t++) postingOffsets[t + 1] = postingOffsets[t]! + (this.postings[t]?.length ?? 0);
    const totalPostings = postingOffsets[termCount]!;
    const postingDocs = new Int32Array(totalPostings);
    const postingTfs = new Uint8Array(totalPostings * FIELD_COUNT);
    for (let t = 0; t < termCount; t++) {
      const list = this.postings[t];
      if (!list) continue;
      postingDocs.set(list.docs.subarray(0, list.length), postingOffsets[t]!);
      postingTfs.set(list.tfs.subarray(0, list.length * FIELD_COUNT), postingOffsets[t]! * FIELD_COUNT);
    }
    const docTermOffsets = new Int32Array(n + 1);
    for (let d = 0; d < n; d++) docTermOffsets[d + 1] = docTermOffsets[d]! + this.docTerms[d]!.length;
    const docTermIds = new Int32Array(docTermOffsets[n]!);
    for (let d = 0; d < n; d++) docTermIds.set(this.docTerms[d]!, docTermOffsets[d]!);
    const { resultCache: _runtime, ...options } = this.options;
    const meta = {
      options,
      protectedWords: this.analyzer.words(),
      brands: this.brands,
      categories: this.categories.map((c) => [c.name, c.parent]),
      insertionCounter: this.insertionCounter,
    };
    const sections: Section[] = [
      { kind: 'json', value: meta },
      { kind: 'json', value: this.dictionary.terms() },
      { kind: 'json', value: this.ids },
      { kind: 'json', value: this.attributes },
      this.fieldLengths.slice(0, n * FIELD_COUNT),
      this.prices.slice(0, n),
      this.inStock.slice(0, n),
      this.brandOf.slice(0, n),
      this.categoryOf.slice(0, n),
      this.popularity.slice(0, n),
      this.addedAt.slice(0, n),
      docTermOffsets,
      docTermIds,
      postingOffsets,
      postingDocs,
      postingTfs,
    ];
    return encodeSections(sections);
  }

  /**
   * Loads an index written by {@link toBytes}. A truncated, corrupt or other-version buffer throws
   * `ERR_CORRUPT_INDEX`. Posting lists are views into `bytes` (no copy) until they grow. The
   * result cache is a setting of the running index, not of the file: `runtime.resultCache`
   * (default: the default cache).
   */
  static fromBytes(bytes: Uint8Array, runtime: Pick<TextIndexOptions, 'resultCache'> = {}): TextIndex {
    const sections = decodeSections(bytes);
    const fail = (what: string): never => {
      throw new RetrievalError('ERR_CORRUPT_INDEX', `Expected a saved Souk text index for file but received ${what}`);
    };
    if (sections.length !== 16) fail(`${sections.length} sections (expected 16)`);
    const json = (i: number) => {
      const s = sections[i]!;
      return ArrayBuffer.isView(s) ? fail(`a typed array in section ${i}`) : s.value;
    };
    const typed = <T extends Int32Array | Uint8Array | Uint16Array | Float64Array>(i: number, type: new (...args: never[]) => T, length?: number): T => {
      const s = sections[i];
      if (!(s instanceof type)) return fail(`a wrong kind of section ${i}`);
      if (length !== undefined && s.length !== length) return fail(`section ${i} of length ${s.length} (expected ${length})`);
      return s;
    };
    const meta = json(0) as { options: TextIndexOptions; protectedWords: string[]; brands: string[]; categories: Array<[string, number]>; insertionCounter: number };
    const terms = json(1) as string[];
    const ids = json(2) as string[];
    const attributes = json(3) as Array<ItemRecord['attributes']>;
    if (!meta || !Array.isArray(terms) || !Array.isArray(ids) || !Array.isArray(attributes) || attributes.length !== ids.length) fail('inconsistent metadata sections');
    const n = ids.length;
    const { resultCache: _saved, ...saved } = meta.options as TextIndexOptions & { resultCache?: unknown };
    const index = new TextIndex({ ...saved, protectedWords: meta.protectedWords, ...(runtime.resultCache !== undefined ? { resultCache: runtime.resultCache } : {}) });
    index.ensureDocCapacity(n);
    index.fieldLengths.set(typed(4, Uint16Array, n * FIELD_COUNT));
    index.prices.set(typed(5, Float64Array, n));
    index.inStock.set(typed(6, Uint8Array, n));
    index.brandOf.set(typed(7, Int32Array, n));
    index.categoryOf.set(typed(8, Int32Array, n));
    index.popularity.set(typed(9, Float64Array, n));
    index.addedAt.set(typed(10, Float64Array, n));
    const docTermOffsets = typed(11, Int32Array, n + 1);
    const docTermIds = typed(12, Int32Array);
    const postingOffsets = typed(13, Int32Array, terms.length + 1);
    const postingDocs = typed(14, Int32Array);
    const postingTfs = typed(15, Uint8Array, postingDocs.length * FIELD_COUNT);
    if (docTermOffsets[n] !== docTermIds.length || postingOffsets[terms.length] !== postingDocs.length) fail('offsets that do not match their arrays');
    for (const term of terms) index.dictionary.intern(term);
    if (index.dictionary.size !== terms.length) fail('duplicate terms');
    index.df = new Int32Array(Math.max(16, terms.length));
    for (let t = 0; t < terms.length; t++) {
      const start = postingOffsets[t]!;
      const end = postingOffsets[t + 1]!;
      if (end < start) fail('decreasing posting offsets');
      index.postings.push(new PostingList(postingDocs.subarray(start, end), postingTfs.subarray(start * FIELD_COUNT, end * FIELD_COUNT), end - start));
      index.df[t] = end - start;
    }
    for (let p = 0; p < postingDocs.length; p++) if (postingDocs[p]! < 0 || postingDocs[p]! >= n) fail('a posting that points past the documents');
    index.ids = ids;
    index.attributes = attributes;
    for (let d = 0; d < n; d++) {
      if (docTermOffsets[d + 1]! < docTermOffsets[d]!) fail('decreasing document offsets');
      index.docTerms.push(docTermIds.subarray(docTermOffsets[d]!, docTermOffsets[d + 1]!));
      index.alive[d] = 1;
      for (let f = 0; f < FIELD_COUNT; f++) index.fieldLengthSums[f] += index.fieldLengths[d * FIELD_COUNT + f]!;
      for (const name of Object.keys(attributes[d] ?? {})) index.attributeNames.add(name);
    }
    index.docById = new Map(ids.map((id, d) => [id, d]));
    if (index.docById.size !== n) fail('duplicate item ids');
    index.liveCount = n;
    index.brands = meta.brands;
    index.brandByKey = new Map(meta.brands.map((b, i) => [foldText(b).trim(), i]));
    for (const [name, parent] of meta.categories) {
      const label = parent >= 0 ? `${index.categories[parent]!.label} > ${name}` : name;
      index.categories.push({ name, parent, label });
      let key = '';
      const chain: string[] = [];
      for (let c = index.categories.length - 1; c >= 0; c = index.categories[c]!.parent) chain.unshift(foldText(index.categories[c]!.name).trim());
      key = chain.join('\u0000');
      index.categoryByKey.set(key, index.categories.length - 1);
    }
    index.insertionCounter = meta.insertionCounter;
    return index;
  }
}

function priceKey(price: number, direction: 1 | -1): number {
  // Items without a price sort last in both directions.
  return Number.isNaN(price) ? Number.POSITIVE_INFINITY * direction : price;
}

function checkRange(range: unknown, param: string): { min: number; max: number } {
  if (typeof range !== 'object' || range === null || Array.isArray(range)) throw invalidParameter('ERR_FILTER', 'a {min, max} range', param, range);
  const { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = range as { min?: unknown; max?: unknown };
  if (typeof min !== 'number' || Number.isNaN(min)) throw invalidParameter('ERR_FILTER', 'a number', `${param}.min`, min);
  if (typeof max !== 'number' || Number.isNaN(max)) throw invalidParameter('ERR_FILTER', 'a number', `${param}.max`, max);
  if (min > max) throw new RetrievalError('ERR_FILTER', `Expected min <= max for ${param} but received min ${min} and max ${max}`);
  return { min, max };
}

function checkFacets(request: FacetRequest | undefined): FacetRequest | undefined {
  if (request === undefined) return undefined;
  if (typeof request !== 'object' || request === null) throw invalidParameter('ERR_ARGUMENT', 'a facet request object', 'facets', request);
  for (const key of Object.keys(request)) {
    if (!['brands', 'categories', 'priceBands'].includes(key)) throw invalidParameter('ERR_ARGUMENT', 'one of brands, categories, priceBands', 'facets field', key);
  }
  const edges = request.priceBands;
  if (edges !== undefined) {
    if (!Array.isArray(edges) || edges.length === 0 || edges.length > 100 || edges.some((e, i) => typeof e !== 'number' || !Number.isFinite(e) || (i > 0 && e <= edges[i - 1]!))) {
      throw invalidParameter('ERR_ARGUMENT', 'between 1 and 100 strictly ascending finite price edges', 'facets.priceBands', edges);
    }
  }
  return request;
}

function sortFacets(list: FacetCount[]): FacetCount[] {
  return list.sort((a, b) => b.count - a.count || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** The first `limit` entries under `compare`: a full sort for small inputs, a bounded selection otherwise. */
function selectPage(entries: Int32Array, limit: number, compare: (a: number, b: number) => number): number[] {
  if (entries.length <= limit * 4 || entries.length < 256) return Array.from(entries.sort(compare).subarray(0, limit));
  // Keep a sorted buffer of the best `limit`; insertion is O(limit) but only for entries that qualify.
  const best: number[] = [];
  for (const e of entries) {
    if (best.length === limit && compare(e, best[limit - 1]!) >= 0) continue;
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(best[mid]!, e) <= 0) lo = mid + 1;
      else hi = mid;
    }
    best.splice(lo, 0, e);
    if (best.length > limit) best.pop();
  }
  return best;
}
